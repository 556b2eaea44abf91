//! What every command shares: the output language, the `--registered` answer, the user's config, the
//! async runtime of the D-Bus clients, the answer when the daemon cannot be reached, and stdout.

use std::io::{self, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::dbus::client::{self, ClientError};
use crate::l10n::{self, Lang};
use crate::rules::Registration;

/// The output language of a command that does not otherwise read the config file: `--lang`, else
/// the config file's `lang` (a broken file is left to the commands that need it), else the locale
/// ([`l10n::choose`], the one decision).
pub(crate) fn lang(flag: Option<Lang>) -> Lang {
    l10n::choose(flag, user_config().ok().and_then(|c| c.lang))
}

/// The user's answer to "is this card registered for insurance use?" (`--registered` of every
/// command that takes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Answer {
    Yes,
    No,
    Unknown,
}

impl From<Answer> for Registration {
    fn from(a: Answer) -> Self {
        match a {
            Answer::Yes => Registration::Yes,
            Answer::No => Registration::No,
            Answer::Unknown => Registration::Unknown,
        }
    }
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

/// Run `body` on a fresh runtime with a connection to the daemon (started by the bus if need be).
/// A [`ClientError`] that `body` passes up with `?` ends the command as [`unreachable_exit`] says, so
/// each step that asks the daemon needs no `match` of its own.
pub(crate) fn with_daemon<F, Fut>(body: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(zbus::Connection) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<ExitCode>>,
{
    runtime()?.block_on(async {
        let result = match client::connect().await {
            Ok(conn) => body(conn).await,
            Err(e) => Err(e.into()),
        };
        match result.map_err(anyhow::Error::downcast::<ClientError>) {
            Ok(code) => Ok(code),
            Err(Ok(unreachable)) => unreachable_exit(unreachable),
            Err(Err(other)) => Err(other),
        }
    })
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
