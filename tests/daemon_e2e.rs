//! The daemon binary with real components: a private session bus, python3-dbusmock's notification
//! server, pcscd + vpcd with the virtual card (`mynawatch sim-card`), checked over D-Bus
//! (`mynawatch watch --json`, `status --json`, busctl). pcscd tests are `#[ignore = "e2e: …"]` (tests/support/mod.rs).

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::bus::PrivateBus;

const NAME: &str = "io.github.mynawatch.MynaWatch1";

/// A daemon process, killed if a test fails before stopping it.
struct Daemon(Child);

impl std::ops::Deref for Daemon {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_daemon(bus: &PrivateBus, state: &std::path::Path) -> Daemon {
    bus.command(support::bin())
        .args([
            "daemon",
            "--no-notify",
            "--today",
            "2026-03-01",
            "--state-dir",
        ])
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map(Daemon)
        .expect("daemon starts")
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn daemon_serves_refuses_a_second_instance_and_stops_on_sigterm() {
    let bus = PrivateBus::start();
    let state = tempfile::tempdir().unwrap();
    let mut daemon = start_daemon(&bus, state.path());
    bus.wait_for_name(NAME, Duration::from_secs(10));

    let out = bus
        .command(support::bin())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));

    let mut second = start_daemon(&bus, state.path());
    let second = std::mem::replace(&mut second.0, Command::new("true").spawn().unwrap())
        .wait_with_output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already owns"),
        "{second:?}"
    );

    sigterm(&daemon);
    let status = support::wait_for(Duration::from_secs(10), "daemon exit", || {
        daemon.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(0));
    assert!(!bus.has_name(NAME));
}

/// Reads `mynawatch watch --json` lines on a thread.
struct Watch {
    child: Child,
    lines: std::sync::mpsc::Receiver<serde_json::Value>,
}

impl Watch {
    fn start(bus: &PrivateBus) -> Watch {
        use std::io::BufRead;
        let mut child = bus
            .command(support::bin())
            .args(["watch", "--json"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                    break;
                }
            }
        });
        Watch { child, lines }
    }

    /// The next event matching `want`, returning the ones skipped on the way.
    fn until(
        &self,
        what: &str,
        want: impl Fn(&serde_json::Value) -> bool,
    ) -> (serde_json::Value, Vec<serde_json::Value>) {
        let mut skipped = Vec::new();
        loop {
            let e = self
                .lines
                .recv_timeout(Duration::from_secs(15))
                .unwrap_or_else(|_| panic!("no {what}; saw {skipped:?}"));
            if want(&e) {
                return (e, skipped);
            }
            skipped.push(e);
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn busctl(bus: &PrivateBus, args: &[&str]) -> String {
    let out = Command::new("busctl")
        .args(["--address", &bus.address])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "busctl {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refresh(bus: &PrivateBus) {
    busctl(
        bus,
        &[
            "call",
            NAME,
            "/io/github/mynawatch/MynaWatch1",
            "io.github.mynawatch.MynaWatch1.Manager",
            "Refresh",
        ],
    );
}

fn start_notifying_daemon(bus: &PrivateBus, state: &std::path::Path, today: &str) -> Daemon {
    bus.command(support::bin())
        .args(["daemon", "--lang", "en", "--today", today, "--state-dir"])
        .arg(state)
        .stdout(Stdio::null())
        .spawn()
        .map(Daemon)
        .unwrap()
}

fn stop(bus: &PrivateBus, mut daemon: Daemon) {
    sigterm(&daemon);
    let status = support::wait_for(Duration::from_secs(10), "daemon exit", || {
        daemon.try_wait().unwrap()
    });
    assert_eq!(status.code(), Some(0));
    support::wait_for(Duration::from_secs(5), "name released", || {
        (!bus.has_name(NAME)).then_some(())
    });
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn inserted_card_is_published_notified_once_and_remembered() {
    support::pcscd::require();
    let _slots = support::pcscd::slots();
    let bus = PrivateBus::start();
    let notifications = support::bus::NotificationServer::start(&bus, Some("body actions"));
    let state = tempfile::tempdir().unwrap();
    let daemon = start_notifying_daemon(&bus, state.path(), "2026-04-01");
    bus.wait_for_name(NAME, Duration::from_secs(10));
    let watch = Watch::start(&bus);
    watch.until("snapshot", |e| e["event"] == "snapshot");

    // 80 days before expiry: the monitor sees the insertion, no Refresh needed.
    let card = support::pcscd::SimCard::start(support::pcscd::SLOT0, &["--expires", "2026-06-20"]);
    let (added, _) = watch.until("card-added", |e| e["event"] == "card-added");
    assert_eq!(added["state"]["status"], "renewal-open");
    assert_eq!(added["state"]["certificate_expires"], "2026-06-20");
    assert_eq!(added["state"]["renewal_opens"], "2026-03-21");
    assert_eq!(added["state"]["days_left"], 80);
    assert_eq!(added["state"]["present"], true);
    let key = added["card"].as_str().unwrap().to_string();
    let (sig, _) = watch.until("RenewalNeeded", |e| e["event"] == "renewal-needed");
    assert_eq!(sig["status"], "renewal-open");
    assert_eq!(sig["deadline"], "2026-06-20");
    let first = notifications.nth_call(0, Duration::from_secs(10));
    assert!(first.contains("\"mynawatch\""), "{first}");

    // Removed and re-inserted: Present follows, no second reminder or notification.
    assert_eq!(card.remove(), Some(0));
    watch.until("Present=false", |e| e["properties"]["Present"] == false);
    let card = support::pcscd::SimCard::start(support::pcscd::SLOT0, &["--expires", "2026-06-20"]);
    watch.until("Present=true", |e| e["properties"]["Present"] == true);
    // Refresh re-reads the card and re-evaluates: still no second reminder.
    refresh(&bus);
    let path = format!("/io/github/mynawatch/MynaWatch1/cards/{key}");
    busctl(
        &bus,
        &[
            "call",
            NAME,
            &path,
            "io.github.mynawatch.MynaWatch1.Card",
            "SetInsuranceRegistered",
            "b",
            "false",
        ],
    );
    let (_, between) = watch.until("InsuranceRegistered", |e| {
        e["properties"]["InsuranceRegistered"] == "no"
    });
    assert!(
        !between.iter().any(|e| e["event"] == "renewal-needed"),
        "second reminder: {between:?}"
    );
    let status = |bus: &PrivateBus| -> serde_json::Value {
        let out = bus
            .command(support::bin())
            .args(["status", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = status(&bus);
    let ids: Vec<_> = v["cards"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"register-insurance".to_string()), "{ids:?}");
    drop(card);
    stop(&bus, daemon);

    // Restarted: the card is remembered (same key, answers kept), no duplicate notification.
    let daemon = start_notifying_daemon(&bus, state.path(), "2026-04-01");
    bus.wait_for_name(NAME, Duration::from_secs(10));
    let v = status(&bus);
    assert_eq!(v["cards"][0]["key"], key.as_str());
    assert_eq!(v["cards"][0]["insurance_registered"], "no");
    assert_eq!(v["cards"][0]["present"], false);
    stop(&bus, daemon);
    assert_eq!(
        notifications.notify_calls().len(),
        1,
        "{:?}",
        notifications.notify_calls()
    );
}

/// Renewed inside the window (span > 5 years): every channel says "apply for a new card", with the
/// new-card milestones; a PIN with one try left becomes a step and a notification.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn an_early_renewed_card_needs_a_new_card_and_a_last_pin_try_is_notified() {
    support::pcscd::require();
    let _slots = support::pcscd::slots();
    let bus = PrivateBus::start();
    let notifications = support::bus::NotificationServer::start(&bus, Some("body actions"));
    let state = tempfile::tempdir().unwrap();
    let daemon = start_notifying_daemon(&bus, state.path(), "2026-04-01");
    bus.wait_for_name(NAME, Duration::from_secs(10));
    let watch = Watch::start(&bus);
    watch.until("snapshot", |e| e["event"] == "snapshot");
    let card = support::pcscd::SimCard::start(
        support::pcscd::SLOT0,
        &[
            "--issued",
            "2021-04-01",
            "--expires",
            "2026-06-20",
            "--auth-tries",
            "1",
        ],
    );
    let (added, _) = watch.until("card-added", |e| e["event"] == "card-added");
    assert_eq!(added["state"]["status"], "renewal-open");
    let ids = support::wait_for(Duration::from_secs(10), "the PIN step", || {
        let out = bus
            .command(support::bin())
            .args(["status", "--json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let ids: Vec<String> = v["cards"][0]["actions"]
            .as_array()?
            .iter()
            .map(|a| a["id"].as_str().unwrap_or_default().to_string())
            .collect();
        ids.iter().any(|i| i == "pin-last-try").then_some(ids)
    });
    assert_eq!(ids[0], "apply-new-card", "{ids:?}");
    assert!(ids.iter().any(|i| i == "new-card-insurance"), "{ids:?}");
    // The card's own expiry, inferred from the span, is published as such (status reads the
    // Card properties CardExpires / CardExpiresSource).
    let out = bus
        .command(support::bin())
        .args(["status", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cards"][0]["card_expires"], "2026-06-20", "{v}");
    assert_eq!(v["cards"][0]["card_expires_source"], "inferred", "{v}");
    assert!(!ids.iter().any(|i| i == "renew-certificate"), "{ids:?}");
    // The reminder (90 days before) says to apply for a new card; then the PIN notification,
    // which keeps the status: it goes last, because both replace the card's one notification.
    notifications.nth_call(1, Duration::from_secs(10));
    let calls = notifications.notify_calls();
    assert!(
        calls[0].contains("time to apply for a new card"),
        "{calls:?}"
    );
    assert!(calls[1].contains("One more wrong entry locks"), "{calls:?}");
    assert!(calls[1].contains("apply for a new card"), "{calls:?}");
    // Read again (same counters): no new PIN notification.
    refresh(&bus);
    drop(card);
    stop(&bus, daemon);
    assert_eq!(
        notifications.notify_calls().len(),
        2,
        "{:?}",
        notifications.notify_calls()
    );
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_card_past_the_grace_period_asks_to_register_again() {
    support::pcscd::require();
    let _slots = support::pcscd::slots();
    let bus = PrivateBus::start();
    let state = tempfile::tempdir().unwrap();
    let daemon = start_daemon(&bus, state.path());
    bus.wait_for_name(NAME, Duration::from_secs(10));
    let watch = Watch::start(&bus);
    watch.until("snapshot", |e| e["event"] == "snapshot");
    // start_daemon's today is 2026-03-01: expired 2025-10-31, grace ended 2026-01-31.
    let _card = support::pcscd::SimCard::start(support::pcscd::SLOT1, &["--expires", "2025-10-31"]);
    let (added, _) = watch.until("card-added", |e| e["event"] == "card-added");
    assert_eq!(added["state"]["status"], "registration-lapsed");
    let (sig, _) = watch.until("ReRegistrationNeeded", |e| {
        e["event"] == "re-registration-needed"
    });
    assert_eq!(sig["deadline"], "2026-01-31");
    stop(&bus, daemon);
}
