//! The loop stays free while a card is read: against real pcscd + vpcd with the virtual card's
//! `slow=` fault (run inside the e2e namespace: `bench/daemon_reads.sh`), with the release daemon on
//! a private session bus. One table:
//! - D-Bus latency while a slow card (`slow=MW_SLOW_MS`, default 600 ms per APDU: its 16 APDUs stay
//!   inside the daemon's 15 s read deadline) is read: SetLabel on another card (a round trip
//!   through the loop and a state write) and GetAll (served by zbus), p50 / p99 / max over the
//!   whole read;
//! - SIGTERM in the middle of such a read → process exit (exit code 0, state saved), over 5 runs;
//! - threads and RSS of the idle daemon.
//!
//! Prints the table only: it is a benchmark, not a test (nothing here fails a build).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::bus::PrivateBus;
use support::client::BusClient;
use support::daemon::{seeded_dir, seeded_path, DaemonProc, CARD, MANAGER, ROOT};
use support::pcscd::{SimCard, SLOT0, SLOT1};

const SHUTDOWNS: usize = 5;
const WAIT: Duration = Duration::from_secs(30);

/// The time `f` (a call through the client) took.
fn timed<T>(f: impl FnOnce() -> T) -> Duration {
    let t0 = Instant::now();
    f();
    t0.elapsed()
}

/// The state pcscd's `reader` has per the daemon's `Manager.ReaderStates`.
fn reader_state(client: &BusClient, reader: &str) -> String {
    let reply = client.call(
        ROOT,
        "org.freedesktop.DBus.Properties",
        "Get",
        &(MANAGER, "ReaderStates"),
    );
    let v: zbus::zvariant::OwnedVariant = reply.body().deserialize().unwrap();
    let states: Vec<(String, String, String)> = v.try_into().unwrap_or_default();
    states
        .into_iter()
        .find(|s| s.0 == reader)
        .map(|s| s.1)
        .unwrap_or_default()
}

fn wait_state(client: &BusClient, reader: &str, state: &str) {
    support::wait_for(WAIT, state, || {
        (reader_state(client, reader) == state).then_some(())
    });
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    if std::env::var_os("MW_E2E_DIR").is_none() {
        eprintln!("skipping: run inside the e2e namespace (bench/daemon_reads.sh)");
        return;
    }
    let slow: u64 = std::env::var("MW_SLOW_MS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let fault = format!("slow={slow}");
    let bus = PrivateBus::start();
    let client = BusClient::connect(&bus);
    let mut rows = Vec::new();

    // API latency during one slow read.
    let dir = seeded_dir("2031-06-20");
    let mut daemon = DaemonProc::quiet(&bus, dir.path(), "2026-04-01");
    let pid = daemon.pid();
    std::thread::sleep(Duration::from_secs(1));
    let threads = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count();
    let rss_idle = support::procfs::rss_kib(pid) as f64 / 1024.0;
    let card = SimCard::start(
        SLOT0,
        &[
            "--expires",
            "2031-06-20",
            "--serial",
            "7",
            "--fault",
            &fault,
        ],
    );
    let reader = card.reader().to_string();
    wait_state(&client, &reader, "reading");
    let read_started = Instant::now();
    let (mut set, mut get) = (Vec::new(), Vec::new());
    let mut n = 0u32;
    while reader_state(&client, &reader) == "reading" {
        n += 1;
        let label = format!("l{n}");
        set.push(ms(timed(|| {
            client.call(&seeded_path(), CARD, "SetLabel", &(label,))
        })));
        get.push(ms(timed(|| {
            client.call(
                &seeded_path(),
                "org.freedesktop.DBus.Properties",
                "GetAll",
                &(CARD,),
            )
        })));
    }
    let read_took = read_started.elapsed();
    let peak_threads = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count();
    drop(card);
    daemon.sigterm();
    assert!(daemon.wait().success());
    for (what, mut v) in [
        ("SetLabel (another card)", set),
        ("GetAll (another card)", get),
    ] {
        v.sort_by(f64::total_cmp);
        rows.push(format!(
            "| {what} during a {:.1} s read (slow={slow} ms/APDU), ms | {} | {:.2} | {:.2} | {:.2} | {:.2} | p99 < 100 ms |",
            read_took.as_secs_f64(),
            v.len(),
            percentile(&v, 0.0),
            percentile(&v, 0.5),
            percentile(&v, 0.99),
            percentile(&v, 1.0),
        ));
    }

    // SIGTERM mid-read → exit.
    let mut exits = Vec::new();
    for i in 0..SHUTDOWNS {
        let dir = seeded_dir("2031-06-20");
        let mut daemon = DaemonProc::quiet(&bus, dir.path(), "2026-04-01");
        let slot = if i % 2 == 0 { SLOT0 } else { SLOT1 };
        let card = SimCard::start(
            slot,
            &[
                "--expires",
                "2031-06-20",
                "--serial",
                &(100 + i).to_string(),
                "--fault",
                &fault,
            ],
        );
        wait_state(&client, card.reader(), "reading");
        client.call(&seeded_path(), CARD, "SetLabel", &("before-sigterm",));
        let t0 = Instant::now();
        daemon.sigterm();
        let status = daemon.wait();
        exits.push(ms(t0.elapsed()));
        assert!(status.success(), "{status}");
        let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
        assert!(state.contains("before-sigterm"), "state not saved");
        // The daemon left an APDU in flight: pulling the card before pcscd has its answer leaves
        // the virtual reader stuck for the next round.
        support::wait_for(WAIT, "the card no longer in use", || {
            support::pcscd::card_idle(card.reader()).then_some(())
        });
        drop(card);
    }
    exits.sort_by(f64::total_cmp);
    rows.push(format!(
        "| SIGTERM mid-read → exit 0 with the state saved, ms | {SHUTDOWNS} | {:.1} | {:.1} | | {:.1} | < 2000 ms |",
        exits[0],
        percentile(&exits, 0.5),
        exits[SHUTDOWNS - 1]
    ));
    rows.push(format!(
        "| threads: idle / during a read | 1 | | {threads} / {peak_threads} | | | |"
    ));
    rows.push(format!(
        "| RSS at idle, MiB | 1 | | {rss_idle:.2} | | | < 10 MiB |"
    ));

    println!("| measured | runs | min | median | p99 | max | goal |");
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
}
