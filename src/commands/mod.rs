//! The `mynawatch` command line: [`Cli`] (clap) and one module per subcommand, holding its
//! arguments and its `run`; `common` is what they share. The words they print live in
//! [`crate::present`] (and the rule core's own texts). `src/main.rs` only calls [`main`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::Exit;

mod add;
mod calendar;
mod cards;
mod check;
mod common;
mod completions;
mod daemon;
mod doctor;
mod man;
mod read;
#[cfg(feature = "sim")]
mod sim_card;
mod status;
mod watch;

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
    Check(check::CheckArgs),
    /// Read the My Number Card in a reader (no PIN): certificate dates, PIN retry counters, status.
    Read(read::ReadArgs),
    /// Run the session-bus service: watch readers, publish card status, remind on schedule.
    Daemon(daemon::DaemonArgs),
    /// Show what the running daemon knows about each card (over D-Bus).
    Status(status::StatusArgs),
    /// Print the daemon's state, then every change and reminder signal as it happens.
    Watch(watch::WatchArgs),
    /// Name a card ("" removes the name); the name shows in status, notifications and the calendar.
    Label(cards::LabelArgs),
    /// Say whether a card is registered for health-insurance use (yes, no or unknown).
    Registered(cards::RegisteredArgs),
    /// Tell the card's own expiry printed on its face (YYYY-MM-DD), or --clear it.
    CardExpires(cards::CardExpiresArgs),
    /// Forget a card: its record is deleted (it is remembered anew when read again).
    Forget(cards::ForgetArgs),
    /// Re-read the cards in the readers and re-evaluate every remembered card for today.
    Refresh(cards::RefreshArgs),
    /// Remember a card without a reader, from the dates on its face (or in マイナポータル).
    Add(add::AddArgs),
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
    Doctor(doctor::DoctorArgs),
    /// Write the cards' deadlines as an iCalendar (.ics) file, one all-day event with an alarm each.
    Calendar(calendar::CalendarArgs),
    /// Serve a virtual My Number Card to pcscd through vpcd (tests and demos; built only with the
    /// `sim` feature, and hidden so the manual and completions are the product's either way).
    #[cfg(feature = "sim")]
    #[command(hide = true)]
    SimCard(sim_card::SimCardArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff) to stdout.
    Man(man::ManArgs),
    /// The CARD candidates for shell completion (called by the completion scripts).
    #[command(name = "__complete-cards", hide = true)]
    CompleteCards,
}

/// The whole program: parse the command line, set up logging, run, map errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::logging::init(cli.verbose);
    match run(cli) {
        Ok(code) => code,
        // `mynawatch status | head -1`: the reader has what it wanted.
        Err(err) if common::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mynawatch: {err:#}");
            let exit = match err.downcast_ref::<crate::config::ConfigError>() {
                Some(_) => Exit::Config,
                None => Exit::BadInput,
            };
            exit.into()
        }
    }
}

/// Does this build's command line have subcommand `name`? (The tray offers what the `mynawatch`
/// beside it can do.)
pub fn has_subcommand(name: &str) -> bool {
    <Cli as clap::CommandFactory>::command()
        .find_subcommand(name)
        .is_some()
}

/// Run the parsed command line. Errors bubble up to [`main`], which prints them and exits 2.
fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Read(args) => read::run(args),
        #[cfg(feature = "sim")]
        Command::SimCard(args) => sim_card::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Daemon(args) => daemon::run(args),
        Command::Status(args) => status::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Label(args) => cards::run_label(args),
        Command::Registered(args) => cards::run_registered(args),
        Command::CardExpires(args) => cards::run_card_expires(args),
        Command::Forget(args) => cards::run_forget(args),
        Command::Refresh(args) => cards::run_refresh(args),
        Command::Add(args) => add::run(args),
        Command::Calendar(args) => calendar::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::CompleteCards => cards::run_complete_cards(),
    }
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
