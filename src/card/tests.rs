//! Protocol tests against the in-process virtual card: the happy path, APDU budget, every fault,
//! and hostile responses (typed errors, never a panic).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::sim::{Fault, SimSpec, VirtualCard};
use super::simcert::{generate, CertSpec, SimCerts};
use super::*;
use crate::rules::{PinState, TokenKind};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn certs() -> &'static SimCerts {
    static C: OnceLock<SimCerts> = OnceLock::new();
    C.get_or_init(|| {
        generate(&CertSpec {
            issued: date("2022-03-01"),
            expires: date("2027-02-14"),
            serial: 1,
        })
        .unwrap()
    })
}

fn spec() -> SimSpec {
    let mut s = SimSpec::new(certs().cert.clone());
    s.ca = Some(certs().ca.clone());
    s
}

fn card_with(f: impl FnOnce(&mut SimSpec)) -> VirtualCard {
    let mut s = spec();
    f(&mut s);
    VirtualCard::new(&s)
}

/// Records every APDU sent (shared, so a callback can look at it mid-read).
struct Recorder<'a> {
    inner: &'a mut VirtualCard,
    sent: Rc<RefCell<Vec<Vec<u8>>>>,
}

impl Transport for Recorder<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
        self.sent.borrow_mut().push(apdu.to_vec());
        self.inner.transmit(apdu)
    }
}

#[test]
fn reads_a_healthy_card_within_the_apdu_budget() {
    let mut card = card_with(|_| {});
    let sent = Rc::new(RefCell::new(Vec::new()));
    let mut rec = Recorder {
        inner: &mut card,
        sent: sent.clone(),
    };
    let mut apdus_at_cert = None;
    let report = read_card(&mut rec, &mut |c| {
        assert_eq!(c.validity.not_after, date("2027-02-14"));
        apdus_at_cert = Some(sent.borrow().len());
    })
    .unwrap();
    assert_eq!(report.cert.token, TokenKind::MyNumberCard);
    assert_eq!(report.cert.validity.not_before, date("2022-03-01"));
    assert_eq!(report.cert.validity.not_after, date("2027-02-14"));
    assert_eq!(
        report.pins.unwrap(),
        PinCounters {
            auth: Some(PinState::Remaining(3)),
            sign: Some(PinState::Remaining(5)),
            card_info: Some(PinState::Remaining(3)),
        }
    );
    let sent = sent.borrow();
    // Certificate status known after ≤ 10 APDUs for a ~1.3 KB certificate; ≤ 17 with the counters.
    let cert_len = certs().cert.len();
    let reads = sent.iter().filter(|a| a[1] == 0xB0).count();
    assert_eq!(
        reads,
        1 + cert_len.div_ceil(256),
        "label read + 256-byte chunks"
    );
    assert!(
        apdus_at_cert.unwrap() <= 10,
        "{apdus_at_cert:?} APDUs until the certificate"
    );
    assert!(sent.len() <= 17, "{} APDUs", sent.len());
    // Every APDU is short; VERIFY is exactly the 4-byte case-1 command (never PIN data).
    for a in sent.iter() {
        assert!(a.len() <= 5 + 255, "{a:02X?}");
        if a[1] == 0x20 {
            assert_eq!(a.as_slice(), apdu::VERIFY_STATUS);
        }
    }
    // Reads stop at the DER length: the last chunk asks exactly for what is left.
    let last = sent.iter().rfind(|a| a[1] == 0xB0).unwrap();
    let off = usize::from(u16::from_be_bytes([last[2], last[3]]));
    let le = if last[4] == 0 {
        256
    } else {
        usize::from(last[4])
    };
    assert_eq!(off + le, cert_len);
    drop(rec);
    assert_eq!(card.pin_data_refused(), 0);
}

#[test]
fn read_certificate_and_counters_work_on_their_own() {
    let mut card = card_with(|_| {});
    let cert = read_certificate(&mut card).unwrap();
    assert_eq!(cert.validity.not_after, date("2027-02-14"));
    // Standalone counters re-select the applet, whatever was selected before.
    card.transmit(&apdu::select_applet(&apdu::AID_CARD_INFO))
        .unwrap();
    let pins = read_pin_counters(&mut card).unwrap();
    assert_eq!(pins.auth, Some(PinState::Remaining(3)));
    // Distinct cards have distinct identities.
    let other = generate(&CertSpec {
        issued: date("2022-03-01"),
        expires: date("2027-02-14"),
        serial: 2,
    })
    .unwrap();
    let other = read_certificate(&mut VirtualCard::new(&SimSpec::new(other.cert))).unwrap();
    assert_eq!(other.validity, cert.validity);
    assert_ne!(other.identity.key(b"s"), cert.identity.key(b"s"));
}

#[test]
fn counters_blocked_and_low() {
    let mut card = card_with(|s| {
        s.auth_tries = 1;
        s.sign_tries = 0;
        s.card_info_tries = 2;
    });
    let pins = read_pin_counters(&mut card).unwrap();
    assert_eq!(pins.auth, Some(PinState::Remaining(1)));
    assert_eq!(pins.sign, Some(PinState::Blocked));
    assert_eq!(pins.card_info, Some(PinState::Remaining(2)));
    assert_eq!(card.pin_data_refused(), 0);
}

#[test]
fn the_virtual_card_refuses_and_counts_verify_with_pin_data() {
    let mut card = card_with(|_| {});
    card.transmit(&apdu::select_applet(&apdu::AID_JPKI))
        .unwrap();
    card.transmit(&apdu::select_ef(apdu::EF_AUTH_PIN)).unwrap();
    let r = card
        .transmit(&[0x00, 0x20, 0x00, 0x80, 0x04, b'1', b'2', b'3', b'4'])
        .unwrap();
    assert_eq!(r.sw, 0x6982);
    assert_eq!(card.pin_data_refused(), 1);
    // With an Le byte (case 2) a card answers 67 00, as real ones do.
    assert_eq!(
        card.transmit(&[0x00, 0x20, 0x00, 0x80, 0x00]).unwrap().sw,
        0x6700
    );
    assert_eq!(card.transmit(&apdu::VERIFY_STATUS).unwrap().sw, 0x63C3);
}

#[test]
fn the_virtual_card_answers_like_a_real_one() {
    let mut card = card_with(|_| {});
    card.transmit(&apdu::select_applet(&apdu::AID_JPKI))
        .unwrap();
    assert_eq!(
        card.transmit(&apdu::select_ef(apdu::EF_SIGN_CERT))
            .unwrap()
            .sw,
        0x9000
    );
    assert_eq!(card.transmit(&apdu::read_binary(0, 4)).unwrap().sw, 0x6982);
    card.transmit(&apdu::select_ef(apdu::EF_AUTH_CERT)).unwrap();
    let len = certs().cert.len();
    // Filler after the DER, 6B 00 past the end of the file.
    let r = card.transmit(&apdu::read_binary(len as u16, 16)).unwrap();
    assert_eq!((r.data, r.sw), (vec![0xFF; 16], 0x9000));
    assert_eq!(
        card.transmit(&apdu::read_binary(0x1000, 16)).unwrap().sw,
        0x6B00
    );
}

#[test]
fn first_command_6f00_is_retried_once() {
    let mut card = card_with(|s| s.faults.push(Fault::First6F00));
    let cert = read_certificate(&mut card).unwrap();
    assert_eq!(cert.validity.not_after, date("2027-02-14"));
}

#[test]
fn faults_give_typed_errors() {
    type Expect = fn(&CardError) -> bool;
    let cases: [(Fault, Expect); 5] = [
        (Fault::GarbageCert, |e| {
            matches!(e, CardError::CertInvalid(_))
        }),
        (Fault::TruncatedCert, |e| {
            matches!(e, CardError::CertTruncated { .. })
        }),
        (Fault::HugeLength, |e| {
            matches!(e, CardError::CertTooLarge(0x10003))
        }),
        (Fault::WrongLabel, |e| {
            matches!(e, CardError::NotMyNumberCard(TokenKind::Unknown))
        }),
        (Fault::NoApplet, |e| matches!(e, CardError::NoJpkiApplet)),
    ];
    for (fault, ok) in cases {
        let mut card = card_with(|s| s.faults.push(fault));
        let err = read_card(&mut card, &mut |_| panic!("no certificate expected")).unwrap_err();
        assert!(ok(&err), "{fault:?} gave {err:?}");
        assert!(!err.to_string().is_empty());
        assert!(!err.is_removed());
    }
}

#[test]
fn truncated_certificate_reports_how_far_it_got() {
    let mut card = card_with(|s| s.faults.push(Fault::TruncatedCert));
    let len = certs().cert.len();
    match read_certificate(&mut card).unwrap_err() {
        CardError::CertTruncated { expected, got } => {
            assert_eq!(expected, len);
            assert_eq!(got, len / 2);
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn juki_card_is_not_a_my_number_card() {
    let mut card = card_with(|s| s.label = "JPKIAPICCTOKEN".into());
    assert_eq!(
        read_certificate(&mut card).unwrap_err(),
        CardError::NotMyNumberCard(TokenKind::JukiCard)
    );
}

#[test]
fn removal_at_every_point_is_a_clean_removed_result() {
    let mut card = card_with(|_| {});
    read_card(&mut card, &mut |_| {}).unwrap();
    let total = card.apdu_count();
    for n in 0..total {
        let mut card = card_with(|s| s.remove_after_apdus = Some(n));
        match read_card(&mut card, &mut |_| {}) {
            Err(e) => assert!(e.is_removed(), "after {n}: {e:?}"),
            Ok(r) => assert!(r.pins.unwrap_err().is_removed(), "after {n}"),
        }
    }
}

#[test]
fn slow_card_still_reads() {
    let mut card = card_with(|s| {
        s.faults
            .push(Fault::Slow(std::time::Duration::from_millis(1)))
    });
    assert!(read_card(&mut card, &mut |_| {}).is_ok());
}

/// Answers from a script, then `90 00` forever: for hostile responses.
struct Scripted(Vec<Result<Response, TransportError>>);

impl Transport for Scripted {
    fn transmit(&mut self, _apdu: &[u8]) -> Result<Response, TransportError> {
        if self.0.is_empty() {
            Ok(Response {
                data: vec![],
                sw: 0x9000,
            })
        } else {
            self.0.remove(0)
        }
    }
}

fn ok(data: &[u8], sw: u16) -> Result<Response, TransportError> {
    Ok(Response {
        data: data.to_vec(),
        sw,
    })
}

#[test]
fn hostile_responses_are_typed_errors() {
    let label = b"JPKIAPICCTOKEN2                 ";
    // More data than asked for.
    let mut t = Scripted(vec![
        ok(&[], 0x9000),
        ok(&[], 0x9000),
        ok(&[0u8; 40], 0x9000),
    ]);
    assert!(matches!(
        read_certificate(&mut t),
        Err(CardError::Malformed { .. })
    ));
    // Certificate file answers nothing but 90 00: not a certificate, no endless loop.
    let mut t = Scripted(vec![ok(&[], 0x9000), ok(&[], 0x9000), ok(label, 0x9000)]);
    assert!(matches!(
        read_certificate(&mut t),
        Err(CardError::CertInvalid(_))
    ));
    // Unexpected status to the certificate SELECT.
    let mut t = Scripted(vec![
        ok(&[], 0x9000),
        ok(&[], 0x9000),
        ok(label, 0x9000),
        ok(&[], 0x6A82),
    ]);
    assert_eq!(read_certificate(&mut t), Err(CardError::NoCertificate));
    // A card that keeps answering 6F 00 fails after one retry.
    let mut t = Scripted(vec![ok(&[], 0x6F00), ok(&[], 0x6F00)]);
    assert_eq!(
        read_certificate(&mut t),
        Err(CardError::Status {
            command: "SELECT JPKI applet",
            sw: 0x6F00
        })
    );
    // A reader error is passed through.
    let mut t = Scripted(vec![Err(TransportError::Reader("boom".into()))]);
    assert_eq!(
        read_certificate(&mut t).unwrap_err().to_string(),
        "reader error: boom"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Whatever the card answers, the read ends with a value or a typed error.
    #[test]
    fn arbitrary_responses_never_panic(
        responses in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..300), any::<u16>()), 0..30),
        header in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut script: Vec<_> = vec![
            ok(&[], 0x9000),
            ok(&[], 0x9000),
            ok(b"JPKIAPICCTOKEN2", 0x9000),
            ok(&[], 0x9000),
            ok(&header, 0x9000),
        ];
        script.extend(responses.iter().map(|(d, sw)| ok(d, *sw)));
        let _ = read_card(&mut Scripted(script), &mut |_| {});
        let mut t = Scripted(responses.iter().map(|(d, sw)| ok(d, *sw)).collect());
        let _ = read_card(&mut t, &mut |_| {});
    }
}
