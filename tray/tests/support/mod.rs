//! The root crate's test helpers (tests/support/: private buses, pcscd + vpcd slots, the virtual
//! card), shared rather than copied. Only `bin` and `wait_for` differ: from this crate the daemon
//! binary is found beside the test executable, where `cargo build`/`cargo test` at the root put it.
#![allow(dead_code)]

#[path = "../../../tests/support/bus.rs"]
pub mod bus;
#[path = "../../../tests/support/daemon.rs"]
pub mod daemon;
#[path = "../../../tests/support/pcscd.rs"]
pub mod pcscd;

use std::path::PathBuf;
use std::sync::OnceLock;
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

/// The daemon binary (`mynawatch`), built by the same `cargo build`/`cargo test` as this test:
/// target/<profile>/deps/<test> → target/<profile>/mynawatch.
pub fn bin() -> &'static str {
    static BIN: OnceLock<String> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let path: PathBuf = exe
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

/// The tray binary under test.
pub fn tray_bin() -> &'static str {
    env!("CARGO_BIN_EXE_mynawatch-tray")
}
