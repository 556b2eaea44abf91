//! The root crate's test helpers (tests/support/: private buses, pcscd + vpcd slots, the virtual
//! card, the e2e gate), shared rather than copied; `bin()` there finds the daemon binary beside
//! these tests. Only the tray binary is named here.
#![allow(dead_code)]

#[path = "../../../tests/support/mod.rs"]
mod shared;

pub use shared::*;

/// The tray binary under test.
pub fn tray_bin() -> &'static str {
    env!("CARGO_BIN_EXE_mynawatch-tray")
}
