//! The daemon binary on a private session bus: it takes the name, answers `status`, refuses a second
//! instance, and stops cleanly on SIGTERM. (The pcscd + virtual card scenarios need the store,
//! notifier and reader monitor wired in; see the daemon module docs.)

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::bus::PrivateBus;

const NAME: &str = "io.github.mynawatch.MynaWatch1";

fn start_daemon(bus: &PrivateBus, state: &std::path::Path) -> Child {
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

    let second = start_daemon(&bus, state.path()).wait_with_output().unwrap();
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
