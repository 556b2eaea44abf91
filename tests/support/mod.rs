//! Helpers shared by the integration tests: real pcscd/vpcd slots, private buses, notification server.
//! Each test binary uses only some of them.
#![allow(dead_code)]

pub mod bus;
pub mod daemon;
pub mod pcscd;
pub mod procfs;

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

/// The built binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mynawatch")
}
