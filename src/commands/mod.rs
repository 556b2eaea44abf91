//! One module per subcommand: its arguments and its `run`. `main.rs` calls [`run`].

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod check;
pub mod completions;
pub mod daemon;
pub mod man;
pub mod read;
pub mod sim_card;
pub mod status;
pub mod watch;

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
    }
}
