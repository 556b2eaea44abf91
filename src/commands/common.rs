//! What every command shares: `--lang` parsing and the locale's language, the user's config, the
//! async runtime of the D-Bus clients, the answer when the daemon cannot be reached, and stdout.

use std::io::{self, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::dbus::client::ClientError;
use crate::l10n::{self, Lang};

pub(crate) fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// The language from LC_ALL / LC_MESSAGES / LANG, Japanese when none says otherwise.
pub(crate) fn lang_from_env() -> Lang {
    l10n::from_env(|k| std::env::var(k).ok())
}

/// A current-thread runtime: the clients do one thing at a time.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// "No bus" and "no daemon" are answers, not failures: one line on stderr (with the reason the
/// bus gave) and exit 1.
pub(crate) fn unreachable_exit(err: ClientError) -> anyhow::Result<ExitCode> {
    match err {
        ClientError::NoBus(_)
        | ClientError::NoDaemon
        | ClientError::NotActivatable
        | ClientError::StartFailed { .. } => {
            eprintln!("mynawatch: {err}");
            Ok(ExitCode::from(1))
        }
        ClientError::Bus(e) => Err(e).context("reading the daemon's state over D-Bus"),
    }
}

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
