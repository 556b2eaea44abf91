//! The command line (clap). Each subcommand's arguments live with its code in `commands/`.

use clap::{Parser, Subcommand};

use crate::commands;

/// mynawatch tells you, in time, when your My Number Card (マイナ保険証) needs its electronic certificate
/// renewed, and what to do — before health-insurance use lapses.
#[derive(Debug, Parser)]
#[command(name = "mynawatch", version, propagate_version = true)]
pub struct Cli {
    /// More log detail on stderr (-v debug, -vv trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge a certificate file or an expiry date, no card reader needed.
    Check(commands::check::CheckArgs),
    /// Read the My Number Card in a reader (no PIN): certificate dates, PIN retry counters, status.
    Read(commands::read::ReadArgs),
    /// Run the session-bus service: watch readers, publish card status, remind on schedule.
    Daemon(commands::daemon::DaemonArgs),
    /// Show what the running daemon knows about each card (over D-Bus).
    Status(commands::status::StatusArgs),
    /// Print the daemon's state, then every change and reminder signal as it happens.
    Watch(commands::watch::WatchArgs),
    /// Name a card ("" removes the name); the name shows in status, notifications and the calendar.
    Label(commands::cards::LabelArgs),
    /// Say whether a card is registered for health-insurance use (yes, no or unknown).
    Registered(commands::cards::RegisteredArgs),
    /// Tell the card's own expiry printed on its face (YYYY-MM-DD), or --clear it.
    CardExpires(commands::cards::CardExpiresArgs),
    /// Forget a card: its record is deleted (it is remembered anew when read again).
    Forget(commands::cards::ForgetArgs),
    /// Re-read the cards in the readers and re-evaluate every remembered card for today.
    Refresh(commands::cards::RefreshArgs),
    /// Remember a card without a reader, from the dates on its face (or in マイナポータル).
    Add(commands::add::AddArgs),
    /// Check step by step why a card put into a reader might not be noticed, and say what to do.
    ///
    /// The steps: the configuration file is valid; pcscd answers (it is started by pcscd.socket); the
    /// readers pcscd sees, and USB devices that look like readers but that no installed driver lists
    /// (pcscd only loads a reader whose USB id a driver's Info.plist lists: the Sony RC-S380 does not
    /// work on Linux, the RC-S300 needs libccid 1.4.35 or newer, the ACS ACR1251 needs libacsccid1);
    /// a card in a reader and whether it can be read (as the running daemon reports it, else read
    /// here: the certificate only, nothing of it is shown); the daemon running, started at login
    /// (systemctl --user is-enabled) and startable by D-Bus (its activation file); a notification
    /// server on the session bus; the state directory writable. Each finding is ok, info, warning or
    /// error, with what to do; the exit status is 0 (nothing wrong), 5 (warnings) or 6 (errors). Needs
    /// no root, changes nothing, never starts the daemon and never reads a PIN.
    Doctor(commands::doctor::DoctorArgs),
    /// Write the cards' deadlines as an iCalendar (.ics) file, one all-day event with an alarm each.
    Calendar(commands::calendar::CalendarArgs),
    /// Serve a virtual My Number Card to pcscd through vpcd (tests and demos; built only with the
    /// `sim` feature, and hidden so the manual and completions are the product's either way).
    #[cfg(feature = "sim")]
    #[command(hide = true)]
    SimCard(commands::sim_card::SimCardArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(commands::completions::CompletionsArgs),
    /// Print the manual page (roff) to stdout.
    Man(commands::man::ManArgs),
    /// The CARD candidates for shell completion (called by the completion scripts).
    #[command(name = "__complete-cards", hide = true)]
    CompleteCards,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
