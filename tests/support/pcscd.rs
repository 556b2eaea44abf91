//! Access to the private pcscd + vpcd started by scripts/e2e-env.sh (owned by the card layer).
//!
//! - [`e2e`]: `false` (after printing a skip line) unless `MW_E2E_DIR` is set, i.e. unless the test
//!   runs inside `scripts/e2e-env.sh`; every pcscd test starts with `if !e2e() { return; }`.
//! - [`slots`]: a process-wide lock; hold it for the whole time a test uses the vpcd slots
//!   (the pcscd socket and the two virtual readers are global to the run).
//! - [`SimCard::start`]: run `mynawatch sim-card --vpcd 127.0.0.1:PORT ARGS…` (port 35963 = reader
//!   "Virtual PCD 00 00", 35964 = "Virtual PCD 00 01") and wait until pcscd reports the card present.
//!   Dropping it kills the process (= card removed) and waits until pcscd reports the slot empty.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pcsc::{Context, ReaderState, Scope, State};

use super::{bin, wait_for};

/// vpcd port of the first virtual reader; the second is `SLOT0 + 1`.
pub const SLOT0: u16 = 35963;
pub const SLOT1: u16 = 35964;

/// Are we inside the e2e environment? Prints a skip line when not.
pub fn e2e() -> bool {
    if std::env::var_os("MW_E2E_DIR").is_some() {
        return true;
    }
    eprintln!("skipping: MW_E2E_DIR unset (run inside scripts/e2e-env.sh, see scripts/test.sh)");
    false
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

/// Is a card present in `reader` right now, per pcscd?
pub fn card_present(reader: &str) -> bool {
    let Ok(ctx) = Context::establish(Scope::User) else {
        return false;
    };
    let Ok(name) = std::ffi::CString::new(reader) else {
        return false;
    };
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    match ctx.get_status_change(Duration::ZERO, &mut states) {
        Ok(()) | Err(pcsc::Error::Timeout) => states[0].event_state().contains(State::PRESENT),
        Err(_) => false,
    }
}

/// A running `mynawatch sim-card` process: a virtual My Number Card in a vpcd slot.
pub struct SimCard {
    child: Child,
    reader: String,
    stderr: Arc<Mutex<String>>,
}

impl SimCard {
    /// Insert a virtual card into the slot of vpcd `port` with these `sim-card` arguments, and wait
    /// (up to 10 s) until pcscd sees it.
    pub fn start(port: u16, args: &[&str]) -> SimCard {
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
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                s.push_str(&line);
                s.push('\n');
            }
        });
        let card = SimCard {
            child,
            reader: reader_name(port),
            stderr,
        };
        wait_for(Duration::from_secs(10), "sim-card inserted", || {
            card.stderr().contains("inserted into").then_some(())
        });
        wait_for(Duration::from_secs(10), "pcscd to see the card", || {
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
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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
    pub fn remove(mut self) -> Option<i32> {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        self.wait_removed()
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
