//! Opening a web page for the user: through the desktop portal (`org.freedesktop.portal.OpenURI`
//! on the session bus), which starts the user's browser in the user's session. The daemon's unit is
//! sandboxed (no network, no JIT under `MemoryDenyWriteExecute=`, a read-only home): a browser it
//! started itself would inherit that and not work. Only a daemon that is not sandboxed (started by
//! hand, not by systemd) falls back to `xdg-open` when no portal answers.

use std::collections::HashMap;
use std::time::Duration;

use zbus::Connection;

pub const PORTAL_NAME: &str = "org.freedesktop.portal.Desktop";
pub const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
pub const OPEN_URI: &str = "org.freedesktop.portal.OpenURI";

/// A portal may be D-Bus activated on the first call, which takes a moment.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How the page was (or was not) opened, for the log and the tests.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// The portal took the request (it shows the browser, or asks the user which app to use).
    Portal,
    /// No portal; `xdg-open` was started (not sandboxed).
    XdgOpen,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no desktop portal answered ({portal}), and a browser started inside the service's sandbox would not work; open {uri} yourself")]
    Sandboxed { portal: String, uri: String },
    #[error("no desktop portal answered ({portal}), and xdg-open could not be started: {xdg}")]
    Nothing { portal: String, xdg: std::io::Error },
}

/// `OpenURI(s parent_window, s uri, a{sv} options) → o handle` on the portal.
pub async fn portal_open(conn: &Connection, uri: &str) -> Result<(), String> {
    let options: HashMap<&str, zbus::Variant<'_>> = HashMap::new();
    let body = ("", uri, options);
    let call = conn.call_method(
        Some(PORTAL_NAME),
        PORTAL_PATH,
        Some(OPEN_URI),
        "OpenURI",
        &body,
    );
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no reply within {CALL_TIMEOUT:?}")),
    }
}

/// Whether we run as a systemd service (and so inside the unit's sandbox): systemd sets
/// `$INVOCATION_ID` for every unit it starts (systemd.exec(5)).
pub fn sandboxed(get: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    get("INVOCATION_ID").is_some_and(|v| !v.is_empty())
}

/// Open `uri`: the portal first; `xdg-open` only when no portal answered and `sandboxed` is false.
pub async fn open(conn: &Connection, uri: &str, sandboxed: bool) -> Result<Opened, OpenError> {
    let portal = match portal_open(conn, uri).await {
        Ok(()) => return Ok(Opened::Portal),
        Err(e) => e,
    };
    if sandboxed {
        return Err(OpenError::Sandboxed {
            portal,
            uri: uri.to_string(),
        });
    }
    let spawned = std::process::Command::new("xdg-open")
        .arg(uri)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            // Reap it off the runtime; it exits as soon as the browser has the URL.
            tokio::task::spawn_blocking(move || child.wait());
            tracing::debug!(portal = %portal, "no desktop portal");
            Ok(Opened::XdgOpen)
        }
        Err(xdg) => Err(OpenError::Nothing { portal, xdg }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn systemd_services_count_as_sandboxed() {
        assert!(sandboxed(
            |k| (k == "INVOCATION_ID").then(|| OsString::from("0123456789abcdef"))
        ));
        assert!(!sandboxed(|_| None));
        assert!(!sandboxed(|_| Some(OsString::new())));
    }
}
