//! Helpers shared by the integration tests: real pcscd/vpcd slots, private buses, notification server.
//! Each test binary uses only some of them.
//!
//! The e2e gate: a test that needs the environment of scripts/e2e-env.sh (pcscd + vpcd, root in a
//! private mount namespace) or a system tool (systemd-analyze, udevadm, make, zsh, fish, …) is marked
//! `#[ignore = "e2e: run by scripts/test.sh"]`, so plain `cargo test` reports it as *ignored*, never
//! as passed. scripts/test.sh runs every test with `--include-ignored` and `MYNAWATCH_E2E=1` inside
//! e2e-env.sh; there, and whenever such a test is run at all, [`pcscd::require`] and [`require_tool`]
//! fail the test when what it needs is missing — a missing environment is never a silent pass.
#![allow(dead_code)]

pub mod bus;
pub mod cli;
pub mod client;
pub mod daemon;
pub mod pcscd;
pub mod procfs;
pub mod ship;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Poll `cond` until it returns `Some` or `timeout` passes. Tests wait for events, never fixed sleeps.
pub fn wait_for<T>(timeout: Duration, what: &str, mut cond: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = cond() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The built binary under test. The tray crate's tests (tray/tests/) share these helpers; cargo
/// names the binary only for this package's tests, so there it is found where the same workspace
/// build put it: target/<profile>/deps/<test> → target/<profile>/mynawatch.
pub fn bin() -> &'static str {
    if let Some(own) = option_env!("CARGO_BIN_EXE_mynawatch") {
        return own;
    }
    static BESIDE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BESIDE.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let path = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("target/<profile>/deps")
            .join("mynawatch");
        assert!(
            path.is_file(),
            "{} is missing: build the workspace first (`cargo build` at the root)",
            path.display()
        );
        path.display().to_string()
    })
}

/// Take from `cmd` the environment that would change what a mynawatch command prints or where its
/// log goes (locale, log filter, journal), so a test sees the same output on every machine.
pub fn neutral_env(cmd: &mut Command) -> &mut Command {
    for var in [
        "LC_ALL",
        "LC_MESSAGES",
        "LANG",
        "RUST_LOG",
        "JOURNAL_STREAM",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `sh -c SCRIPT` started through `launcher` (`unshare --mount`, `setsid --fork`: a shell that
/// must live apart from this test's process), none of the test's stdin, stdout or stderr given.
pub fn detached_sh(launcher: &[&str], script: &str) -> Command {
    let (program, args) = launcher.split_first().expect("a launcher");
    let mut cmd = Command::new(program);
    cmd.args(args)
        .args(["sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// A finished command's exit code, stdout and stderr (lossy UTF-8).
pub fn output_text(out: &Output) -> (Option<i32>, String, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A child process that is killed and reaped when dropped (a failing test leaves nothing behind).
pub struct Reaped(pub Child);

impl std::ops::Deref for Reaped {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines of a pipe (a child's stderr or stdout), collected on a thread as they come, so the
/// writer never blocks; [`Captured::text`] is everything so far.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<String>>);

impl Captured {
    pub fn spawn(pipe: impl Read + Send + 'static) -> Captured {
        let captured = Captured::default();
        let sink = captured.0.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                s.push_str(&line);
                s.push('\n');
            }
        });
        captured
    }

    pub fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Fail the test unless `tool` can be run (`tool --version`). For tests marked
/// `#[ignore = "e2e: …"]` (see the module doc): once such a test runs, a missing tool is a failure.
pub fn require_tool(tool: &str) {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    assert!(found, "{tool} is not installed: {}", missing_hint());
}

/// What to tell someone whose e2e test lacks its environment.
pub fn missing_hint() -> &'static str {
    if std::env::var_os("MYNAWATCH_E2E").is_some() {
        "MYNAWATCH_E2E is set, so this environment must be complete (scripts/install-deps.sh installs \
         the tools; scripts/test.sh runs the tests inside scripts/e2e-env.sh)"
    } else {
        "this e2e test runs only in its environment: use ./scripts/test.sh (plain `cargo test` \
         reports it as ignored)"
    }
}
