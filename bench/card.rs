//! Card-read benchmark against a real pcscd + vpcd with the virtual card (run inside the e2e
//! namespace: `bench/card.sh`). One table, side by side on the same virtual card: time until the
//! certificate status is known (median/min/max), APDUs and bytes per read (from `sim-card --stats`),
//! for mynawatch in-process, `mynawatch read --json` (whole process), jpki-cli (crates.io) and
//! OpenSC's `pkcs15-tool --read-certificate 01` (jpki driver); plus the bare APDU round trip and
//! binary sizes. Prints the table only: it is a benchmark, not a test (nothing here fails a build).

use std::ffi::CString;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mynawatch::card::{apdu, cert, Transport};
use mynawatch::pcsc::transport::{read_reader, PcscTransport};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};

const READER: &str = "Virtual PCD 00 00";
const EXPIRES: &str = "2027-02-14";
/// In-process reads (cheap) and whole-process runs per tool.
const RUNS_IN_PROCESS: usize = 100;
const RUNS_PROCESS: usize = 30;

fn present(ctx: &Context) -> Option<bool> {
    let mut st = [ReaderState::new(
        CString::new(READER).unwrap(),
        State::UNAWARE,
    )];
    ctx.get_status_change(Duration::ZERO, &mut st).ok()?;
    Some(st[0].event_state().contains(State::PRESENT))
}

fn wait_for(ctx: &Context, want: bool) {
    let start = Instant::now();
    while present(ctx) != Some(want) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "reader never became {}",
            if want { "present" } else { "empty" }
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One insertion of the virtual card, with its traffic counters printed at removal.
struct Insertion {
    child: Child,
    stats: std::path::PathBuf,
}

/// Traffic of one insertion: APDUs, command bytes, response bytes (data + SW).
#[derive(Clone, Copy, Debug)]
struct Traffic {
    apdus: u64,
    sent: u64,
    received: u64,
}

impl Insertion {
    fn new(ctx: &Context, name: &str) -> Insertion {
        let dir = std::env::var("MW_E2E_DIR").unwrap();
        let stats = std::path::PathBuf::from(format!("{dir}/sim-{name}.err"));
        let child = Command::new(env!("CARGO_BIN_EXE_mynawatch"))
            .args(["sim-card", "--stats", "--vpcd", "127.0.0.1:35963"])
            .args(["--expires", EXPIRES])
            .stderr(std::fs::File::create(&stats).unwrap())
            .spawn()
            .expect("start sim-card");
        wait_for(ctx, true);
        Insertion { child, stats }
    }

    /// Remove the card (SIGTERM) and return what it counted.
    fn remove(mut self, ctx: &Context) -> Traffic {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        assert!(status.success(), "sim-card: {status}");
        wait_for(ctx, false);
        let err = std::fs::read_to_string(&self.stats).unwrap();
        let line = err
            .lines()
            .find_map(|l| l.strip_prefix("sim-card stats: "))
            .unwrap_or_else(|| panic!("no stats from sim-card: {err}"));
        let field = |k: &str| -> u64 {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {k} in {line:?}"))
        };
        Traffic {
            apdus: field("apdus"),
            sent: field("command-bytes"),
            received: field("response-bytes"),
        }
    }
}

struct Row {
    name: String,
    what: &'static str,
    times: Vec<Duration>,
    /// `None` where the row shares its read with the next one.
    traffic: Option<Traffic>,
    runs: u64,
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

impl Row {
    fn print(&self) {
        let mut t = self.times.clone();
        t.sort();
        let per = |f: fn(&Traffic) -> u64| match &self.traffic {
            Some(t) => format!("{:.1}", f(t) as f64 / self.runs as f64),
            None => "(next row)".into(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.name,
            self.what,
            t.len(),
            ms(t[t.len() / 2]),
            ms(t[0]),
            ms(t[t.len() - 1]),
            per(|t| t.apdus),
            per(|t| t.received),
            per(|t| t.sent),
        );
    }
}

/// Run `cmd` `RUNS_PROCESS` times on a fresh insertion; time each whole process; check its stdout.
fn process_row(
    ctx: &Context,
    name: &str,
    what: &'static str,
    mut cmd: impl FnMut() -> Command,
    check: impl Fn(&[u8]),
) -> Row {
    let card = Insertion::new(ctx, name);
    let mut times = Vec::new();
    for _ in 0..RUNS_PROCESS {
        let t0 = Instant::now();
        let out = cmd().stdin(Stdio::null()).output().expect(name);
        times.push(t0.elapsed());
        assert!(
            out.status.success(),
            "{name}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        check(&out.stdout);
    }
    let traffic = card.remove(ctx);
    Row {
        name: name.into(),
        what,
        times,
        traffic: Some(traffic),
        runs: RUNS_PROCESS as u64,
    }
}

/// The certificate a tool printed (DER, or PEM from pkcs15-tool) is the virtual card's.
fn is_the_cert(out: &[u8]) {
    let der = mynawatch::card::simcert::load_cert_file(out).expect("a certificate on stdout");
    let (validity, _) = cert::parse(&der).expect("a valid certificate");
    assert_eq!(validity.not_after.to_string(), EXPIRES);
}

fn file_size(path: &str) -> String {
    match std::fs::metadata(path) {
        Ok(m) => format!("{:.2} MiB", m.len() as f64 / (1024.0 * 1024.0)),
        Err(_) => "n/a".into(),
    }
}

fn main() {
    if std::env::var_os("MW_E2E_DIR").is_none() {
        eprintln!("needs pcscd + vpcd: run bench/card.sh (it enters the e2e namespace)");
        std::process::exit(2);
    }
    let mw = env!("CARGO_BIN_EXE_mynawatch");
    let ctx = Context::establish(Scope::User).expect("pcscd");
    let reader = CString::new(READER).unwrap();
    let mut rows = Vec::new();

    // mynawatch in-process: connect → certificate status (on_cert) and → whole report with PINs.
    let card = Insertion::new(&ctx, "in-process");
    let (mut to_status, mut to_report) = (Vec::new(), Vec::new());
    for _ in 0..RUNS_IN_PROCESS {
        let t0 = Instant::now();
        let mut at = None;
        let report = read_reader(&ctx, READER, &mut |_| at = Some(t0.elapsed())).unwrap();
        to_report.push(t0.elapsed());
        to_status.push(at.expect("on_cert called"));
        report.pins.unwrap();
    }
    let traffic = card.remove(&ctx);
    let runs = RUNS_IN_PROCESS as u64;
    rows.push(Row {
        name: "mynawatch, in-process `read_reader`".into(),
        what: "connect → certificate status",
        times: to_status,
        traffic: None,
        runs,
    });
    rows.push(Row {
        name: "mynawatch, in-process `read_reader`".into(),
        what: "connect → report incl. 3 PIN counters",
        times: to_report,
        traffic: Some(traffic),
        runs,
    });

    // Certificate-only traffic of our read (the APDUs before on_cert), on its own insertion.
    let card = Insertion::new(&ctx, "cert-only");
    let mut cert_times = Vec::new();
    for _ in 0..RUNS_IN_PROCESS {
        let c = ctx
            .connect(&reader, ShareMode::Shared, Protocols::ANY)
            .unwrap();
        let t0 = Instant::now();
        mynawatch::card::read_certificate(&mut PcscTransport::new(&c)).unwrap();
        cert_times.push(t0.elapsed());
        let _ = c.disconnect(Disposition::LeaveCard);
    }
    // Bare APDU round trip: the same SELECT, repeated, on one connection.
    let c = ctx
        .connect(&reader, ShareMode::Shared, Protocols::ANY)
        .unwrap();
    let mut bare = Vec::new();
    {
        let mut t = PcscTransport::new(&c);
        for _ in 0..200 {
            let t0 = Instant::now();
            t.transmit(&apdu::select_applet(&apdu::AID_JPKI)).unwrap();
            bare.push(t0.elapsed());
        }
    }
    let _ = c.disconnect(Disposition::LeaveCard);
    let mut traffic = card.remove(&ctx);
    traffic.apdus -= 200;
    traffic.sent -= 200 * 15;
    traffic.received -= 200 * 2;
    rows.push(Row {
        name: "mynawatch, `read_certificate` only".into(),
        what: "certificate status, no PIN counters (connected)",
        times: cert_times,
        traffic: Some(traffic),
        runs,
    });

    rows.push(process_row(
        &ctx,
        "`mynawatch read --json`",
        "whole process, incl. PIN counters + rules",
        || {
            let mut c = Command::new(mw);
            c.args(["read", "--json", "--reader", READER]);
            c
        },
        |out| {
            let v: serde_json::Value = serde_json::from_slice(out).expect("JSON");
            assert!(v.to_string().contains(EXPIRES), "{v}");
        },
    ));

    match std::env::var("JPKI_CLI") {
        Ok(jpki) if std::path::Path::new(&jpki).exists() => rows.push(process_row(
            &ctx,
            "jpki-cli `crypto --auth read-certificate`",
            "whole process, certificate only",
            || {
                let mut c = Command::new(&jpki);
                c.args(["crypto", "--auth", "read-certificate"]);
                c
            },
            is_the_cert,
        )),
        _ => eprintln!("jpki-cli not found (set JPKI_CLI; bench/card.sh installs it)"),
    }

    rows.push(process_row(
        &ctx,
        "OpenSC `pkcs15-tool --read-certificate 01`",
        "whole process, certificate only",
        || {
            let mut c = Command::new("pkcs15-tool");
            c.args(["--reader", "0", "--read-certificate", "01"])
                .env("OPENSC_DRIVER", "jpki");
            c
        },
        is_the_cert,
    ));

    bare.sort();
    println!(
        "Virtual card: JPKI user-authentication certificate, RSA-2048; medians, min, max in ms; \
         traffic per read from `sim-card --stats` (response bytes include the 2 status bytes)."
    );
    println!();
    println!(
        "| reader | measured | runs | median ms | min ms | max ms | APDUs/read | bytes card→reader/read | bytes reader→card/read |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        r.print();
    }
    println!();
    println!(
        "Bare APDU round trip (SELECT through pcscd + vpcd): median {} ms, min {} ms, max {} ms (200).",
        ms(bare[bare.len() / 2]),
        ms(bare[0]),
        ms(bare[bare.len() - 1])
    );
    println!(
        "Binary size: mynawatch {} (release, {mw}); jpki-cli {}.",
        file_size(mw),
        std::env::var("JPKI_CLI")
            .map(|p| file_size(&p))
            .unwrap_or_else(|_| "n/a".into()),
    );
}
