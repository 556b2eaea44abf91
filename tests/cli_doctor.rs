//! `mynawatch doctor` against each failure the e2e environment can stage — no pcscd, no reader,
//! USB readers no driver takes (a fake sysfs tree: the one fake, of something outside the project),
//! an unreadable card and a card that is not a My Number Card, no daemon, no notification server, a
//! bad config file — and the all-fine case: real pcscd + vpcd with the virtual card, a private
//! dbus-daemon with the daemon's activation file, python3-dbusmock's notification server, the real
//! daemon, and real `systemctl --user enable` on a staged unit directory.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use mynawatch::exit::Exit;
use support::bus::{NotificationServer, PrivateBus};
use support::daemon::{property, quiet_args, DaemonProc, MANAGER, NAME, ROOT};
use support::pcscd::{e2e, require, SimCard, SLOT0, SLOT1};
use support::{bin, detached_sh, wait_for};

/// A home for one doctor run: config, state and an empty sysfs (the machine's USB devices must not
/// change the answer).
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sys/bus/usb/devices")).unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        Home { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn state_dir(&self) -> PathBuf {
        self.path("state/mynawatch")
    }

    /// The user unit installed and enabled the way a user does it: real `systemctl --user enable`
    /// on the project's unit in `$XDG_CONFIG_HOME/systemd/user`.
    fn enable_unit(&self) {
        support::require_tool("systemctl");
        let units = self.path("config/systemd/user");
        std::fs::create_dir_all(&units).unwrap();
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/mynawatch.service"),
            units.join("mynawatch.service"),
        )
        .unwrap();
        self.systemctl("enable");
    }

    /// `systemctl --user VERB mynawatch.service` on this home's `$XDG_CONFIG_HOME`, which must
    /// succeed.
    fn systemctl(&self, verb: &str) {
        let out = Command::new("systemctl")
            .args(["--user", verb, "mynawatch.service"])
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    /// Write `text` as the user's config.toml.
    fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.path("config/mynawatch")).unwrap();
        std::fs::write(self.path("config/mynawatch/config.toml"), text).unwrap();
    }

    /// `mynawatch doctor ARGS…` on `bus` (none: no session bus at all).
    fn doctor(&self, bus: Option<&PrivateBus>, args: &[&str], env: &[(&str, &Path)]) -> Report {
        let mut cmd = Command::new(bin());
        cmd.arg("doctor")
            .arg("--sysfs")
            .arg(self.path("sys"))
            .args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_STATE_HOME", self.path("state"))
            .env_remove("STATE_DIRECTORY")
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES");
        match bus {
            Some(b) => cmd.env("DBUS_SESSION_BUS_ADDRESS", &b.address),
            None => cmd.env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", self.path("no-bus").display()),
            ),
        };
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run mynawatch doctor");
        Report {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn doctor_json(&self, bus: Option<&PrivateBus>, env: &[(&str, &Path)]) -> Report {
        self.doctor(bus, &["--json", "--lang", "en"], env)
    }
}

struct Report {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Report {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.stdout, self.stderr))
    }

    /// (id, severity) of every finding.
    fn findings(&self) -> Vec<(String, String)> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn has(&self, id: &str, severity: &str) -> bool {
        self.findings()
            .iter()
            .any(|(i, s)| i == id && s == severity)
    }

    /// A finding `id` with `severity` is in the report; fails the test with the report otherwise.
    fn assert_has(&self, id: &str, severity: &str) {
        assert!(self.has(id, severity), "{}", self.stdout);
    }

    /// The message (or fix) of finding `id` says `text`; fails the test with the report otherwise.
    fn assert_says(&self, id: &str, text: &str) {
        assert!(self.message(id).contains(text), "{}", self.stdout);
    }

    /// The message (and fix) of the first finding with this id.
    fn message(&self, id: &str) -> String {
        let v = self.json();
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("no finding {id} in {}", self.stdout));
        format!("{} {}", f["message"], f["fix"])
    }

    fn assert_code(&self, exit: Exit) {
        assert_eq!(
            self.code,
            Some(i32::from(exit.code())),
            "{}\n{}",
            self.stdout,
            self.stderr
        );
        assert_eq!(self.json()["exit_status"], exit.code());
    }
}

/// A private bus that can start the daemon by activation (its activation file is there), as the
/// installed package's is.
fn activating_bus() -> PrivateBus {
    PrivateBus::start_activating(&[(NAME, &format!("{} daemon --no-notify", bin()))])
}

fn daemon(bus: &PrivateBus, home: &Home) -> DaemonProc {
    let state = home.state_dir();
    DaemonProc::start(
        bus,
        &quiet_args(&state, "2026-11-26"),
        &[("XDG_CONFIG_HOME", home.path("config").to_str().unwrap())],
    )
}

/// What stays up while a test with everything running looks: the daemon, the notification server
/// and the vpcd slots (dropped in this order: the slots are free only once the daemon is gone).
type Running = (
    DaemonProc,
    NotificationServer,
    std::sync::MutexGuard<'static, ()>,
);

/// An installation whose daemon is not running: the vpcd slots, a home, and a bus that can start
/// the daemon by activation.
fn installed() -> (std::sync::MutexGuard<'static, ()>, Home, PrivateBus) {
    let slots = e2e();
    let home = Home::new();
    let bus = activating_bus();
    (slots, home, bus)
}

/// Everything a running installation has: the unit enabled, an activating bus, a notification
/// server, the daemon.
fn all_running() -> (Home, PrivateBus, Running) {
    let (slots, home, bus) = installed();
    home.enable_unit();
    let notifications = NotificationServer::start(&bus, None);
    let daemon = daemon(&bus, &home);
    (home, bus, (daemon, notifications, slots))
}

fn wait_reader_state(bus: &PrivateBus, reader: &str, state: &str) {
    let needle = format!("\"{reader}\" \"{state}\"");
    wait_for(Duration::from_secs(20), &needle, || {
        property(bus, ROOT, MANAGER, "ReaderStates")
            .contains(&needle)
            .then_some(())
    });
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn all_fine_exits_0_and_never_shows_the_certificate_dates() {
    let (home, bus, _running) = all_running();
    let card = SimCard::start(
        SLOT0,
        &["--expires", "2031-07-07", "--issued", "2026-07-01"],
    );
    wait_reader_state(&bus, card.reader(), "read");
    let r = home.doctor_json(Some(&bus), &[]);
    r.assert_code(Exit::Success);
    for (id, severity) in [
        ("config-absent", "ok"),
        ("pcscd-reachable", "ok"),
        ("reader-seen", "ok"),
        ("card-read", "ok"),
        ("daemon-running", "ok"),
        ("daemon-activatable", "ok"),
        ("daemon-enabled", "ok"),
        ("notification-server", "ok"),
        ("state-dir-writable", "ok"),
    ] {
        assert!(r.has(id, severity), "no {id} {severity}: {}", r.stdout);
    }
    assert!(
        r.findings().iter().all(|(_, s)| s == "ok" || s == "info"),
        "{}",
        r.stdout
    );
    assert!(r.json()["severity"] == "ok", "{}", r.stdout);
    // Privacy: nothing of the certificate, not even its dates or year.
    let ja = home.doctor(Some(&bus), &["--lang", "ja"], &[]);
    assert_eq!(ja.code, Some(0));
    for text in [&r.stdout, &ja.stdout] {
        assert!(
            !text.contains("2031") && !text.contains("2026-07"),
            "{text}"
        );
    }
    assert!(
        ja.stdout.contains("問題は見つかりませんでした。"),
        "{}",
        ja.stdout
    );
    assert!(
        ja.stdout.contains("[正常] デーモンが動いています"),
        "{}",
        ja.stdout
    );
    let en = home.doctor(Some(&bus), &["--lang", "en"], &[]);
    assert!(en.stdout.contains("No problems found."), "{}", en.stdout);
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn no_pcscd_and_no_session_bus_are_errors_with_a_fix() {
    require();
    let home = Home::new();
    let nowhere = home.path("pcscd.comm");
    let r = home.doctor_json(None, &[("PCSCLITE_CSOCK_NAME", &nowhere)]);
    r.assert_code(Exit::DoctorProblem);
    r.assert_has("pcscd-unreachable", "error");
    r.assert_says("pcscd-unreachable", "pcscd.socket");
    r.assert_has("no-session-bus", "error");
    r.assert_has("card-not-checked", "info");
    let ja = home.doctor(
        None,
        &["--lang", "ja"],
        &[("PCSCLITE_CSOCK_NAME", &nowhere)],
    );
    assert_eq!(ja.code, Some(i32::from(Exit::DoctorProblem.code())));
    assert!(
        ja.stdout
            .contains("[問題] PC/SC サービス（pcscd）に接続できません"),
        "{}",
        ja.stdout
    );
    assert!(ja.stdout.contains("→ 対処: "), "{}", ja.stdout);
}

/// A pcscd of its own with no reader configured: the environment's pcscd (and its vpcd readers)
/// stays as it is. pcscd always serves /run/pcscd/pcscd.comm, so it runs in a mount namespace of
/// its own whose /run/pcscd is a directory the client reaches through PCSCLITE_CSOCK_NAME.
struct EmptyPcscd {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl EmptyPcscd {
    fn start() -> EmptyPcscd {
        support::require_tool("unshare");
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let conf = dir.path().join("reader.conf.d");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::create_dir_all(&conf).unwrap();
        let script = format!(
            "mount --bind '{}' /run/pcscd && exec pcscd --foreground --config '{}'",
            run.display(),
            conf.display()
        );
        let child = detached_sh(&["unshare", "--mount"], &script)
            .spawn()
            .expect("unshare");
        let socket = run.join("pcscd.comm");
        wait_for(Duration::from_secs(10), "the empty pcscd's socket", || {
            socket.exists().then_some(())
        });
        EmptyPcscd {
            child,
            socket,
            _dir: dir,
        }
    }
}

impl Drop for EmptyPcscd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fake `/sys/bus/usb/devices` entry (vendor, product, interface class).
fn usb_device(home: &Home, port: &str, ids: (&str, &str), class: &str, product: &str) {
    let dir = home.path("sys/bus/usb/devices").join(port);
    std::fs::create_dir_all(dir.join(format!("{port}:1.0"))).unwrap();
    std::fs::write(dir.join("idVendor"), format!("{}\n", ids.0)).unwrap();
    std::fs::write(dir.join("idProduct"), format!("{}\n", ids.1)).unwrap();
    std::fs::write(dir.join("product"), format!("{product}\n")).unwrap();
    std::fs::write(
        dir.join(format!("{port}:1.0/bInterfaceClass")),
        format!("{class}\n"),
    )
    .unwrap();
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn no_reader_and_usb_readers_no_driver_takes() {
    require();
    support::require_tool("pcscd");
    let pcscd = EmptyPcscd::start();
    let home = Home::new();
    let bus = activating_bus();
    let sock: &Path = &pcscd.socket;
    let r = home.doctor_json(Some(&bus), &[("PCSCLITE_CSOCK_NAME", sock)]);
    r.assert_code(Exit::DoctorProblem);
    r.assert_has("pcscd-reachable", "ok");
    r.assert_has("no-reader", "error");
    r.assert_has("card-not-checked", "info");

    // An RC-S380 (no CCID interface) and an RC-S300 (CCID) on USB, as the kernel lists them.
    usb_device(&home, "1-1", ("054c", "06c1"), "ff", "RC-S380/S");
    usb_device(&home, "1-2", ("054c", "0dc8"), "0b", "RC-S300/S");
    let r = home.doctor_json(Some(&bus), &[("PCSCLITE_CSOCK_NAME", sock)]);
    r.assert_code(Exit::DoctorProblem);
    assert!(
        r.has("usb-reader-unsupported-on-linux", "error"),
        "{}",
        r.stdout
    );
    r.assert_says(
        "usb-reader-unsupported-on-linux",
        "Sony PaSoRi RC-S380 (054c:06c1) does not work on Linux",
    );
    // This machine's libccid lists the RC-S300 (Debian 12: 1.5.2): pcscd not showing it is a replug.
    r.assert_has("usb-reader-not-loaded", "warning");
    r.assert_says("usb-reader-not-loaded", "ifd-ccid.bundle");
    assert!(!r.findings().iter().any(|(id, _)| id == "no-reader"));

    // The same with a libccid older than 1.4.35 (Debian 11's 1.4.34), staged as its Info.plist.
    let drivers = home.path("drivers");
    let contents = drivers.join("ifd-ccid.bundle/Contents");
    std::fs::create_dir_all(&contents).unwrap();
    std::fs::write(
        contents.join("Info.plist"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>\n\
         <key>CFBundleShortVersionString</key><string>1.4.34</string>\n\
         <key>ifdVendorID</key><array><string>0x04E6</string></array>\n\
         <key>ifdProductID</key><array><string>0x5116</string></array>\n\
         </dict></plist>\n",
    )
    .unwrap();
    let drivers_arg = format!("--pcsc-drivers={}", drivers.display());
    let r = home.doctor(
        Some(&bus),
        &["--json", "--lang", "en", &drivers_arg],
        &[("PCSCLITE_CSOCK_NAME", sock)],
    );
    r.assert_has("usb-reader-libccid-too-old", "error");
    r.assert_says(
        "usb-reader-libccid-too-old",
        "needs libccid 1.4.35 or newer; ifd-ccid.bundle 1.4.34 is installed",
    );
    let ja = home.doctor(
        Some(&bus),
        &["--lang", "ja", &drivers_arg],
        &[("PCSCLITE_CSOCK_NAME", sock)],
    );
    assert!(
        ja.stdout
            .contains("Sony PaSoRi RC-S380 (054c:06c1) は Linux では使えません"),
        "{}",
        ja.stdout
    );
    assert!(
        ja.stdout.contains("libccid 1.4.35 以降が必要"),
        "{}",
        ja.stdout
    );
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn unreadable_cards_without_a_daemon_are_read_directly() {
    let _slots = e2e();
    let home = Home::new();
    // A bus with no daemon, no notification server and no activation file: its own service
    // directory only (the default session config would also read /usr/share/dbus-1/services,
    // where an installed package puts one).
    let bus = PrivateBus::start_activating(&[]);
    let broken = SimCard::start(
        SLOT0,
        &["--expires", "2031-07-07", "--fault", "garbage-cert"],
    );
    let juki = SimCard::start(
        SLOT1,
        &["--expires", "2031-07-07", "--label", "JPKIAPICCTOKEN"],
    );
    let r = home.doctor_json(Some(&bus), &[]);
    r.assert_code(Exit::DoctorProblem);
    r.assert_has("card-unreadable", "error");
    r.assert_says("card-unreadable", broken.reader());
    r.assert_has("card-not-my-number-card", "error");
    r.assert_says("card-not-my-number-card", "Basic Resident Register card");
    r.assert_has("daemon-not-running", "error");
    r.assert_has("daemon-not-activatable", "warning");
    r.assert_has("no-notification-server", "warning");
    drop((broken, juki));
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_card_the_daemon_could_not_use_is_reported_from_its_reader_states() {
    let (home, bus, _running) = all_running();
    let card = SimCard::start(SLOT0, &["--expires", "2031-07-07", "--fault", "no-applet"]);
    wait_reader_state(&bus, card.reader(), "not-a-my-number-card");
    let r = home.doctor_json(Some(&bus), &[]);
    r.assert_code(Exit::DoctorProblem);
    r.assert_has("card-not-my-number-card", "error");
    r.assert_says("card-not-my-number-card", "this is not a My Number Card");
    r.assert_has("daemon-running", "ok");
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn no_daemon_but_activatable_and_no_notification_server_are_warnings() {
    let (_slots, home, bus) = installed();
    home.enable_unit();
    let r = home.doctor_json(Some(&bus), &[]);
    r.assert_code(Exit::DoctorWarning);
    r.assert_has("daemon-not-running", "warning");
    r.assert_has("daemon-activatable", "ok");
    r.assert_has("no-notification-server", "warning");
    r.assert_has("no-card", "info");
    // doctor asked with NameHasOwner only: it did not start the daemon by activation.
    assert!(!bus.has_name(NAME), "doctor started the daemon");
    // Turned off in the config, notifications are not a warning.
    home.write_config("notifications = false\n");
    let r = home.doctor_json(Some(&bus), &[]);
    r.assert_has("notifications-off", "info");
    r.assert_has("config-valid", "ok");
    // A unit the user masked is one more warning. (Masking, not disabling: a unit the package
    // enabled for all users stays enabled for systemctl --user whatever ~/.config says.) Only a
    // unit that is not in ~/.config itself can be masked: the copy made above goes first.
    std::fs::remove_dir_all(home.path("config/systemd")).unwrap();
    home.systemctl("mask");
    let r = home.doctor_json(Some(&bus), &[]);
    r.assert_code(Exit::DoctorWarning);
    r.assert_has("daemon-masked", "warning");
    r.assert_says("daemon-masked", "unmask");
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_bad_config_file_is_an_error_that_names_the_line() {
    let (_slots, home, bus) = installed();
    home.write_config("notifications = true\nlang = 5\n");
    let r = home.doctor_json(Some(&bus), &[]);
    r.assert_code(Exit::DoctorProblem);
    r.assert_has("config-invalid", "error");
    r.assert_says("config-invalid", "config.toml line 2");
    // The other steps are still checked.
    r.assert_has("pcscd-reachable", "ok");
    r.assert_has("state-dir-writable", "ok");
}
