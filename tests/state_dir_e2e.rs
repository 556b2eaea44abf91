//! The daemon binary as systemd starts it: `$STATE_DIRECTORY` (systemd 252 puts a user unit's
//! StateDirectory= under ~/.config), cards a hand-run daemon left in ~/.local/state carried over, and
//! the exit statuses that tell systemd not to restart (bad config, unusable state directory).

mod support;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use support::bus::PrivateBus;
use support::daemon::{seed_state, DaemonProc};
use support::{bin, wait_for};

fn home() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mynawatch-home")
        .tempdir()
        .unwrap()
}

/// The environment a user manager gives the unit; the XDG variables as their defaults under HOME, so
/// whatever the test runner has does not leak in.
fn unit_env(home: &str, state_directory: &str) -> Vec<(&'static str, String)> {
    let mut env = by_hand_env(home);
    env.push(("STATE_DIRECTORY", state_directory.to_string()));
    env
}

fn by_hand_env(home: &str) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", home.to_string()),
        ("XDG_STATE_HOME", format!("{home}/.local/state")),
        ("XDG_CONFIG_HOME", format!("{home}/.config")),
    ]
}

fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn status_json(bus: &PrivateBus, home: &Path) -> serde_json::Value {
    let out = bus
        .command(bin())
        .args(["status", "--json"])
        .env("HOME", home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_unit_uses_state_directory_and_carries_hand_run_cards_over() {
    let home = home();
    let h = home.path().to_str().unwrap();
    let by_hand = home.path().join(".local/state/mynawatch");
    let unit_dir = home.path().join(".config/mynawatch");
    seed_state(&by_hand, "2026-06-20");
    fs::create_dir_all(&unit_dir).unwrap();
    fs::write(unit_dir.join("config.toml"), "notifications = false\n").unwrap();
    let before = fs::read(by_hand.join("state.json")).unwrap();

    let bus = PrivateBus::start();
    let env = unit_env(h, unit_dir.to_str().unwrap());
    let env = as_refs(&env);
    let mut d = DaemonProc::start(&bus, &["--today", "2026-03-01"], &env);
    let snap = status_json(&bus, home.path());
    let cards = snap["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 1, "{snap}");
    assert_eq!(cards[0]["label"], "母");
    assert!(
        d.log().contains("carried the remembered cards over"),
        "{}",
        d.log()
    );
    assert_eq!(d.stop().code(), Some(0), "{}", d.log());

    // The unit's directory holds the memory now, next to config.toml; the old copy is untouched.
    let mut names: Vec<String> = fs::read_dir(&unit_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["config.toml", "salt", "state.json"]);
    assert_eq!(fs::read(by_hand.join("state.json")).unwrap(), before);
    assert_eq!(
        fs::read_to_string(unit_dir.join("config.toml")).unwrap(),
        "notifications = false\n"
    );

    // Started again: nothing to carry, the same card.
    let mut d = DaemonProc::start(&bus, &["--today", "2026-03-01"], &env);
    assert_eq!(status_json(&bus, home.path())["cards"][0]["label"], "母");
    assert!(!d.log().contains("carried"), "{}", d.log());
    assert_eq!(d.stop().code(), Some(0));
}

#[test]
fn by_hand_the_daemon_finds_what_the_unit_remembered() {
    let home = home();
    let h = home.path().to_str().unwrap();
    let unit_dir = home.path().join(".config/mynawatch");
    seed_state(&unit_dir, "2026-06-20");
    let bus = PrivateBus::start();
    let env = by_hand_env(h);
    let mut d = DaemonProc::start(&bus, &["--today", "2026-03-01"], &as_refs(&env));
    assert_eq!(status_json(&bus, home.path())["cards"][0]["label"], "母");
    assert_eq!(d.stop().code(), Some(0));
    assert!(home
        .path()
        .join(".local/state/mynawatch/state.json")
        .is_file());
}

fn daemon_exits(bus: &PrivateBus, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = bus
        .command(bin())
        .arg("daemon")
        .args(args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(10), "the daemon to exit", || {
        child.try_wait().unwrap()
    });
    child.wait_with_output().unwrap()
}

#[test]
fn a_bad_config_exits_3_naming_the_line_and_an_unusable_state_directory_exits_4() {
    let home = home();
    let h = home.path().to_str().unwrap();
    let bus = PrivateBus::start();
    let config = home.path().join(".config/mynawatch/config.toml");
    fs::create_dir_all(config.parent().unwrap()).unwrap();
    fs::write(&config, "lang = \"en\"\nnotifications = maybe\n").unwrap();
    let state = home.path().join(".config/mynawatch");
    let out = daemon_exits(&bus, &[], &as_refs(&unit_env(h, state.to_str().unwrap())));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("{} line 2", config.display())),
        "{err}"
    );
    assert!(!bus.has_name(support::daemon::NAME));

    // A state directory that cannot be created (a file in the way; root cannot either).
    fs::write(&config, "").unwrap();
    let file = home.path().join("a-file");
    fs::write(&file, "").unwrap();
    let bad = file.join("mynawatch");
    let out = daemon_exits(&bus, &[], &as_refs(&unit_env(h, bad.to_str().unwrap())));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains(&bad.display().to_string()), "{err}");

    // A usage error is 2 (clap), the same "do not restart" class.
    let out = Command::new(bin())
        .args(["daemon", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
