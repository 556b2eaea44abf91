//! Fuzz target: the whole card read (`card::read_card`) against a card whose answers come from the
//! fuzz input. Input format (shared with the seeds written by `src/card/fuzz_tests.rs`): a sequence
//! of records `len: u16 little-endian, raw: [u8; len]`, each record one raw response (data ‖ SW1
//! SW2); a record shorter than 2 bytes is a reader error, the end of the input is a card removal.
//! Besides "no panic", it checks what the reader sends: short APDUs only, never PIN data, a bounded
//! number of commands, and a validity whose dates are in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mynawatch::card::{cert, read_card, Response, Transport, TransportError};

/// A bound on the commands of one read: the certificate loop asks for at least one new byte per READ
/// BINARY and stops at `MAX_CERT_LEN`, plus a handful of SELECTs and VERIFYs. Above it, a hostile card
/// could keep the reader in a loop (libFuzzer would also report it as a timeout).
const MAX_APDUS: usize = 16 + cert::MAX_CERT_LEN;

struct FromInput<'a> {
    input: &'a [u8],
    sent: usize,
}

impl Transport for FromInput<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
        self.sent += 1;
        assert!(self.sent <= MAX_APDUS, "more than {MAX_APDUS} APDUs");
        assert!((4..=5 + 255).contains(&apdu.len()), "not a short APDU");
        if apdu[1] == 0x20 {
            assert_eq!(apdu.len(), 4, "VERIFY with data or Le: {apdu:02X?}");
        }
        let Some((len, rest)) = self.input.split_first_chunk::<2>() else {
            return Err(TransportError::Removed);
        };
        let len = usize::from(u16::from_le_bytes(*len)).min(rest.len());
        let (raw, rest) = rest.split_at(len);
        self.input = rest;
        match raw.len().checked_sub(2) {
            Some(n) => Ok(Response {
                data: raw[..n].to_vec(),
                sw: u16::from_be_bytes([raw[n], raw[n + 1]]),
            }),
            None => Err(TransportError::Reader("short response".into())),
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let mut t = FromInput { input, sent: 0 };
    let mut seen = None;
    match read_card(&mut t, &mut |c| seen = Some(c.clone())) {
        Ok(report) => {
            let v = report.cert.validity;
            assert!(v.not_before <= v.not_after, "validity out of order: {v:?}");
            assert_eq!(
                seen.as_ref(),
                Some(&report.cert),
                "on_cert not called with the cert"
            );
        }
        Err(e) => {
            assert!(seen.is_none(), "on_cert called but the read failed");
            // Every error has a message (Display must not panic either).
            assert!(!e.to_string().is_empty());
        }
    }
});
