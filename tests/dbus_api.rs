//! The D-Bus API of the real daemon loop (`daemon::run_with`), run in-process over real connections:
//! a p2p socket pair for properties, methods, signals, errors and the ObjectManager; a private
//! dbus-daemon for the bus name, `status` and `watch`; the documented introspection XML checked
//! against the live objects so docs/ cannot drift. Only what lies outside the project is faked:
//! pcscd (reader events and reads go to the project's own virtual card, in-process) and the clock.

mod support;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use futures_util::StreamExt;
use mynawatch::card::sim::{SimSpec, VirtualCard};
use mynawatch::card::{
    simcert, CardError, CardIdentity, CardKey, CardReport, CertRead, TransportError,
};
use mynawatch::daemon::reads::CardReader;
use mynawatch::daemon::scheduler::{Clock, FixedDay};
use mynawatch::daemon::{self, DaemonError, Options, Sources};
use mynawatch::dbus::{
    card_path, key_from_path, CardProxy, Error, ManagerProxy, Publisher, BUS_NAME, CARD_INTERFACE,
    MANAGER_INTERFACE, ROOT_PATH,
};
use mynawatch::l10n::Lang;
use mynawatch::pcsc::monitor::ReaderEvent;
use mynawatch::rules::Policy;
use support::client::{connect, introspect};
use tokio::sync::{mpsc, oneshot};
use tokio::time::timeout;
use zbus::Connection;

const WAIT: Duration = Duration::from_secs(5);

async fn p2p_pair() -> (Connection, Connection) {
    let (a, b) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let server = zbus::connection::Builder::unix_stream(a)
        .server(zbus::Guid::generate())
        .p2p()
        .build();
    let client = zbus::connection::Builder::unix_stream(b).p2p().build();
    tokio::try_join!(server, client).expect("p2p connections")
}

/// A raw call of `method` on the card `key`, for what the typed proxy cannot send.
async fn call_card<B>(
    client: &Connection,
    key: &CardKey,
    method: &str,
    body: &B,
) -> zbus::Result<zbus::Message>
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
{
    client
        .call_method(
            Some(BUS_NAME),
            card_path(key).as_str(),
            Some(CARD_INTERFACE),
            method,
            body,
        )
        .await
}

/// The key of the card `support::daemon::seed_state` writes.
fn seeded_key() -> CardKey {
    CardKey::try_from(support::daemon::SEEDED_KEY.to_string()).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// "Today" as the test sets it (noon, Japan time); the scheduler looks every 10 ms.
struct TestDay(Arc<Mutex<NaiveDate>>);

impl Clock for TestDay {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        FixedDay(*self.0.lock().unwrap()).now()
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(d.min(Duration::from_millis(10))))
    }
}

/// What a fake reader holds: the project's own virtual card (pcscd and vpcd are what is faked).
#[derive(Default)]
struct FakeSlot {
    card: Option<SimSpec>,
    /// While `Some(false)`, reads of this reader wait (a slow or hung card).
    open: Option<bool>,
    /// Fail this many reads with this error before reading the card.
    failures: Option<(u32, TransportError)>,
}

/// pcscd replaced by in-process virtual cards; reads really run JPKI against them.
#[derive(Default)]
struct FakeCards {
    slots: Mutex<HashMap<String, FakeSlot>>,
    changed: Condvar,
}

impl FakeCards {
    fn put(&self, reader: &str, card: Option<SimSpec>) {
        self.slots
            .lock()
            .unwrap()
            .entry(reader.into())
            .or_default()
            .card = card;
    }
    /// Hold reads of `reader` (`false`) or let them go (`true`).
    fn gate(&self, reader: &str, open: bool) {
        self.slots
            .lock()
            .unwrap()
            .entry(reader.into())
            .or_default()
            .open = Some(open);
        self.changed.notify_all();
    }
    fn fail(&self, reader: &str, times: u32, e: TransportError) {
        self.slots
            .lock()
            .unwrap()
            .entry(reader.into())
            .or_default()
            .failures = Some((times, e));
    }
}

impl CardReader for FakeCards {
    fn read(
        &self,
        reader: &str,
        stop: &AtomicBool,
        on_cert: &mut dyn FnMut(&CertRead),
    ) -> Result<CardReport, CardError> {
        let mut slots = self.slots.lock().unwrap();
        // The card as it was when the read started: one re-inserted meanwhile is another read.
        let spec = slots.get(reader).and_then(|s| s.card.clone());
        while slots.get(reader).is_some_and(|s| s.open == Some(false)) {
            if stop.load(Ordering::Relaxed) {
                return Err(CardError::Transport(TransportError::NoAnswer));
            }
            slots = self
                .changed
                .wait_timeout(slots, Duration::from_millis(10))
                .unwrap()
                .0;
        }
        if let Some(slot) = slots.get_mut(reader) {
            if let Some((n, e)) = &mut slot.failures {
                if *n > 0 {
                    *n -= 1;
                    return Err(CardError::Transport(e.clone()));
                }
            }
        }
        drop(slots);
        let spec = spec.ok_or(CardError::NoCard)?;
        let mut card = VirtualCard::new(&spec);
        card.power_on();
        mynawatch::card::read_card(&mut card, on_cert)
    }

    fn readers_with_card(&self) -> Result<Vec<String>, CardError> {
        let slots = self.slots.lock().unwrap();
        let mut r: Vec<String> = slots
            .iter()
            .filter(|(_, s)| s.card.is_some())
            .map(|(n, _)| n.clone())
            .collect();
        r.sort();
        Ok(r)
    }
}

/// A virtual My Number Card whose certificate expires on `expires`.
fn sim(expires: &str, serial: u64) -> SimSpec {
    let certs = simcert::generate(&simcert::CertSpec::expiring(d(expires), serial)).unwrap();
    SimSpec::new(certs.cert)
}

const R0: &str = "Virtual PCD 00 00";
const R1: &str = "Virtual PCD 00 01";

/// The real daemon loop (`daemon::run_with`) serving on one end of a connection, its reader events,
/// card reads and clock in the test's hands.
struct Setup {
    client: Connection,
    events: mpsc::Sender<ReaderEvent>,
    cards: Arc<FakeCards>,
    today: Arc<Mutex<NaiveDate>>,
    dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), DaemonError>>,
}

struct Start<'a> {
    today: &'a str,
    /// Seed the state with `support::daemon::seed_state`'s card expiring then.
    seeded: Option<&'a str>,
    read_deadline: Duration,
}

impl Default for Start<'_> {
    fn default() -> Self {
        Start {
            today: "2026-04-01",
            seeded: Some("2026-06-20"),
            read_deadline: daemon::READ_DEADLINE,
        }
    }
}

/// Run the loop on `server`; `client` is the other end (p2p) or another bus connection.
async fn start_on(server: Connection, client: Connection, how: Start<'_>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    if let Some(expires) = how.seeded {
        support::daemon::seed_state(dir.path(), expires);
    }
    let today = Arc::new(Mutex::new(d(how.today)));
    let cards = Arc::new(FakeCards::default());
    let (events, reader_events) = mpsc::channel(8);
    let opts = Options {
        policy: Policy::default(),
        lang: Lang::En,
        notify: false,
        clock: Arc::new(TestDay(today.clone())),
        state_dir: dir.path().to_path_buf(),
        read_deadline: how.read_deadline,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let sources = Sources {
        reader_events,
        cards: cards.clone(),
    };
    let task = tokio::spawn(daemon::run_with(server, opts, sources, async move {
        let _ = stopped.await;
    }));
    let s = Setup {
        client,
        events,
        cards,
        today,
        dir,
        stop: Some(stop),
        task,
    };
    // Served: the Manager answers.
    let m = ManagerProxy::new(&s.client).await.unwrap();
    timeout(WAIT, async {
        while m.version().await.is_err() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the loop serves");
    s
}

async fn setup_with(how: Start<'_>) -> Setup {
    let (server, client) = p2p_pair().await;
    start_on(server, client, how).await
}

async fn setup() -> Setup {
    setup_with(Start::default()).await
}

impl Setup {
    async fn event(&self, ev: ReaderEvent) {
        self.events.send(ev).await.unwrap();
    }

    /// Readers R0 and R1 exist; `card` goes into `reader`.
    async fn insert(&self, reader: &str, card: SimSpec) {
        self.cards.put(reader, Some(card));
        self.event(ReaderEvent::Readers(vec![R0.into(), R1.into()]))
            .await;
        self.event(ReaderEvent::CardInserted {
            reader: reader.into(),
        })
        .await;
    }

    async fn remove(&self, reader: &str) {
        self.cards.put(reader, None);
        self.event(ReaderEvent::CardRemoved {
            reader: reader.into(),
        })
        .await;
    }

    fn set_today(&self, day: &str) {
        *self.today.lock().unwrap() = d(day);
    }

    async fn reader_states(&self) -> Vec<(String, String, String)> {
        ManagerProxy::builder(&self.client)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .unwrap()
            .reader_states()
            .await
            .unwrap()
    }

    /// Wait until `reader` is in `state` (with `reason`, if given).
    async fn wait_reader(&self, reader: &str, state: &str, reason: Option<&str>) {
        let found = timeout(WAIT, async {
            loop {
                let states = self.reader_states().await;
                if states
                    .iter()
                    .any(|(r, s, why)| r == reader && s == state && reason.is_none_or(|x| x == why))
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(
            found.is_ok(),
            "{reader} never {state} {reason:?}: {:?}",
            self.reader_states().await
        );
    }

    /// The daemon's ObjectManager (at the root path).
    async fn object_manager(&self) -> zbus::fdo::ObjectManagerProxy<'_> {
        zbus::fdo::ObjectManagerProxy::builder(&self.client)
            .destination(BUS_NAME)
            .path(ROOT_PATH)
            .build()
            .await
            .unwrap()
    }

    /// The card objects now (paths), from the ObjectManager.
    async fn card_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .object_manager()
            .await
            .get_managed_objects()
            .await
            .unwrap()
            .into_iter()
            .filter(|(_, ifaces)| ifaces.keys().any(|n| n.as_str() == CARD_INTERFACE))
            .map(|(p, _)| p.to_string())
            .collect();
        paths.sort();
        paths
    }

    /// Wait for a card object other than the seeded one; its key.
    async fn wait_new_card(&self) -> CardKey {
        let seeded = card_path(&seeded_key()).to_string();
        timeout(WAIT, async {
            loop {
                if let Some(p) = self.card_paths().await.into_iter().find(|p| *p != seeded) {
                    return key_from_path(&p).unwrap();
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("a new card object")
    }

    fn state_file(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("state.json")).unwrap_or_default()
    }

    /// Make every later save fail: the state directory is replaced by a plain file.
    fn break_the_disk(&self) {
        std::fs::rename(self.dir.path(), self.dir.path().with_extension("moved")).unwrap();
        std::fs::write(self.dir.path(), "not a directory").unwrap();
    }

    fn repair_the_disk(&self) {
        std::fs::remove_file(self.dir.path()).unwrap();
        std::fs::rename(self.dir.path().with_extension("moved"), self.dir.path()).unwrap();
    }

    /// Stop the loop (as SIGTERM would) and return its result.
    async fn stop(mut self) -> Result<(), DaemonError> {
        let _ = self.stop.take().unwrap().send(());
        timeout(WAIT, &mut self.task)
            .await
            .expect("the loop stops")
            .unwrap()
    }
}

/// The next value a property-change stream yields, within `WAIT`.
async fn next_change<T>(stream: &mut zbus::proxy::PropertyStream<'static, T>) -> T
where
    T: serde::de::DeserializeOwned + zbus::Type + Unpin,
{
    timeout(WAIT, stream.next())
        .await
        .expect("a property change in time")
        .expect("the stream ended")
        .get()
        .await
        .unwrap()
}

async fn card_proxy(client: &Connection, key: &CardKey) -> CardProxy<'static> {
    CardProxy::builder(client)
        .path(card_path(key))
        .build()
        .await
        .expect("card proxy")
}

#[tokio::test]
async fn card_properties_and_methods() {
    let s = setup().await;
    let k = seeded_key();
    let card = card_proxy(&s.client, &k).await;
    assert_eq!(card.status().await.unwrap(), "renewal-open");
    assert_eq!(card.certificate_expires().await.unwrap(), "2026-06-20");
    assert_eq!(card.renewal_opens().await.unwrap(), "2026-03-21");
    assert_eq!(card.insurance_usable_until().await.unwrap(), "2026-09-30");
    assert_eq!(card.days_left().await.unwrap(), 80);
    assert_eq!(card.insurance_registered().await.unwrap(), "unknown");
    assert!(!card.present().await.unwrap());
    assert_eq!(card.label().await.unwrap(), "母");
    let actions = card.actions().await.unwrap();
    assert!(!actions.is_empty());
    assert_eq!(actions[0].0, "renew-certificate");

    // Subscribe first; the property stream yields the current value first.
    let mut labels = card.receive_label_changed().await;
    let first = timeout(WAIT, labels.next()).await.unwrap().unwrap();
    assert_eq!(first.get().await.unwrap(), "母");
    card.set_label("家族のカード".into()).await.unwrap();
    let changed = timeout(WAIT, labels.next()).await.unwrap().unwrap();
    assert_eq!(changed.get().await.unwrap(), "家族のカード");
    assert_eq!(card.label().await.unwrap(), "家族のカード");
    assert!(
        s.state_file().contains("家族のカード"),
        "saved before the reply"
    );

    card.set_insurance_registered(false).await.unwrap();
    assert_eq!(card.insurance_registered().await.unwrap(), "no");

    card.set_card_expires("2031-02-28".into()).await.unwrap();
    assert!(s.state_file().contains("2031-02-28"));
    // "" forgets the printed expiry (docs/dbus-api.md), as the real loop does.
    card.set_card_expires(String::new()).await.unwrap();
    assert!(!s.state_file().contains("2031-02-28"));
    // An error from the daemon loop reaches the caller by name, and nothing changes.
    s.break_the_disk();
    match card.set_label("not saved".into()).await {
        Err(Error::Failed(msg)) => assert!(msg.contains("cannot save the state"), "{msg}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(card.label().await.unwrap(), "家族のカード");
    s.repair_the_disk();
    s.stop().await.unwrap();
}

#[tokio::test]
async fn bad_arguments_get_named_errors_and_the_service_keeps_running() {
    let s = setup_with(Start {
        seeded: Some("2031-06-20"),
        ..Start::default()
    })
    .await;
    let k = seeded_key();
    let card = card_proxy(&s.client, &k).await;
    for bad in ["2031-02-30", "2031-2-28", "tomorrow"] {
        match card.set_card_expires(bad.into()).await {
            Err(Error::InvalidArgument(msg)) => assert!(msg.contains("YYYY-MM-DD"), "{msg}"),
            other => panic!("{bad:?}: expected InvalidArgument, got {other:?}"),
        }
    }
    for bad in ["a\nb".to_string(), "x".repeat(10_000), "\u{7}".into()] {
        assert!(
            matches!(card.set_label(bad).await, Err(Error::InvalidArgument(_))),
            "label accepted"
        );
    }
    // The raw error name on the wire is the documented one.
    let reply = call_card(&s.client, &k, "SetLabel", &("\u{1b}[2J",)).await;
    match reply {
        Err(zbus::Error::MethodError(name, Some(msg), _)) => {
            assert_eq!(
                name.as_str(),
                "io.github.mynawatch.MynaWatch1.Error.InvalidArgument"
            );
            assert!(msg.contains("control"), "{msg}");
        }
        other => panic!("expected a method error, got {other:?}"),
    }
    // Wrong argument type: rejected by zbus, still no crash.
    let reply = call_card(&s.client, &k, "SetInsuranceRegistered", &("yes",)).await;
    assert!(
        matches!(&reply, Err(zbus::Error::FDO(e)) if matches!(**e, zbus::fdo::Error::InvalidArgs(_))),
        "{reply:?}"
    );
    // Unknown object.
    let ghost = card_proxy(&s.client, &CardIdentity::new(b"i", b"99").key(b"x")).await;
    assert!(ghost.forget().await.is_err());
    // Still serving.
    assert_eq!(card.status().await.unwrap(), "valid");
    assert_eq!(card.label().await.unwrap(), "母");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn property_changes_and_signals_reach_subscribers() {
    let s = setup_with(Start {
        today: "2026-03-01",
        ..Start::default()
    })
    .await;
    let k = seeded_key();
    let card = card_proxy(&s.client, &k).await;
    let mut status = card.receive_status_changed().await;
    let mut days = card.receive_days_left_changed().await;
    let mut renewal = card.receive_renewal_needed().await.unwrap();
    let mut rereg = card.receive_re_registration_needed().await.unwrap();
    let props = zbus::fdo::PropertiesProxy::builder(&s.client)
        .destination(BUS_NAME)
        .path(card_path(&k))
        .build()
        .await
        .unwrap();
    let mut raw = props.receive_properties_changed().await.unwrap();
    assert_eq!(next_change(&mut status).await, "valid");
    assert_eq!(next_change(&mut days).await, 111);

    // 87 days before expiry: the 90-day threshold.
    s.set_today("2026-03-25");
    assert_eq!(next_change(&mut status).await, "renewal-open");
    assert_eq!(next_change(&mut days).await, 87);
    let sig = timeout(WAIT, renewal.next()).await.unwrap().unwrap();
    let args = sig.args().unwrap();
    assert_eq!(
        (args.status(), args.deadline()),
        (&"renewal-open", &"2026-06-20")
    );
    // One PropertiesChanged carried the whole change (not one per property).
    let sig = timeout(WAIT, raw.next()).await.unwrap().unwrap();
    let args = sig.args().unwrap();
    assert_eq!(args.interface_name().as_str(), CARD_INTERFACE);
    let changed: Vec<&str> = args.changed_properties().keys().copied().collect();
    for name in ["Status", "DaysLeft", "Actions"] {
        assert!(changed.contains(&name), "{name} not in {changed:?}");
    }

    // Past the insurance grace period.
    s.set_today("2026-10-01");
    let sig = timeout(WAIT, rereg.next()).await.unwrap().unwrap();
    assert_eq!(sig.args().unwrap().deadline(), &"2026-09-30");
    assert_eq!(card.status().await.unwrap(), "registration-lapsed");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn object_manager_lists_adds_and_removes_cards() {
    let s = setup_with(Start {
        seeded: None,
        ..Start::default()
    })
    .await;
    let om = s.object_manager().await;
    let mut added = om.receive_interfaces_added().await.unwrap();
    let mut removed = om.receive_interfaces_removed().await.unwrap();
    assert!(om.get_managed_objects().await.unwrap().is_empty());

    // 2026-04-01 is in the grace period of a certificate that expired on 2026-03-02.
    s.insert(R0, sim("2026-03-02", 4)).await;
    let sig = timeout(WAIT, added.next()).await.unwrap().unwrap();
    let args = sig.args().unwrap();
    let k = key_from_path(args.object_path().as_str()).expect("a card path");
    let props = args
        .interfaces_and_properties()
        .get(CARD_INTERFACE)
        .expect("card interface announced");
    assert_eq!(
        String::try_from(props["Status"].try_clone().unwrap()).unwrap(),
        "expired-grace"
    );

    // zbus also lists the intermediate `…/cards` node (standard interfaces only): filter by interface.
    let cards = |objects: zbus::fdo::ManagedObjects| {
        objects
            .into_iter()
            .filter_map(|(path, ifaces)| {
                let props = ifaces
                    .into_iter()
                    .find(|(n, _)| n.as_str() == CARD_INTERFACE)?
                    .1;
                Some((path, props))
            })
            .collect::<Vec<_>>()
    };
    let objects = cards(om.get_managed_objects().await.unwrap());
    assert_eq!(objects.len(), 1);
    let (path, props) = &objects[0];
    assert_eq!(path.as_str(), card_path(&k).as_str());
    for name in [
        "Status",
        "CertificateExpires",
        "RenewalOpens",
        "InsuranceUsableUntil",
        "DaysLeft",
        "InsuranceRegistered",
        "Present",
        "Label",
        "Actions",
    ] {
        assert!(props.contains_key(name), "{name} missing");
    }
    s.wait_reader(R0, "read", Some("")).await;

    let card = card_proxy(&s.client, &k).await;
    card.forget().await.unwrap();
    let sig = timeout(WAIT, removed.next()).await.unwrap().unwrap();
    assert_eq!(
        sig.args().unwrap().object_path().as_str(),
        card_path(&k).as_str()
    );
    assert!(cards(om.get_managed_objects().await.unwrap()).is_empty());
    assert!(
        !s.state_file().contains(k.as_str()),
        "forgotten on disk too"
    );
    // A second Forget: the object is gone.
    assert!(card.forget().await.is_err());
    s.stop().await.unwrap();
}

#[tokio::test]
async fn manager_version_readers_and_refresh() {
    let s = setup().await;
    let m = ManagerProxy::new(&s.client).await.unwrap();
    assert_eq!(m.version().await.unwrap(), env!("CARGO_PKG_VERSION"));
    assert!(m.readers().await.unwrap().is_empty());
    let mut readers = m.receive_readers_changed().await;
    timeout(WAIT, readers.next()).await.unwrap().unwrap();
    let list = vec![R0.to_string(), R1.into()];
    s.event(ReaderEvent::Readers(list.clone())).await;
    let got = timeout(WAIT, readers.next()).await.unwrap().unwrap();
    assert_eq!(got.get().await.unwrap(), list);
    assert_eq!(
        s.reader_states().await,
        vec![
            (R0.to_string(), "empty".to_string(), String::new()),
            (R1.to_string(), "empty".to_string(), String::new())
        ]
    );
    // A card the monitor has not reported yet is found by Refresh, which returns once it is read.
    s.cards.put(R1, Some(sim("2031-06-20", 5)));
    m.refresh().await.unwrap();
    assert_eq!(s.card_paths().await.len(), 2);
    s.wait_reader(R1, "read", None).await;
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_slow_read_leaves_the_api_free_and_its_late_result_is_dropped() {
    let s = setup().await;
    let seeded = card_proxy(&s.client, &seeded_key()).await;
    // A card that does not answer yet.
    s.cards.gate(R0, false);
    s.insert(R0, sim("2031-06-20", 6)).await;
    s.wait_reader(R0, "reading", None).await;
    // The loop answers another card's setter while the read hangs.
    timeout(
        Duration::from_secs(2),
        seeded.set_label("while reading".into()),
    )
    .await
    .expect("SetLabel answered during the read")
    .unwrap();
    // The card is pulled and another one goes in before the first read returns.
    s.remove(R0).await;
    s.wait_reader(R0, "empty", None).await;
    s.cards.put(R0, Some(sim("2031-06-20", 7)));
    s.event(ReaderEvent::CardInserted { reader: R0.into() })
        .await;
    s.cards.gate(R0, true);
    let k = s.wait_new_card().await;
    s.wait_reader(R0, "read", None).await;
    // Only the second card: the first read's answer was for a card no longer there.
    assert_eq!(s.card_paths().await.len(), 2, "{:?}", s.card_paths().await);
    assert!(card_proxy(&s.client, &k).await.present().await.unwrap());
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_card_that_does_not_answer_is_given_up_on_and_refresh_returns_in_time() {
    let s = setup_with(Start {
        read_deadline: Duration::from_millis(300),
        ..Start::default()
    })
    .await;
    s.cards.gate(R0, false);
    s.insert(R0, sim("2031-06-20", 8)).await;
    s.wait_reader(R0, "retrying", Some("no-answer")).await;
    let m = ManagerProxy::new(&s.client).await.unwrap();
    let t0 = std::time::Instant::now();
    m.refresh().await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    // Answering again: the next retry reads it, without re-inserting.
    s.cards.gate(R0, true);
    s.wait_reader(R0, "read", None).await;
    s.stop().await.unwrap();
}

#[tokio::test]
async fn a_failed_read_is_retried_and_the_reader_state_says_why() {
    let s = setup().await;
    s.cards.fail(R1, 2, TransportError::InUse);
    s.insert(R1, sim("2031-06-20", 9)).await;
    s.wait_reader(R1, "retrying", Some("in-use")).await;
    s.wait_new_card().await;
    s.wait_reader(R1, "read", Some("")).await;
    s.stop().await.unwrap();
}

#[tokio::test]
async fn cards_that_are_not_usable_my_number_cards_are_named_by_the_reader() {
    let s = setup().await;
    let mut juki = sim("2031-06-20", 10);
    juki.label = "JPKIAPICCTOKEN".into();
    s.insert(R0, juki).await;
    s.wait_reader(R0, "not-a-my-number-card", Some("juki-card"))
        .await;
    let mut phone = sim("2031-06-20", 11);
    phone.label = "JPKIAPIOSTOKEN".into();
    s.insert(R1, phone).await;
    s.wait_reader(R1, "not-a-my-number-card", Some("smartphone"))
        .await;
    assert_eq!(s.card_paths().await.len(), 1, "only the seeded card");
    s.stop().await.unwrap();
}

#[tokio::test]
async fn forget_that_cannot_be_saved_fails_and_keeps_the_card() {
    let s = setup().await;
    let card = card_proxy(&s.client, &seeded_key()).await;
    s.break_the_disk();
    match card.forget().await {
        Err(Error::Failed(msg)) => assert!(msg.contains("cannot save the state"), "{msg}"),
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(s.card_paths().await.len(), 1);
    assert_eq!(card.label().await.unwrap(), "母");
    s.repair_the_disk();
    card.forget().await.unwrap();
    assert!(s.card_paths().await.is_empty());
    assert!(!s.state_file().contains(support::daemon::SEEDED_KEY));
    s.stop().await.unwrap();
}

#[tokio::test]
async fn the_loop_exits_with_an_error_when_the_reader_monitor_ends() {
    let mut s = setup().await;
    let (dead, _) = mpsc::channel(1);
    // The only sender of reader events goes away, as when the monitor thread dies.
    s.events = dead;
    let r = timeout(WAIT, &mut s.task)
        .await
        .expect("the loop ends")
        .unwrap();
    assert!(
        matches!(r, Err(DaemonError::HelperEnded("reader monitor"))),
        "{r:?}"
    );
    // The state was saved on the way out.
    assert!(s.state_file().contains("母"));
}

#[tokio::test]
async fn requests_after_the_loop_stopped_get_shutting_down() {
    let (server, client) = p2p_pair().await;
    let (tx, rx) = mpsc::channel(1);
    let _publisher = Publisher::serve(&server, tx).await.unwrap();
    drop(rx);
    let m = ManagerProxy::new(&client).await.unwrap();
    assert!(matches!(m.refresh().await, Err(Error::ShuttingDown(_))));
}

#[tokio::test]
async fn the_bus_name_is_exclusive() {
    let bus = support::bus::PrivateBus::start();
    let (c1, c2) = (connect(&bus).await, connect(&bus).await);
    let (tx, _rx) = mpsc::channel(1);
    let p1 = Publisher::serve(&c1, tx.clone()).await.unwrap();
    p1.request_name().await.unwrap();
    let p2 = Publisher::serve(&c2, tx).await.unwrap();
    assert!(matches!(
        p2.request_name().await,
        Err(zbus::Error::NameTaken)
    ));
    assert!(bus.has_name(BUS_NAME));
}

/// The interface blocks of an introspection document, whitespace-normalised.
fn interface_blocks(xml: &str, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            let open = format!("<interface name=\"{name}\">");
            let start = xml
                .find(&open)
                .unwrap_or_else(|| panic!("{name} not in XML"));
            let end = start + xml[start..].find("</interface>").unwrap() + "</interface>".len();
            xml[start..end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[tokio::test]
async fn documented_api_matches_the_live_service() {
    let s = setup().await;
    let k = seeded_key();
    let root = introspect(&s.client, BUS_NAME, ROOT_PATH.to_string()).await;
    let card = introspect(&s.client, BUS_NAME, card_path(&k).to_string()).await;
    let live = [
        interface_blocks(&root, &[MANAGER_INTERFACE]),
        interface_blocks(&card, &[CARD_INTERFACE]),
    ]
    .concat();
    let doc_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/io.github.mynawatch.MynaWatch1.xml"
    );
    if std::env::var_os("MW_BLESS").is_some() {
        let manager = &root[root
            .find("<interface name=\"io.github.mynawatch.MynaWatch1.Manager\">")
            .unwrap()..];
        let manager = &manager[..manager.find("</interface>").unwrap() + 12];
        let cardx = &card[card
            .find("<interface name=\"io.github.mynawatch.MynaWatch1.Card\">")
            .unwrap()..];
        let cardx = &cardx[..cardx.find("</interface>").unwrap() + 12];
        let doc = format!(
            "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<!-- Generated from the live service by the documented_api test in tests/dbus_api.rs (set MW_BLESS=1 to rewrite) -->\n<node>\n  {manager}\n  {cardx}\n</node>\n"
        );
        std::fs::write(doc_path, doc).unwrap();
    }
    let doc = std::fs::read_to_string(doc_path).expect("docs XML");
    let documented = interface_blocks(&doc, &[MANAGER_INTERFACE, CARD_INTERFACE]);
    assert_eq!(
        documented, live,
        "docs/io.github.mynawatch.MynaWatch1.xml is stale: regenerate with MW_BLESS=1"
    );
    // Every member in the XML is described in the prose reference.
    let md = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/dbus-api.md"))
        .expect("docs/dbus-api.md");
    for block in &live {
        for part in block.split("name=\"").skip(1) {
            let name = part.split('"').next().unwrap();
            if name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && !name.contains('.') {
                assert!(
                    md.contains(name),
                    "docs/dbus-api.md does not mention {name}"
                );
            }
        }
    }
}

/// `mynawatch ARGS…` on `bus`, awaited: the daemon under test runs on this test's runtime.
async fn cli(bus: &support::bus::PrivateBus, args: &[&str]) -> std::process::Output {
    tokio::process::Command::from(bus.command(support::bin()))
        .args(args)
        .output()
        .await
        .unwrap()
}

/// The real loop owning the bus name on a private bus, as the daemon would.
async fn serve_on(bus: &support::bus::PrivateBus, how: Start<'_>) -> Setup {
    let (server, client) = (connect(bus).await, connect(bus).await);
    let s = start_on(server, client, how).await;
    bus.wait_for_name(BUS_NAME, WAIT);
    s
}

#[tokio::test]
async fn status_without_a_daemon_says_so_and_exits_1() {
    let bus = support::bus::PrivateBus::start();
    let out = bus
        .command(support::bin())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("daemon is not running"), "{err}");
    // No session bus at all.
    let out = std::process::Command::new(support::bin())
        .arg("status")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("session bus"),
        "{out:?}"
    );
}

#[tokio::test]
async fn status_reads_the_published_cards() {
    let bus = support::bus::PrivateBus::start();
    let s = serve_on(&bus, Start::default()).await;
    let k = seeded_key();
    s.event(ReaderEvent::Readers(vec![R0.into()])).await;
    s.wait_reader(R0, "empty", None).await;
    // Not std's blocking output(): the service runs on this test's runtime.
    let out = cli(&bus, &["status", "--json"]).await;
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["readers"], serde_json::json!([R0]));
    assert_eq!(v["cards"][0]["key"], k.to_string());
    assert_eq!(v["cards"][0]["status"], "renewal-open");
    assert_eq!(v["cards"][0]["days_left"], 80);
    assert_eq!(v["cards"][0]["actions"][0]["id"], "renew-certificate");
    let out = cli(&bus, &["status", "--lang", "en"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("certificate expires: 2026-06-20\n"), "{text}");
    assert!(
        text.contains("days: 80 days left until the certificate expires"),
        "{text}"
    );

    // A card that cannot be used is named with its reader, in words.
    let mut juki = sim("2031-06-20", 12);
    juki.label = "JPKIAPICCTOKEN".into();
    s.insert(R0, juki).await;
    s.wait_reader(R0, "not-a-my-number-card", Some("juki-card"))
        .await;
    let out = cli(&bus, &["status", "--lang", "en"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "  {R0}: not a usable My Number Card (this is a Basic Resident Register card"
        )),
        "{text}"
    );
    let out = cli(&bus, &["status", "--json"]).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["reader_states"][0],
        serde_json::json!({"reader": R0, "state": "not-a-my-number-card", "reason": "juki-card"})
    );
    s.stop().await.unwrap();
}

#[tokio::test]
async fn watch_prints_changes_and_signals_as_they_happen() {
    use tokio::io::AsyncBufReadExt;
    let bus = support::bus::PrivateBus::start();
    let s = serve_on(
        &bus,
        Start {
            today: "2026-03-01",
            seeded: None,
            ..Start::default()
        },
    )
    .await;
    let mut child = tokio::process::Command::from(bus.command(support::bin()))
        .args(["watch", "--json"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(next_json(&mut lines).await["event"], "snapshot");
    s.insert(R0, sim("2026-06-20", 13)).await;
    let e = next_card_json(&mut lines).await;
    assert_eq!(e["event"].as_str(), Some("card-added"));
    let k = e["card"].as_str().unwrap().to_string();
    // 87 days before expiry: one change event with every property that changed, then the signal.
    s.set_today("2026-03-25");
    // The read's own late properties (PIN counters, last seen) may come first.
    let mut e = next_card_json(&mut lines).await;
    while e["properties"]["Status"].is_null() {
        e = next_card_json(&mut lines).await;
    }
    assert_eq!(e["properties"]["Status"], "renewal-open");
    assert_eq!(e["properties"]["DaysLeft"], 87);
    let e = next_card_json(&mut lines).await;
    assert_eq!(e["event"], "renewal-needed");
    assert_eq!(e["deadline"], "2026-06-20");
    s.set_today("2026-10-01");
    loop {
        let e = next_card_json(&mut lines).await;
        if e["event"] == "re-registration-needed" {
            assert_eq!(e["deadline"], "2026-09-30");
            break;
        }
    }
    let card = card_proxy(&s.client, &CardKey::try_from(k).unwrap()).await;
    card.forget().await.unwrap();
    loop {
        if next_card_json(&mut lines).await["event"] == "card-removed" {
            break;
        }
    }
    s.stop().await.unwrap();
}

/// The next `watch --json` line about a card (the readers' own changes are skipped).
async fn next_card_json(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) -> serde_json::Value {
    loop {
        let e = next_json(lines).await;
        if !e["card"].is_null() {
            return e;
        }
    }
}

async fn next_json(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) -> serde_json::Value {
    let line = timeout(WAIT, lines.next_line())
        .await
        .expect("an event line in time")
        .unwrap()
        .expect("watch still running");
    serde_json::from_str(&line).unwrap()
}
