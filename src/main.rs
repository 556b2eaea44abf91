//! The `mynawatch` binary: parse the command line, set up logging, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use mynawatch::exit::Exit;

fn main() -> ExitCode {
    let cli = mynawatch::cli::Cli::parse();
    mynawatch::logging::init(cli.verbose);
    match mynawatch::run(cli) {
        Ok(code) => code,
        // `mynawatch status | head -1`: the reader has what it wanted.
        Err(err) if mynawatch::commands::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mynawatch: {err:#}");
            let exit = match err.downcast_ref::<mynawatch::config::ConfigError>() {
                Some(_) => Exit::Config,
                None => Exit::BadInput,
            };
            exit.into()
        }
    }
}
