//! `status` (and every client command, through `client::connect`) starts a daemon that is not
//! running by D-Bus activation, and when the bus cannot start it, says why: no activation file, the
//! program failed to start, the configuration is invalid. The private buses here activate the way a
//! session bus without systemd does (dbus-daemon spawns `Exec=`); under systemd the same call asks
//! the user manager, which the real-session VM test (scripts/vm-test.sh) checks.

mod support;

use std::time::Duration;

use support::bus::PrivateBus;
use support::daemon::NAME;

const WAIT: Duration = Duration::from_secs(20);

/// Kill whatever the bus started, so that no daemon outlives its test.
struct Activated<'a>(&'a PrivateBus);

impl Drop for Activated<'_> {
    fn drop(&mut self) {
        if let Some(pid) = self.0.owner_pid(NAME) {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
    }
}

fn status(bus: &PrivateBus, config_home: &std::path::Path) -> std::process::Output {
    bus.command(support::bin())
        .args(["status", "--json"])
        .env("XDG_CONFIG_HOME", config_home)
        .output()
        .expect("run mynawatch status")
}

#[test]
fn status_starts_a_stopped_daemon_through_the_bus() {
    let tmp = tempfile::tempdir().unwrap();
    let exec = format!(
        "{} daemon --no-notify --state-dir {}",
        support::bin(),
        tmp.path().join("state").display()
    );
    let bus = PrivateBus::start_activating(&[(NAME, &exec)]);
    let _cleanup = Activated(&bus);
    assert!(!bus.has_name(NAME), "nothing runs before the first call");

    let out = status(&bus, tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status --json");
    assert!(json.get("cards").is_some(), "{json}");
    bus.wait_for_name(NAME, WAIT);
    assert!(tmp.path().join("state").join("salt").exists());
}

#[test]
fn a_daemon_that_cannot_start_for_its_config_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let config_dir = tmp.path().join("mynawatch");
    std::fs::create_dir(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        "notifications = \"maybe\"\n",
    )
    .unwrap();
    // dbus-daemon gives its children its own environment: pass the config home on the command line.
    let exec = format!(
        "/usr/bin/env XDG_CONFIG_HOME={} {} daemon --state-dir {}",
        tmp.path().display(),
        support::bin(),
        tmp.path().join("state").display()
    );
    let bus = PrivateBus::start_activating(&[(NAME, &exec)]);
    let _cleanup = Activated(&bus);

    let out = status(&bus, tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("could not be started") && stderr.contains("config.toml"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 1"),
        "the message names the line: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(!bus.has_name(NAME));
}

#[test]
fn a_daemon_whose_program_is_missing_points_at_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let bus = PrivateBus::start_activating(&[(NAME, "/nonexistent/mynawatch daemon")]);
    let out = status(&bus, tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("could not be started")
            && stderr.contains("org.freedesktop.DBus.Error.Spawn")
            && stderr.contains("journalctl --user -u mynawatch"),
        "{stderr}"
    );
}

#[test]
fn a_bus_without_an_activation_file_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let bus = PrivateBus::start_activating(&[]);
    for args in [
        &["status"][..],
        &["watch"][..],
        &["label", "x", "y"][..],
        &["refresh"][..],
    ] {
        let out = bus
            .command(support::bin())
            .args(args)
            .env("XDG_CONFIG_HOME", tmp.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        eprintln!("{stderr}");
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot start it") && stderr.contains("D-Bus service file"),
            "{args:?}: {stderr}"
        );
    }
}
