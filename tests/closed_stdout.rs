//! Every command that prints, with its stdout already closed (`mynawatch status --json | head -c1`
//! once `head` has gone): it ends quietly with exit 0 — no panic (exit 101), nothing on stderr.

mod support;

use std::process::{Command, Output};
use std::time::Duration;

use support::bus::PrivateBus;
use support::daemon::seeded_daemon;
use support::{bin, neutral_env, wait_for};

/// Run `cmd` with a stdout pipe whose reading end is closed before the program writes, and with
/// no say from the environment in what it prints.
fn with_closed_stdout(mut cmd: Command) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let child = neutral_env(&mut cmd)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run mynawatch");
    // `watch` would wait for events forever if it missed the closed pipe: bound the wait.
    let out = std::thread::spawn(move || child.wait_with_output().expect("wait"));
    wait_for(Duration::from_secs(20), "the command to end", || {
        out.is_finished().then_some(())
    });
    out.join().unwrap()
}

fn assert_quiet_success(what: &str, out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{what} wrote to stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn offline_commands_end_quietly_on_a_closed_stdout() {
    for args in [
        &["check", "--expires", "2030-01-01", "--today", "2026-01-01"][..],
        &[
            "check",
            "--expires",
            "2030-01-01",
            "--today",
            "2026-01-01",
            "--json",
        ],
        &["man"],
        &["completions", "bash"],
    ] {
        let mut cmd = Command::new(bin());
        cmd.args(args);
        assert_quiet_success(&args.join(" "), &with_closed_stdout(cmd));
    }
}

#[test]
fn daemon_clients_end_quietly_on_a_closed_stdout() {
    let bus = PrivateBus::start();
    let (_dir, mut daemon) = seeded_daemon(&bus);
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["status", "--lang", "en"],
        &["watch"],
        &["watch", "--json"],
    ] {
        let mut cmd = bus.command(bin());
        cmd.args(args);
        assert_quiet_success(&args.join(" "), &with_closed_stdout(cmd));
    }
    assert_eq!(daemon.stop().code(), Some(0));
}

/// `read` prints the report of a real card read through pcscd (the text in two parts: the status
/// as soon as the certificate is read, then the PIN counters); `doctor` its findings.
#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn read_ends_quietly_on_a_closed_stdout() {
    let _slots = support::pcscd::e2e();
    let _card = support::pcscd::SimCard::start(support::pcscd::SLOT0, &["--expires", "2031-06-20"]);
    for args in [
        &["read"][..],
        &["read", "--json"],
        &["read", "--cert-only"],
        &["doctor"],
        &["doctor", "--json"],
    ] {
        let mut cmd = Command::new(bin());
        cmd.args(args);
        assert_quiet_success(&args.join(" "), &with_closed_stdout(cmd));
    }
}
