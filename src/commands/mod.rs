//! One module per subcommand: its arguments and its `run`. `main.rs` calls [`run`].

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod add;
pub mod cards;
pub mod check;
pub mod completions;
pub mod daemon;
pub mod man;
pub mod read;
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

/// Run the parsed command line. Errors bubble up to `main`, which prints them and exits 2.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Read(args) => read::run(args),
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
        Command::CompleteCards => cards::run_complete_cards(),
    }
}
