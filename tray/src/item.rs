//! The StatusNotifierItem (`org.kde.StatusNotifierItem` at `/StatusNotifierItem`) and its
//! registration with the panel's `org.kde.StatusNotifierWatcher`, repeated whenever a watcher
//! (re)appears on the bus: panels start after autostart items, and restart.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use zbus::object_server::SignalEmitter;
use zbus::{interface, proxy, Connection, OwnedObjectPath};

use crate::menu::MENU_PATH;
use crate::model::View;

pub const ITEM_PATH: &str = "/StatusNotifierItem";
pub const WATCHER_NAME: &str = "org.kde.StatusNotifierWatcher";

/// What the item shows now (from the [`View`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Look {
    pub icon: String,
    pub status: String,
    pub tooltip_title: String,
    pub tooltip_body: String,
}

impl Look {
    pub fn of(view: &View) -> Look {
        Look {
            icon: view.overall.icon_name().to_string(),
            status: view.overall.sni_status().to_string(),
            tooltip_title: view.tooltip_title.clone(),
            tooltip_body: view.tooltip_body.clone(),
        }
    }
}

/// An icon as pixels (`a(iiay)`: width, height, ARGB32 big-endian). Unused: the icons are
/// themed SVGs, found through `IconName` and `IconThemePath`.
type Pixmaps = Vec<(i32, i32, Vec<u8>)>;

#[derive(Clone)]
pub struct Item {
    look: Arc<Mutex<Look>>,
    /// A directory with `hicolor/…/mynawatch-*.svg`, for hosts when the icons are not installed
    /// in a standard theme directory ("" otherwise).
    icon_theme_path: String,
}

impl Item {
    pub fn new(look: Look, icon_theme_path: String) -> Item {
        Item {
            look: Arc::new(Mutex::new(look)),
            icon_theme_path,
        }
    }

    fn get<T>(&self, f: impl FnOnce(&Look) -> T) -> T {
        f(&self.look.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Show `look`, emitting the SNI signals for what changed.
    pub async fn set(&self, conn: &Connection, look: Look) -> zbus::Result<()> {
        let old = {
            let mut cur = self.look.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *cur, look.clone())
        };
        let e = SignalEmitter::new(conn, ITEM_PATH)?;
        if old.icon != look.icon {
            Item::new_icon(&e).await?;
            Item::new_attention_icon(&e).await?;
        }
        if old.status != look.status {
            Item::new_status(&e, &look.status).await?;
        }
        if (old.tooltip_title, old.tooltip_body) != (look.tooltip_title, look.tooltip_body) {
            Item::new_tool_tip(&e).await?;
            Item::new_title(&e).await?;
        }
        Ok(())
    }
}

#[interface(name = "org.kde.StatusNotifierItem")]
impl Item {
    #[zbus(property)]
    fn category(&self) -> &str {
        "ApplicationStatus"
    }

    #[zbus(property)]
    fn id(&self) -> &str {
        "mynawatch"
    }

    #[zbus(property)]
    fn title(&self) -> String {
        self.get(|l| l.tooltip_title.clone())
    }

    #[zbus(property)]
    fn status(&self) -> String {
        self.get(|l| l.status.clone())
    }

    #[zbus(property)]
    fn window_id(&self) -> i32 {
        0
    }

    #[zbus(property)]
    fn icon_theme_path(&self) -> &str {
        &self.icon_theme_path
    }

    #[zbus(property)]
    fn icon_name(&self) -> String {
        self.get(|l| l.icon.clone())
    }

    #[zbus(property)]
    fn icon_pixmap(&self) -> Pixmaps {
        Vec::new()
    }

    #[zbus(property)]
    fn overlay_icon_name(&self) -> &str {
        ""
    }

    #[zbus(property)]
    fn overlay_icon_pixmap(&self) -> Pixmaps {
        Vec::new()
    }

    /// The same icon: its shape already says what needs attention.
    #[zbus(property)]
    fn attention_icon_name(&self) -> String {
        self.get(|l| l.icon.clone())
    }

    #[zbus(property)]
    fn attention_icon_pixmap(&self) -> Pixmaps {
        Vec::new()
    }

    #[zbus(property)]
    fn attention_movie_name(&self) -> &str {
        ""
    }

    /// (icon name, icon pixmaps, title, description).
    #[zbus(property)]
    fn tool_tip(&self) -> (String, Pixmaps, String, String) {
        self.get(|l| {
            (
                l.icon.clone(),
                Vec::new(),
                l.tooltip_title.clone(),
                l.tooltip_body.clone(),
            )
        })
    }

    /// There is no window: a click anywhere opens the menu.
    #[zbus(property)]
    fn item_is_menu(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn menu(&self) -> OwnedObjectPath {
        OwnedObjectPath::try_from(MENU_PATH).expect("valid path")
    }

    // Hosts call these only when ItemIsMenu is false; there is nothing else to open.
    async fn activate(&self, _x: i32, _y: i32) {}

    async fn secondary_activate(&self, _x: i32, _y: i32) {}

    async fn context_menu(&self, _x: i32, _y: i32) {}

    async fn scroll(&self, _delta: i32, _orientation: String) {}

    #[zbus(signal)]
    async fn new_title(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn new_icon(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn new_attention_icon(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn new_tool_tip(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn new_status(emitter: &SignalEmitter<'_>, status: &str) -> zbus::Result<()>;
}

#[proxy(
    interface = "org.kde.StatusNotifierWatcher",
    default_service = "org.kde.StatusNotifierWatcher",
    default_path = "/StatusNotifierWatcher"
)]
trait Watcher {
    fn register_status_notifier_item(&self, service: &str) -> zbus::Result<()>;
}

/// Register `service` with every watcher that appears, for as long as the connection lives. A
/// failed registration is logged and retried when the next watcher shows up.
pub async fn keep_registered(conn: Connection, service: String) -> zbus::Result<()> {
    let dbus = zbus::fdo::DBusProxy::new(&conn).await?;
    let mut owners = dbus
        .receive_name_owner_changed_with_args(&[(0, WATCHER_NAME)])
        .await?;
    let watcher = WatcherProxy::new(&conn).await?;
    let present = dbus
        .name_has_owner(WATCHER_NAME.try_into().expect("valid name"))
        .await?;
    if present {
        register(&watcher, &service).await;
    } else {
        tracing::info!("no StatusNotifierWatcher on the bus yet; waiting for the panel");
    }
    while let Some(change) = owners.next().await {
        let args = change.args()?;
        if args.new_owner().is_some() {
            register(&watcher, &service).await;
        } else {
            tracing::info!("the StatusNotifierWatcher left the bus; waiting for it to return");
        }
    }
    Ok(())
}

async fn register(watcher: &WatcherProxy<'_>, service: &str) {
    match watcher.register_status_notifier_item(service).await {
        Ok(()) => tracing::info!(service, "registered with the StatusNotifierWatcher"),
        Err(e) => tracing::warn!("registering with the StatusNotifierWatcher failed: {e}"),
    }
}
