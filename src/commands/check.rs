//! `mynawatch check`: judge a certificate (file or expiry date) with no card reader at all.

use std::process::ExitCode;

/// Judge a certificate file or an expiry date and print the status and next steps.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("not implemented yet")
}
