//! End-to-end card reads through a real pcscd + vpcd with the virtual card (`mynawatch sim-card`),
//! plus an interoperability check with OpenSC's jpki driver. Serial: they share the vpcd slots.

mod support;

use std::process::Command;

use chrono::NaiveDate;
use mynawatch::card::CardError;
use mynawatch::pcsc::transport::{read_reader, readers_with_card};
use mynawatch::rules::{PinState, TokenKind};
use pcsc::{Context, Scope};
use support::bin;
use support::pcscd::{e2e, SimCard, SLOT0, SLOT1};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn read_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(bin())
        .arg("read")
        .args(args)
        .output()
        .expect("run mynawatch read");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run `read --json` (today fixed) and parse its output; it must succeed.
fn read_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json", "--today", "2026-11-26"];
    all.extend_from_slice(args);
    let (code, out, err) = read_cli(&all);
    assert_eq!(code, Some(0), "stderr: {err}");
    serde_json::from_str(&out).expect("JSON output")
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn reads_dates_and_counters_through_pcscd_without_sending_a_pin() {
    let _slots = e2e();
    let card = SimCard::start(
        SLOT0,
        &[
            "--expires",
            "2027-02-14",
            "--issued",
            "2022-03-01",
            "--auth-tries",
            "2",
            "--sign-tries",
            "0",
        ],
    );
    let ctx = Context::establish(Scope::User).unwrap();
    assert_eq!(
        readers_with_card(&ctx).unwrap(),
        vec![card.reader().to_string()]
    );
    let mut seen = None;
    let report = read_reader(&ctx, card.reader(), &mut |c| seen = Some(c.validity)).unwrap();
    assert_eq!(seen, Some(report.cert.validity));
    assert_eq!(report.cert.token, TokenKind::MyNumberCard);
    assert_eq!(report.cert.validity.not_before, date("2022-03-01"));
    assert_eq!(report.cert.validity.not_after, date("2027-02-14"));
    let pins = report.pins.unwrap();
    assert_eq!(pins.auth, Some(PinState::Remaining(2)));
    assert_eq!(pins.sign, Some(PinState::Blocked));
    assert_eq!(pins.card_info, Some(PinState::Remaining(3)));

    let v = read_json(&[]);
    assert_eq!(v["reader"], "Virtual PCD 00 00");
    assert_eq!(v["token"], "my-number-card");
    assert_eq!(v["certificate"]["not_before"], "2022-03-01");
    assert_eq!(v["certificate"]["not_after"], "2027-02-14");
    assert_eq!(v["pins"]["auth"]["tries"], 2);
    assert_eq!(v["pins"]["sign"]["state"], "blocked");
    // Expiry 2027-02-14: renewal opened on 2026-11-15 (the day after 3 months before).
    assert_eq!(v["status"], "renewal-open");
    assert_eq!(v["days_left"], 80);
    // The card logs any VERIFY carrying PIN data; neither read may have sent one.
    assert!(
        !card.stderr().contains("refusing VERIFY"),
        "{}",
        card.stderr()
    );
    assert_eq!(card.remove(), Some(0));
}

/// A certificate renewed early (span > 5 years) on the virtual card: `read` says new card, never
/// renew; a PIN with one try left and the J-LIS CA served as the certificate are handled too.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn read_tells_an_early_renewal_and_a_pins_last_try() {
    let _slots = e2e();
    let card = SimCard::start(SLOT0, &support::pcscd::RENEWED_EARLY_LAST_PIN_TRY);
    let (code, out, err) = read_cli(&["--json", "--today", "2026-04-01"]);
    assert_eq!(code, Some(0), "stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], "apply-new-card", "{ids:?}");
    assert!(ids.contains(&"pin-last-try"), "{ids:?}");
    assert!(!ids.contains(&"renew-certificate"), "{ids:?}");
    assert_eq!(v["card_expires"]["source"], "certificate-span");
    assert_eq!(v["card_expires"]["date"], "2026-06-20");
    let (code, text, _) = read_cli(&["--today", "2026-04-01", "--lang", "ja"]);
    assert_eq!(code, Some(0));
    assert!(text.contains("新しいカードを申請してください"), "{text}");
    assert!(text.contains("あと1回間違えるとロック"), "{text}");
    assert_eq!(card.remove(), Some(0));

    // The J-LIS CA certificate on a card is not a user-authentication certificate: no status.
    let ca = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/jpki/auth_ca_2023.pem"
    );
    let card = SimCard::start(SLOT0, &["--cert", ca]);
    let (code, out, err) = read_cli(&["--today", "2026-04-01"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        err.contains("not the user-authentication certificate of a My Number Card"),
        "{err}"
    );
    assert!(!out.contains("valid"), "{out}");
    assert_eq!(card.remove(), Some(0));
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn card_in_the_second_slot_is_found() {
    let _slots = e2e();
    let card = SimCard::start(SLOT1, &["--expires", "2031-07-07", "--serial", "2"]);
    let ctx = Context::establish(Scope::User).unwrap();
    assert_eq!(
        readers_with_card(&ctx).unwrap(),
        vec!["Virtual PCD 00 01".to_string()]
    );
    let report = read_reader(&ctx, card.reader(), &mut |_| {}).unwrap();
    assert_eq!(report.cert.validity.not_after, date("2031-07-07"));
    let v = read_json(&[]);
    assert_eq!(v["reader"], "Virtual PCD 00 01");
    assert_eq!(v["certificate"]["not_after"], "2031-07-07");
    let v = read_json(&["--reader", "00 01"]);
    assert_eq!(v["reader"], "Virtual PCD 00 01");
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn removal_mid_read_is_a_clear_card_removed_result() {
    let _slots = e2e();
    // Pulled during the certificate read (after SELECT, label, SELECT EF and two chunks).
    let mut card = SimCard::start(
        SLOT0,
        &["--expires", "2027-02-14", "--remove-after-apdus", "6"],
    );
    // Taken out during the read: nothing to read any more, like no card (exit 1).
    let (code, out, err) = read_cli(&[]);
    assert_eq!(code, Some(1), "stdout: {out} stderr: {err}");
    assert!(err.contains("card was removed"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(card.wait_removed(), Some(0));

    // Pulled during the PIN counters: the certificate still counts, the counters say why not.
    let mut card = SimCard::start(
        SLOT0,
        &["--expires", "2027-02-14", "--remove-after-apdus", "12"],
    );
    let ctx = Context::establish(Scope::User).unwrap();
    let report = read_reader(&ctx, card.reader(), &mut |_| {}).unwrap();
    assert_eq!(report.cert.validity.not_after, date("2027-02-14"));
    assert!(report.pins.unwrap_err().is_removed());
    assert_eq!(card.wait_removed(), Some(0));
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn faults_through_pcscd() {
    let _slots = e2e();
    // Some cards answer 6F 00 to the first command after power-up: retried once.
    let card = SimCard::start(SLOT0, &["--expires", "2027-02-14", "--fault", "first-6f00"]);
    let ctx = Context::establish(Scope::User).unwrap();
    let report = read_reader(&ctx, card.reader(), &mut |_| {}).unwrap();
    assert_eq!(report.cert.validity.not_after, date("2027-02-14"));
    drop(card);

    let card = SimCard::start(
        SLOT0,
        &["--expires", "2027-02-14", "--fault", "huge-length"],
    );
    let err = read_reader(&ctx, card.reader(), &mut |_| {}).unwrap_err();
    assert!(matches!(err, CardError::CertTooLarge(_)), "{err:?}");
    drop(card);

    let card = SimCard::start(
        SLOT0,
        &["--expires", "2027-02-14", "--label", "JPKIAPICCTOKEN"],
    );
    let (code, _, err) = read_cli(&[]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err.trim(),
        "mynawatch: this card is not a My Number Card (JPKI token: juki-card)"
    );
    drop(card);
}

/// `read`'s exit statuses are those of src/exit.rs (the man page's list): 1 (`Unavailable`) when
/// there is nothing to read, 2 (`BadInput`) when what was named or found is wrong.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn no_card_exits_unavailable_and_a_wrong_reader_name_bad_input() {
    use mynawatch::exit::Exit;
    let _slots = e2e();
    let unavailable = Some(i32::from(Exit::Unavailable.code()));
    let bad_input = Some(i32::from(Exit::BadInput.code()));
    let (code, out, err) = read_cli(&[]);
    assert_eq!(code, unavailable, "stdout: {out}");
    assert_eq!(err.trim(), "mynawatch: no card in any reader");
    let (code, _, err) = read_cli(&["--reader", "Virtual PCD 00 01"]);
    assert_eq!(code, unavailable);
    assert_eq!(err.trim(), "mynawatch: no card in Virtual PCD 00 01");
    let (code, _, err) = read_cli(&["--cert-only", "--reader", "Virtual PCD 00 01"]);
    assert_eq!(code, unavailable);
    assert_eq!(err.trim(), "mynawatch: no card in Virtual PCD 00 01");
    let (code, _, err) = read_cli(&["--reader", "No Such Reader"]);
    assert_eq!(code, bad_input);
    assert!(err.contains("no reader named \"No Such Reader\""), "{err}");
    // A card that is there but is not a My Number Card: bad input.
    let card = SimCard::start(SLOT0, &["--expires", "2027-02-14", "--fault", "no-applet"]);
    let (code, _, err) = read_cli(&["--cert-only"]);
    assert_eq!(code, bad_input, "{err}");
    assert!(err.contains("not a My Number Card"), "{err}");
    drop(card);
}

/// `--cert-only` sends the 9 commands of the certificate read and no VERIFY at all, where a whole
/// read sends 16 with three data-less VERIFYs: the virtual card counts the commands it answered
/// (`--stats`) and names each one in its trace log (`-vv`).
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn cert_only_reads_nine_apdus_and_no_pin_counter() {
    let _slots = e2e();
    let sim = [
        "-vv",
        "--stats",
        "--expires",
        "2027-02-14",
        "--issued",
        "2022-03-01",
    ];
    let verifies = |log: &str| {
        log.lines()
            .filter(|l| l.contains("virtual card command") && l.contains("\"0020"))
            .count()
    };
    let card = SimCard::start(SLOT0, &sim);
    let (code, out, err) = read_cli(&["--cert-only", "--json", "--today", "2026-11-26"]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["certificate"]["not_after"], "2027-02-14");
    assert_eq!(v["status"], "renewal-open");
    assert!(v["pins"].is_null(), "{v}");
    let (code, text, _) = read_cli(&["--cert-only", "--lang", "en", "--today", "2026-11-26"]);
    assert_eq!(code, Some(0));
    assert!(
        text.contains("User-authentication certificate: 2022-03-01 to 2027-02-14"),
        "{text}"
    );
    assert!(!text.contains("PIN retries"), "{text}");
    let (code, log) = card.remove_with_log();
    assert_eq!(code, Some(0));
    assert!(
        log.contains("sim-card stats: apdus=18 "),
        "two reads of 9: {log}"
    );
    assert_eq!(verifies(&log), 0, "{log}");

    // The same card read whole: 16 commands, three of them VERIFY (the counters).
    let card = SimCard::start(SLOT0, &sim);
    let (code, _, err) = read_cli(&["--json"]);
    assert_eq!(code, Some(0), "{err}");
    let (_, log) = card.remove_with_log();
    assert!(log.contains("sim-card stats: apdus=16 "), "{log}");
    assert_eq!(verifies(&log), 3, "{log}");
    assert!(!log.contains("refusing VERIFY"), "{log}");
}

/// The text shows the status before the PIN counters are read: on the slow card (40 ms per
/// command) the status lines are on stdout while the card is still answering the counters.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn text_shows_the_status_before_the_pin_counters() {
    use std::io::{BufRead, BufReader};
    let _slots = e2e();
    let card = SimCard::start(
        SLOT0,
        &["-vv", "--expires", "2027-02-14", "--fault", "slow=40"],
    );
    let mut child = Command::new(bin())
        .args(["read", "--lang", "en", "--today", "2026-11-26"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut head = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        head.push_str(&line);
        head.push('\n');
        if line.starts_with("Certificate expires") {
            break;
        }
    }
    // The certificate takes 9 commands; the status was printed before the 7 of the counters
    // had been answered: the card has answered fewer than 16 so far (it counts each one).
    let answered = card.apdus_answered();
    assert!(
        answered < 16,
        "{answered} APDUs answered before the status: {head}"
    );
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success());
    assert!(head.contains("Reader: Virtual PCD 00 00"), "{head}");
    assert!(
        rest.iter()
            .any(|l| l.starts_with("PIN retries: authentication 3 tries left")),
        "{rest:?}"
    );
    drop(card);
}

#[test]
fn no_pcscd_is_named_clearly() {
    // Needs no e2e environment: point the PC/SC client library at a socket nobody serves.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .arg("read")
        .env("PCSCLITE_CSOCK_NAME", dir.path().join("none.comm"))
        .output()
        .unwrap();
    // Nothing to read from: exit 1 (src/exit.rs `Unavailable`), like no reader or no card.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "mynawatch: PC/SC service (pcscd) is not running"
    );
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn opensc_jpki_driver_reads_the_virtual_card() {
    let _slots = e2e();
    let card = SimCard::start(
        SLOT0,
        &["--expires", "2029-12-31", "--issued", "2025-01-10"],
    );
    let out = match Command::new("pkcs15-tool")
        .args(["--reader", "0", "--read-certificate", "01"])
        .env("OPENSC_DRIVER", "jpki")
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("pkcs15-tool (package opensc) is needed for this test: {e}"),
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, pem) = x509_parser::pem::parse_x509_pem(&out.stdout).expect("PEM certificate");
    let cert = pem.parse_x509().unwrap();
    assert_eq!(cert.validity().not_after.timestamp(), 1_893_423_599); // 2029-12-31T14:59:59Z
    assert!(cert
        .issuer()
        .to_string()
        .contains("OU=JPKI for user authentication"));
    assert!(!card.stderr().contains("refusing VERIFY"));
}
