//! Daemon benchmark against a real pcscd + vpcd with the virtual card (run inside the e2e namespace:
//! `bench/daemon.sh`), with the release daemon on a private session bus. One table:
//! - insertion → the card's `Status` on D-Bus (InterfacesAdded seen by a subscriber), split into
//!   pcscd's detection, card I/O and our own processing, from the daemon's debug timing lines;
//! - idle cost over 130 s (`MW_IDLE_SECS`; longer than libpcsclite's 60 s re-poll, twice) with two readers and no card: CPU time and wake-ups
//!   (context switches of all threads), RSS at idle and after the insertions;
//! - cold start to bus name acquired (median of 10) and binary size.
//!
//! Prints the table only: it is a benchmark, not a test (nothing here fails a build).

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mynawatch::dbus::client::Snapshot;
use support::bus::PrivateBus;
use support::client::{BusClient, WAIT};
use support::daemon::{DaemonProc, NAME};
use support::pcscd::{card_present, reader_name, SLOT0, SLOT1};

const INSERTIONS: usize = 30;
const COLD_STARTS: usize = 10;

/// The daemon at debug level (its timing lines), not waited for.
fn spawn_daemon(bus: &PrivateBus, state: &Path) -> DaemonProc {
    let state = state.to_str().unwrap();
    DaemonProc::spawn(
        bus,
        &["--no-notify", "--today", "2026-04-01", "--state-dir", state],
        &[("RUST_LOG", "mynawatch=debug"), ("NO_COLOR", "1")],
    )
}

fn stop(mut daemon: DaemonProc) {
    daemon.sigterm();
    let status = daemon.wait();
    assert!(status.success(), "daemon: {status}");
}

/// A signal's first argument as a string (an object path or a bus name).
fn first_arg(msg: &zbus::Message) -> String {
    let first = msg
        .body()
        .deserialize::<zbus::Structure<'_>>()
        .ok()
        .and_then(|s| s.fields().first().map(|f| f.to_string()))
        .unwrap_or_default();
    first.trim_matches('"').to_string()
}

/// A virtual card being inserted; `inserted` is when it said it was connected to vpcd.
struct Card {
    child: Child,
    inserted: Instant,
    inserted_wall: DateTime<Utc>,
}

impl Card {
    fn insert(port: u16, serial: usize) -> Card {
        let mut child = Command::new(support::bin())
            .args(["sim-card", "--vpcd", &format!("127.0.0.1:{port}")])
            .args(["--expires", "2026-06-20", "--serial", &serial.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sim-card");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("sim-card output").unwrap();
            if line.contains("inserted into") {
                break;
            }
        }
        let (inserted, inserted_wall) = (Instant::now(), Utc::now());
        // Keep draining its stderr so it never blocks.
        std::thread::spawn(move || lines.for_each(drop));
        Card {
            child,
            inserted,
            inserted_wall,
        }
    }

    fn remove(mut self) {
        // SAFETY: plain kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// The daemon's debug lines for one insertion: when the monitor saw the card (wall clock), the PC/SC
/// context and card I/O times, and its own publishing time.
#[derive(Default, Debug)]
struct Timing {
    event_at: Option<DateTime<Utc>>,
    establish_us: Option<u64>,
    io_us: Option<u64>,
    publish_us: Option<u64>,
}

fn field(line: &str, name: &str) -> Option<u64> {
    let rest = line.split_once(&format!("{name}="))?.1;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn timing(log_part: &str) -> Timing {
    let mut t = Timing::default();
    for line in log_part.lines() {
        if t.event_at.is_none() && line.contains("card event") && line.contains("CardInserted") {
            let ts = line.split_whitespace().next().unwrap_or_default();
            t.event_at = DateTime::parse_from_rfc3339(ts)
                .ok()
                .map(|d| d.with_timezone(&Utc));
        } else if t.io_us.is_none() && line.contains("certificate read") {
            t.establish_us = field(line, "establish_us");
            t.io_us = field(line, "io_us");
        } else if t.publish_us.is_none() && line.contains("card published") {
            t.publish_us = field(line, "publish_us");
        }
    }
    t
}

/// utime + stime of the whole process, in ms.
fn cpu_ms(pid: u32) -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    support::procfs::cpu_ticks(pid) as f64 * 1000.0 / hz
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (v[0], median, v[n - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    if std::env::var_os("MW_E2E_DIR").is_none() {
        eprintln!("needs pcscd + vpcd: run bench/daemon.sh (it enters the e2e namespace)");
        std::process::exit(2);
    }
    let idle_secs: u64 = std::env::var("MW_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(130);
    let bus = PrivateBus::start();
    let client = BusClient::connect(&bus);
    let mut rows: Vec<String> = Vec::new();
    let mut row = |what: &str, runs: usize, (min, median, max): (f64, f64, f64), goal: &str| {
        rows.push(format!(
            "| {what} | {runs} | {min:.2} | {median:.2} | {max:.2} | {goal} |"
        ))
    };

    // Cold start: spawn → NameOwnerChanged for our name seen by a subscriber.
    let owners = client.signals("org.freedesktop.DBus", "NameOwnerChanged");
    let mut starts = Vec::new();
    for _ in 0..COLD_STARTS {
        let state = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        let daemon = spawn_daemon(&bus, &state.path().join("state"));
        let at = loop {
            let (at, msg) = owners.recv_timeout(WAIT).expect("name acquired");
            if first_arg(&msg) == NAME {
                break at;
            }
        };
        starts.push(ms(at - t0));
        stop(daemon);
        // The release: another NameOwnerChanged for our name.
        while first_arg(&owners.recv_timeout(WAIT).expect("name released").1) != NAME {}
    }

    // Idle: two readers, no card.
    let dir = tempfile::tempdir().unwrap();
    let daemon = spawn_daemon(&bus, &dir.path().join("state"));
    let pid = daemon.pid();
    bus.wait_for_name(NAME, WAIT);
    let two = |s: &Snapshot| {
        (s.readers.contains(&reader_name(SLOT0)) && s.readers.contains(&reader_name(SLOT1)))
            .then_some(())
    };
    client.wait_until("both readers", two);
    std::thread::sleep(Duration::from_secs(2)); // let start-up work settle
    let (cpu0, cs0) = (cpu_ms(pid), support::procfs::context_switches(pid));
    std::thread::sleep(Duration::from_secs(idle_secs));
    let (cpu1, cs1) = (cpu_ms(pid), support::procfs::context_switches(pid));
    let rss_idle = support::procfs::rss_kib(pid);

    // Insertions: a new card each time (new serial), alternating the readers.
    let added = client.signals("org.freedesktop.DBus.ObjectManager", "InterfacesAdded");
    let (mut total, mut detect, mut io, mut own, mut publish, mut establish) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut log_offset = daemon.log().len();
    for i in 0..INSERTIONS {
        let port = if i % 2 == 0 { SLOT0 } else { SLOT1 };
        let card = Card::insert(port, 1000 + i);
        let (inserted, inserted_wall) = (card.inserted, card.inserted_wall);
        let (at, msg) = added.recv_timeout(WAIT).expect("InterfacesAdded");
        let path = first_arg(&msg);
        assert!(path.contains("/cards/"), "{path}");
        let s = client.snapshot();
        let key = path.rsplit('/').next().unwrap();
        let c = s.cards.iter().find(|c| c.key == key).expect("card object");
        assert_eq!(c.status, "renewal-open");
        card.remove();
        support::wait_for(WAIT, "slot empty", || {
            (!card_present(&reader_name(port))).then_some(())
        });
        client.wait_until("not present", |s| {
            s.cards.iter().all(|c| !c.present).then_some(())
        });
        let text = daemon.log();
        let t = timing(&text[log_offset..]);
        log_offset = text.len();
        let event_at = t.event_at.expect("card event line (debug log)");
        let tot = ms(at - inserted);
        let det = (event_at - inserted_wall).num_microseconds().unwrap() as f64 / 1000.0;
        let io_ms = t.io_us.expect("certificate read line") as f64 / 1000.0;
        total.push(tot);
        detect.push(det);
        io.push(io_ms);
        own.push(tot - det - io_ms);
        publish.push(t.publish_us.expect("card published line") as f64 / 1000.0);
        establish.push(t.establish_us.unwrap_or_default() as f64 / 1000.0);
    }
    let rss_after = support::procfs::rss_kib(pid);
    stop(daemon);

    let n = INSERTIONS;
    row(
        "insertion → `Status` on D-Bus (InterfacesAdded at a subscriber), ms",
        n,
        stats(total),
        "",
    );
    row(
        "… pcscd's detection (vpcd connect → monitor's CardInserted), ms",
        n,
        stats(detect),
        "",
    );
    row(
        "… card I/O (connect → certificate parsed, 9 APDUs), ms",
        n,
        stats(io),
        "",
    );
    row(
        "… our own processing (the rest: event loop, PC/SC context, rules, publish, bus hop), ms",
        n,
        stats(own),
        "< 5 ms",
    );
    row(
        "… of which: fresh PC/SC context (a pcscd round trip), ms",
        n,
        stats(establish),
        "",
    );
    row(
        "… of which: certificate → objects on the bus, in the daemon, ms",
        n,
        stats(publish),
        "",
    );
    row(
        "cold start → bus name acquired, ms",
        COLD_STARTS,
        stats(starts),
        "",
    );
    let bin = std::fs::metadata(support::bin()).unwrap().len() as f64 / 1048576.0;
    let single = |what: &str, v: String, goal: &str| format!("| {what} | 1 | | {v} | | {goal} |");
    rows.push(single(
        &format!("idle {idle_secs} s, 2 readers, no card: CPU time, ms"),
        format!("{:.0}", cpu1 - cpu0),
        "",
    ));
    rows.push(single(
        &format!(
            "idle {idle_secs} s, 2 readers, no card: wake-ups (context switches, all threads)"
        ),
        (cs1 - cs0).to_string(),
        "0",
    ));
    rows.push(single(
        "RSS at idle (after start, readers known), MiB",
        format!("{:.2}", rss_idle as f64 / 1024.0),
        "< 10 MiB",
    ));
    rows.push(single(
        &format!("RSS after {INSERTIONS} insertions of new cards, MiB"),
        format!("{:.2}", rss_after as f64 / 1024.0),
        "",
    ));
    rows.push(single(
        "binary size (release, thin LTO, debuginfo stripped), MiB",
        format!("{bin:.2}"),
        "",
    ));
    println!("| measured | runs | min | median | max | goal |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    // The goal is zero wake-ups while idle: the table is printed either way, the run fails if not.
    if cs1 != cs0 {
        eprintln!(
            "the idle daemon woke up {} times in {idle_secs} s (goal 0)",
            cs1 - cs0
        );
        std::process::exit(1);
    }
}
