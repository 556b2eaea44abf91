//! `mynawatch-tray`: a StatusNotifierItem with a `com.canonical.dbusmenu` menu that shows the state
//! of the cards the mynawatch daemon remembers. A pure client of the daemon's D-Bus API: it reads
//! snapshots (`model` turns them into what is shown), serves the item (`item`) and its menu (`menu`),
//! and carries out clicks (`actions`) as daemon method calls.
//!
//! Written on zbus 6 directly rather than with the `ksni` crate: see docs/architecture.md ("Tray").

pub mod actions;
pub mod daemon;
pub mod item;
pub mod menu;
pub mod model;
mod text;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use mynawatch::l10n::Lang;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;
use zbus::Connection;

use item::{Item, Look, ITEM_PATH};
use menu::{Capabilities, Menu, MenuAction, MENU_PATH};
use model::DaemonState;

/// How to run the tray (from the command line and the environment).
#[derive(Clone, Debug)]
pub struct Options {
    pub lang: Lang,
    /// `IconThemePath` for hosts: a directory holding `hicolor/…` (empty: the standard themes).
    pub icon_theme_path: String,
    pub capabilities: Capabilities,
    pub actions: actions::Env,
}

/// Is `program` on PATH?
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program)))
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Does the `mynawatch` command of this version (the same library) have subcommand `name`?
pub fn cli_has(name: &str) -> bool {
    mynawatch::cli::has_subcommand(name)
}

/// The `mynawatch` command: beside this binary (installed together, or both in target/), else PATH.
pub fn cli_beside(exe: Option<PathBuf>) -> PathBuf {
    exe.and_then(|e| Some(e.parent()?.join("mynawatch")))
        .filter(|p| is_executable(p))
        .unwrap_or_else(|| PathBuf::from("mynawatch"))
}

/// The icons of an installation under PREFIX (`PREFIX/bin/mynawatch-tray` →
/// `PREFIX/share/icons`), for hosts that only search the standard places.
pub fn installed_icons(exe: Option<PathBuf>) -> Option<PathBuf> {
    let icons = exe?.parent()?.parent()?.join("share/icons");
    icons
        .join("hicolor/scalable/status/mynawatch-ok.svg")
        .is_file()
        .then_some(icons)
}

/// Serve the item until `shutdown` or "Quit" in the menu.
pub async fn run(opts: Options, shutdown: CancellationToken) -> anyhow::Result<()> {
    let conn = Connection::session()
        .await
        .context("cannot connect to the D-Bus session bus; is DBUS_SESSION_BUS_ADDRESS set?")?;
    let lang = opts.lang;
    let mut state = DaemonState::Starting;
    let view = model::view(&state, lang);
    let (clicks_tx, mut clicks) = mpsc::unbounded_channel();
    let item = Item::new(Look::of(&view), opts.icon_theme_path.clone());
    let menu = Menu::new(menu::build(&view, opts.capabilities, lang), clicks_tx);
    conn.object_server().at(ITEM_PATH, item.clone()).await?;
    conn.object_server().at(MENU_PATH, menu.clone()).await?;
    // The name the spec suggests (org.kde.StatusNotifierItem-PID-ID): some hosts expect it.
    let service = format!("org.kde.StatusNotifierItem-{}-1", std::process::id());
    conn.request_name(service.as_str())
        .await
        .with_context(|| format!("cannot own {service}"))?;

    let changed = Arc::new(Notify::new());
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(item::keep_registered(conn.clone(), service));
    tasks.spawn(daemon::watch(conn.clone(), changed.clone()));

    // The first look starts the daemon if it is not running (D-Bus activation).
    state = daemon::look(&conn, true).await;
    show(&conn, &item, &menu, &state, &opts).await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = changed.notified() => {
                state = daemon::look(&conn, false).await;
                show(&conn, &item, &menu, &state, &opts).await;
            }
            Some(action) = clicks.recv() => {
                if action == MenuAction::Quit {
                    tracing::info!("quit from the menu");
                    break;
                }
                let (conn, env, changed) = (conn.clone(), opts.actions.clone(), changed.clone());
                tokio::spawn(async move {
                    actions::run(conn, env, action).await;
                    // "Check now" may have started the daemon; look again in any case.
                    changed.notify_one();
                });
            }
            Some(done) = tasks.join_next() => {
                match done {
                    Ok(Ok(())) => anyhow::bail!("the session bus connection closed"),
                    Ok(Err(e)) => return Err(e).context("following the bus failed"),
                    Err(e) => return Err(e).context("a tray task died"),
                }
            }
        }
    }
    Ok(())
}

async fn show(conn: &Connection, item: &Item, menu: &Menu, state: &DaemonState, opts: &Options) {
    let view = model::view(state, opts.lang);
    if let Err(e) = item.set(conn, Look::of(&view)).await {
        tracing::warn!("cannot update the tray item: {e}");
    }
    if let Some(revision) = menu.set(menu::build(&view, opts.capabilities, opts.lang)) {
        let sent = async {
            let e = zbus::object_server::SignalEmitter::new(conn, MENU_PATH)?;
            Menu::layout_updated(&e, revision, 0).await
        }
        .await;
        if let Err(e) = sent {
            tracing::warn!("cannot announce the new menu: {e}");
        }
    }
}
