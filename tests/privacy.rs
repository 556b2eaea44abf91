//! Privacy audit: a full scenario with real components (pcscd + vpcd + `sim-card` with a known
//! serial and expiry, dbusmock notifications, a private bus recorded by dbus-monitor) and the daemon
//! at its most verbose (`-vv` and `RUST_LOG=trace`). Afterwards the daemon's logs, every file in its
//! state directory, the recorded bus traffic, the notification log and the clients' output are
//! searched for the certificate's serial number and subject CN in every usual spelling: none may
//! appear anywhere. No date that gives away the holder's birthday — the certificate's notAfter and
//! notBefore (before and after a renewal), the card's expiry, every deadline and reminder date
//! derived from them, and the days the Japan date changed to or from — may appear in the logs at
//! any level (`-v`, and `-vv` with `RUST_LOG=trace`), in any spelling; on the bus, in
//! notifications, in the CLI and in the state file the dates are the product itself (docs/privacy.md
//! says so). The scenario walks the paths that log around dates: a card read, reminders due after
//! day changes (up to the day after expiry, when "yesterday" is the expiry date), the card re-read
//! with a renewed certificate (a changed expiry), a restart.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use mynawatch::card::simcert::{generate, CertSpec};
use mynawatch::card::CardIdentity;
use mynawatch::rules::{self, CertValidity, Facts, PinCounters, Policy, Registration, TokenKind};
use support::bus::{NotificationServer, PrivateBus};
use support::daemon::{busctl, property, set_today, DaemonProc, CARD, MANAGER, NAME, ROOT};
use support::{wait_for, Reaped};

const SERIAL_ARG: u64 = 31337;
const EXPIRES: &str = "2029-08-15";
const TODAY: &str = "2029-06-01"; // 75 days left: a reminder and a notification are due
/// 30 days before expiry (a reminder), then the day after expiry (the grace-period reminder; the
/// day before is the expiry date itself).
const LATER_DAYS: [&str; 2] = ["2029-07-16", "2029-08-16"];
/// The card's expiry the user types in, and the renewed certificate read after it.
const CARD_EXPIRES: &str = "2034-08-15";
const RENEWED: (&str, &str) = ("2029-08-16", "2034-08-15");

/// The certificate `sim-card --serial SERIAL_ARG --expires EXPIRES` serves (generation is
/// deterministic; the test checks it against the card key the daemon derived).
fn sim_certificate() -> Vec<u8> {
    let expires: NaiveDate = EXPIRES.parse().unwrap();
    generate(&CertSpec::expiring(expires, SERIAL_ARG))
        .unwrap()
        .cert
}

/// Every spelling of the certificate's serial and subject CN a log or tool might use.
fn identity_spellings() -> Vec<String> {
    let der = sim_certificate();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let raw = cert.raw_serial();
    let hex = |sep: &str| {
        raw.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let cn = cert
        .subject()
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        cn.len() >= 16 && raw.len() >= 4,
        "a distinctive CN and serial"
    );
    let mut v = vec![
        cert.serial.to_string(), // decimal, as openssl prints a short serial
        hex(""),
        hex(":"), // x509-parser / openssl -text style
        hex(" "),
        cn.clone(),
        cn.to_lowercase(),
    ];
    v.extend([hex(""), hex(":")].map(|s| s.to_uppercase()));
    // The certificate's DER itself (hex), should it ever be dumped.
    v.push(der[..24].iter().map(|b| format!("{b:02x}")).collect());
    v
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A date as logs and people write it.
fn spellings(d: NaiveDate) -> Vec<String> {
    let (y, m, dd) = (d.year(), d.month(), d.day());
    vec![
        d.format("%Y-%m-%d").to_string(),
        d.format("%Y%m%d").to_string(),
        d.format("%Y/%m/%d").to_string(),
        format!("{y}/{m}/{dd}"),
        format!("{y}年{m}月{dd}日"),
        d.format("%Y年%m月%d日").to_string(),
        d.format("%-d %b %Y").to_string(),
        d.format("%b %-d, %Y").to_string(),
        d.format("%Y-%j").to_string(), // ordinal date
    ]
}

/// Every date that gives the birthday away, in every spelling: both certificates' notBefore and
/// notAfter (the dates the daemon really read, checked against the certificates), the card's
/// expiry, and every deadline and reminder date the rule core derives from them, for every day of
/// the scenario; plus those days themselves (a "date changed" line on a reminder day is a
/// milestone's date). The certificates' own UTCTime form (`YYMMDD…Z`) is searched for the two
/// validity dates.
fn birthday_spellings(certs: &[CertValidity]) -> Vec<String> {
    let mut dates: Vec<NaiveDate> = vec![day(CARD_EXPIRES), day(TODAY)];
    dates.extend(LATER_DAYS.map(day));
    let mut utctime = Vec::new();
    for &cert in certs {
        dates.extend([cert.not_before, cert.not_after]);
        utctime.extend([cert.not_before, cert.not_after].map(|d| d.format("%y%m%d").to_string()));
        for card_expires in [None, Some(day(CARD_EXPIRES))] {
            let facts = Facts {
                token: TokenKind::MyNumberCard,
                cert: Some(cert),
                card_expires,
                registered: Registration::Yes,
                pins: PinCounters::default(),
            };
            let policy = Policy::default();
            dates.extend(rules::milestones(&facts, &policy).iter().map(|m| m.date));
            for today in [TODAY, LATER_DAYS[0], LATER_DAYS[1]] {
                let a = rules::assess(&facts, day(today), &policy);
                dates.extend(a.certificate_expires);
                dates.extend(a.renewal_opens);
                dates.extend(a.insurance_usable_until);
                if let Some(c) = a.card_expires {
                    dates.extend([c.date, c.applications_open, c.apply_by]);
                }
            }
        }
    }
    dates.sort();
    dates.dedup();
    assert!(dates.len() >= 10, "the scenario's dates: {dates:?}");
    let mut v: Vec<String> = dates.into_iter().flat_map(spellings).collect();
    v.extend(utctime);
    v
}

/// Move the daemon's "today" (`--today-file`): write + rename, so it never reads half a date.
fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn assert_absent(what: &str, text: &str, needles: &[String]) {
    for n in needles {
        assert!(!text.contains(n.as_str()), "{what} contains {n:?}");
    }
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn no_serial_subject_or_birthday_leaks_at_the_most_verbose_level() {
    let _slots = support::pcscd::e2e();
    let bus = PrivateBus::start();
    let capture = bus.dir.path().join("dbus-monitor.txt");
    let monitor = Reaped(
        Command::new("dbus-monitor")
            .args(["--address", &bus.address])
            .stdout(std::fs::File::create(&capture).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor"),
    );
    wait_for(Duration::from_secs(5), "dbus-monitor recording", || {
        (std::fs::metadata(&capture).ok()?.len() > 0).then_some(())
    });
    let notifications = NotificationServer::start(&bus, Some("body actions"));
    let state = tempfile::tempdir().unwrap();
    let state_s = state.path().to_str().unwrap();
    let today_file = bus.dir.path().join("today");
    set_today(&today_file, TODAY);
    let today_s = today_file.to_str().unwrap();
    let verbose = [("RUST_LOG", "trace")];
    let args = [
        "-vv",
        "--lang",
        "ja",
        "--today-file",
        today_s,
        "--state-dir",
        state_s,
    ];
    let mut daemon = DaemonProc::start(&bus, &args, &verbose);
    let mut watch = bus
        .command(support::bin())
        .args(["watch", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();

    // Insert the card: published, reminded, notified.
    let serial = SERIAL_ARG.to_string();
    let sim = support::pcscd::SimCard::start(
        support::pcscd::SLOT0,
        &["--expires", EXPIRES, "--serial", &serial],
    );
    let card = wait_for(Duration::from_secs(10), "the card object", || {
        let (_, out, _) = busctl(&bus, &["tree", "--list", NAME]);
        out.lines()
            .find(|l| l.starts_with(&format!("{ROOT}/cards/")))
            .map(str::to_string)
    });
    let shown = notifications.nth_call(0, Duration::from_secs(10));
    // The date is the product on the notification (sanity: the audit looks at the right data).
    assert!(shown.contains("2029"), "{shown}");
    for call in [
        vec!["SetLabel", "s", "家族のカード"],
        vec!["SetInsuranceRegistered", "b", "true"],
        vec!["SetCardExpires", "s", "2034-08-15"],
    ] {
        let mut v = vec!["call", NAME, &card, CARD];
        v.extend(call);
        assert!(busctl(&bus, &v).0, "{v:?}");
    }
    assert!(busctl(&bus, &["call", NAME, ROOT, MANAGER, "Refresh"]).0);
    // Days pass: a reminder 30 days before, then the day after expiry (grace period): each day
    // change is logged, and each reminder.
    for (n, later) in LATER_DAYS.iter().enumerate() {
        set_today(&today_file, later);
        let call = notifications.nth_call(n + 1, Duration::from_secs(10));
        assert!(call.contains("Notify"), "{call}");
    }
    daemon.wait_log("reminder due");
    // The certificate is renewed (the same card, a new expiry) and read again.
    assert_eq!(sim.remove(), Some(0));
    let sim = support::pcscd::SimCard::start(
        support::pcscd::SLOT0,
        &[
            "--issued",
            RENEWED.0,
            "--expires",
            RENEWED.1,
            "--serial",
            &serial,
        ],
    );
    wait_for(
        Duration::from_secs(10),
        "the renewed expiry on the bus",
        || {
            property(&bus, &card, CARD, "CertificateExpires")
                .contains(RENEWED.1)
                .then_some(())
        },
    );
    let status_json = bus
        .command(support::bin())
        .args(["-vv", "status", "--json"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(status_json.status.success());
    let status_text = bus
        .command(support::bin())
        .args(["-vv", "status", "--lang", "ja"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert_eq!(daemon.stop().code(), Some(0));

    // Restarted at plain `-v` (what a user asked to debug would run): remembered, read again on
    // Refresh, a day later, stopped again.
    let plain = [
        "-v",
        "--lang",
        "en",
        "--today-file",
        today_s,
        "--state-dir",
        state_s,
    ];
    let mut again = DaemonProc::start(&bus, &plain, &[]);
    assert!(busctl(&bus, &["call", NAME, ROOT, MANAGER, "Refresh"]).0);
    set_today(&today_file, "2029-08-17");
    again.wait_log("Japan date changed");
    assert_eq!(sim.remove(), Some(0));
    assert_eq!(again.stop().code(), Some(0));
    let _ = watch.kill();
    let watch_out = watch.wait_with_output().unwrap();
    drop(monitor);

    let logs = format!("{}\n{}", daemon.log(), again.log());
    // The audit is only meaningful if the logs are really verbose and saw the card. (Trace is
    // enabled; the daemon's own chattiest lines are debug, and zbus is built without tracing.)
    assert!(
        logs.contains("DEBUG") && logs.contains("card read"),
        "{logs}"
    );
    let traffic = std::fs::read_to_string(&capture).unwrap();
    assert!(traffic.contains("CertificateExpires"), "capture is empty");
    let notify_log = std::fs::read_to_string(&notifications.log).unwrap();
    let cli = [
        &status_json.stdout,
        &status_json.stderr,
        &status_text.stdout,
        &status_text.stderr,
        &watch_out.stdout,
    ]
    .map(|b| String::from_utf8_lossy(b).into_owned())
    .join("\n");
    let mut files = String::new();
    for e in std::fs::read_dir(state.path()).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        files.push_str(&String::from_utf8_lossy(&bytes));
    }
    assert!(files.contains("家族のカード"), "the state was saved");

    // The audit searches for the right certificate: the one whose salted key the daemon published.
    let der = sim_certificate();
    let (first, _) = mynawatch::card::cert::parse(&der).unwrap();
    assert_eq!(first.not_after, day(EXPIRES));
    let mut renewed_spec = CertSpec::expiring(day(RENEWED.1), SERIAL_ARG);
    renewed_spec.issued = day(RENEWED.0);
    let (renewed, _) =
        mynawatch::card::cert::parse(&generate(&renewed_spec).unwrap().cert).unwrap();
    assert_eq!(renewed.not_before, day(RENEWED.0));
    let birthday = birthday_spellings(&[first, renewed]);
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let salt = std::fs::read_to_string(state.path().join("salt")).unwrap();
    let key =
        CardIdentity::new(cert.issuer().as_raw(), cert.raw_serial()).key(&hex_decode(salt.trim()));
    assert!(
        card.ends_with(key.as_str()),
        "{card} is not the card of {key}"
    );
    // And the searches work: the date is where it belongs (bus, state), so it would be found.
    assert!(traffic.contains(EXPIRES) && traffic.contains(RENEWED.1) && files.contains(RENEWED.1));

    let identity = identity_spellings();
    assert_absent("the daemon's log", &logs, &identity);
    assert_absent("the state directory", &files, &identity);
    assert_absent("the bus traffic", &traffic, &identity);
    assert_absent("the notification log", &notify_log, &identity);
    assert_absent("the clients' output", &cli, &identity);
    // The logs saw the paths that concern dates.
    for line in ["Japan date changed", "reminder due", "card read"] {
        assert!(logs.contains(line), "no {line:?} in the logs:\n{logs}");
    }
    assert!(
        again.log().contains("DEBUG"),
        "-v logs at debug: {}",
        again.log()
    );
    assert_absent("the daemon's log", &logs, &birthday);
    // The CLI's own logs (stderr at trace) do not carry it either; only its stdout shows it.
    for out in [&status_json.stderr, &status_text.stderr] {
        assert_absent(
            "status -vv stderr",
            &String::from_utf8_lossy(out),
            &birthday,
        );
    }
}
