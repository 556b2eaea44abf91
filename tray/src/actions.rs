//! Carrying out a menu click: daemon method calls, the date dialog, the guide, the calendar file.
//! Each runs in its own task so the menu never waits; a failure becomes a desktop notification
//! (and a log line), because the person clicking has no terminal to read.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use mynawatch::dbus::{CardProxy, ManagerProxy, ROOT_PATH};
use mynawatch::l10n::Lang;
use mynawatch::notify::{guide_label, GUIDE_URL};
use zbus::{Connection, Variant};

use crate::menu::MenuAction;
use crate::text::{self, Word};

/// What the actions need besides the bus.
#[derive(Clone, Debug)]
pub struct Env {
    pub lang: Lang,
    /// The `mynawatch` command (for `calendar`): beside this binary when installed together.
    pub cli: PathBuf,
    /// Where "Export to calendar" writes.
    pub calendar_file: PathBuf,
}

/// Run `action` (not Quit: the main loop handles that), reporting a failure to the user.
pub async fn run(conn: Connection, env: Env, action: MenuAction) {
    let what = describe(&action, env.lang);
    let result = match action {
        MenuAction::SetRegistered { key, registered } => {
            set_registered(&conn, &key, registered).await
        }
        MenuAction::EnterCardExpiry { key, name } => {
            enter_card_expiry(&conn, &key, &name, &env).await
        }
        MenuAction::OpenGuide => open_guide(&conn).await,
        MenuAction::ExportCalendar => export_calendar(&conn, &env).await,
        MenuAction::Refresh => refresh(&conn).await,
        MenuAction::Quit => Ok(()),
    };
    if let Err(e) = result {
        tracing::warn!("{what}: {e:#}");
        notify(&conn, &text::failed(&what, &format!("{e:#}"), env.lang)).await;
    }
}

fn describe(action: &MenuAction, lang: Lang) -> String {
    match action {
        MenuAction::SetRegistered { registered, .. } => {
            let (yes, no) = mynawatch::notify::registration_answers(lang);
            if *registered { yes } else { no }.to_string()
        }
        MenuAction::EnterCardExpiry { .. } => Word::EnterCardExpiry.text(lang),
        MenuAction::OpenGuide => guide_label(lang).to_string(),
        MenuAction::ExportCalendar => Word::ExportCalendar.text(lang),
        MenuAction::Refresh => Word::Refresh.text(lang),
        MenuAction::Quit => Word::Quit.text(lang),
    }
}

async fn card<'a>(conn: &Connection, key: &str) -> zbus::Result<CardProxy<'a>> {
    CardProxy::builder(conn)
        .path(format!("{ROOT_PATH}/cards/{key}"))
        .build()
        .await
}

async fn set_registered(conn: &Connection, key: &str, registered: bool) -> anyhow::Result<()> {
    card(conn, key)
        .await?
        .set_insurance_registered(registered)
        .await
        .context("the daemon refused")
}

async fn refresh(conn: &Connection) -> anyhow::Result<()> {
    // A plain method call: D-Bus starts the daemon first if it is not running.
    ManagerProxy::new(conn).await?.refresh().await?;
    Ok(())
}

/// Ask for the date in zenity's calendar (exit 0 prints it, 1 means cancelled), then tell the daemon.
async fn enter_card_expiry(
    conn: &Connection,
    key: &str,
    name: &str,
    env: &Env,
) -> anyhow::Result<()> {
    let out = tokio::process::Command::new("zenity")
        .args(["--calendar", "--date-format=%Y-%m-%d"])
        .arg(format!("--title={}", Word::DialogTitle.text(env.lang)))
        .arg(format!("--text={}", text::dialog_text(name, env.lang)))
        .kill_on_drop(true)
        .output()
        .await
        .context("cannot run zenity")?;
    match out.status.code() {
        Some(0) => {}
        Some(1) => return Ok(()),
        _ => bail!(
            "zenity failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
    let date = String::from_utf8_lossy(&out.stdout).trim().to_string();
    card(conn, key)
        .await?
        .set_card_expires(date)
        .await
        .context("the daemon refused the date")
}

/// Through the desktop portal, which opens the user's browser also from inside a sandbox; plain
/// `xdg-open` where no portal runs.
async fn open_guide(conn: &Connection) -> anyhow::Result<()> {
    let options: HashMap<&str, Variant<'_>> = HashMap::new();
    let portal = conn
        .call_method(
            Some("org.freedesktop.portal.Desktop"),
            "/org/freedesktop/portal/desktop",
            Some("org.freedesktop.portal.OpenURI"),
            "OpenURI",
            &("", GUIDE_URL, options),
        )
        .await;
    match portal {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::info!("no desktop portal ({e}); using xdg-open");
            let status = tokio::process::Command::new("xdg-open")
                .arg(GUIDE_URL)
                .status()
                .await
                .context("no desktop portal and cannot run xdg-open")?;
            if !status.success() {
                bail!("xdg-open failed ({status})");
            }
            Ok(())
        }
    }
}

async fn export_calendar(conn: &Connection, env: &Env) -> anyhow::Result<()> {
    let out = tokio::process::Command::new(&env.cli)
        .arg("calendar")
        .arg("-o")
        .arg(&env.calendar_file)
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| format!("cannot run {}", env.cli.display()))?;
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let shown = env.calendar_file.display().to_string();
    notify(conn, &text::exported_calendar(&shown, env.lang)).await;
    Ok(())
}

/// A desktop notification; without a notification server only the log line remains.
async fn notify(conn: &Connection, body: &str) {
    let hints: HashMap<&str, Variant<'_>> = HashMap::new();
    let sent = conn
        .call_method(
            Some("org.freedesktop.Notifications"),
            "/org/freedesktop/Notifications",
            Some("org.freedesktop.Notifications"),
            "Notify",
            &(
                "mynawatch",
                0u32,
                "mynawatch-ok",
                "mynawatch",
                body,
                Vec::<&str>::new(),
                hints,
                -1i32,
            ),
        )
        .await;
    if let Err(e) = sent {
        tracing::debug!("no notification: {e}");
    }
}
