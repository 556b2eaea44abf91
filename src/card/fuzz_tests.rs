//! Property tests on the card layer's hostile-input entry points, the in-CI counterpart of the
//! libFuzzer targets in `fuzz/`: arbitrary and mutated card answers through `read_card`, arbitrary
//! and mutated certificates through `cert::parse` / `cert::der_total_len`. Each asserts "a typed
//! error or a valid result" plus invariants (short APDUs, no PIN data, a bounded read, a validity in
//! order). Also writes the fuzzers' seed files (`write_fuzz_seeds`, ignored by default).

use std::sync::OnceLock;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::sim::{SimSpec, VirtualCard};
use super::simcert::{generate, CertSpec, SimCerts};
use super::*;

fn certs() -> &'static SimCerts {
    static C: OnceLock<SimCerts> = OnceLock::new();
    C.get_or_init(|| {
        generate(&CertSpec {
            issued: NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
            expires: NaiveDate::from_ymd_opt(2027, 2, 14).unwrap(),
            serial: 3,
        })
        .unwrap()
    })
}

/// The raw responses (data ‖ SW) a healthy virtual card gives to a whole read.
fn healthy_transcript() -> Vec<Vec<u8>> {
    let mut card = VirtualCard::new(&SimSpec::new(certs().cert.clone()));
    let mut t = Taping {
        card: &mut card,
        tape: Vec::new(),
    };
    read_card(&mut t, &mut |_| {}).unwrap().pins.unwrap();
    t.tape
}

struct Taping<'a> {
    card: &'a mut VirtualCard,
    tape: Vec<Vec<u8>>,
}

impl Transport for Taping<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
        let raw = self.card.respond(apdu).ok_or(TransportError::Removed)?;
        self.tape.push(raw.clone());
        let (data, sw) = apdu::split_response(&raw).unwrap();
        Ok(Response {
            data: data.to_vec(),
            sw,
        })
    }
}

/// Encode raw responses in the `apdu_responses` fuzz target's input format: `len: u16 LE, raw`.
fn encode(responses: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in responses {
        out.extend_from_slice(&(r.len() as u16).to_le_bytes());
        out.extend_from_slice(r);
    }
    out
}

/// A card answering from a list of raw responses, checking every command it gets, as the fuzz
/// target does: a raw response shorter than a status word is a reader error, the end is a removal.
struct Hostile {
    responses: std::vec::IntoIter<Vec<u8>>,
    sent: usize,
}

impl Hostile {
    fn new(responses: Vec<Vec<u8>>) -> Self {
        Hostile {
            responses: responses.into_iter(),
            sent: 0,
        }
    }
}

/// The certificate loop gives up after twice the full-chunk count of READ BINARYs.
const MAX_APDUS: usize = 16 + 2 * cert::MAX_CERT_LEN.div_ceil(256);

impl Transport for Hostile {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
        self.sent += 1;
        assert!(self.sent <= MAX_APDUS, "unbounded read");
        assert!((4..=260).contains(&apdu.len()), "not a short APDU");
        if apdu[1] == 0x20 {
            assert_eq!(apdu.len(), 4, "VERIFY must carry no PIN and no Le");
        }
        let raw = self.responses.next().ok_or(TransportError::Removed)?;
        let (data, sw) = apdu::split_response(&raw)
            .ok_or_else(|| TransportError::Reader("short response".into()))?;
        Ok(Response {
            data: data.to_vec(),
            sw,
        })
    }
}

/// Run a whole read on `responses` and check the outcome's invariants.
fn read_hostile(responses: Vec<Vec<u8>>) -> Result<CardReport, CardError> {
    let mut t = Hostile::new(responses);
    let mut seen = None;
    let r = read_card(&mut t, &mut |c| seen = Some(c.clone()));
    match &r {
        Ok(report) => {
            let v = report.cert.validity;
            assert!(v.not_before <= v.not_after, "validity out of order: {v:?}");
            assert_eq!(seen.as_ref(), Some(&report.cert));
        }
        Err(e) => {
            assert!(seen.is_none(), "on_cert called for a failed read");
            assert!(!e.to_string().is_empty());
        }
    }
    r
}

/// Swap notBefore and notAfter of a DER certificate in place (both UTCTime, same length).
fn swap_validity(der: &[u8]) -> Vec<u8> {
    let times: Vec<usize> = (0..der.len() - 15)
        .filter(|&i| der[i] == 0x17 && der[i + 1] == 0x0D && der[i + 14] == b'Z')
        .take(2)
        .collect();
    let [a, b] = times[..] else {
        panic!("no UTCTime validity found")
    };
    let mut out = der.to_vec();
    out[a..a + 15].copy_from_slice(&der[b..b + 15]);
    out[b..b + 15].copy_from_slice(&der[a..a + 15]);
    out
}

#[test]
fn the_healthy_transcript_reads_back() {
    let report = read_hostile(healthy_transcript()).unwrap();
    assert_eq!(
        report.cert.validity.not_after,
        NaiveDate::from_ymd_opt(2027, 2, 14).unwrap()
    );
    assert!(report.pins.is_ok());
}

#[test]
fn a_certificate_that_expires_before_it_is_issued_is_rejected() {
    let swapped = swap_validity(&certs().cert);
    assert_ne!(swapped, certs().cert);
    assert_eq!(
        cert::parse(&swapped).unwrap_err(),
        CardError::CertInvalid("notBefore is after notAfter".into())
    );
    // Through the whole read too: the status is never judged from such a certificate.
    let mut card = VirtualCard::new(&SimSpec::new(swapped));
    assert!(matches!(
        read_card(&mut card, &mut |_| panic!(
            "no status from a broken certificate"
        )),
        Err(CardError::CertInvalid(_))
    ));
}

#[test]
fn a_card_answering_one_byte_per_read_ends_within_the_bound() {
    // 2 SELECTs, the label, the certificate SELECT, then 1-byte chunks of a long DER header.
    let mut script = vec![vec![0x90, 0x00], vec![0x90, 0x00]];
    script.push([&b"JPKIAPICCTOKEN2"[..], &[0x90, 0x00]].concat());
    script.push(vec![0x90, 0x00]);
    script.push(vec![0x30, 0x90, 0x00]);
    script.push(vec![0x82, 0x90, 0x00]);
    script.push(vec![0x1F, 0x90, 0x00]);
    script.push(vec![0xF0, 0x90, 0x00]);
    script.extend(std::iter::repeat_n(vec![0x41, 0x90, 0x00], 0x1FF0));
    // Cut off after twice the full-chunk count of reads, not after ~8,000 APDUs.
    assert!(matches!(
        read_hostile(script),
        Err(CardError::Malformed {
            command: "READ BINARY",
            ..
        })
    ));
}

#[test]
fn der_length_of_the_real_certificate_is_its_size() {
    let der = &certs().cert;
    assert_eq!(cert::der_total_len(der).unwrap(), Some(der.len()));
    assert_eq!(cert::der_total_len(&der[..4]).unwrap(), Some(der.len()));
}

/// x509-parser alone accepts a first byte of 0x90 (found by `flipped_certificates_parse_or_fail_cleanly`
/// in CI when the generated certificate happened to be 1249 bytes): every first byte but 0x30 is
/// rejected, and so is a header whose length is not the certificate's.
#[test]
fn only_a_der_sequence_of_the_stated_length_parses() {
    let good = &certs().cert;
    for tag in (0..=255u8).filter(|&t| t != 0x30) {
        let mut der = good.clone();
        der[0] = tag;
        assert!(cert::parse(&der).is_err(), "first byte {tag:02X} parsed");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(cert::parse(&longer).is_err());
    assert!(cert::parse(&good[..good.len() - 1]).is_err());
    assert!(cert::parse(good).is_ok());
}

/// Writes the fuzzers' seed inputs to `fuzz/seeds/` (`cargo test write_fuzz_seeds -- --ignored`).
#[test]
#[ignore = "writes files; run by hand to refresh fuzz/seeds"]
fn write_fuzz_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let apdu = root.join("apdu_responses");
    let certd = root.join("certificate");
    std::fs::create_dir_all(&apdu).unwrap();
    std::fs::create_dir_all(&certd).unwrap();
    let tape = healthy_transcript();
    std::fs::write(apdu.join("healthy-read"), encode(&tape)).unwrap();
    // The same card with 6F 00 to the first command, and pulled after the certificate.
    let mut first = vec![vec![0x6F, 0x00]];
    first.extend(tape.iter().cloned());
    std::fs::write(apdu.join("first-6f00"), encode(&first)).unwrap();
    std::fs::write(
        apdu.join("pulled-after-cert"),
        encode(&tape[..tape.len() - 7]),
    )
    .unwrap();
    std::fs::write(certd.join("jpki-like.der"), &certs().cert).unwrap();
    std::fs::write(certd.join("ca.der"), &certs().ca).unwrap();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64_lines(&certs().cert)
    );
    std::fs::write(certd.join("jpki-like.pem"), pem).unwrap();
}

/// Plain base64 (64-column lines) for the PEM seed, to avoid a dependency for one test.
fn base64_lines(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s.as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_pem_seed_loads_as_the_same_der() {
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        base64_lines(&certs().cert)
    );
    assert_eq!(
        simcert::load_cert_file(pem.as_bytes()).unwrap(),
        certs().cert
    );
}

/// One way to damage a healthy transcript.
#[derive(Clone, Debug)]
enum Damage {
    /// XOR a byte of one response.
    Flip { response: usize, at: usize, xor: u8 },
    /// Cut one response short.
    Cut { response: usize, keep: usize },
    /// Drop one response (everything after it shifts by one command).
    Drop { response: usize },
    /// Replace the status word of one response.
    Sw { response: usize, sw: u16 },
    /// Insert junk before one response.
    Insert { response: usize, raw: Vec<u8> },
}

fn damage() -> impl Strategy<Value = Damage> {
    let r = 0..32usize;
    prop_oneof![
        (r.clone(), 0..300usize, 1..=255u8).prop_map(|(response, at, xor)| Damage::Flip {
            response,
            at,
            xor
        }),
        (r.clone(), 0..300usize).prop_map(|(response, keep)| Damage::Cut { response, keep }),
        r.clone().prop_map(|response| Damage::Drop { response }),
        (r.clone(), any::<u16>()).prop_map(|(response, sw)| Damage::Sw { response, sw }),
        (r, proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(response, raw)| Damage::Insert { response, raw }),
    ]
}

fn apply(tape: &mut Vec<Vec<u8>>, d: &Damage) {
    let n = tape.len();
    match d {
        Damage::Flip { response, at, xor } => {
            let r = &mut tape[response % n];
            if !r.is_empty() {
                let i = at % r.len();
                r[i] ^= xor;
            }
        }
        Damage::Cut { response, keep } => {
            let r = &mut tape[response % n];
            r.truncate(keep % (r.len() + 1));
        }
        Damage::Drop { response } => {
            tape.remove(response % n);
        }
        Damage::Sw { response, sw } => {
            let r = &mut tape[response % n];
            if r.len() >= 2 {
                let k = r.len() - 2;
                r[k..].copy_from_slice(&sw.to_be_bytes());
            }
        }
        Damage::Insert { response, raw } => tape.insert(response % (n + 1), raw.clone()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// A healthy card's answers with a few damages: a value or a typed error, and the invariants.
    #[test]
    fn damaged_transcripts_give_a_typed_result(damages in proptest::collection::vec(damage(), 1..4)) {
        let mut tape = healthy_transcript();
        for d in &damages {
            if tape.is_empty() {
                break;
            }
            apply(&mut tape, d);
        }
        let _ = read_hostile(tape);
    }

    /// Arbitrary raw responses (as the fuzz target decodes them).
    #[test]
    fn arbitrary_raw_responses_give_a_typed_result(
        responses in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..260), 0..40),
    ) {
        let _ = read_hostile(responses);
    }

    /// One byte of the real certificate changed: parsed with ordered dates, or a typed error; and the
    /// length probe agrees with whatever the parser accepted.
    #[test]
    fn flipped_certificates_parse_or_fail_cleanly(at in 0..2000usize, xor in 1..=255u8, cut in 0..2000usize) {
        let mut der = certs().cert.clone();
        let i = at % der.len();
        der[i] ^= xor;
        for bytes in [&der[..], &der[..cut.min(der.len())]] {
            if let Ok((v, _)) = cert::parse(bytes) {
                prop_assert!(v.not_before <= v.not_after);
                match cert::der_total_len(bytes) {
                    Ok(Some(n)) => prop_assert_eq!(n, bytes.len()),
                    Err(CardError::CertTooLarge(n)) => prop_assert_eq!(n, bytes.len()),
                    other => prop_assert!(false, "length probe says {:?}", other),
                }
            }
        }
    }

    /// Arbitrary bytes: the length probe gives a bounded length, "need more", or a typed error.
    #[test]
    fn der_length_probe_is_bounded(head in proptest::collection::vec(any::<u8>(), 0..12)) {
        match cert::der_total_len(&head) {
            Ok(Some(n)) => prop_assert!((2..=cert::MAX_CERT_LEN).contains(&n)),
            Ok(None) => prop_assert!(head.len() < 6),
            Err(CardError::CertInvalid(_) | CardError::CertTooLarge(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error {:?}", e),
        }
        prop_assert!(cert::parse(&head).is_err());
        let _ = simcert::load_cert_file(&head).map(|der| cert::parse(&der));
    }
}

#[test]
fn the_virtual_cards_counters_match_what_the_reader_saw() {
    /// Adds up the bytes each way as the reader sees them.
    struct Sizes<'a> {
        card: &'a mut VirtualCard,
        apdus: u64,
        sent: u64,
        received: u64,
    }
    impl Transport for Sizes<'_> {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
            let r = self.card.transmit(apdu)?;
            self.apdus += 1;
            self.sent += apdu.len() as u64;
            self.received += r.data.len() as u64 + 2;
            Ok(r)
        }
    }
    let mut card = VirtualCard::new(&SimSpec::new(certs().cert.clone()));
    let stats = card.stats();
    assert_eq!(stats.snapshot(), (0, 0, 0));
    let mut t = Sizes {
        card: &mut card,
        apdus: 0,
        sent: 0,
        received: 0,
    };
    read_card(&mut t, &mut |_| {}).unwrap();
    let seen = (t.apdus, t.sent, t.received);
    assert_eq!(stats.snapshot(), seen);
    // The certificate (+ label + status words) is what comes back: nothing read past the DER.
    assert_eq!(seen.0, 16);
    assert_eq!(seen.2, certs().cert.len() as u64 + 32 + 2 * 16);
}
