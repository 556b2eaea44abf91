//! Following the daemon: every signal from its objects (PropertiesChanged, InterfacesAdded/Removed,
//! the reminder signals) and every change of its bus name's owner wakes the tray up to take a fresh
//! snapshot. Changes are coalesced: a burst of signals costs one `GetManagedObjects`.

use std::sync::Arc;

use futures_util::StreamExt;
use mynawatch::dbus::client::{self, ClientError};
use mynawatch::dbus::{BUS_NAME, ROOT_PATH};
use tokio::sync::Notify;
use zbus::{Connection, MatchRule, MessageStream};

use crate::model::DaemonState;

/// Wake `changed` on anything the daemon says, until the connection closes.
pub async fn watch(conn: Connection, changed: Arc<Notify>) -> zbus::Result<()> {
    // By path, not by sender: a match on the well-known name would not follow a restarted daemon.
    let rule = MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .path_namespace(ROOT_PATH)
        .build()?;
    let mut signals =
        MessageStream::for_match_rule(rule, &conn, std::num::NonZeroUsize::new(64)).await?;
    let dbus = zbus::fdo::DBusProxy::new(&conn).await?;
    let mut owners = dbus
        .receive_name_owner_changed_with_args(&[(0, BUS_NAME)])
        .await?;
    loop {
        tokio::select! {
            m = signals.next() => match m {
                Some(_) => changed.notify_one(),
                None => return Ok(()),
            },
            o = owners.next() => match o {
                Some(_) => changed.notify_one(),
                None => return Ok(()),
            },
        }
    }
}

/// The daemon's state now. With `activate`, a daemon that is not running is started by D-Bus
/// activation (the first method call does it); without, its absence is the answer, so that a
/// daemon the user stopped stays stopped until they ask (the menu's "Check now").
pub async fn look(conn: &Connection, activate: bool) -> DaemonState {
    let result = async {
        if !activate && !client::daemon_running(conn).await? {
            return Err(ClientError::NoDaemon);
        }
        client::snapshot(conn).await
    }
    .await;
    match result {
        Ok(snap) => DaemonState::Running(snap),
        Err(e) => {
            tracing::info!("the daemon is not reachable: {e}");
            DaemonState::Unreachable {
                reason: e.to_string(),
            }
        }
    }
}
