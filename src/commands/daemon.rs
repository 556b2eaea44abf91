//! `mynawatch daemon`: the session-bus service. Parses its options, connects to the session bus and
//! runs [`crate::daemon::run`] until SIGTERM, SIGINT or SIGHUP.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::NaiveDate;

use crate::config::Config;
use crate::daemon::scheduler::{Clock, FileDay, FixedDay, SystemClock};
use crate::daemon::{self, DaemonError, Options};
use crate::exit::Exit;
use crate::l10n::{self, Lang};
use crate::state_dir;

#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// Where cards are remembered (default: $STATE_DIRECTORY under systemd, else
    /// $XDG_STATE_HOME/mynawatch; cards left in the other of ~/.config/mynawatch and
    /// ~/.local/state/mynawatch are carried over). With this flag: exactly DIR.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Configuration file (default: $XDG_CONFIG_HOME/mynawatch/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Language of notifications (default: lang in config.toml, else the locale, else ja).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Don't show desktop notifications (D-Bus signals are still emitted).
    #[arg(long)]
    pub no_notify: bool,
    /// Fix "today" (Japan date) for tests.
    #[arg(long, hide = true, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
    /// Read "today" (Japan date) from this file, re-read every 100 ms, for tests that move the clock.
    #[arg(long, hide = true, value_name = "FILE", conflicts_with = "today")]
    pub today_file: Option<PathBuf>,
}

pub fn run(args: DaemonArgs) -> anyhow::Result<ExitCode> {
    match serve(args) {
        Ok(()) => Ok(Exit::Success.into()),
        // Under systemd stderr is the journal: the reason is there, next to the unit's `failed`.
        Err(Stop(exit, err)) => {
            eprintln!("mynawatch: {err:#}");
            Ok(exit.into())
        }
    }
}

/// Why the daemon stopped, and the exit status that tells systemd whether a restart can help.
struct Stop(Exit, anyhow::Error);

fn stop(exit: Exit) -> impl FnOnce(anyhow::Error) -> Stop {
    move |e| Stop(exit, e)
}

fn serve(args: DaemonArgs) -> Result<(), Stop> {
    let clock: Arc<dyn Clock> = match (args.today, args.today_file) {
        (Some(day), _) => Arc::new(FixedDay(day)),
        (None, Some(path)) => Arc::new(
            FileDay::new(path)
                .map_err(anyhow::Error::msg)
                .map_err(stop(Exit::BadInput))?,
        ),
        (None, None) => Arc::new(SystemClock),
    };
    let config = match &args.config {
        Some(path) => Config::load(path).map_err(anyhow::Error::from),
        None => super::common::user_config(),
    }
    .map_err(stop(Exit::Config))?;
    let location = state_dir::resolve(args.state_dir, |k| std::env::var_os(k))
        .map_err(|e| Stop(Exit::StateDir, e.into()))?;
    tracing::debug!(dir = %location.dir.display(), origin = ?location.origin, "state directory");
    // Before the store opens it: the remembered cards may be in the other known place.
    state_dir::carry_over(&location).map_err(|e| {
        Stop(
            Exit::StateDir,
            anyhow::Error::from(e).context("cannot carry the remembered cards over"),
        )
    })?;
    let opts = Options {
        lang: l10n::choose(args.lang, config.lang),
        notify: !args.no_notify && config.notifications,
        policy: config.policy,
        clock,
        state_dir: location.dir,
        read_deadline: daemon::READ_DEADLINE,
    };
    // One thread runs the loop and zbus; blocking work (card reads, state writes, the monitor's
    // shutdown) goes to tokio's blocking pool. The daemon's state lives in one task, so more
    // workers would only cost memory (docs/performance.md has the numbers).
    // Blocking-pool threads leave half a second after their last job (tokio's default is 10 s):
    // an idle daemon then has no thread left that would wake up to time out.
    let rt = tokio::runtime::Builder::new_current_thread()
        .thread_keep_alive(std::time::Duration::from_millis(500))
        .enable_all()
        .build()
        .context("cannot start the async runtime")
        .map_err(stop(Exit::Failed))?;
    let result = rt.block_on(async {
        // Install the handlers before taking the name: systemd may stop us right after we appear.
        use tokio::signal::unix::{signal, SignalKind};
        // SIGHUP (the terminal of a hand-run daemon closed, or `systemctl kill -s HUP`) stops it
        // cleanly like SIGTERM, state saved: its default action would kill it mid-write, and
        // there is nothing to reload that a restart would not do better.
        let handlers = signal(SignalKind::terminate())
            .and_then(|term| Ok((term, signal(SignalKind::interrupt())?)))
            .and_then(|(term, int)| Ok((term, int, signal(SignalKind::hangup())?)))
            .context("installing the SIGTERM/SIGINT/SIGHUP handlers")
            .map_err(stop(Exit::Failed))?;
        let (mut term, mut int, mut hup) = handlers;
        let shutdown = async move {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
                _ = hup.recv() => "SIGHUP",
            };
            tracing::info!(signal = name, "asked to stop");
        };
        let conn = zbus::Connection::session()
            .await
            .context("cannot connect to the D-Bus session bus (is DBUS_SESSION_BUS_ADDRESS set?)")
            .map_err(stop(Exit::Failed))?;
        daemon::run(conn, opts, shutdown).await.map_err(|e| {
            let exit = exit_for(&e);
            let err = match exit {
                Exit::Unavailable => anyhow::Error::from(e),
                _ => anyhow::Error::from(e).context("the daemon stopped"),
            };
            Stop(exit, err)
        })
    });
    // A card read may still sit in a PC/SC transmit nothing can interrupt: the state is saved
    // already, so do not wait for it (the thread ends with the process).
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    result
}

/// The exit status for each way the daemon can stop (exhaustive: a new error needs a decision).
fn exit_for(e: &DaemonError) -> Exit {
    match e {
        DaemonError::AlreadyRunning => Exit::Unavailable,
        DaemonError::Store(_) => Exit::StateDir,
        // A crash of a helper task is worth a restart, like losing the bus.
        DaemonError::Bus(_)
        | DaemonError::Monitor(_)
        | DaemonError::BusLost
        | DaemonError::HelperEnded(_) => Exit::Failed,
    }
}
