//! Fuzz target: the card layer's certificate handling on arbitrary bytes — the DER length probe used
//! while reading (`cert::der_total_len`), validity/identity extraction (`cert::parse`) and the
//! DER/PEM file loader of `sim-card --cert` (`simcert::load_cert_file`). Checks that a parsed validity
//! is in order and that the length probe agrees with what the parser accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mynawatch::card::{cert, simcert, CardError};

fn check_der(der: &[u8]) {
    for cut in [0, 1, 2, 3, 4, 6] {
        if let Ok(Some(n)) = cert::der_total_len(&der[..cut.min(der.len())]) {
            assert!((2..=cert::MAX_CERT_LEN).contains(&n), "length {n}");
        }
    }
    if let Ok((validity, identity)) = cert::parse(der) {
        assert!(
            validity.not_before <= validity.not_after,
            "validity out of order: {validity:?}"
        );
        // The reader stops at the DER length: it must be exactly what the parser consumed.
        match cert::der_total_len(der) {
            Ok(Some(n)) => assert_eq!(n, der.len(), "DER length disagrees with the parser"),
            Err(CardError::CertTooLarge(n)) => assert_eq!(n, der.len()),
            other => panic!("parser accepted what the length probe rejects: {other:?}"),
        }
        let _ = identity.key(b"fuzz salt");
    }
}

fuzz_target!(|data: &[u8]| {
    check_der(data);
    if let Ok(der) = simcert::load_cert_file(data) {
        check_der(&der);
    }
});
