//! The daemon binary under faults, each surviving with a clear log line and no lost data: the state
//! directory read-only and full (tmpfs mounts: only inside scripts/e2e-env.sh's private mount
//! namespace), corrupt state files at start, the notification server and the session bus going away,
//! and the clock jumping a year forward and back (hidden `--today-file`).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::bus::{NotificationServer, PrivateBus};
use support::daemon::{
    answers, busctl, e2e_bus, fresh_state_dir, property, quiet_args, seed_state, seeded_daemon,
    seeded_dir, seeded_path, set_today, DaemonProc, CARD, MANAGER, NAME, ROOT,
};
use support::wait_for;

fn call(bus: &PrivateBus, path: &str, iface: &str, method: &str, args: &[&str]) -> (bool, String) {
    let mut v = vec!["call", NAME, path, iface, method];
    v.extend_from_slice(args);
    let (ok, out, err) = busctl(bus, &v);
    (ok, if ok { out } else { err })
}

fn set_label(bus: &PrivateBus, label: &str) -> (bool, String) {
    call(bus, &seeded_path(), CARD, "SetLabel", &["s", label])
}

fn mount(args: &[&str]) {
    let st = Command::new("mount").args(args).status().unwrap();
    assert!(st.success(), "mount {args:?}");
}

/// A small tmpfs at `dir`, unmounted on drop. Only ever used inside the e2e mount namespace.
struct Tmpfs<'a>(&'a Path);

impl<'a> Tmpfs<'a> {
    fn mount(dir: &'a Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        mount(&[
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size},mode=0700"),
            "tmpfs",
            dir.to_str().unwrap(),
        ]);
        Tmpfs(dir)
    }
    fn remount(&self, opt: &str) {
        mount(&["-o", &format!("remount,{opt}"), self.0.to_str().unwrap()]);
    }
}

impl Drop for Tmpfs<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0).status();
    }
}

/// `--lang en --state-dir DIR FLAG VALUE` (FLAG: `--today` or `--today-file`): a daemon that
/// notifies, in English.
fn notifying_args(dir: &Path, flag: &str, value: &str) -> Vec<String> {
    let dir = dir.to_str().unwrap();
    ["--lang", "en", "--state-dir", dir, flag, value]
        .map(str::to_string)
        .to_vec()
}

/// The pending reminder delivered (it is no longer in the state file).
fn wait_delivered(dir: &Path) {
    wait_for(Duration::from_secs(5), "delivered", || {
        (!state_file(dir).contains("pending_reminder")).then_some(())
    });
}

fn state_file(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("state.json")).unwrap()
}

/// The files in `dir` whose name contains `part`.
fn files_named(dir: &Path, part: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(part))
        .collect()
}

fn no_temp_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp-"), "temp file left behind: {name}");
    }
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_read_only_state_dir_fails_every_change_and_applies_none() {
    let bus = e2e_bus();
    let (_top, dir) = fresh_state_dir();
    let fs = Tmpfs::mount(&dir, "1m");
    seed_state(&dir, "2031-06-20");
    let args = quiet_args(&dir, "2026-03-01");
    let mut d = DaemonProc::start(&bus, &args, &[]);

    fs.remount("ro");
    let before = state_file(&dir);
    let (ok, err) = set_label(&bus, "not-saved");
    assert!(!ok);
    assert!(err.contains("cannot save the state"), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    d.wait_log("cannot save the state; the change is not applied");
    // Not applied: the bus shows the card as it was, the file is untouched.
    // busctl prints 母 as octal escapes.
    let mother = "s \"\\346\\257\\215\"";
    assert_eq!(property(&bus, &seeded_path(), CARD, "Label"), mother);
    for (method, arg) in [
        ("SetInsuranceRegistered", &["b", "true"][..]),
        ("SetCardExpires", &["s", "2034-01-31"][..]),
        ("Forget", &[][..]),
    ] {
        let (ok, err) = call(&bus, &seeded_path(), CARD, method, arg);
        assert!(!ok, "{method} succeeded on a read-only disk");
        // busctl prints the message of the Error.Failed reply.
        assert!(err.contains("cannot save the state"), "{method}: {err}");
    }
    assert_eq!(
        property(&bus, &seeded_path(), CARD, "InsuranceRegistered"),
        "s \"unknown\""
    );
    assert_eq!(property(&bus, &seeded_path(), CARD, "Present"), "b false");
    assert_eq!(state_file(&dir), before);
    assert!(answers(&bus));

    // Writable again: changes work, and nothing refused earlier shows up.
    fs.remount("rw");
    assert!(call(&bus, ROOT, MANAGER, "Refresh", &[]).0);
    let after = state_file(&dir);
    assert!(
        !after.contains("not-saved") && !after.contains("2034-01-31"),
        "{after}"
    );
    assert!(set_label(&bus, "saved").0);
    assert!(state_file(&dir).contains("saved"));
    no_temp_files(&dir);
    assert_eq!(d.stop().code(), Some(0));

    // Read-only from the start: the daemon still serves what it remembers, and the forgotten-
    // that-was-refused card is still there after the restart.
    fs.remount("ro");
    let mut d = DaemonProc::start(&bus, &args, &[]);
    assert_eq!(property(&bus, &seeded_path(), CARD, "Label"), "s \"saved\"");
    assert!(!set_label(&bus, "x").0);
    assert_eq!(d.stop().code(), Some(0));
    assert!(d.log().contains("cannot save the state"), "{}", d.log());
    assert!(state_file(&dir).contains("saved"));
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_full_disk_fails_the_save_and_never_truncates_the_state_file() {
    let bus = e2e_bus();
    let (_top, dir) = fresh_state_dir();
    let _fs = Tmpfs::mount(&dir, "16k");
    seed_state(&dir, "2031-06-20");
    let mut d = DaemonProc::quiet(&bus, &dir, "2026-03-01");
    let before = state_file(&dir);

    // Fill the file system (ENOSPC), as a full home partition would.
    let filler = dir.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = [0u8; 1024];
        loop {
            if let Err(e) = f.write_all(&chunk).and_then(|_| f.sync_all()) {
                assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "{e}");
                break;
            }
        }
    }
    let long = "満".repeat(256);
    let (ok, err) = set_label(&bus, &long);
    assert!(!ok);
    assert!(err.contains("No space left on device"), "{err}");
    d.wait_log("cannot save the state; the change is not applied");
    assert_eq!(
        state_file(&dir),
        before,
        "the old state file must stay whole"
    );
    // Not applied on the bus either (it used to be published, then written at the next save).
    assert_eq!(
        property(&bus, &seeded_path(), CARD, "Label"),
        "s \"\\346\\257\\215\"",
        "the label is still 母"
    );
    no_temp_files(&dir);
    assert!(answers(&bus));

    std::fs::remove_file(&filler).unwrap();
    assert!(set_label(&bus, "空きあり").0);
    assert!(state_file(&dir).contains("空きあり"));
    assert_eq!(d.stop().code(), Some(0));
}

/// State files damaged the ways the `state_file` fuzz target and tests/hostile_files.rs probe:
/// cut short, invalid UTF-8, deep nesting, a wrong type, and an empty file. (A newer version and a
/// bad record are not "corrupt": see the two tests below.)
#[test]
fn corrupt_state_files_are_moved_aside_and_the_daemon_serves() {
    let good = {
        let dir = seeded_dir("2031-06-20");
        std::fs::read(dir.path().join("state.json")).unwrap()
    };
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() / 2].to_vec()),
        ("invalid UTF-8", {
            let mut b = good.clone();
            let at = b.windows(3).position(|w| w == "母".as_bytes()).unwrap();
            b[at] = 0xFF;
            b
        }),
        ("deep nesting", "[".repeat(100_000).into_bytes()),
        ("wrong type", br#"{"version": 1, "cards": []}"#.to_vec()),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in cases.drain(..) {
        let bus = PrivateBus::start();
        let dir = seeded_dir("2031-06-20");
        std::fs::write(dir.path().join("state.json"), &bytes).unwrap();
        let mut d = DaemonProc::quiet(&bus, dir.path(), "2026-03-01");
        d.wait_log("state file corrupt; moved it aside");
        let aside = files_named(dir.path(), "state.json.corrupt-");
        assert_eq!(aside.len(), 1, "{what}: {aside:?}");
        assert_eq!(
            std::fs::read(&aside[0]).unwrap(),
            bytes,
            "{what}: bytes kept"
        );
        assert!(answers(&bus), "{what}");
        assert_eq!(d.stop().code(), Some(0), "{what}: {}", d.log());
    }
}

/// One impossible date or bad key in state.json costs only that record: the other card keeps its
/// label and is served, the bad records are set aside in a private file (named in the log, which
/// gives no date or key), and state.json no longer holds them. A temp file left by a crash goes.
#[test]
fn a_bad_record_in_the_state_file_costs_only_that_record() {
    let bus = PrivateBus::start();
    let dir = seeded_dir("2031-06-20");
    let mut json: serde_json::Value = serde_json::from_str(&state_file(dir.path())).unwrap();
    json["cards"][support::daemon::SEEDED_KEY]["label"] = "Mom".into();
    let good = json["cards"][support::daemon::SEEDED_KEY].clone();
    let mut bad = good.clone();
    bad["cert"]["not_after"] = "2027-02-30".into();
    json["cards"]["fedcba9876543210fedcba9876543210"] = bad;
    json["cards"]["not-a-key"] = good;
    std::fs::write(
        dir.path().join("state.json"),
        serde_json::to_vec_pretty(&json).unwrap(),
    )
    .unwrap();
    // A temp file a crash left behind, holding a card since forgotten: removed at start.
    let leftover = dir.path().join(".state.json.tmp-4242-0");
    std::fs::write(&leftover, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    let dir_s = dir.path().to_str().unwrap();
    let mut d = DaemonProc::start(
        &bus,
        &[
            "-v",
            "--no-notify",
            "--today",
            "2026-03-01",
            "--state-dir",
            dir_s,
        ],
        &[],
    );
    assert_eq!(
        property(&bus, &seeded_path(), CARD, "Label"),
        "s \"Mom\"",
        "{}",
        d.log()
    );
    d.wait_log("set them aside in that file");
    let rejected = files_named(dir.path(), "state.json.rejected-");
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let kept = std::fs::read_to_string(&rejected[0]).unwrap();
    assert!(
        kept.contains("2027-02-30") && kept.contains("not-a-key"),
        "{kept}"
    );
    let now = state_file(dir.path());
    assert!(
        !now.contains("2027-02-30") && !now.contains("not-a-key"),
        "{now}"
    );
    assert!(now.contains("Mom"), "{now}");
    let log = d.log();
    for secret in [
        "2027-02-30",
        "not-a-key",
        "fedcba98",
        "2031-06-20",
        "2021-06-20",
    ] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
    assert!(!log.contains("moved it aside"), "{log}");
    assert!(!leftover.exists(), "the crash's temp file is still there");
    assert_eq!(d.stop().code(), Some(0), "{}", d.log());
}

/// A state file from a newer mynawatch (a downgrade): the daemon does not start, says why and
/// what to do, exits with the state-directory status (no restart by systemd), and leaves the
/// file exactly as it was.
#[test]
fn a_newer_state_version_refuses_to_start_and_keeps_the_file() {
    let bus = PrivateBus::start();
    let dir = seeded_dir("2031-06-20");
    let newer = state_file(dir.path()).replace("\"version\": 1", "\"version\": 2");
    assert!(newer.contains("\"version\": 2"));
    std::fs::write(dir.path().join("state.json"), &newer).unwrap();
    let mut d = DaemonProc::spawn(&bus, &quiet_args(dir.path(), "2026-03-01"), &[]);
    let status = d.wait_exit();
    assert_eq!(
        status.code(),
        Some(i32::from(mynawatch::exit::Exit::StateDir.code())),
        "the state-dir exit status: {}",
        d.log()
    );
    let log = d.log();
    assert!(
        log.contains("newer mynawatch") && log.contains("state.json"),
        "{log}"
    );
    assert_eq!(state_file(dir.path()), newer);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n == "salt" || n == "state.json"),
        "{names:?}"
    );
    assert!(!bus.has_name(NAME));
}

/// Dates at the edge of what the file format can hold are not corrupt: the daemon loads and judges
/// them (the rule core saturates) and keeps serving.
#[test]
fn extreme_dates_in_the_state_file_do_not_bring_the_daemon_down() {
    for expires in ["+262142-12-31", "-0001-01-01", "9999-12-31"] {
        let bus = PrivateBus::start();
        let dir = seeded_dir(expires);
        let mut d = DaemonProc::quiet(&bus, dir.path(), "2026-03-01");
        let status = property(&bus, &seeded_path(), CARD, "Status");
        assert!(status.starts_with("s \""), "{expires}: {status}");
        assert!(call(&bus, ROOT, MANAGER, "Refresh", &[]).0, "{expires}");
        assert!(d.is_running(), "{expires}: {}", d.log());
        assert_eq!(d.stop().code(), Some(0), "{expires}: {}", d.log());
    }
}

/// A hang-up (the terminal of a hand-run daemon closed) stops the daemon cleanly, like SIGTERM:
/// logged, state saved, bus name released, exit 0 — not killed by the signal's default action.
#[test]
fn sighup_stops_the_daemon_cleanly_with_the_state_saved() {
    let bus = PrivateBus::start();
    let (dir, mut d) = seeded_daemon(&bus);
    assert!(set_label(&bus, "hangup").0);
    // SAFETY: kill(2) on the daemon this test started.
    unsafe { libc::kill(d.pid() as libc::pid_t, libc::SIGHUP) };
    let status = d.wait_exit();
    assert_eq!(status.code(), Some(0), "{status:?}: {}", d.log());
    let log = d.log();
    assert!(
        log.contains("SIGHUP") && log.contains("shutting down"),
        "{log}"
    );
    assert!(state_file(dir.path()).contains("hangup"));
    no_temp_files(dir.path());
    assert!(!bus.has_name(NAME));
}

#[test]
fn losing_the_bus_exits_non_zero_with_a_clear_message_and_keeps_the_state() {
    let bus = PrivateBus::start();
    let (dir, mut d) = seeded_daemon(&bus);
    assert!(set_label(&bus, "バス切断前").0);
    // SAFETY: kill(2) on the dbus-daemon this test started.
    unsafe { libc::kill(bus.pid(), libc::SIGTERM) };
    let status = d.wait_exit();
    assert!(!status.success(), "{status:?}");
    let log = d.log();
    assert!(
        log.contains("lost the connection to the session bus"),
        "{log}"
    );
    assert!(state_file(dir.path()).contains("バス切断前"));
}

#[test]
fn a_reminder_missed_while_the_notification_server_was_away_is_shown_when_it_is_back() {
    let bus = PrivateBus::start();
    let dir = seeded_dir("2026-06-20");
    let today = dir.path().join("today");
    set_today(&today, "2026-03-25"); // 87 days left: the 90-day reminder is due
    let server = NotificationServer::start(&bus, Some("body actions"));
    let args = notifying_args(dir.path(), "--today-file", today.to_str().unwrap());
    let mut d = DaemonProc::start(&bus, &args, &[]);
    let first = server.nth_call(0, Duration::from_secs(10));
    assert!(first.contains("87 days"), "{first}");
    // The server logs the call before it answers: take it away only once the daemon has the
    // answer (the 90-day reminder delivered), or that reminder is the one left pending.
    wait_for(
        Duration::from_secs(5),
        "the first reminder delivered",
        || {
            let state: serde_json::Value = serde_json::from_str(&state_file(dir.path())).ok()?;
            let card = &state["cards"][support::daemon::SEEDED_KEY];
            (card["last_notified"]["kind"]["days"] == 90 && card.get("pending_reminder").is_none())
                .then_some(())
        },
    );

    drop(server);
    wait_for(Duration::from_secs(5), "the server gone", || {
        (!bus.has_name(support::bus::NOTIFICATIONS)).then_some(())
    });
    set_today(&today, "2026-04-25"); // 56 days: the 60-day reminder, with no server to show it
    d.wait_log("the notification was not shown");
    assert!(d.is_running());
    wait_for(
        Duration::from_secs(5),
        "the reminder kept as pending",
        || {
            state_file(dir.path())
                .contains("pending_reminder")
                .then_some(())
        },
    );

    // The server is back: the missed reminder is shown at once, and once.
    let server = NotificationServer::start(&bus, Some("body actions"));
    let shown = server.nth_call(0, Duration::from_secs(10));
    assert!(shown.contains("56 days"), "{shown}");
    wait_delivered(dir.path());
    set_today(&today, "2026-05-25"); // 26 days: the 30-day reminder reaches the new server
    let shown = server.nth_call(1, Duration::from_secs(10));
    assert!(shown.contains("26 days"), "{shown}");
    assert!(answers(&bus));
    assert_eq!(d.stop().code(), Some(0));
    server.assert_calls(2);
}

#[test]
fn a_reminder_not_shown_survives_a_restart_and_is_shown_once() {
    let bus = PrivateBus::start();
    let dir = seeded_dir("2026-06-20");
    // 87 days left: the 90-day reminder is due, and no notification server runs.
    let args = notifying_args(dir.path(), "--today", "2026-03-25");
    let mut d = DaemonProc::start(&bus, &args, &[]);
    d.wait_log("the notification was not shown");
    assert_eq!(d.stop().code(), Some(0));
    let state = state_file(dir.path());
    assert!(state.contains("pending_reminder"), "{state}");
    assert!(
        state.contains("\"last_notified\": null"),
        "not delivered: {state}"
    );

    // Restarted, still without a server: nothing lost; then a server appears.
    let mut d = DaemonProc::start(&bus, &args, &[]);
    let server = NotificationServer::start(&bus, Some("body actions"));
    let shown = server.nth_call(0, Duration::from_secs(10));
    assert!(shown.contains("87 days"), "{shown}");
    wait_delivered(dir.path());
    assert_eq!(d.stop().code(), Some(0));
    // And not again after another restart.
    let mut d = DaemonProc::start(&bus, &args, &[]);
    assert!(answers(&bus));
    assert_eq!(d.stop().code(), Some(0));
    server.assert_calls(1);
}

#[test]
fn the_clock_jumping_a_year_forward_and_back_is_judged_by_the_new_date_with_no_duplicates() {
    let bus = PrivateBus::start();
    let dir = seeded_dir("2026-06-20");
    let today = dir.path().join("today");
    set_today(&today, "2026-01-10"); // 161 days left: nothing due
    let server = NotificationServer::start(&bus, Some("body actions"));
    let args = notifying_args(dir.path(), "--today-file", today.to_str().unwrap());
    let mut d = DaemonProc::start(&bus, &args, &[]);
    let status = || property(&bus, &seeded_path(), CARD, "Status");
    assert_eq!(status(), "s \"valid\"");

    // A year forward: expired and past the insurance grace period.
    set_today(&today, "2027-01-10");
    wait_for(Duration::from_secs(10), "lapsed", || {
        (status() == "s \"registration-lapsed\"").then_some(())
    });
    d.wait_log("the Japan date jumped");
    server.nth_call(0, Duration::from_secs(10));
    wait_for(Duration::from_secs(5), "saved", || {
        state_file(dir.path()).contains("lapsed").then_some(())
    });

    // And back: judged for the earlier date again, the record kept.
    set_today(&today, "2026-01-10");
    wait_for(Duration::from_secs(10), "valid again", || {
        (status() == "s \"valid\"").then_some(())
    });
    assert!(
        state_file(dir.path()).contains("lapsed"),
        "last reminder kept"
    );
    // Forward again: the reminder already shown is not shown twice.
    set_today(&today, "2027-01-10");
    wait_for(Duration::from_secs(10), "lapsed again", || {
        (status() == "s \"registration-lapsed\"").then_some(())
    });
    assert!(answers(&bus));
    assert_eq!(d.stop().code(), Some(0));
    server.assert_calls(1);
    assert!(state_file(dir.path()).contains("母"));
}
