//! `mynawatch daemon` as a child process for every test and bench that runs the daemon binary: stderr
//! (its log) captured as it comes, a state directory seeded with a known card, busctl helpers.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::time::Duration;

use super::bus::PrivateBus;
use super::{bin, output_text, wait_for, Captured};

pub const NAME: &str = "io.github.mynawatch.MynaWatch1";
pub const ROOT: &str = "/io/github/mynawatch/MynaWatch1";
pub const MANAGER: &str = "io.github.mynawatch.MynaWatch1.Manager";
pub const CARD: &str = "io.github.mynawatch.MynaWatch1.Card";
/// The key of the card [`seed_state`] writes.
pub const SEEDED_KEY: &str = "0123456789abcdef0123456789abcdef";

/// [`super::pcscd::require`], then a private bus: how a test of the daemon binary begins when the
/// daemon needs the environment's pcscd but the test needs none of the vpcd slots.
pub fn e2e_bus() -> PrivateBus {
    super::pcscd::require();
    PrivateBus::start()
}

pub fn seeded_path() -> String {
    format!("{ROOT}/cards/{SEEDED_KEY}")
}

/// The issue day of a first certificate (five years, to the birthday) that expires on `expires`:
/// the date five years before. A longer span would be an early renewal, from which
/// the rule core infers that the card itself expires with the certificate.
pub fn first_cert_start(expires: &str) -> String {
    // Five years to the day (a certificate issued on the birthday): still a first certificate.
    // Without chrono, which the tray's tests (sharing this file) do not depend on.
    // Years outside 0..=9999 carry a sign, as chrono writes them (`+262142-12-31`, `-0001-01-01`).
    let (sign, body) = match expires.as_bytes().first() {
        Some(b'+') => ("", &expires[1..]),
        Some(b'-') => ("-", &expires[1..]),
        _ => ("", expires),
    };
    let (year, rest) = body.split_once('-').expect("YYYY-MM-DD");
    let year: i32 = format!("{sign}{year}").parse().expect("a year");
    match year - 5 {
        y @ 0..=9999 => format!("{y:04}-{rest}"),
        y => format!("{y:+05}-{rest}"),
    }
}

/// Write a salt and a state file with one card ([`SEEDED_KEY`], label "母", a first certificate
/// expiring on `expires`, nothing notified yet) into `dir`, as a daemon would have left them.
pub fn seed_state(dir: &Path, expires: &str) {
    write_state(
        dir,
        serde_json::json!({ SEEDED_KEY: {
            "label": "母",
            "token": "my-number-card",
            "cert": { "not_before": first_cert_start(expires), "not_after": expires },
            "card_expires": null,
            "registered": "unknown",
            "pins": { "auth": null, "sign": null, "card_info": null },
            "last_notified": null,
            "last_seen": null
        }}),
    );
}

/// Write a salt and a state file remembering `cards` (key → record) into `dir`, creating it, as a
/// daemon would have left them.
pub fn write_state(dir: &Path, cards: serde_json::Value) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("salt"), format!("{}\n", "ab".repeat(32))).unwrap();
    let state = serde_json::json!({ "version": 1, "cards": cards });
    std::fs::write(
        dir.join("state.json"),
        serde_json::to_vec_pretty(&state).unwrap(),
    )
    .unwrap();
}

/// A temp dir and, inside it, the path of a state directory that does not exist yet (the daemon
/// creates it, or the test mounts something there first).
pub fn fresh_state_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let top = tempfile::tempdir().unwrap();
    let dir = top.path().join("state");
    (top, dir)
}

/// A seeded state directory ([`seed_state`] with a certificate expiring on `expires`), removed on drop.
pub fn seeded_dir(expires: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    seed_state(dir.path(), expires);
    dir
}

/// The quiet daemon on `bus` (today 2026-03-01) on a [`seeded_dir`] whose card expires on
/// 2031-06-20 (valid, nothing due): bind both, the directory to outlive the daemon.
pub fn seeded_daemon(bus: &PrivateBus) -> (tempfile::TempDir, DaemonProc) {
    let dir = seeded_dir("2031-06-20");
    let daemon = DaemonProc::quiet(bus, dir.path(), "2026-03-01");
    (dir, daemon)
}

/// `--no-notify --today TODAY --state-dir DIR`: the daemon of a test without a notification server.
pub fn quiet_args(dir: &Path, today: &str) -> Vec<String> {
    ["--no-notify", "--today", today, "--state-dir"]
        .into_iter()
        .map(str::to_string)
        .chain([dir.to_str().expect("UTF-8 temp path").to_string()])
        .collect()
}

/// A running `mynawatch daemon` whose stderr (its log) is collected into [`DaemonProc::log`] as it
/// comes; killed on drop. Every test and bench that runs the daemon binary uses this one.
pub struct DaemonProc {
    child: Child,
    log: Captured,
}

impl DaemonProc {
    /// `mynawatch daemon ARGS…` on `bus` with extra environment `envs`; waits for the bus name.
    pub fn start<S: AsRef<OsStr>>(
        bus: &PrivateBus,
        args: &[S],
        envs: &[(&str, &str)],
    ) -> DaemonProc {
        let d = Self::spawn(bus, args, envs);
        wait_for(Duration::from_secs(10), "the daemon's bus name", || {
            bus.has_name(NAME).then_some(())
        });
        d
    }

    /// [`DaemonProc::start`] with [`quiet_args`].
    pub fn quiet(bus: &PrivateBus, dir: &Path, today: &str) -> DaemonProc {
        Self::start(bus, &quiet_args(dir, today), &[])
    }

    /// Like [`DaemonProc::start`] but does not wait for anything.
    pub fn spawn<S: AsRef<OsStr>>(
        bus: &PrivateBus,
        args: &[S],
        envs: &[(&str, &str)],
    ) -> DaemonProc {
        let mut child = bus
            .command(bin())
            .arg("daemon")
            .args(args)
            // The log level is the test's to set (`-v`, or RUST_LOG in `envs`), not the caller's shell's.
            .env_remove("RUST_LOG")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mynawatch daemon");
        let log = Captured::spawn(child.stderr.take().unwrap());
        DaemonProc { child, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the daemon logged so far.
    pub fn log(&self) -> String {
        self.log.text()
    }

    /// Wait until the log contains `needle`.
    pub fn wait_log(&self, needle: &str) {
        wait_for(
            Duration::from_secs(10),
            &format!("log line {needle:?}"),
            || self.log().contains(needle).then_some(()),
        );
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Fail the test (with the log) if the daemon has exited.
    pub fn assert_running(&mut self) {
        let exited = self.child.try_wait().unwrap();
        assert!(
            exited.is_none(),
            "daemon exited: {exited:?}\n{}",
            self.log()
        );
    }

    /// Wait for the daemon to exit by itself.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let status = wait_for(Duration::from_secs(10), "the daemon to exit", || {
            self.child.try_wait().unwrap()
        });
        // Let the reader thread drain the last lines.
        std::thread::sleep(Duration::from_millis(100));
        status
    }

    /// Block until the daemon exits, without polling (benches time shutdowns with it).
    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().expect("wait for the daemon")
    }

    /// Send SIGTERM (how systemd stops it).
    pub fn sigterm(&self) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
    }

    /// SIGTERM, then wait: the exit status.
    pub fn stop(&mut self) -> ExitStatus {
        self.sigterm();
        self.wait_exit()
    }

    /// SIGTERM; the daemon must exit 0 (it saves its state on the way out).
    pub fn stop_cleanly(&mut self) {
        let status = self.stop();
        assert_eq!(status.code(), Some(0), "{}", self.log());
    }
}

impl Drop for DaemonProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `busctl --address BUS ARGS…`: (success, stdout, stderr).
pub fn busctl(bus: &PrivateBus, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new("busctl")
        .args(["--address", &bus.address])
        .args(args)
        .output()
        .expect("busctl");
    let (_, stdout, stderr) = output_text(&out);
    (out.status.success(), stdout, stderr)
}

/// A property of the daemon's object as busctl prints it (e.g. `s "valid"`).
pub fn property(bus: &PrivateBus, path: &str, iface: &str, name: &str) -> String {
    let (ok, out, err) = busctl(bus, &["get-property", NAME, path, iface, name]);
    assert!(ok, "get-property {name}: {err}");
    out.trim().to_string()
}

/// The daemon answers: its Version property reads back.
pub fn answers(bus: &PrivateBus) -> bool {
    busctl(bus, &["get-property", NAME, ROOT, MANAGER, "Version"])
        .1
        .contains(env!("CARGO_PKG_VERSION"))
}

/// Write `day` into a `--today-file` (write + rename: the daemon never reads half a date).
pub fn set_today(file: &Path, day: &str) {
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, day).unwrap();
    std::fs::rename(&tmp, file).unwrap();
}
