//! Long-run tests of the daemon binary through real pcscd + vpcd (virtual cards from
//! `mynawatch sim-card`), a private session bus and python3-dbusmock's notification server:
//!
//! - soak: insert/remove cycles alternating two readers and several cards, some pulled mid-read;
//!   afterwards the daemon answers, its state is right, its RSS stayed flat and no reminder or
//!   notification was duplicated. `MW_SOAK_CYCLES` sets the count (CI default 40; `bench/soak.sh`
//!   runs 1,000).
//! - pcscd killed (SIGKILL or SIGTERM) and restarted 20 times while cards come and go: the daemon
//!   keeps running, logs each outage once (gone, then back), loses nothing, and the next insertion
//!   is published.
//!
//! Marked `#[ignore = "e2e: …"]`: run by scripts/test.sh inside scripts/e2e-env.sh.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mynawatch::dbus::client::Snapshot;
use mynawatch::dbus::CARD_INTERFACE;
use support::bus::{NotificationServer, PrivateBus};
use support::client::{BusClient, WAIT};
use support::daemon::{DaemonProc, ROOT};
use support::pcscd::{card_present, reader_name, PcscdControl, SimCard, SLOT0, SLOT1};

/// With this "today", a certificate expiring on [`EXPIRES`] has 80 days left: renewal-open, and
/// exactly one reminder (the 90-day threshold) is due per card.
const TODAY: &str = "2026-04-01";
const EXPIRES: &str = "2026-06-20";

/// The daemon, with or without notifications; its log stays in memory for the checks at the end.
fn start_daemon(bus: &PrivateBus, state: &Path, notify: bool) -> DaemonProc {
    let state = state.to_str().unwrap();
    let mut args = vec!["--lang", "en", "--today", TODAY, "--state-dir", state];
    if !notify {
        args.push("--no-notify");
    }
    DaemonProc::start(bus, &args, &[("NO_COLOR", "1")])
}

/// `RenewalNeeded` signals so far, per card path.
fn renewals(signals: &Receiver<(Instant, zbus::Message)>) -> BTreeMap<String, u32> {
    let mut counts = BTreeMap::new();
    for (_, msg) in signals.try_iter() {
        let path = msg.header().path().map(|p| p.to_string());
        *counts.entry(path.unwrap_or_default()).or_default() += 1;
    }
    counts
}

fn present(s: &Snapshot) -> Vec<&str> {
    s.cards
        .iter()
        .filter(|c| c.present)
        .map(|c| c.key.as_str())
        .collect()
}

fn both_readers(s: &Snapshot) -> bool {
    s.readers.contains(&reader_name(SLOT0)) && s.readers.contains(&reader_name(SLOT1))
}

/// Insert a card that pulls itself out after answering `apdus` APDUs, and wait until it is out.
fn insert_pulled_mid_read(port: u16, serial: u64, apdus: u64) {
    let mut child = Command::new(support::bin())
        .args(["sim-card", "--vpcd", &format!("127.0.0.1:{port}")])
        .args(["--expires", EXPIRES, "--serial", &serial.to_string()])
        .args(["--remove-after-apdus", &apdus.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = support::wait_for(WAIT, "sim-card pulled mid-read", || {
        child.try_wait().unwrap()
    });
    assert!(status.success(), "sim-card: {status}");
    let reader = reader_name(port);
    support::wait_for(WAIT, "pcscd to see the slot empty", || {
        (!card_present(&reader)).then_some(())
    });
}

fn cards_in_state_file(dir: &Path) -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("state.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["cards"].as_object().cloned().unwrap_or_default()
}

/// How much RSS may grow from the checkpoint (1/10 of the run, when allocator arenas, the blocking
/// pool and zbus' caches are warm) to the end. Real leaks of per-cycle data (a card read is ~1.3 KiB
/// of certificate plus a few objects) would be many MiB over 1,000 cycles; what remains is allocator
/// noise (a fresh 132 KiB heap chunk or a blocking thread's arena now and then).
const RSS_GROWTH_LIMIT_KIB: u64 = 2048;

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn soak_insert_remove_cycles() {
    let _slots = support::pcscd::e2e();
    let cycles: usize = std::env::var("MW_SOAK_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    assert!(cycles >= 10, "MW_SOAK_CYCLES must be at least 10");
    let checkpoint = cycles / 10;
    let bus = PrivateBus::start();
    let notifications = NotificationServer::start(&bus, Some("body actions"));
    let state = tempfile::tempdir().unwrap();
    let mut daemon = start_daemon(&bus, state.path(), true);
    let client = BusClient::connect(&bus);
    let renewal_signals = client.signals(CARD_INTERFACE, "RenewalNeeded");
    client.wait_until("both readers", |s| both_readers(s).then_some(()));

    // Five cards over two readers: each card meets both readers.
    const CARDS: u64 = 5;
    // Pulled before the certificate is complete (nothing to publish) or after it (published, then
    // the PIN counters are cut off): a read has 9 APDUs up to the certificate, 16 in all.
    const PULL_AFTER: [u64; 6] = [1, 4, 8, 9, 12, 15];
    let mut keys: BTreeMap<u64, String> = BTreeMap::new();
    let (mut pulled, mut rss_checkpoint) = (0, 0);
    let started = Instant::now();
    for i in 0..cycles {
        let port = if i % 2 == 0 { SLOT0 } else { SLOT1 };
        let serial = (i as u64 % CARDS) + 1;
        if i % 4 == 3 && keys.contains_key(&serial) {
            insert_pulled_mid_read(port, serial, PULL_AFTER[pulled % PULL_AFTER.len()]);
            pulled += 1;
            client.wait_until("no card present after a mid-read pull", |s| {
                present(s).is_empty().then_some(())
            });
        } else {
            let serial_arg = serial.to_string();
            let card = SimCard::start(port, &["--expires", EXPIRES, "--serial", &serial_arg]);
            let known = keys.get(&serial).cloned();
            let key = client.wait_until("the inserted card present", |s| {
                let p = present(s);
                let want = match &known {
                    Some(k) => p == [k.as_str()],
                    None => p.len() == 1 && !keys.values().any(|k| k == p[0]),
                };
                want.then(|| p[0].to_string())
            });
            let s = client.snapshot();
            let c = s.cards.iter().find(|c| c.key == key).unwrap();
            assert_eq!(
                (
                    c.status.as_str(),
                    c.days_left,
                    c.certificate_expires.as_str()
                ),
                ("renewal-open", 80, EXPIRES),
                "cycle {i}"
            );
            keys.insert(serial, key);
            assert_eq!(card.remove(), Some(0));
            client.wait_until("no card present after removal", |s| {
                present(s).is_empty().then_some(())
            });
        }
        if i + 1 == checkpoint {
            rss_checkpoint = support::procfs::rss_kib(daemon.pid());
            eprintln!("soak: RSS after {} cycles: {rss_checkpoint} KiB", i + 1);
        }
        if (i + 1) % 100 == 0 {
            eprintln!(
                "soak: {} cycles in {:.0?}, RSS {} KiB",
                i + 1,
                started.elapsed(),
                support::procfs::rss_kib(daemon.pid())
            );
        }
    }
    let rss_end = support::procfs::rss_kib(daemon.pid());
    eprintln!(
        "soak: RSS after {cycles} cycles: {rss_end} KiB ({pulled} pulled mid-read, {:.1?})",
        started.elapsed()
    );

    // Still answering, and the state is right: every card remembered once, none present.
    daemon.assert_running();
    let s = client.snapshot();
    assert_eq!(s.version, env!("CARGO_PKG_VERSION"));
    assert!(both_readers(&s), "{:?}", s.readers);
    let published: BTreeSet<&str> = s.cards.iter().map(|c| c.key.as_str()).collect();
    let inserted: BTreeSet<&str> = keys.values().map(String::as_str).collect();
    assert_eq!(published, inserted);
    for c in &s.cards {
        assert_eq!((c.status.as_str(), c.present), ("renewal-open", false));
    }
    // Exactly one reminder and one notification per card, however often it came back.
    let renewals = renewals(&renewal_signals);
    assert_eq!(renewals.len(), keys.len(), "{renewals:?}");
    assert!(renewals.values().all(|&n| n == 1), "{renewals:?}");
    let calls = notifications.notify_calls();
    assert_eq!(calls.len(), keys.len(), "{calls:#?}");
    assert!(
        rss_end <= rss_checkpoint + RSS_GROWTH_LIMIT_KIB,
        "RSS grew from {rss_checkpoint} KiB (cycle {checkpoint}) to {rss_end} KiB (cycle {cycles})"
    );
    daemon.stop_cleanly();
    assert_eq!(cards_in_state_file(state.path()).len(), keys.len());
}

/// Cards come and go in the second reader until stopped (a fresh process per insertion; while
/// pcscd is down the connection simply fails).
fn churn_cards(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u32> {
    std::thread::spawn(move || {
        let mut inserted = 0;
        let mut i = 0u64;
        while !stop.load(Ordering::Relaxed) {
            i += 1;
            let Ok(mut child) = Command::new(support::bin())
                .args(["sim-card", "--vpcd", &format!("127.0.0.1:{SLOT1}")])
                .args(["--expires", EXPIRES, "--serial", "200"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            else {
                continue;
            };
            // 150–450 ms in, then out (often while pcscd is being restarted).
            std::thread::sleep(Duration::from_millis(150 + (i * 97) % 300));
            if child.try_wait().ok().flatten().is_none() {
                inserted += 1;
                // SAFETY: plain kill(2) on our own child.
                unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            }
            let _ = child.wait();
        }
        inserted
    })
}

/// Outages in a row (CI and the issue both ask for 20).
const RESTARTS: usize = 20;

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn pcscd_restarts_under_load_are_survived_and_logged_once_each() {
    let _slots = support::pcscd::e2e();
    let mut pcscd = PcscdControl::take();
    let bus = PrivateBus::start();
    let state = tempfile::tempdir().unwrap();
    let mut daemon = start_daemon(&bus, state.path(), false);
    let client = BusClient::connect(&bus);
    client.wait_until("both readers", |s| both_readers(s).then_some(()));

    // A card the daemon knows from before, with something the user told it.
    let card = SimCard::start(SLOT0, &["--expires", EXPIRES, "--serial", "100"]);
    let before = client.wait_until("the first card", |s| {
        present(s).first().map(|k| k.to_string())
    });
    let path = format!("{ROOT}/cards/{before}");
    client.call(&path, CARD_INTERFACE, "SetLabel", &("before the outages",));
    assert_eq!(card.remove(), Some(0));

    let stop = Arc::new(AtomicBool::new(false));
    let churn = churn_cards(stop.clone());
    let started = Instant::now();
    for i in 0..RESTARTS {
        // Mostly SIGTERM (systemd stopping pcscd), every third a SIGKILL (a crash: the socket and
        // pid file stay behind).
        let signal = if i % 3 == 2 {
            libc::SIGKILL
        } else {
            libc::SIGTERM
        };
        pcscd.kill(signal);
        client.wait_until("readers gone", |s| s.readers.is_empty().then_some(()));
        pcscd.start();
        // The monitor retries after 1 s: back with both readers well within WAIT.
        client.wait_until("readers back", |s| both_readers(s).then_some(()));
        daemon.assert_running();
    }
    stop.store(true, Ordering::Relaxed);
    let churned = churn.join().unwrap();
    eprintln!(
        "{RESTARTS} pcscd restarts in {:.1?}; {churned} churned insertions",
        started.elapsed()
    );
    support::wait_for(WAIT, "the second reader empty", || {
        (!card_present(&reader_name(SLOT1))).then_some(())
    });

    // The next insertion (a card never seen before) is read and published.
    let card = SimCard::start(SLOT0, &["--expires", EXPIRES, "--serial", "300"]);
    let s = client.wait_until("the card inserted after the outages", |s| {
        let p = present(s);
        (p.len() == 1 && p[0] != before).then(|| s.clone())
    });
    let new = s.cards.iter().find(|c| c.present).unwrap();
    assert_eq!((new.status.as_str(), new.days_left), ("renewal-open", 80));
    // Nothing was lost: the earlier card is still there with its label.
    let old = s.cards.iter().find(|c| c.key == before).unwrap();
    assert_eq!(
        (old.label.as_str(), old.present),
        ("before the outages", false)
    );
    assert_eq!(s.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(card.remove(), Some(0));

    // One line when pcscd goes, one when it is back, per outage: no busy loop, nothing missed.
    let log = daemon.log();
    let gone = log.matches("cannot reach pcscd").count();
    let back = log.matches("connected to pcscd").count();
    assert_eq!((gone, back), (RESTARTS, RESTARTS), "{log}");
    daemon.stop_cleanly();
    let saved = cards_in_state_file(state.path());
    assert!(
        saved.values().any(|c| c["label"] == "before the outages"),
        "{saved:?}"
    );
    // `pcscd` (dropped here) leaves one running for the later tests.
}
