//! `mynawatch-tray` against the real daemon on a private bus: the daemon is started by D-Bus
//! activation (the tray's first call does it), the panel's StatusNotifierWatcher and the desktop
//! portal are small stand-ins served here (they are the desktop's, not ours), and a virtual card in
//! pcscd + vpcd changes the state under the tray. Checked: registration, the item's properties,
//! the dbusmenu layout, that clicks call the daemon, and that the tray survives restarts of the
//! watcher and of the daemon.

mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use support::bus::PrivateBus;
use support::daemon::{seed_state, seeded_path, CARD, NAME};
use zbus::object_server::SignalEmitter;
use zbus::{Connection, OwnedVariant, Type};

const TODAY: &str = "2026-03-01";
/// The seeded card expires 60 days after TODAY: renewal open.
const SEEDED_EXPIRES: &str = "2026-04-30";
const GUIDE: &str = "https://www.kojinbango-card.go.jp/";

// ---------------------------------------------------------------------------------------------
// Stand-ins for the desktop: the panel's watcher and the portal.

#[derive(Clone, Default)]
struct Watcher {
    registered: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) {
        self.registered.lock().unwrap().push(service.clone());
        let _ = Watcher::status_notifier_item_registered(&emitter, &service).await;
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.registered.lock().unwrap().clone()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;
}

/// A watcher on its own connection; dropping it leaves the bus (as a panel that quits).
struct WatcherService {
    _conn: Connection,
    watcher: Watcher,
}

async fn start_watcher(address: &str) -> WatcherService {
    let watcher = Watcher::default();
    let conn = zbus::connection::Builder::address(address)
        .name("org.kde.StatusNotifierWatcher")
        .serve_at("/StatusNotifierWatcher", watcher.clone())
        .build()
        .await
        .expect("the watcher stand-in connects");
    WatcherService {
        _conn: conn,
        watcher,
    }
}

impl WatcherService {
    async fn wait_registered(&self) -> String {
        eventually(
            Duration::from_secs(20),
            "RegisterStatusNotifierItem",
            || {
                let r = self.watcher.registered.lock().unwrap().clone();
                async move { r.last().cloned() }
            },
        )
        .await
    }
}

#[derive(Clone, Default)]
struct Portal {
    opened: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.freedesktop.portal.OpenURI")]
impl Portal {
    #[zbus(name = "OpenURI")]
    async fn open_uri(
        &self,
        _parent_window: String,
        uri: String,
        _options: HashMap<String, OwnedVariant>,
    ) -> zbus::OwnedObjectPath {
        self.opened.lock().unwrap().push(uri);
        zbus::OwnedObjectPath::try_from("/org/freedesktop/portal/desktop/request/1_1/t").unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// The tray's side, as a panel sees it.

#[zbus::proxy(
    interface = "org.kde.StatusNotifierItem",
    default_path = "/StatusNotifierItem"
)]
trait Item {
    #[zbus(property)]
    fn icon_name(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn icon_theme_path(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn status(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn category(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn id(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn item_is_menu(&self) -> zbus::Result<bool>;
    #[zbus(property)]
    fn menu(&self) -> zbus::Result<zbus::OwnedObjectPath>;
    #[zbus(property)]
    fn tool_tip(&self) -> zbus::Result<(String, Vec<(i32, i32, Vec<u8>)>, String, String)>;
}

#[zbus::proxy(interface = "com.canonical.dbusmenu", default_path = "/MenuBar")]
trait DBusMenu {
    fn get_layout(
        &self,
        parent_id: i32,
        recursion_depth: i32,
        property_names: &[&str],
    ) -> zbus::Result<(u32, Layout)>;
    fn event(
        &self,
        id: i32,
        event_id: &str,
        data: &zbus::Variant<'_>,
        timestamp: u32,
    ) -> zbus::Result<()>;
    #[zbus(property)]
    fn version(&self) -> zbus::Result<u32>;
}

#[derive(Clone, Debug, Deserialize, Type, zbus::OwnedVariant)]
struct Layout {
    id: i32,
    properties: HashMap<String, OwnedVariant>,
    children: Vec<OwnedVariant>,
}

/// A menu entry as a user sees it.
#[derive(Clone, Debug)]
struct Entry {
    id: i32,
    label: String,
    enabled: bool,
    toggle: Option<i32>,
    children: Vec<Entry>,
}

impl Entry {
    fn from(l: Layout) -> Entry {
        let str_prop = |k: &str| {
            l.properties
                .get(k)
                .and_then(|v| String::try_from(v.try_clone().unwrap()).ok())
        };
        Entry {
            id: l.id,
            label: str_prop("label").unwrap_or_default().replace("__", "_"),
            enabled: l
                .properties
                .get("enabled")
                .map(|v| bool::try_from(v.try_clone().unwrap()).unwrap())
                .unwrap_or(true),
            toggle: l
                .properties
                .get("toggle-state")
                .map(|v| i32::try_from(v.try_clone().unwrap()).unwrap()),
            children: l
                .children
                .into_iter()
                .map(|c| Entry::from(Layout::try_from(c).expect("a child is a layout")))
                .collect(),
        }
    }

    fn find(&self, label_start: &str) -> Option<&Entry> {
        if self.label.starts_with(label_start) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(label_start))
    }

    fn labels(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.label.as_str()).collect()
    }
}

async fn menu(proxy: &DBusMenuProxy<'_>) -> Entry {
    let (_rev, layout) = proxy.get_layout(0, -1, &[]).await.expect("GetLayout");
    Entry::from(layout)
}

async fn click(proxy: &DBusMenuProxy<'_>, entry: &Entry) {
    assert!(entry.enabled, "clicking a disabled entry: {entry:?}");
    proxy
        .event(entry.id, "clicked", &zbus::Variant::from(0i32), 0)
        .await
        .expect("Event clicked");
}

// ---------------------------------------------------------------------------------------------
// Processes and polling.

/// Poll an async condition until it yields `Some`.
async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut cond: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = cond().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The tray process, its stderr collected; killed on drop.
struct Tray {
    child: support::Reaped,
    log: support::Captured,
}

impl Tray {
    fn start(bus: &PrivateBus, extra_path: Option<&std::path::Path>) -> Tray {
        let mut cmd = bus.command(support::tray_bin());
        cmd.args(["--lang", "en", "-v"])
            .env("HOME", bus.dir.path())
            .env("XDG_CONFIG_HOME", bus.dir.path().join("config"))
            .env("MYNAWATCH_TRAY_ICONS", "/nonexistent-icons")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // zenity on PATH or not is part of what the tests choose.
        let path = match extra_path {
            Some(dir) => format!("{}:/usr/bin:/bin", dir.display()),
            None => "/usr/bin:/bin".to_string(),
        };
        cmd.env("PATH", path);
        let mut child = support::Reaped(cmd.spawn().expect("mynawatch-tray starts"));
        let log = support::Captured::spawn(child.stderr.take().unwrap());
        Tray { child, log }
    }

    fn log(&self) -> String {
        self.log.text()
    }
}

/// Kills whatever owns the daemon's name at the end (it was started by the bus, not by us).
struct ActivatedDaemon<'a>(&'a PrivateBus);

impl Drop for ActivatedDaemon<'_> {
    fn drop(&mut self) {
        if let Some(pid) = self.0.owner_pid(NAME) {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

/// A bus whose activation file starts the real daemon on the seeded state, "today" fixed.
fn bus_with_daemon() -> PrivateBus {
    let state = tempfile::Builder::new()
        .prefix("mynawatch-tray-state")
        .tempdir()
        .unwrap()
        .keep();
    seed_state(&state, SEEDED_EXPIRES);
    let exec = format!(
        "{} daemon --no-notify --today {TODAY} --state-dir {}",
        support::bin(),
        state.display()
    );
    PrivateBus::start_activating(&[(NAME, &exec)])
}

async fn card_property(conn: &Connection, path: &str, name: &str) -> String {
    let p = zbus::fdo::PropertiesProxy::builder(conn)
        .destination(NAME)
        .path(path.to_string())
        .build()
        .await
        .unwrap();
    let v = p
        .get(CARD.try_into().unwrap(), name)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    String::try_from(v).unwrap_or_default()
}

/// Wait (up to 10 s) until the card's property `name` reads `want`.
async fn card_property_becomes(conn: &Connection, path: &str, name: &str, want: &str) {
    eventually(
        Duration::from_secs(10),
        &format!("{name}={want}"),
        || async { (card_property(conn, path, name).await == want).then_some(()) },
    )
    .await;
}

async fn item_proxy<'a>(conn: &Connection, service: &str) -> ItemProxy<'a> {
    ItemProxy::builder(conn)
        .destination(service.to_string())
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .unwrap()
}

async fn menu_proxy<'a>(conn: &Connection, service: &str) -> DBusMenuProxy<'a> {
    DBusMenuProxy::builder(conn)
        .destination(service.to_string())
        .build()
        .await
        .unwrap()
}

async fn wait_icon(item: &ItemProxy<'_>, icon: &str) {
    eventually(
        Duration::from_secs(20),
        &format!("IconName {icon}"),
        || async { (item.icon_name().await.ok()? == icon).then_some(()) },
    )
    .await
}

// ---------------------------------------------------------------------------------------------

/// The tests share the namespace's pcscd: a card one test puts into a reader is seen by the daemons
/// of the others (and changes their worst status), so they take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_shows_the_card_and_its_menu_calls_the_daemon() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let bus = bus_with_daemon();
    let _daemon = ActivatedDaemon(&bus);
    let conn = support::client::connect(&bus).await;
    let watcher = start_watcher(&bus.address).await;
    let portal = Portal::default();
    let _portal_conn = zbus::connection::Builder::address(bus.address.as_str())
        .name("org.freedesktop.portal.Desktop")
        .serve_at("/org/freedesktop/portal/desktop", portal.clone())
        .build()
        .await
        .unwrap();
    // zenity's calendar, as the user would answer it: prints the picked date, exits 0.
    let bin_dir = bus.dir.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    let zenity = bin_dir.join("zenity");
    std::fs::write(
        &zenity,
        format!(
            "#!/bin/sh\necho \"$@\" > {}/zenity.args\necho 2026-04-10\n",
            bus.dir.path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&zenity, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    assert!(!bus.has_name(NAME), "the daemon runs before the tray asked");

    let mut tray = Tray::start(&bus, Some(&bin_dir));
    let service = watcher.wait_registered().await;
    assert!(
        service.starts_with("org.kde.StatusNotifierItem-"),
        "{service}"
    );
    let item = item_proxy(&conn, &service).await;
    let menu_p = menu_proxy(&conn, &service).await;

    // The tray's first call started the daemon; the seeded card is in its renewal window.
    wait_icon(&item, "mynawatch-renewal").await;
    assert!(bus.has_name(NAME), "the daemon was not activated");
    assert_eq!(item.status().await.unwrap(), "NeedsAttention");
    assert_eq!(item.category().await.unwrap(), "ApplicationStatus");
    assert_eq!(item.id().await.unwrap(), "mynawatch");
    assert!(item.item_is_menu().await.unwrap());
    assert_eq!(item.menu().await.unwrap().as_str(), "/MenuBar");
    assert_eq!(item.icon_theme_path().await.unwrap(), "/nonexistent-icons");
    let (tip_icon, _, title, body) = item.tool_tip().await.unwrap();
    assert_eq!(tip_icon, "mynawatch-renewal");
    assert_eq!(title, "mynawatch: renewal open");
    assert!(
        body.contains("母: renewal open (60 days left until the certificate expires)"),
        "{body}"
    );
    assert_eq!(menu_p.version().await.unwrap(), 3);

    let m = menu(&menu_p).await;
    let top = m.labels();
    assert!(top[0].starts_with("母: renewal open"), "{top:?}");
    for wanted in ["Open guide", "Export to calendar", "Check now", "Quit tray"] {
        assert!(
            top.iter().any(|l| l.starts_with(wanted)),
            "{wanted} missing from {top:?}"
        );
    }
    let card = &m.children[0];
    let yes = card.find("Registered for insurance").expect("yes entry");
    let no = card.find("Not registered yet").expect("no entry");
    assert_eq!((yes.toggle, no.toggle), (Some(0), Some(0)), "{card:?}");

    // "Registered for insurance" → SetInsuranceRegistered(true) on the daemon; the menu follows.
    click(&menu_p, yes).await;
    let path = seeded_path();
    card_property_becomes(&conn, &path, "InsuranceRegistered", "yes").await;
    eventually(Duration::from_secs(10), "the radio to follow", || async {
        let m = menu(&menu_p).await;
        (m.find("Registered for insurance")?.toggle == Some(1)).then_some(())
    })
    .await;

    // "Enter the date printed on the card…" → zenity's date → SetCardExpires: the card now
    // expires (2026-04-10) before its certificate, so that is the certificate's last day too.
    let m = menu(&menu_p).await;
    click(
        &menu_p,
        m.find("Enter the date printed").expect("date entry"),
    )
    .await;
    card_property_becomes(&conn, &path, "CertificateExpires", "2026-04-10").await;
    let args = std::fs::read_to_string(bus.dir.path().join("zenity.args")).unwrap();
    assert!(args.contains("--calendar"), "{args}");
    assert!(args.contains("--date-format=%Y-%m-%d"), "{args}");
    eventually(Duration::from_secs(10), "the tooltip to follow", || async {
        let (_, _, _, body) = item.tool_tip().await.ok()?;
        body.contains("40 days left").then_some(())
    })
    .await;

    // "Open guide" → the portal's OpenURI with the official site.
    let m = menu(&menu_p).await;
    click(&menu_p, m.find("Open guide").unwrap()).await;
    eventually(Duration::from_secs(10), "OpenURI", || {
        let opened = portal.opened.lock().unwrap().clone();
        async move { (opened == [GUIDE]).then_some(()) }
    })
    .await;

    // "Export to calendar" → `mynawatch calendar -o ~/mynawatch.ics`: the file appears.
    let m = menu(&menu_p).await;
    let export = m.find("Export to calendar").unwrap();
    click(&menu_p, export).await;
    let ics = bus.dir.path().join("mynawatch.ics");
    eventually(Duration::from_secs(10), "the calendar file", || {
        let text = std::fs::read_to_string(&ics).unwrap_or_default();
        async move { text.contains("BEGIN:VCALENDAR").then_some(()) }
    })
    .await;

    // "Check now" → Manager.Refresh, seen on the bus by a monitor.
    let mut monitor = Command::new("dbus-monitor")
        .args([
            "--address",
            &bus.address,
            "type='method_call',interface='io.github.mynawatch.MynaWatch1.Manager',member='Refresh'",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-monitor (package dbus)");
    let seen = support::Captured::spawn(monitor.stdout.take().unwrap());
    // The monitor is attached once it has printed its own NameAcquired/NameLost.
    eventually(Duration::from_secs(10), "dbus-monitor to attach", || {
        let s = seen.text();
        async move { (!s.is_empty()).then_some(()) }
    })
    .await;
    let m = menu(&menu_p).await;
    click(&menu_p, m.find("Check now").unwrap()).await;
    eventually(Duration::from_secs(10), "a Refresh call", || {
        let s = seen.text();
        async move { s.contains("member=Refresh").then_some(()) }
    })
    .await;
    let _ = monitor.kill();
    let _ = monitor.wait();

    // "Quit tray" ends the process cleanly.
    let m = menu(&menu_p).await;
    click(&menu_p, m.find("Quit tray").unwrap()).await;
    let status = tokio::task::block_in_place(|| {
        support::wait_for(Duration::from_secs(10), "the tray to exit", || {
            tray.child.try_wait().unwrap()
        })
    });
    assert!(status.success(), "{status:?}\n{}", tray.log());
}

/// A second card, expired (grace running), put into a reader: the icon and the menu follow the
/// daemon live, worst card first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "e2e: run by scripts/test.sh"]
async fn a_card_put_into_a_reader_changes_icon_tooltip_and_menu_live() {
    let _turn = ONE_AT_A_TIME.lock().await;
    support::pcscd::require();
    // The only vpcd user in this test binary (slots() guards within one binary).
    let bus = bus_with_daemon();
    let _daemon = ActivatedDaemon(&bus);
    let conn = support::client::connect(&bus).await;
    let watcher = start_watcher(&bus.address).await;
    let _tray = Tray::start(&bus, None);
    let service = watcher.wait_registered().await;
    let item = item_proxy(&conn, &service).await;
    let menu_p = menu_proxy(&conn, &service).await;
    wait_icon(&item, "mynawatch-renewal").await;

    let sim = tokio::task::block_in_place(|| {
        support::pcscd::SimCard::start(support::pcscd::SLOT0, &["--expires", "2026-02-20"])
    });
    wait_icon(&item, "mynawatch-expired").await;
    assert_eq!(item.status().await.unwrap(), "NeedsAttention");
    let m = eventually(Duration::from_secs(10), "two cards in the menu", || async {
        let m = menu(&menu_p).await;
        (m.children.iter().filter(|c| !c.children.is_empty()).count() == 2).then_some(m)
    })
    .await;
    let top = m.labels();
    assert!(top[0].contains("expired, grace period"), "{top:?}");
    assert!(top[1].starts_with("母: renewal open"), "{top:?}");
    let (_, _, title, body) = item.tool_tip().await.unwrap();
    assert_eq!(title, "mynawatch: expired, grace period");
    assert!(body.contains("days left in the grace period"), "{body}");
    tokio::task::block_in_place(|| drop(sim));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_survives_restarts_of_the_watcher_and_the_daemon() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let bus = bus_with_daemon();
    let _daemon = ActivatedDaemon(&bus);
    let conn = support::client::connect(&bus).await;
    // The tray starts before the panel (autostart order is not defined): it waits for a watcher.
    let tray = Tray::start(&bus, None);
    eventually(
        Duration::from_secs(20),
        "the tray to wait for a watcher",
        || {
            let log = tray.log();
            async move { log.contains("no StatusNotifierWatcher").then_some(()) }
        },
    )
    .await;
    let first = start_watcher(&bus.address).await;
    let service = first.wait_registered().await;
    let item = item_proxy(&conn, &service).await;
    wait_icon(&item, "mynawatch-renewal").await;

    // Without zenity the date entry explains the command instead.
    let menu_p = menu_proxy(&conn, &service).await;
    let m = menu(&menu_p).await;
    let hint = m
        .find("To enter the card's expiry: mynawatch card-expires 母")
        .expect("the command hint");
    assert!(!hint.enabled);

    // The panel restarts: the new watcher gets the item again.
    drop(first);
    let second = start_watcher(&bus.address).await;
    assert_eq!(second.wait_registered().await, service);

    // The daemon stops: the tray says so and does not restart it on its own …
    let pid = bus.owner_pid(NAME).expect("the activated daemon");
    assert!(Command::new("kill")
        .arg(pid.to_string())
        .status()
        .unwrap()
        .success());
    wait_icon(&item, "mynawatch-offline").await;
    let (_, _, _, body) = item.tool_tip().await.unwrap();
    assert!(body.contains("not running"), "{body}");
    assert!(!bus.has_name(NAME), "the tray restarted a stopped daemon");
    let m = menu(&menu_p).await;
    assert!(
        !m.find("Export to calendar").unwrap().enabled,
        "{:?}",
        m.labels()
    );
    // … until the user asks: "Check now" starts it by activation, and the card is back.
    click(&menu_p, m.find("Check now").unwrap()).await;
    wait_icon(&item, "mynawatch-renewal").await;
    assert!(bus.has_name(NAME));
    drop(second);
    drop(tray);
}
