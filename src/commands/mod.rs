//! One module per subcommand: its arguments and its `run`. `main.rs` calls [`run`].

use std::io::{self, Write as _};
use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod add;
pub mod calendar;
pub mod cards;
pub mod check;
pub mod completions;
pub mod daemon;
pub mod doctor;
pub mod man;
pub mod read;
#[cfg(feature = "sim")]
pub mod sim_card;
pub mod status;
pub mod watch;

/// The user's config file (language, reminder thresholds, rule policy); defaults when there is none.
/// A broken file is an error naming the file and line, not a silent fallback.
pub(crate) fn user_config() -> anyhow::Result<crate::config::Config> {
    Ok(match crate::config::Config::default_path() {
        Some(path) => crate::config::Config::load(&path)?,
        None => crate::config::Config::default(),
    })
}

/// Write program output to stdout. Every command writes through this (or a locked stdout with `?`),
/// so a closed stdout comes back as an error instead of a panic, and `main` ends quietly on it
/// ([`is_broken_pipe`]): `mynawatch status --json | head -c1` is not a failure.
pub(crate) fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// Did the command end because its stdout was closed (`| head`)? Then it did its job: exit 0, quietly.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Run the parsed command line. Errors bubble up to `main`, which prints them and exits 2.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
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
