//! The `mynawatch-tray` binary: parse the command line, set up logging, run until quit or signal.

use std::process::ExitCode;

use clap::Parser;
use mynawatch::l10n::Lang;
use mynawatch_tray::{actions, menu::Capabilities, Options};
use tokio_util::sync::CancellationToken;

/// Tray indicator for mynawatch: shows the state of your My Number Cards (マイナ保険証) in the
/// panel, with a menu to answer the insurance question, open the guide and export the deadlines.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Language of the menu and tooltip (default: config.toml's `lang`, else the locale).
    #[arg(long, value_enum)]
    lang: Option<Lang>,
    /// A directory with hicolor/… icons for the panel (default: the installed theme).
    #[arg(long, env = "MYNAWATCH_TRAY_ICONS")]
    icons: Option<std::path::PathBuf>,
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    mynawatch::logging::init(cli.verbose);
    let lang = cli.lang.unwrap_or_else(|| {
        let config = mynawatch::config::Config::default_path()
            .map(|p| mynawatch::config::Config::load(&p))
            .transpose();
        match config {
            Ok(c) => c.unwrap_or_default().lang(),
            Err(e) => {
                tracing::warn!("{e:#}; using the locale's language");
                mynawatch::config::Config::default().lang()
            }
        }
    });
    let exe = std::env::current_exe().ok();
    let home = directories::BaseDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .unwrap_or_else(|| ".".into());
    let opts = Options {
        lang,
        icon_theme_path: cli
            .icons
            .or_else(|| mynawatch_tray::installed_icons(exe.clone()))
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        capabilities: Capabilities {
            date_dialog: mynawatch_tray::on_path("zenity"),
            calendar: mynawatch_tray::cli_has("calendar"),
        },
        actions: actions::Env {
            lang,
            cli: mynawatch_tray::cli_beside(exe),
            calendar_file: home.join("mynawatch.ics"),
        },
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mynawatch-tray: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let shutdown = CancellationToken::new();
    let result = runtime.block_on(async {
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            stop.cancel();
        });
        mynawatch_tray::run(opts, shutdown).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mynawatch-tray: {e:#}");
            ExitCode::from(2)
        }
    }
}
