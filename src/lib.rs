//! mynawatch: watches My Number Cards (マイナ保険証) in PC/SC readers and tells the holder, in time,
//! when the user-authentication certificate needs renewing and what to do, in Japanese and English.
//!
//! Data flows one way: reader event (`pcsc`) → card read (`card`) → rule core (`rules`) →
//! publish (`dbus`, `notify`, `store`); `present` puts states and assessments into words. The
//! command line (`commands/`, private) is reachable only as a whole, through [`cli`]; the binary in
//! `main.rs` calls [`cli::main`].

pub(crate) mod calendar;
pub mod card;
mod commands;
pub mod config;
pub mod daemon;
pub mod dbus;
pub mod exit;
pub mod l10n;
pub mod logging;
pub mod notify;
pub mod pcsc;
pub mod portal;
pub mod present;
pub(crate) mod readers;
pub mod rules;
pub(crate) mod state_dir;
pub mod store;
pub(crate) mod usb;

/// The `mynawatch` command line as a whole: the program `main.rs` runs, and what the tray asks of it.
pub mod cli {
    pub use crate::commands::{has_subcommand, main};
}

#[cfg(test)]
mod test_util;
