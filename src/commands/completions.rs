//! `mynawatch completions SHELL`: print a shell completion script (clap_complete) to stdout.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// Print the completion script for SHELL to stdout (`make install` puts them where shells look).
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    render(args.shell, &mut out);
    super::write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`, for the binary name `mynawatch`.
pub fn render(shell: Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "mynawatch", out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(shell: Shell) -> String {
        let mut out = Vec::new();
        render(shell, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let s = script(shell);
            assert!(s.contains("mynawatch"), "{shell}: {s}");
            assert!(s.contains("completions"), "{shell} lacks a subcommand");
            assert!(s.contains("check"), "{shell} lacks a subcommand");
        }
        assert!(script(Shell::Bash).contains("complete -F"));
        assert!(script(Shell::Zsh).starts_with("#compdef mynawatch"));
    }
}
