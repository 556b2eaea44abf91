//! Access to the private pcscd + vpcd started by scripts/e2e-env.sh (owned by the card layer).
//!
//! - [`require`]: fails the test unless it runs inside `scripts/e2e-env.sh` (`MW_E2E_DIR` set);
//!   every pcscd test is `#[ignore = "e2e: run by scripts/test.sh"]` and starts with `require()`.
//! - [`e2e`]: [`require`] and then [`slots`], how a test that uses the vpcd slots begins.
//! - [`slots`]: a process-wide lock; hold it for the whole time a test uses the vpcd slots
//!   (the pcscd socket and the two virtual readers are global to the run).
//! - [`SimCard::start`]: run `mynawatch sim-card --vpcd 127.0.0.1:PORT ARGS…` (port 35963 = reader
//!   "Virtual PCD 00 00", 35964 = "Virtual PCD 00 01") and wait until pcscd reports the card present.
//!   Dropping it kills the process (= card removed) and waits until pcscd reports the slot empty.
//! - [`PcscdControl`]: stop (SIGTERM/SIGKILL) and restart the environment's pcscd for outage tests,
//!   always leaving one running for the later tests (tests/monitor_pcscd.rs, tests/soak.rs).

use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use pcsc::{Context, ReaderState, Scope, State};

use super::{bin, wait_for, Captured};

/// vpcd port of the first virtual reader; the second is `SLOT0 + 1`.
pub const SLOT0: u16 = 35963;
pub const SLOT1: u16 = 35964;

/// `sim-card` arguments of a certificate renewed early (issued 2021-04-01, more than five years
/// before its expiry on 2026-06-20: the card itself needs replacing) with one PIN try left.
pub const RENEWED_EARLY_LAST_PIN_TRY: [&str; 6] = [
    "--issued",
    "2021-04-01",
    "--expires",
    "2026-06-20",
    "--auth-tries",
    "1",
];

/// Fail the test unless it runs inside the e2e environment (scripts/e2e-env.sh sets `MW_E2E_DIR`).
pub fn require() {
    assert!(
        std::env::var_os("MW_E2E_DIR").is_some(),
        "needs pcscd + vpcd from scripts/e2e-env.sh (MW_E2E_DIR is unset): {}",
        super::missing_hint()
    );
}

/// [`require`], then [`slots`]: how a test that uses pcscd and the vpcd slots begins.
pub fn e2e() -> MutexGuard<'static, ()> {
    require();
    slots()
}

/// The lock on the vpcd slots for this test binary. A panicking test poisons nothing for the others.
pub fn slots() -> MutexGuard<'static, ()> {
    static SLOTS: Mutex<()> = Mutex::new(());
    SLOTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// pcscd's name of the reader served by vpcd `port`.
pub fn reader_name(port: u16) -> String {
    format!("Virtual PCD 00 {:02}", port - SLOT0)
}

/// `reader`'s state right now, per pcscd (`None`: pcscd or the reader cannot be asked).
pub fn reader_state(reader: &str) -> Option<State> {
    let ctx = Context::establish(Scope::User).ok()?;
    let name = std::ffi::CString::new(reader).ok()?;
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    match ctx.get_status_change(Duration::ZERO, &mut states) {
        Ok(()) | Err(pcsc::Error::Timeout) => Some(states[0].event_state()),
        Err(_) => None,
    }
}

/// Is a card present in `reader` right now, per pcscd?
pub fn card_present(reader: &str) -> bool {
    reader_state(reader).is_some_and(|s| s.contains(State::PRESENT))
}

/// pcscd sees a card in `reader` and no client holds it: no command is in flight. Pulling a card
/// while pcscd still waits for the answer to a command of a client that was killed leaves the vpcd
/// reader stuck, and the next card in that slot is never seen.
pub fn card_idle(reader: &str) -> bool {
    reader_state(reader).is_some_and(|s| s.contains(State::PRESENT) && !s.contains(State::INUSE))
}

/// Fail clearly when the binary under test was built without the virtual card (the `sim` feature,
/// off in the shipped binary): the e2e tests need `--features sim`, which scripts/test.sh passes.
pub fn require_sim_card() {
    static CHECKED: std::sync::Once = std::sync::Once::new();
    CHECKED.call_once(|| {
        let ok = Command::new(bin())
            .args(["sim-card", "--help"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "{} has no `sim-card`: build the tests with `--features sim` (scripts/test.sh does)",
            bin()
        );
    });
}

/// A running `mynawatch sim-card` process: a virtual My Number Card in a vpcd slot.
pub struct SimCard {
    child: Child,
    reader: String,
    stderr: Captured,
    /// Started with `--stats`: it prints its counters on exit.
    stats: bool,
}

impl SimCard {
    /// Insert a virtual card into the slot of vpcd `port` with these `sim-card` arguments, and wait
    /// (up to 10 s) until pcscd sees it.
    pub fn start(port: u16, args: &[&str]) -> SimCard {
        require_sim_card();
        let mut child = Command::new(bin())
            .arg("sim-card")
            .arg("--vpcd")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mynawatch sim-card");
        let stderr = Captured::spawn(child.stderr.take().expect("piped stderr"));
        let card = SimCard {
            child,
            reader: reader_name(port),
            stderr,
            stats: args.contains(&"--stats"),
        };
        wait_for(Duration::from_secs(10), "sim-card inserted", || {
            card.stderr().contains("inserted into").then_some(())
        });
        wait_for(Duration::from_secs(30), "pcscd to see the card", || {
            card_present(&card.reader).then_some(())
        });
        card
    }

    /// The pcscd reader name of this card's slot.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Everything the sim-card process wrote to stderr so far (its log).
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Wait until the process has exited by itself (e.g. `--remove-after-apdus`) and pcscd sees the
    /// slot empty; returns its exit code.
    pub fn wait_removed(&mut self) -> Option<i32> {
        let code = wait_for(Duration::from_secs(10), "sim-card to exit", || {
            self.child.try_wait().ok().flatten()
        });
        wait_for(
            Duration::from_secs(10),
            "pcscd to see the slot empty",
            || (!card_present(&self.reader)).then_some(()),
        );
        code.code()
    }

    /// Remove the card with SIGTERM and return the exit code (0 expected).
    pub fn remove(self) -> Option<i32> {
        self.remove_with_log().0
    }

    /// Remove the card with SIGTERM; its exit code and everything it logged, including what it
    /// prints on exit (`--stats`).
    pub fn remove_with_log(mut self) -> (Option<i32>, String) {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let code = self.wait_removed();
        // The pipe is at its end once the process is gone: wait for the reader thread to drain it.
        let log = wait_for(Duration::from_secs(5), "sim-card's last log line", || {
            let log = self.stderr();
            (!self.stats || log.contains("sim-card stats:")).then_some(log)
        });
        (code, log)
    }

    /// Commands the card has answered so far, from its trace log (needs `-vv` in its arguments).
    pub fn apdus_answered(&self) -> usize {
        self.stderr()
            .lines()
            .filter(|l| l.contains("virtual card command"))
            .count()
    }
}

impl Drop for SimCard {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // Leave the slot empty for the next test (best effort: never panic in drop).
        for _ in 0..250 {
            if !card_present(&self.reader) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The pid's state letter and parent, from /proc (`None` once it is gone).
fn proc_stat(pid: i32) -> Option<(char, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …"; comm may contain spaces, so split after the last ')'.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
    let state = rest.next()?.chars().next()?;
    Some((state, rest.next()?.parse().ok()?))
}

/// pcscd writes its pid with a newline and a NUL.
fn parse_pid_file(text: &str) -> Option<i32> {
    text.trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .parse()
        .ok()
}

/// Is `pid` running (not gone, not a zombie waiting for its parent)?
fn running(pid: i32) -> bool {
    proc_stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

/// Is vpcd (hence pcscd) listening on the first slot? Never probe the port by connecting: that would
/// insert a card.
pub fn vpcd_listening() -> bool {
    Command::new("ss")
        .args(["-Hltn", &format!("sport = :{SLOT0}")])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false)
}

fn e2e_dir() -> String {
    std::env::var("MW_E2E_DIR").expect("MW_E2E_DIR")
}

fn pcscd_log() -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(format!("{}/pcscd.log", e2e_dir()))
        .expect("open pcscd.log")
}

/// Which pcscd is running now.
enum Running {
    /// Started by scripts/e2e-env.sh or by an earlier test's watcher: not our child.
    Foreign(i32),
    /// Our own child.
    Ours(Child),
    Stopped,
}

/// Control of the e2e environment's pcscd for outage tests: stop it (SIGTERM like systemd, or
/// SIGKILL like a crash) and start it again, as often as needed. Whatever happens, a pcscd is left
/// running for the later tests and test binaries: on drop (or [`PcscdControl::leave_running`]) it
/// is started by a small detached watcher shell that stops it when the environment ends (its temp dir
/// is removed or its script exits), since the environment only knows the pcscd it started itself.
pub struct PcscdControl {
    current: Running,
}

impl PcscdControl {
    /// Take over the running pcscd (pid from its pid file in the private /run/pcscd); fails the test
    /// outside the e2e environment. Hold [`slots`] while using it.
    pub fn take() -> PcscdControl {
        require();
        let pid = std::fs::read_to_string("/run/pcscd/pcscd.pid")
            .ok()
            .and_then(|s| parse_pid_file(&s))
            .filter(|&p| running(p))
            .expect("no running pcscd in /run/pcscd/pcscd.pid (scripts/e2e-env.sh starts one)");
        PcscdControl {
            current: Running::Foreign(pid),
        }
    }

    /// Stop the running pcscd with `signal` (`libc::SIGTERM`, `libc::SIGKILL`) and wait until it is gone.
    pub fn kill(&mut self, signal: i32) {
        match std::mem::replace(&mut self.current, Running::Stopped) {
            Running::Foreign(pid) => {
                // SAFETY: plain kill(2).
                assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill pcscd {pid}");
                wait_for(Duration::from_secs(10), "pcscd to stop", || {
                    (!running(pid)).then_some(())
                });
            }
            Running::Ours(mut child) => {
                // SAFETY: plain kill(2) on our own child.
                unsafe { libc::kill(child.id() as i32, signal) };
                let _ = child.wait();
            }
            Running::Stopped => panic!("pcscd is not running"),
        }
        wait_for(Duration::from_secs(10), "vpcd to close its port", || {
            (!vpcd_listening()).then_some(())
        });
    }

    /// Start a pcscd of our own (log appended to $MW_E2E_DIR/pcscd.log) and wait until vpcd listens.
    pub fn start(&mut self) {
        assert!(
            matches!(self.current, Running::Stopped),
            "pcscd is already running"
        );
        // After a SIGKILL the old pid file and socket stay; pcscd starts anyway once the old pid is
        // dead, but a parent that has not reaped it yet keeps it "alive": retry a few times.
        for _ in 0..20 {
            let mut child = Command::new("pcscd")
                .args(["--foreground", "--debug", "--apdu"])
                .stdin(Stdio::null())
                .stdout(Stdio::from(pcscd_log()))
                .stderr(Stdio::from(pcscd_log()))
                .spawn()
                .expect("start pcscd");
            let up = wait_for(Duration::from_secs(10), "pcscd to come up", || {
                if vpcd_listening() {
                    Some(true)
                } else if child.try_wait().ok().flatten().is_some() {
                    Some(false)
                } else {
                    None
                }
            });
            if up {
                self.current = Running::Ours(child);
                return;
            }
            let _ = child.wait(); // already exited: reap it
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("pcscd did not start (see $MW_E2E_DIR/pcscd.log)");
    }

    /// The running pcscd's pid, if one runs.
    pub fn pid(&self) -> Option<i32> {
        match &self.current {
            Running::Foreign(pid) => Some(*pid),
            Running::Ours(child) => Some(child.id() as i32),
            Running::Stopped => None,
        }
    }

    /// Leave a pcscd running for the rest of the environment (see the type's doc) and wait until
    /// vpcd listens.
    pub fn leave_running(mut self) {
        self.hand_over();
    }

    fn hand_over(&mut self) {
        match std::mem::replace(&mut self.current, Running::Stopped) {
            Running::Foreign(pid) => {
                self.current = Running::Foreign(pid);
                return;
            }
            Running::Ours(mut child) => {
                // SAFETY: plain kill(2) on our own child.
                unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
                let _ = child.wait();
            }
            Running::Stopped => {}
        }
        let env_pid = environment_pid();
        let dir = e2e_dir();
        let script = format!(
            "pcscd --foreground --debug --apdu >>'{dir}/pcscd.log' 2>&1 & p=$!; \
             while [ -d '{dir}' ] && kill -0 {env_pid} 2>/dev/null && kill -0 $p 2>/dev/null; \
             do sleep 1; done; kill $p 2>/dev/null; wait"
        );
        // --fork: the watcher is nobody's child here, so nothing is left to wait for.
        let status = super::detached_sh(&["setsid", "--fork"], &script)
            .status()
            .expect("start the pcscd watcher");
        assert!(status.success());
        wait_for(Duration::from_secs(10), "pcscd to come back", || {
            vpcd_listening().then_some(())
        });
        let pid = wait_for(Duration::from_secs(10), "pcscd's pid file", || {
            std::fs::read_to_string("/run/pcscd/pcscd.pid")
                .ok()
                .and_then(|s| parse_pid_file(&s))
                .filter(|&p| running(p))
        });
        self.current = Running::Foreign(pid);
    }
}

impl Drop for PcscdControl {
    fn drop(&mut self) {
        if !matches!(self.current, Running::Foreign(_)) {
            self.hand_over();
        }
    }
}

/// The pid of scripts/e2e-env.sh: the nearest ancestor that did not inherit `MW_E2E_DIR` (the
/// script exports it itself, so its own start-up environment lacks it).
fn environment_pid() -> i32 {
    let mut pid = std::process::id() as i32;
    loop {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let has = environ
            .split(|&b| b == 0)
            .any(|kv| kv.starts_with(b"MW_E2E_DIR="));
        if !has {
            return pid;
        }
        match proc_stat(pid) {
            Some((_, parent)) if parent > 1 => pid = parent,
            _ => return pid,
        }
    }
}
