//! `mynawatch daemon`: the session-bus service. Parses its options, connects to the session bus and
//! runs [`crate::daemon::run`] until SIGTERM or SIGINT.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::NaiveDate;

use super::status::parse_lang;
use crate::config::Config;
use crate::daemon::scheduler::{Clock, FileDay, FixedDay, SystemClock};
use crate::daemon::{self, DaemonError, Options};
use crate::rules::Lang;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// Where cards are remembered (default: $XDG_STATE_HOME/mynawatch).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Configuration file (default: $XDG_CONFIG_HOME/mynawatch/config.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Language of notifications (default: config, then the locale).
    #[arg(long, value_parser = parse_lang)]
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
    let clock: Arc<dyn Clock> = match (args.today, args.today_file) {
        (Some(day), _) => Arc::new(FixedDay(day)),
        (None, Some(path)) => Arc::new(FileDay::new(path).map_err(anyhow::Error::msg)?),
        (None, None) => Arc::new(SystemClock),
    };
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => super::user_config()?,
    };
    let state_dir = match args.state_dir {
        Some(dir) => dir,
        None => Store::default_dir()?,
    };
    let opts = Options {
        lang: args.lang.unwrap_or_else(|| config.lang()),
        notify: !args.no_notify && config.notifications,
        policy: config.policy,
        clock,
        state_dir,
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
        .context("cannot start the async runtime")?;
    let result = rt.block_on(async {
        // Install the handlers before taking the name: systemd may stop us right after we appear.
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let shutdown = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        };
        let conn = zbus::Connection::session().await.context(
            "cannot connect to the D-Bus session bus (is DBUS_SESSION_BUS_ADDRESS set?)",
        )?;
        match daemon::run(conn, opts, shutdown).await {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(e @ DaemonError::AlreadyRunning) => {
                eprintln!("mynawatch: {e}");
                Ok(ExitCode::from(1))
            }
            Err(e) => Err(e).context("the daemon stopped"),
        }
    });
    // A card read may still sit in a PC/SC transmit nothing can interrupt: the state is saved
    // already, so do not wait for it (the thread ends with the process).
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    result
}
