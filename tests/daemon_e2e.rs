//! The daemon binary with real components: a private session bus, python3-dbusmock's notification
//! server, pcscd + vpcd with the virtual card (`mynawatch sim-card`), checked over D-Bus
//! (`mynawatch watch --json`, `status --json`, busctl). pcscd tests are `#[ignore = "e2e: …"]` (tests/support/mod.rs).

mod support;

use std::path::Path;
use std::sync::MutexGuard;
use std::time::Duration;

use support::bus::{NotificationServer, PrivateBus};
use support::cli::{status_json, Watch};
use support::daemon::{busctl, quiet_args, DaemonProc, CARD, MANAGER, NAME, ROOT};

/// No notifications; "today" 2026-03-01.
fn start_daemon(bus: &PrivateBus, state: &Path) -> DaemonProc {
    DaemonProc::start(bus, &quiet_args(state, "2026-03-01"), &[])
}

fn start_notifying_daemon(bus: &PrivateBus, state: &Path, today: &str) -> DaemonProc {
    let state = state.to_str().unwrap();
    DaemonProc::start(
        bus,
        &["--lang", "en", "--today", today, "--state-dir", state],
        &[],
    )
}

/// How the notification tests begin: the vpcd slots, a private bus with a notification server, a
/// notifying daemon on a fresh state directory (today 2026-04-01), and `watch --json` past its snapshot.
struct Notifying {
    // Fields drop in this order: the watcher and the daemon before the bus they are on.
    watch: Watch,
    daemon: DaemonProc,
    state: tempfile::TempDir,
    notifications: NotificationServer,
    bus: PrivateBus,
    _slots: MutexGuard<'static, ()>,
}

impl Notifying {
    fn start() -> Notifying {
        let _slots = support::pcscd::e2e();
        let bus = PrivateBus::start();
        let notifications = NotificationServer::start(&bus, Some("body actions"));
        let state = tempfile::tempdir().unwrap();
        let daemon = start_notifying_daemon(&bus, state.path(), "2026-04-01");
        let watch = Watch::after_snapshot(&bus);
        Notifying {
            watch,
            daemon,
            state,
            notifications,
            bus,
            _slots,
        }
    }
}

/// busctl on `bus`; the call must succeed.
fn busctl_ok(bus: &PrivateBus, args: &[&str]) -> String {
    let (ok, out, err) = busctl(bus, args);
    assert!(ok, "busctl {args:?}: {err}");
    out
}

fn refresh(bus: &PrivateBus) {
    busctl_ok(bus, &["call", NAME, ROOT, MANAGER, "Refresh"]);
}

/// SIGTERM: exit 0, and the name is released.
fn stop(bus: &PrivateBus, mut daemon: DaemonProc) {
    daemon.stop_cleanly();
    support::wait_for(Duration::from_secs(5), "name released", || {
        (!bus.has_name(NAME)).then_some(())
    });
}

#[test]
fn daemon_serves_refuses_a_second_instance_and_stops_on_sigterm() {
    let bus = PrivateBus::start();
    let state = tempfile::tempdir().unwrap();
    let mut daemon = start_daemon(&bus, state.path());

    let v = status_json(&bus);
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));

    let mut second = DaemonProc::spawn(&bus, &quiet_args(state.path(), "2026-03-01"), &[]);
    let status = second.wait_exit();
    assert_eq!(status.code(), Some(1));
    assert!(second.log().contains("already owns"), "{}", second.log());

    let status = daemon.stop();
    assert_eq!(status.code(), Some(0));
    assert!(!bus.has_name(NAME));
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn inserted_card_is_published_notified_once_and_remembered() {
    let n = Notifying::start();

    // 80 days before expiry: the monitor sees the insertion, no Refresh needed.
    let card = support::pcscd::SimCard::start(support::pcscd::SLOT0, &["--expires", "2026-06-20"]);
    let (added, _) = n.watch.until("card-added", |e| e["event"] == "card-added");
    assert_eq!(added["state"]["status"], "renewal-open");
    assert_eq!(added["state"]["certificate_expires"], "2026-06-20");
    assert_eq!(added["state"]["renewal_opens"], "2026-03-21");
    assert_eq!(added["state"]["days_left"], 80);
    assert_eq!(added["state"]["present"], true);
    let key = added["card"].as_str().unwrap().to_string();
    let (sig, _) = n
        .watch
        .until("RenewalNeeded", |e| e["event"] == "renewal-needed");
    assert_eq!(sig["status"], "renewal-open");
    assert_eq!(sig["deadline"], "2026-06-20");
    let first = n.notifications.nth_call(0, Duration::from_secs(10));
    assert!(first.contains("\"mynawatch\""), "{first}");

    // Removed and re-inserted: Present follows, no second reminder or notification.
    assert_eq!(card.remove(), Some(0));
    n.watch
        .until("Present=false", |e| e["properties"]["Present"] == false);
    let card = support::pcscd::SimCard::start(support::pcscd::SLOT0, &["--expires", "2026-06-20"]);
    n.watch
        .until("Present=true", |e| e["properties"]["Present"] == true);
    // Refresh re-reads the card and re-evaluates: still no second reminder.
    refresh(&n.bus);
    let path = format!("{ROOT}/cards/{key}");
    busctl_ok(
        &n.bus,
        &[
            "call",
            NAME,
            &path,
            CARD,
            "SetInsuranceRegistered",
            "b",
            "false",
        ],
    );
    let (_, between) = n.watch.until("InsuranceRegistered", |e| {
        e["properties"]["InsuranceRegistered"] == "no"
    });
    assert!(
        !between.iter().any(|e| e["event"] == "renewal-needed"),
        "second reminder: {between:?}"
    );
    let v = status_json(&n.bus);
    let ids: Vec<_> = v["cards"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"register-insurance".to_string()), "{ids:?}");
    drop(card);
    stop(&n.bus, n.daemon);

    // Restarted: the card is remembered (same key, answers kept), no duplicate notification.
    let daemon = start_notifying_daemon(&n.bus, n.state.path(), "2026-04-01");
    let v = status_json(&n.bus);
    assert_eq!(v["cards"][0]["key"], key.as_str());
    assert_eq!(v["cards"][0]["insurance_registered"], "no");
    assert_eq!(v["cards"][0]["present"], false);
    stop(&n.bus, daemon);
    n.notifications.assert_calls(1);
}

/// Renewed inside the window (span > 5 years): every channel says "apply for a new card", with the
/// new-card milestones; a PIN with one try left becomes a step and a notification.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn an_early_renewed_card_needs_a_new_card_and_a_last_pin_try_is_notified() {
    let n = Notifying::start();
    let card = support::pcscd::SimCard::start(
        support::pcscd::SLOT0,
        &support::pcscd::RENEWED_EARLY_LAST_PIN_TRY,
    );
    let (added, _) = n.watch.until("card-added", |e| e["event"] == "card-added");
    assert_eq!(added["state"]["status"], "renewal-open");
    let ids = support::wait_for(Duration::from_secs(10), "the PIN step", || {
        let out = n
            .bus
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
    let v = status_json(&n.bus);
    assert_eq!(v["cards"][0]["card_expires"], "2026-06-20", "{v}");
    assert_eq!(v["cards"][0]["card_expires_source"], "inferred", "{v}");
    assert!(!ids.iter().any(|i| i == "renew-certificate"), "{ids:?}");
    // The reminder (90 days before) says to apply for a new card; then the PIN notification,
    // which keeps the status: it goes last, because both replace the card's one notification.
    n.notifications.nth_call(1, Duration::from_secs(10));
    let calls = n.notifications.notify_calls();
    assert!(
        calls[0].contains("time to apply for a new card"),
        "{calls:?}"
    );
    assert!(calls[1].contains("One more wrong entry locks"), "{calls:?}");
    assert!(calls[1].contains("apply for a new card"), "{calls:?}");
    // Read again (same counters): no new PIN notification.
    refresh(&n.bus);
    drop(card);
    stop(&n.bus, n.daemon);
    n.notifications.assert_calls(2);
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_card_past_the_grace_period_asks_to_register_again() {
    let _slots = support::pcscd::e2e();
    let bus = PrivateBus::start();
    let state = tempfile::tempdir().unwrap();
    let daemon = start_daemon(&bus, state.path());
    let watch = Watch::after_snapshot(&bus);
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
