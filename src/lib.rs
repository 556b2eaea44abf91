//! mynawatch: watches My Number Cards (マイナ保険証) in PC/SC readers and tells the holder, in time,
//! when the user-authentication certificate needs renewing and what to do, in Japanese and English.
//!
//! Data flows one way: reader event (`pcsc`) → card read (`card`) → rule core (`rules`) →
//! publish (`dbus`, `notify`, `store`). The binary in `main.rs` only parses the command line and calls
//! [`run`].

pub mod calendar;
pub mod card;
pub mod cli;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod dbus;
pub mod exit;
pub mod l10n;
pub mod logging;
pub mod notify;
pub mod pcsc;
pub mod portal;
pub mod readers;
pub mod rules;
pub mod state_dir;
pub mod store;
pub mod usb;

pub use commands::run;

#[cfg(test)]
mod test_util;
