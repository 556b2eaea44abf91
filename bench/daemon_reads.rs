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

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::bus::PrivateBus;
use support::daemon::{seed_state, seeded_path, CARD, NAME};
use support::pcscd::{SimCard, SLOT0, SLOT1};

const SHUTDOWNS: usize = 5;
const WAIT: Duration = Duration::from_secs(30);

fn start_daemon(bus: &PrivateBus, state: &std::path::Path) -> Child {
    let child = bus
        .command(support::bin())
        .args([
            "daemon",
            "--no-notify",
            "--today",
            "2026-04-01",
            "--state-dir",
        ])
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the daemon");
    bus.wait_for_name(NAME, WAIT);
    child
}

struct Client {
    rt: tokio::runtime::Runtime,
    conn: zbus::Connection,
}

impl Client {
    fn connect(bus: &PrivateBus) -> Client {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let conn = rt
            .block_on(zbus::connection::Builder::address(bus.address.as_str()).build())
            .unwrap();
        Client { rt, conn }
    }

    fn call(
        &self,
        path: &str,
        iface: &str,
        method: &str,
        body: &(impl serde::Serialize + zbus::zvariant::DynamicType),
    ) -> Duration {
        let t0 = Instant::now();
        self.rt
            .block_on(
                self.conn
                    .call_method(Some(NAME), path, Some(iface), method, body),
            )
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        t0.elapsed()
    }

    fn reader_state(&self, reader: &str) -> String {
        let reply = self
            .rt
            .block_on(self.conn.call_method(
                Some(NAME),
                "/io/github/mynawatch/MynaWatch1",
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &("io.github.mynawatch.MynaWatch1.Manager", "ReaderStates"),
            ))
            .unwrap();
        let v: zbus::zvariant::OwnedVariant = reply.body().deserialize().unwrap();
        let states: Vec<(String, String, String)> = v.try_into().unwrap_or_default();
        states
            .into_iter()
            .find(|s| s.0 == reader)
            .map(|s| s.1)
            .unwrap_or_default()
    }

    fn wait_state(&self, reader: &str, state: &str) {
        support::wait_for(WAIT, state, || {
            (self.reader_state(reader) == state).then_some(())
        });
    }
}

/// pcscd sees the card, and no client holds it any more.
fn card_idle(reader: &str) -> bool {
    use pcsc::State;
    support::pcscd::reader_state(reader)
        .is_some_and(|s| s.contains(State::PRESENT) && !s.contains(State::INUSE))
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
    let client = Client::connect(&bus);
    let mut rows = Vec::new();

    // API latency during one slow read.
    let dir = tempfile::tempdir().unwrap();
    seed_state(dir.path(), "2031-06-20");
    let mut daemon = start_daemon(&bus, dir.path());
    let pid = daemon.id();
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
    client.wait_state(&reader, "reading");
    let read_started = Instant::now();
    let (mut set, mut get) = (Vec::new(), Vec::new());
    let mut n = 0u32;
    while client.reader_state(&reader) == "reading" {
        n += 1;
        set.push(ms(client.call(
            &seeded_path(),
            CARD,
            "SetLabel",
            &(format!("l{n}"),),
        )));
        get.push(ms(client.call(
            &seeded_path(),
            "org.freedesktop.DBus.Properties",
            "GetAll",
            &(CARD,),
        )));
    }
    let read_took = read_started.elapsed();
    let peak_threads = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count();
    drop(card);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    assert!(daemon.wait().unwrap().success());
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
        let dir = tempfile::tempdir().unwrap();
        seed_state(dir.path(), "2031-06-20");
        let mut daemon = start_daemon(&bus, dir.path());
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
        client.wait_state(card.reader(), "reading");
        client.call(&seeded_path(), CARD, "SetLabel", &("before-sigterm",));
        let t0 = Instant::now();
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
        let status = daemon.wait().unwrap();
        exits.push(ms(t0.elapsed()));
        assert!(status.success(), "{status}");
        let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
        assert!(state.contains("before-sigterm"), "state not saved");
        // The daemon left an APDU in flight: pulling the card before pcscd has its answer leaves
        // the virtual reader stuck for the next round.
        support::wait_for(WAIT, "the card no longer in use", || {
            card_idle(card.reader()).then_some(())
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
