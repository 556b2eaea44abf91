//! Card-read benchmark against a real pcscd + vpcd with the virtual card (run inside the e2e
//! namespace: `bench/card.sh`). Prints a table: APDUs until the certificate status is known, APDUs
//! in total with the three PIN counters, time from `connect` to `CardReport` against the bare APDU
//! round trip, and the same figures for OpenSC's `pkcs15-tool --read-certificate 01` as reference.

use std::ffi::CString;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mynawatch::card::{apdu, read_card, Response, Transport, TransportError};
use mynawatch::pcsc::transport::{read_reader, PcscTransport};
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};

const READER: &str = "Virtual PCD 00 00";
const RUNS: usize = 50;

struct Counting<'a> {
    inner: PcscTransport<'a>,
    sent: usize,
}

impl Transport for Counting<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
        self.sent += 1;
        self.inner.transmit(apdu)
    }
}

fn present(ctx: &Context) -> bool {
    let mut st = [ReaderState::new(
        CString::new(READER).unwrap(),
        State::UNAWARE,
    )];
    ctx.get_status_change(Duration::ZERO, &mut st).is_ok()
        && st[0].event_state().contains(State::PRESENT)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn apdus_in_pcscd_log() -> usize {
    let dir = std::env::var("MW_E2E_DIR").unwrap();
    std::fs::read_to_string(format!("{dir}/pcscd.log"))
        .map(|s| s.lines().filter(|l| l.contains("APDU: ")).count())
        .unwrap_or(0)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    if std::env::var_os("MW_E2E_DIR").is_none() {
        eprintln!("skipping: run inside the e2e namespace (bench/card.sh)");
        return;
    }
    let mut sim: Child = Command::new(env!("CARGO_BIN_EXE_mynawatch"))
        .args([
            "sim-card",
            "--vpcd",
            "127.0.0.1:35963",
            "--expires",
            "2027-02-14",
        ])
        .stderr(Stdio::null())
        .spawn()
        .expect("start sim-card");
    let ctx = Context::establish(Scope::User).expect("pcscd");
    let start = Instant::now();
    while !present(&ctx) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "card never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let reader = CString::new(READER).unwrap();

    // Our read: APDU counts (first run) and connect → CardReport times.
    let (mut at_cert, mut total, mut cert_len) = (0, 0, 0);
    let mut ours = Vec::new();
    for i in 0..RUNS {
        let t = Instant::now();
        if i == 0 {
            let card = ctx
                .connect(&reader, ShareMode::Shared, Protocols::ANY)
                .unwrap();
            let mut tr = Counting {
                inner: PcscTransport::new(&card),
                sent: 0,
            };
            let mut seen = 0;
            let report = read_card(&mut tr, &mut |_| seen = 1).unwrap();
            assert_eq!(seen, 1);
            report.pins.unwrap();
            total = tr.sent;
            let _ = card.disconnect(Disposition::LeaveCard);
            // Count again, stopping at the certificate.
            let card = ctx
                .connect(&reader, ShareMode::Shared, Protocols::ANY)
                .unwrap();
            let mut tr = Counting {
                inner: PcscTransport::new(&card),
                sent: 0,
            };
            mynawatch::card::read_certificate(&mut tr).unwrap();
            at_cert = tr.sent;
            let _ = card.disconnect(Disposition::LeaveCard);
            continue;
        }
        let report = read_reader(&ctx, READER, &mut |_| {}).unwrap();
        ours.push(t.elapsed());
        report.pins.unwrap();
    }
    // Certificate size, for the table.
    {
        let card = ctx
            .connect(&reader, ShareMode::Shared, Protocols::ANY)
            .unwrap();
        let mut t = PcscTransport::new(&card);
        t.transmit(&apdu::select_applet(&apdu::AID_JPKI)).unwrap();
        t.transmit(&apdu::select_ef(apdu::EF_AUTH_CERT)).unwrap();
        let h = t.transmit(&apdu::read_binary(0, 4)).unwrap().data;
        cert_len = cert_len.max(4 + usize::from(u16::from_be_bytes([h[2], h[3]])));
        // Bare APDU round trip: a SELECT, repeated.
        let mut bare = Vec::new();
        for _ in 0..200 {
            let t0 = Instant::now();
            t.transmit(&apdu::select_applet(&apdu::AID_JPKI)).unwrap();
            bare.push(t0.elapsed());
        }
        let bare = median(bare);
        let ours = median(ours);
        let budget = bare * total as u32;

        // OpenSC reference: APDUs from the pcscd log, wall time of the process.
        let _ = card.disconnect(Disposition::LeaveCard);
        let before = apdus_in_pcscd_log();
        let mut p15 = Vec::new();
        for _ in 0..10 {
            let t0 = Instant::now();
            let out = Command::new("pkcs15-tool")
                .args(["--reader", "0", "--read-certificate", "01"])
                .env("OPENSC_DRIVER", "jpki")
                .output()
                .expect("pkcs15-tool");
            assert!(out.status.success());
            p15.push(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200)); // let pcscd flush its log
        let p15_apdus = (apdus_in_pcscd_log() - before) / 10;

        println!("certificate: {cert_len} bytes; {RUNS} runs, medians");
        println!(
            "| reader | APDUs to cert status | APDUs total | connect → report | bare RTT × APDUs |"
        );
        println!("|---|---|---|---|---|");
        println!(
            "| mynawatch | {at_cert} (goal ≤ 10) | {total} (goal ≤ 17) | {} | {} (goal: report ≤ 2×) |",
            ms(ours),
            ms(budget)
        );
        println!(
            "| pkcs15-tool --read-certificate 01 | — | {p15_apdus} | {} (whole process) | {} |",
            ms(median(p15)),
            ms(bare * p15_apdus as u32)
        );
        println!("bare APDU round trip (SELECT): {}", ms(bare));
    }
    let _ = sim.kill();
    let _ = sim.wait();
}
