//! Desktop notifications over `org.freedesktop.Notifications`: one notification per card, updated in
//! place, in the user's language, with urgency by how close the deadline is and buttons for the
//! insurance-registration question and the official guide.
//!
//! `compose` is the pure part (an `Assessment` in, a `Notification` out, words from the catalogue);
//! `Notifier`, here, does the D-Bus part. A missing or restarting notification server is an
//! `Err(Unavailable)` for the caller to log, never a crash.

mod compose;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use zbus::{proxy::CacheProperties, Connection, Variant};

use crate::card::CardKey;

pub use compose::*;

const APP_NAME: &str = "mynawatch";
const SERVICE: &str = "org.freedesktop.Notifications";
/// A hung server must not hold the daemon's task for ever.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications"
)]
trait Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Variant<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    fn get_capabilities(&self) -> zbus::Result<Vec<String>>;

    fn close_notification(&self, id: u32) -> zbus::Result<()>;

    #[zbus(signal)]
    fn action_invoked(&self, id: u32, action_key: String) -> zbus::Result<()>;

    #[zbus(signal)]
    fn notification_closed(&self, id: u32, reason: u32) -> zbus::Result<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No notification server (headless session), or it went away or does not answer.
    #[error("no notification server: {0}")]
    Unavailable(String),
    /// The server answered with an error.
    #[error("the notification server refused: {0}")]
    Rejected(String),
}

impl From<zbus::Error> for NotifyError {
    fn from(e: zbus::Error) -> Self {
        match &e {
            zbus::Error::MethodError(name, _, _)
                if !matches!(
                    name.as_str(),
                    "org.freedesktop.DBus.Error.ServiceUnknown"
                        | "org.freedesktop.DBus.Error.NameHasNoOwner"
                        | "org.freedesktop.DBus.Error.NoReply"
                        | "org.freedesktop.DBus.Error.Disconnected"
                        | "org.freedesktop.DBus.Error.TimedOut"
                ) =>
            {
                NotifyError::Rejected(e.to_string())
            }
            _ => NotifyError::Unavailable(e.to_string()),
        }
    }
}

/// Shows one notification per card on the session bus and maps clicks back to cards.
#[derive(Clone)]
pub struct Notifier {
    conn: Connection,
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    server: Mutex<Server>,
}

/// What we know about the current notification server; reset when it changes.
#[derive(Default)]
struct Server {
    /// Unique bus name of the server the ids below belong to.
    owner: Option<String>,
    /// GetCapabilities answer, asked once per server.
    caps: Option<Vec<String>>,
    /// The notification shown for each card.
    shown: HashMap<CardKey, Shown>,
    /// A task follows NotificationClosed.
    watching_closed: bool,
}

#[derive(Clone, Copy)]
struct Shown {
    id: u32,
    /// False after NotificationClosed: replacing a closed id is not reliable across servers.
    open: bool,
}

impl Server {
    fn forget(&mut self) {
        self.caps = None;
        self.shown.clear();
        self.owner = None;
    }
}

impl Inner {
    fn server(&self) -> MutexGuard<'_, Server> {
        self.server.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn card_of(&self, id: u32) -> Option<CardKey> {
        self.server()
            .shown
            .iter()
            .find(|(_, s)| s.id == id)
            .map(|(k, _)| k.clone())
    }
}

impl Notifier {
    pub fn new(conn: Connection) -> Notifier {
        Notifier {
            conn,
            inner: Arc::default(),
        }
    }

    async fn proxy(&self) -> Result<NotificationsProxy<'static>, NotifyError> {
        Ok(NotificationsProxy::builder(&self.conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await?)
    }

    /// The current server's unique name, if one runs (without starting one).
    async fn owner(&self) -> Option<String> {
        let dbus = zbus::fdo::DBusProxy::new(&self.conn).await.ok()?;
        let name = zbus::names::BusName::try_from(SERVICE).ok()?;
        dbus.get_name_owner(name).await.ok().map(|o| o.to_string())
    }

    /// Show `n` as the notification of `card`, replacing that card's previous one. Returns its id.
    pub async fn show(&self, card: &CardKey, n: &Notification) -> Result<u32, NotifyError> {
        let owner = self.owner().await;
        {
            let mut server = self.inner.server();
            if server.owner.is_some() && server.owner != owner {
                tracing::info!("notification server restarted; showing new notifications");
                server.forget();
            }
            server.owner.clone_from(&owner);
        }
        let proxy = self.proxy().await?;
        self.watch_closed(&proxy).await;
        let result = tokio::time::timeout(CALL_TIMEOUT, self.notify(&proxy, card, n)).await;
        let result = match result {
            Ok(r) => r,
            Err(_) => Err(NotifyError::Unavailable(format!(
                "no reply within {CALL_TIMEOUT:?}"
            ))),
        };
        match result {
            Ok(id) => {
                if owner.is_none() {
                    // The call may have started the server (D-Bus activation).
                    let now = self.owner().await;
                    self.inner.server().owner = now;
                }
                Ok(id)
            }
            Err(e) => {
                // The next attempt starts over: capabilities, and replaces_id 0.
                self.inner.server().forget();
                Err(e)
            }
        }
    }

    async fn notify(
        &self,
        proxy: &NotificationsProxy<'static>,
        card: &CardKey,
        n: &Notification,
    ) -> Result<u32, NotifyError> {
        // Bound first: a guard in the match scrutinee would live through the arms (deadlock).
        let cached = self.inner.server().caps.clone();
        let caps = match cached {
            Some(c) => c,
            None => {
                let c = proxy.get_capabilities().await?;
                self.inner.server().caps = Some(c.clone());
                c
            }
        };
        let actions: Vec<&str> = if caps.iter().any(|c| c == "actions") {
            n.actions
                .iter()
                .flat_map(|(id, label)| [id.as_str(), label.as_str()])
                .collect()
        } else {
            Vec::new()
        };
        let replaces = self
            .inner
            .server()
            .shown
            .get(card)
            .filter(|s| s.open)
            .map_or(0, |s| s.id);
        let hints = HashMap::from([
            ("urgency", Variant::from(n.urgency as u8)),
            ("desktop-entry", Variant::from(APP_NAME)),
        ]);
        let icon = match n.urgency {
            Urgency::Critical => "dialog-warning",
            Urgency::Normal | Urgency::Low => "dialog-information",
        };
        let id = proxy
            .notify(
                APP_NAME, replaces, icon, &n.summary, &n.body, &actions, hints, -1,
            )
            .await?;
        self.inner
            .server()
            .shown
            .insert(card.clone(), Shown { id, open: true });
        Ok(id)
    }

    /// Follow NotificationClosed (once per Notifier) so a closed notification is not "replaced".
    async fn watch_closed(&self, proxy: &NotificationsProxy<'static>) {
        if std::mem::replace(&mut self.inner.server().watching_closed, true) {
            return;
        }
        let mut stream = match proxy.receive_notification_closed().await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "cannot follow NotificationClosed");
                self.inner.server().watching_closed = false;
                return;
            }
        };
        let inner: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            while let Some(sig) = stream.next().await {
                let Ok(args) = sig.args() else { continue };
                let Some(inner) = inner.upgrade() else { return };
                let id = *args.id();
                for s in inner.server().shown.values_mut() {
                    if s.id == id {
                        s.open = false;
                    }
                }
            }
        });
    }

    /// The id of `card`'s notification while it is shown (not closed, same server).
    pub fn current_id(&self, card: &CardKey) -> Option<u32> {
        self.inner
            .server()
            .shown
            .get(card)
            .filter(|s| s.open)
            .map(|s| s.id)
    }

    /// Close `card`'s notification, if one is shown (e.g. the card was forgotten).
    pub async fn close(&self, card: &CardKey) -> Result<(), NotifyError> {
        let Some(id) = self.current_id(card) else {
            return Ok(());
        };
        let proxy = self.proxy().await?;
        let result = tokio::time::timeout(CALL_TIMEOUT, proxy.close_notification(id)).await;
        self.inner.server().shown.remove(card);
        match result {
            Ok(r) => Ok(r?),
            Err(_) => Err(NotifyError::Unavailable(format!(
                "no reply within {CALL_TIMEOUT:?}"
            ))),
        }
    }

    /// Yields each time a notification server takes the name (NameOwnerChanged of
    /// org.freedesktop.Notifications with a new owner): reminders that could not be shown are
    /// offered again then.
    pub async fn server_appeared(
        &self,
    ) -> Result<impl Stream<Item = ()> + Send + 'static, NotifyError> {
        let dbus = zbus::fdo::DBusProxy::new(&self.conn).await?;
        let stream = dbus
            .receive_name_owner_changed_with_args(&[(0, SERVICE)])
            .await?;
        Ok(stream.filter_map(|sig| {
            let appeared = sig.args().ok().is_some_and(|a| a.new_owner().is_some());
            std::future::ready(appeared.then_some(()))
        }))
    }

    /// Clicks on our notifications' buttons, as (card, action id). Subscribes before returning, so
    /// nothing shown afterwards is missed. Ids from other programs' notifications are ignored.
    pub async fn action_stream(
        &self,
    ) -> Result<impl Stream<Item = (CardKey, String)> + Send + 'static, NotifyError> {
        let proxy = self.proxy().await?;
        let stream = proxy.receive_action_invoked().await?;
        let inner = Arc::clone(&self.inner);
        Ok(stream.filter_map(move |sig| {
            let found = sig.args().ok().and_then(|args| {
                let card = inner.card_of(*args.id())?;
                Some((card, args.action_key().clone()))
            });
            std::future::ready(found)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_vs_rejected() {
        let e: NotifyError =
            zbus::Error::InputOutput(Arc::new(std::io::Error::other("gone"))).into();
        assert!(matches!(e, NotifyError::Unavailable(_)));
    }
}
