//! `make demo --once`: the demo walks through the four statuses on a private bus with the virtual card,
//! and leaves nothing running.

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::ship::{repo, text};
use support::{bin, require_tool, wait_for};

/// The demo uses the first vpcd slot; only one test at a time may.
static VPCD: Mutex<()> = Mutex::new(());

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn make_demo_once_walks_through_the_four_statuses_and_leaves_nothing_running() {
    support::pcscd::require();
    require_tool("make");
    let _slot = VPCD.lock().unwrap_or_else(|e| e.into_inner());
    let mut child = Command::new("make")
        .current_dir(repo())
        .args(["-s", "demo", "DEMO_ARGS=--once"])
        .env("MYNAWATCH", bin())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("make demo");
    let started = Instant::now();
    let status = wait_for(Duration::from_secs(120), "make demo to finish", || {
        child.try_wait().expect("wait")
    });
    let out = child.wait_with_output().unwrap();
    let stdout = text(&out.stdout);
    eprintln!("make demo took {:?}", started.elapsed());
    assert!(
        status.success(),
        "make demo failed:\n{stdout}\n{}",
        text(&out.stderr)
    );

    let mut at = 0;
    for s in [
        "valid",
        "renewal-open",
        "expired-grace",
        "registration-lapsed",
    ] {
        let needle = format!("Status={s} ");
        let found = stdout[at..]
            .find(&needle)
            .unwrap_or_else(|| panic!("no {needle} after byte {at} in\n{stdout}"));
        at += found + needle.len();
    }
    assert!(
        stdout.contains("Notification: "),
        "no notification shown:\n{stdout}"
    );

    // Its temp dir is named in the bus address; nothing may still run with it, and it is gone.
    let dir = stdout
        .split("unix:path=")
        .nth(1)
        .and_then(|s| s.split("/bus").next())
        .expect("private bus address in the output")
        .to_string();
    assert!(!Path::new(&dir).exists(), "{dir} left behind");
    let leftovers: Vec<String> = fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| text(&c).replace('\0', " "))
        .filter(|c| c.contains(&dir))
        .collect();
    assert!(leftovers.is_empty(), "still running: {leftovers:?}");
}
