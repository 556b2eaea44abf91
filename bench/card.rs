//! Card-read benchmark against a real pcscd + vpcd with the virtual card (run inside the e2e
//! namespace: `bench/card.sh`). One table, side by side on the same virtual card, on two links: the
//! direct one (vpcd on loopback, ~0.2 ms per APDU) and an NFC-like slow one (the card's `slow=40`
//! fault: 40 ms per APDU). Per row: time until the certificate status is known (median/min/max),
//! APDUs and bytes per read (from `sim-card --stats`), for mynawatch in-process, `mynawatch read`
//! (whole process: `--json`, `--cert-only`, and the text until its status is printed), jpki-cli
//! (crates.io), myna (github jpki/myna) and OpenSC's `pkcs15-tool --read-certificate 01` (jpki
//! driver); plus the bare APDU round trip and binary sizes. A peer that is not installed is named
//! with the reason. Prints the table only: it is a benchmark, not a test (nothing here fails a build).

use std::ffi::CString;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mynawatch::card::{apdu, cert, Transport};
use mynawatch::pcsc::transport::{read_reader, PcscTransport};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};

const READER: &str = "Virtual PCD 00 00";
const EXPIRES: &str = "2027-02-14";

/// How the virtual card is reached: its per-APDU delay and how many runs each row gets.
#[derive(Clone, Copy)]
struct Link {
    name: &'static str,
    /// `--fault slow=MS` for the virtual card, if any.
    slow_ms: Option<u32>,
    /// In-process reads (cheap) and whole-process runs per tool.
    runs_in_process: usize,
    runs_process: usize,
}

const LINKS: [Link; 2] = [
    Link {
        name: "direct",
        slow_ms: None,
        runs_in_process: 100,
        runs_process: 30,
    },
    Link {
        name: "40 ms/APDU",
        slow_ms: Some(40),
        runs_in_process: 10,
        runs_process: 10,
    },
];

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
    fn new(ctx: &Context, link: Link, name: &str) -> Insertion {
        let dir = std::env::var("MW_E2E_DIR").unwrap();
        let file: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
        let stats = std::path::PathBuf::from(format!("{dir}/sim-{file}.err"));
        let slow = link.slow_ms.map(|ms| format!("slow={ms}"));
        let child = Command::new(env!("CARGO_BIN_EXE_mynawatch"))
            .args(["sim-card", "--stats", "--vpcd", "127.0.0.1:35963"])
            .args(["--expires", EXPIRES])
            .args(slow.iter().flat_map(|f| ["--fault", f.as_str()]))
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
    link: &'static str,
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
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.link,
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

/// Run `cmd` `link.runs_process` times on a fresh insertion; time each whole process; check its
/// stdout.
fn process_row(
    ctx: &Context,
    link: Link,
    name: &str,
    what: &'static str,
    mut cmd: impl FnMut() -> Command,
    check: impl Fn(&[u8]),
) -> Row {
    let card = Insertion::new(ctx, link, name);
    let mut times = Vec::new();
    for _ in 0..link.runs_process {
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
        link: link.name,
        name: name.into(),
        what,
        times,
        traffic: Some(traffic),
        runs: link.runs_process as u64,
    }
}

/// `mynawatch read` with text output: time until the status block is on stdout (the line after
/// the certificate's, "Certificate expires"), and until the process ends. Two rows, one insertion.
fn text_rows(ctx: &Context, link: Link, mw: &str) -> [Row; 2] {
    use std::io::{BufRead, BufReader};
    let name = "`mynawatch read` (text)";
    let card = Insertion::new(ctx, link, name);
    let (mut to_status, mut to_exit) = (Vec::new(), Vec::new());
    for _ in 0..link.runs_process {
        let t0 = Instant::now();
        let mut child = Command::new(mw)
            .args(["read", "--lang", "en", "--reader", READER])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect(name);
        let mut status_at = None;
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.expect("stdout");
            if status_at.is_none() && line.starts_with("Certificate expires") {
                status_at = Some(t0.elapsed());
            }
        }
        assert!(child.wait().unwrap().success(), "{name} failed");
        to_exit.push(t0.elapsed());
        to_status.push(status_at.expect("the status was printed"));
    }
    let traffic = card.remove(ctx);
    let runs = link.runs_process as u64;
    [
        Row {
            link: link.name,
            name: name.into(),
            what: "whole process, until the status is printed",
            times: to_status,
            traffic: None,
            runs,
        },
        Row {
            link: link.name,
            name: name.into(),
            what: "whole process, incl. PIN counters (printed after the status)",
            times: to_exit,
            traffic: Some(traffic),
            runs,
        },
    ]
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

/// A peer tool that may not be installed: where it is, or why it is not there.
fn peer(var: &str, why_missing: &str) -> Result<String, String> {
    match std::env::var(var) {
        Ok(p) if std::path::Path::new(&p).exists() => Ok(p),
        Ok(p) => Err(format!("{p} does not exist ({why_missing})")),
        Err(_) => Err(format!("{var} is not set ({why_missing})")),
    }
}

fn rows_for(
    ctx: &Context,
    link: Link,
    mw: &str,
    missing: &mut Vec<String>,
) -> (Vec<Row>, Vec<Duration>) {
    let reader = CString::new(READER).unwrap();
    let mut rows = Vec::new();

    // mynawatch in-process: connect → certificate status (on_cert) and → whole report with PINs.
    let card = Insertion::new(ctx, link, "in-process");
    let (mut to_status, mut to_report) = (Vec::new(), Vec::new());
    for _ in 0..link.runs_in_process {
        let t0 = Instant::now();
        let mut at = None;
        let report = read_reader(ctx, READER, &mut |_| at = Some(t0.elapsed())).unwrap();
        to_report.push(t0.elapsed());
        to_status.push(at.expect("on_cert called"));
        report.pins.unwrap();
    }
    let traffic = card.remove(ctx);
    let runs = link.runs_in_process as u64;
    rows.push(Row {
        link: link.name,
        name: "mynawatch, in-process `read_reader`".into(),
        what: "connect → certificate status",
        times: to_status,
        traffic: None,
        runs,
    });
    rows.push(Row {
        link: link.name,
        name: "mynawatch, in-process `read_reader`".into(),
        what: "connect → report incl. 3 PIN counters",
        times: to_report,
        traffic: Some(traffic),
        runs,
    });

    // Certificate-only traffic of our read (the APDUs before on_cert), on its own insertion.
    let card = Insertion::new(ctx, link, "cert-only");
    let mut cert_times = Vec::new();
    for _ in 0..link.runs_in_process {
        let c = ctx
            .connect(&reader, ShareMode::Shared, Protocols::ANY)
            .unwrap();
        let t0 = Instant::now();
        mynawatch::card::read_certificate(&mut PcscTransport::new(&c)).unwrap();
        cert_times.push(t0.elapsed());
        let _ = c.disconnect(Disposition::LeaveCard);
    }
    // Bare APDU round trip: the same SELECT, repeated, on one connection.
    let bare_runs: u64 = if link.slow_ms.is_some() { 20 } else { 200 };
    let c = ctx
        .connect(&reader, ShareMode::Shared, Protocols::ANY)
        .unwrap();
    let mut bare = Vec::new();
    {
        let mut t = PcscTransport::new(&c);
        for _ in 0..bare_runs {
            let t0 = Instant::now();
            t.transmit(&apdu::select_applet(&apdu::AID_JPKI)).unwrap();
            bare.push(t0.elapsed());
        }
    }
    let _ = c.disconnect(Disposition::LeaveCard);
    let mut traffic = card.remove(ctx);
    traffic.apdus -= bare_runs;
    traffic.sent -= bare_runs * 15;
    traffic.received -= bare_runs * 2;
    rows.push(Row {
        link: link.name,
        name: "mynawatch, `read_certificate` only".into(),
        what: "certificate status, no PIN counters (connected)",
        times: cert_times,
        traffic: Some(traffic),
        runs,
    });

    let json_ok = |out: &[u8]| {
        let v: serde_json::Value = serde_json::from_slice(out).expect("JSON");
        assert!(v.to_string().contains(EXPIRES), "{v}");
    };
    rows.push(process_row(
        ctx,
        link,
        "`mynawatch read --json`",
        "whole process, incl. PIN counters + rules",
        || {
            let mut c = Command::new(mw);
            c.args(["read", "--json", "--reader", READER]);
            c
        },
        json_ok,
    ));
    rows.extend(text_rows(ctx, link, mw));
    rows.push(process_row(
        ctx,
        link,
        "`mynawatch read --cert-only --json`",
        "whole process, certificate only + rules",
        || {
            let mut c = Command::new(mw);
            c.args(["read", "--cert-only", "--json", "--reader", READER]);
            c
        },
        json_ok,
    ));

    match peer(
        "JPKI_CLI",
        "bench/card.sh installs jpki-cli 0.4.3 from crates.io",
    ) {
        Ok(jpki) => rows.push(process_row(
            ctx,
            link,
            "jpki-cli `crypto --auth read-certificate`",
            "whole process, certificate only",
            || {
                let mut c = Command::new(&jpki);
                c.args(["crypto", "--auth", "read-certificate"]);
                c
            },
            is_the_cert,
        )),
        Err(why) => missing.push(format!("jpki-cli: {why}")),
    }

    match peer(
        "MYNA",
        "bench/card.sh builds myna from a jpki/myna checkout, see there",
    ) {
        Ok(myna) => rows.push(process_row(
            ctx,
            link,
            "myna `jpki cert -t auth -f der`",
            "whole process, certificate only",
            || {
                let mut c = Command::new(&myna);
                c.args(["jpki", "cert", "-t", "auth", "-f", "der"]);
                c
            },
            is_the_cert,
        )),
        Err(why) => missing.push(format!("myna: {why}")),
    }

    rows.push(process_row(
        ctx,
        link,
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
    (rows, bare)
}

fn main() {
    if std::env::var_os("MW_E2E_DIR").is_none() {
        eprintln!("needs pcscd + vpcd: run bench/card.sh (it enters the e2e namespace)");
        std::process::exit(2);
    }
    let mw = env!("CARGO_BIN_EXE_mynawatch");
    let ctx = Context::establish(Scope::User).expect("pcscd");
    let mut rows = Vec::new();
    let mut bares = Vec::new();
    let mut missing = Vec::new();
    for link in LINKS {
        let (r, bare) = rows_for(&ctx, link, mw, &mut missing);
        rows.extend(r);
        bares.push((link.name, bare));
    }
    missing.dedup();

    println!(
        "Virtual card: JPKI user-authentication certificate, RSA-2048; medians, min, max in ms; \
         traffic per read from `sim-card --stats` (response bytes include the 2 status bytes)."
    );
    println!();
    println!(
        "| link | reader | measured | runs | median ms | min ms | max ms | APDUs/read | bytes card→reader/read | bytes reader→card/read |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        r.print();
    }
    println!();
    for (link, bare) in &bares {
        println!(
            "Bare APDU round trip, {link} (SELECT through pcscd + vpcd): median {} ms, min {} ms, max {} ms ({}).",
            ms(bare[bare.len() / 2]),
            ms(bare[0]),
            ms(bare[bare.len() - 1]),
            bare.len()
        );
    }
    for m in &missing {
        println!("Not measured: {m}.");
    }
    let size = |var: &str| {
        std::env::var(var)
            .map(|p| file_size(&p))
            .unwrap_or_else(|_| "n/a".into())
    };
    println!(
        "Binary size: mynawatch {} (release, {mw}); jpki-cli {}; myna {}.",
        file_size(mw),
        size("JPKI_CLI"),
        size("MYNA"),
    );
}
