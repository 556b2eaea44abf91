//! `mynawatch status`: ask the running daemon over D-Bus what it knows about each card, print it once.

use std::process::ExitCode;

use super::common::{with_daemon, write_stdout};
use crate::dbus::client;
use crate::l10n::Lang;
use crate::present;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON (the same fields as the D-Bus properties, snake_case) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Language of the text output (default: lang in config.toml, else the locale, else ja).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

pub fn run(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let lang = super::common::lang(args.lang);
    with_daemon(|conn| async move {
        let snap = client::snapshot(&conn).await?;
        let text = if args.json {
            serde_json::to_string_pretty(&snap)? + "\n"
        } else {
            present::report(&snap, lang)
        };
        write_stdout(text.as_bytes())?;
        Ok(ExitCode::SUCCESS)
    })
}
