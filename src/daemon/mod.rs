//! The daemon: reader events → card read → rule core → publish on D-Bus, notify, remember; plus the
//! reminder scheduler that re-evaluates remembered cards when the Japan date changes.
//!
//! [`run`] owns the loop (mini-redis style: the caller passes the shutdown trigger). Everything that
//! changes state happens in the loop, one event at a time: reader events from the monitor thread,
//! D-Bus requests, new Japan dates from the scheduler, and clicks on notification buttons.

pub mod reminders;
pub mod scheduler;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use zbus::Connection;

use crate::card::{CardError, CardKey, CardReport, CertRead};
use crate::dbus::{CardView, Error as BusError, Publisher, Request, BUS_NAME};
use crate::notify::{self, Notifier};
use crate::pcsc::monitor::{self, ReaderEvent};
use crate::rules::{jst_date, Lang, PinCounters, Policy, Registration};
use crate::store::{CardRecord, State, Store, StoreError};
use reminders::{evaluate, Reminder};
use scheduler::Clock;

/// How the daemon runs (from the command line and the config file).
#[derive(Clone)]
pub struct Options {
    pub policy: Policy,
    pub lang: Lang,
    /// Show desktop notifications (signals are emitted either way).
    pub notify: bool,
    pub clock: Arc<dyn Clock>,
    /// Where cards are remembered.
    pub state_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("another mynawatch daemon already owns {BUS_NAME} on this session bus")]
    AlreadyRunning,
    #[error("D-Bus: {0}")]
    Bus(#[from] zbus::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the reader monitor: {0}")]
    Monitor(#[from] std::io::Error),
    /// The session bus went away (e.g. dbus-daemon restarted): exit so the service manager restarts us.
    #[error("lost the connection to the session bus")]
    BusLost,
}

type Actions = Pin<Box<dyn Stream<Item = (CardKey, String)> + Send>>;

/// Serve on `conn`, take the bus name, and handle events until `shutdown` resolves; then stop the
/// monitor, save the state and release the name.
pub async fn run(
    conn: Connection,
    opts: Options,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let (store, state) = Store::open(&opts.state_dir)?;
    let (req_tx, mut requests) = mpsc::channel(16);
    let publisher = Publisher::serve(&conn, req_tx).await?;
    let today = jst_date(opts.clock.now());
    let notifier = opts.notify.then(|| Notifier::new(conn.clone()));
    let mut daemon = Daemon {
        publisher,
        opts,
        today,
        state,
        store: Some(store),
        present: BTreeSet::new(),
        in_reader: BTreeMap::new(),
        notifier,
    };
    // Remembered cards are on the bus before the name is, so a client never sees a partial list.
    // Reminders are not checked yet: the scheduler's first date does that, once.
    daemon.publish_all(false).await;
    daemon.publisher.request_name().await.map_err(|e| match e {
        zbus::Error::NameTaken => DaemonError::AlreadyRunning,
        e => DaemonError::Bus(e),
    })?;
    tracing::info!(
        name = BUS_NAME,
        cards = daemon.state.cards.len(),
        "serving on the session bus"
    );

    let mut actions: Actions = match &daemon.notifier {
        Some(n) => match n.action_stream().await {
            Ok(s) => Box::pin(s),
            Err(e) => {
                tracing::info!(error = %e, "notification buttons unavailable");
                Box::pin(futures_util::stream::pending())
            }
        },
        None => Box::pin(futures_util::stream::pending()),
    };
    let stop = CancellationToken::new();
    let (day_tx, mut days) = mpsc::channel(4);
    let scheduler = tokio::spawn(scheduler::run(
        daemon.opts.clock.clone(),
        day_tx,
        stop.child_token(),
    ));
    let (ev_tx, mut events) = mpsc::channel(32);
    let monitor = monitor::spawn(ev_tx)?;

    tokio::pin!(shutdown);
    let bus_closed = conn.closed();
    tokio::pin!(bus_closed);
    let mut outcome = Ok(());
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            // Without the bus nobody can see us, and the name is gone: stop (state saved below)
            // rather than run on unseen; systemd's Restart=on-failure brings us back.
            _ = &mut bus_closed => {
                tracing::error!("lost the connection to the session bus; saving and exiting");
                outcome = Err(DaemonError::BusLost);
                break;
            }
            Some(ev) = events.recv() => daemon.reader_event(ev).await,
            Some(day) = days.recv() => daemon.new_day(day).await,
            Some(req) = requests.recv() => daemon.handle(req).await,
            Some((card, action)) = actions.next() => daemon.action(card, action).await,
        }
    }
    tracing::info!("shutting down");
    stop.cancel();
    let _ = scheduler.await;
    if let Err(e) = tokio::task::spawn_blocking(move || monitor.shutdown()).await {
        tracing::warn!(error = %e, "stopping the reader monitor");
    }
    daemon.save();
    if outcome.is_ok() {
        if let Err(e) = conn.release_name(BUS_NAME).await {
            tracing::debug!(error = %e, "releasing the bus name");
        }
    }
    outcome
}

/// One reader's read, done on a blocking thread.
type ReadOutcome = Result<CardReport, CardError>;

/// Read the card in `reader` with a fresh PC/SC context (an old one never recovers from a pcscd
/// restart). The certificate goes to `certs` as soon as it is parsed, before the PIN counters.
/// Blocking: run it with `spawn_blocking`.
fn read_one(reader: &str, certs: &mpsc::UnboundedSender<CertRead>) -> ReadOutcome {
    let started = std::time::Instant::now();
    let ctx = pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| crate::pcsc::transport::reader_error(e, reader))?;
    let connecting = std::time::Instant::now();
    crate::pcsc::transport::read_reader(&ctx, reader, &mut |cert| {
        // Timing for bench/daemon.rs: PC/SC context, then connect → certificate parsed (card I/O).
        tracing::debug!(
            reader,
            establish_us = (connecting - started).as_micros() as u64,
            io_us = connecting.elapsed().as_micros() as u64,
            "certificate read"
        );
        let _ = certs.send(cert.clone());
    })
}

/// The readers holding a card now (for Refresh), with a fresh context. Blocking.
fn present_readers() -> Result<Vec<String>, CardError> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| crate::pcsc::transport::reader_error(e, ""))?;
    crate::pcsc::transport::readers_with_card(&ctx)
}

/// The loop's state: everything is changed from here, one event at a time.
pub struct Daemon {
    publisher: Publisher,
    opts: Options,
    today: NaiveDate,
    state: State,
    /// `None` only in unit tests (nothing is written).
    store: Option<Store>,
    /// Cards in a reader now.
    present: BTreeSet<CardKey>,
    /// Which card is in which reader (for CardRemoved).
    in_reader: BTreeMap<String, CardKey>,
    notifier: Option<Notifier>,
}

impl Daemon {
    fn salt(&self) -> &[u8] {
        self.store.as_ref().map(Store::salt).unwrap_or(b"no store")
    }

    fn save(&self) {
        if let Some(store) = &self.store {
            if let Err(e) = store.save(&self.state) {
                tracing::error!(error = %e, "cannot save the state");
            }
        }
    }

    async fn reader_event(&mut self, ev: ReaderEvent) {
        match ev {
            ReaderEvent::Readers(list) => {
                tracing::debug!(readers = list.len(), "reader list");
                if let Err(e) = self.publisher.set_readers(list).await {
                    tracing::warn!(error = %e, "publishing the readers failed");
                }
            }
            ReaderEvent::CardInserted { reader } => self.read_reader(reader).await,
            ReaderEvent::CardRemoved { reader } => self.card_removed(&reader).await,
            ReaderEvent::ServiceDown => {
                tracing::info!("pcscd is not available; waiting for it");
                if let Err(e) = self.publisher.set_readers(Vec::new()).await {
                    tracing::warn!(error = %e, "publishing the readers failed");
                }
                let readers: Vec<String> = self.in_reader.keys().cloned().collect();
                for r in readers {
                    self.card_removed(&r).await;
                }
            }
        }
    }

    /// Read the card in `reader` and publish what it says: the certificate status as soon as it is
    /// known, then the PIN counters.
    async fn read_reader(&mut self, reader: String) {
        let (cert_tx, mut certs) = mpsc::unbounded_channel();
        let r = reader.clone();
        let mut job = tokio::task::spawn_blocking(move || read_one(&r, &cert_tx));
        let outcome = loop {
            tokio::select! {
                Some(cert) = certs.recv() => self.cert_known(reader.clone(), &cert, None).await,
                r = &mut job => break r,
            }
        };
        match outcome {
            Ok(report) => self.card_read(reader, report).await,
            Err(e) => tracing::error!(error = %e, "the card reading thread failed"),
        }
    }

    /// Re-read every card in a reader now.
    async fn reread_present(&mut self) {
        let readers = match tokio::task::spawn_blocking(present_readers).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot list the cards in the readers");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "the card reading thread failed");
                return;
            }
        };
        let gone: Vec<String> = self
            .in_reader
            .keys()
            .filter(|r| !readers.contains(r))
            .cloned()
            .collect();
        for reader in gone {
            self.card_removed(&reader).await;
        }
        for reader in readers {
            self.read_reader(reader).await;
        }
    }

    /// The outcome of reading the card in `reader`.
    pub async fn card_read(&mut self, reader: String, report: ReadOutcome) {
        match report {
            Ok(report) => {
                let pins = match report.pins {
                    Ok(pins) => Some(pins),
                    Err(e) => {
                        tracing::debug!(reader = %reader, error = %e, "PIN counters not read");
                        None
                    }
                };
                self.cert_known(reader, &report.cert, pins).await;
            }
            Err(CardError::NotMyNumberCard(kind)) => {
                tracing::info!(reader = %reader, token = kind.as_str(), "not a My Number Card; ignored");
            }
            Err(e) if e.is_removed() => {
                tracing::debug!(reader = %reader, "card removed during the read");
            }
            Err(e) => tracing::warn!(reader = %reader, error = %e, "cannot read the card"),
        }
    }

    /// A card's certificate (and maybe its PIN counters) is known: remember and publish.
    async fn cert_known(&mut self, reader: String, cert: &CertRead, pins: Option<PinCounters>) {
        let started = std::time::Instant::now();
        let key = cert.identity.key(self.salt());
        let record = self
            .state
            .cards
            .entry(key.clone())
            .or_insert_with(|| CardRecord::new(cert.token));
        record.token = cert.token;
        record.cert = Some(cert.validity);
        // A PIN that has just locked, or is one wrong entry from locking, is news once (the rule
        // core's `pin-last-try` / `reset-pin-*` steps); unchanged counters on the next read are not.
        let pin_news = pins.is_some_and(|p| p.newly_at_risk(&record.pins));
        if let Some(pins) = pins {
            record.pins = pins;
        }
        record.last_seen = Some(Utc::now());
        tracing::debug!(reader = %reader, card = %key, pins = pins.is_some(), "card read");
        self.in_reader.insert(reader, key.clone());
        self.present.insert(key.clone());
        self.publish(&key, true).await;
        if pin_news {
            self.notify_pins(&key).await;
        }
        // Timing for bench/daemon.rs: our own work from the certificate to the bus.
        tracing::debug!(
            card = %key,
            publish_us = started.elapsed().as_micros() as u64,
            "card published"
        );
        self.save();
    }

    /// Show the PIN notification for a card whose PIN counters just got worse.
    async fn notify_pins(&mut self, key: &CardKey) {
        let Some(record) = self.state.cards.get(key) else {
            return;
        };
        let a = crate::rules::assess(&record.facts(), self.today, &self.opts.policy);
        tracing::info!(card = %key, "a PIN is locked or has one try left");
        let (Some(n), Some(shown)) = (
            &self.notifier,
            notify::compose_pins(&record.label, &a, record.registered, self.opts.lang),
        ) else {
            return;
        };
        if let Err(err) = n.show(key, &shown).await {
            tracing::warn!(card = %key, error = %err, "the notification was not shown");
        }
    }

    /// The card left `reader`: it stays remembered, `Present` goes false.
    pub async fn card_removed(&mut self, reader: &str) {
        let Some(key) = self.in_reader.remove(reader) else {
            return;
        };
        if !self.in_reader.values().any(|k| *k == key) {
            self.present.remove(&key);
        }
        self.publish(&key, false).await;
    }

    async fn new_day(&mut self, day: NaiveDate) {
        // Midnight moves one day forward; anything else is a clock change or a long suspend, worth
        // a line in the log (today's date says nothing about the card holder).
        let step = (day - self.today).num_days();
        if step != 0 && step != 1 {
            tracing::info!(from = %self.today, to = %day, "the Japan date jumped; re-evaluating all cards");
        }
        tracing::debug!(%day, "re-evaluating all cards");
        self.today = day;
        self.publish_all(true).await;
        self.save();
    }

    async fn publish_all(&mut self, remind: bool) {
        let keys: Vec<_> = self.state.cards.keys().cloned().collect();
        for key in keys {
            self.publish(&key, remind).await;
        }
    }

    /// Judge one card for today, update its object, and (if `remind`) emit and show a due reminder.
    async fn publish(&mut self, key: &CardKey, remind: bool) {
        let present = self.present.contains(key);
        let Some(record) = self.state.cards.get_mut(key) else {
            return;
        };
        let e = evaluate(
            &record.facts(),
            self.today,
            &self.opts.policy,
            record.last_notified.as_ref(),
        );
        let view = CardView::new(&e.assessment, record.registered, present, &record.label);
        if let Err(err) = self.publisher.publish_card(key, view).await {
            tracing::warn!(card = %key, error = %err, "publishing the card failed");
        }
        let Some((milestone, reminder)) = e.due.filter(|_| remind) else {
            return;
        };
        record.last_notified = Some(milestone);
        let (label, registered) = (record.label.clone(), record.registered);
        let sent = match reminder {
            Reminder::RenewalNeeded { status, deadline } => {
                self.publisher
                    .renewal_needed(key, status.as_str(), &deadline.to_string())
                    .await
            }
            Reminder::ReRegistrationNeeded { deadline } => {
                self.publisher
                    .re_registration_needed(key, &deadline.to_string())
                    .await
            }
        };
        if let Err(err) = sent {
            tracing::warn!(card = %key, error = %err, "emitting the reminder failed");
        }
        tracing::info!(card = %key, status = %e.assessment.status, "reminder due");
        if let Some(n) = &self.notifier {
            let shown = notify::compose_for(&label, &e.assessment, registered, self.opts.lang);
            if let Err(err) = n.show(key, &shown).await {
                tracing::warn!(card = %key, error = %err, "the notification was not shown");
            }
        }
    }

    async fn handle(&mut self, req: Request) {
        match req {
            Request::Refresh { reply } => {
                self.reread_present().await;
                self.publish_all(true).await;
                self.save();
                let _ = reply.send(Ok(()));
            }
            Request::SetLabel { card, label, reply } => {
                let r = self.update(&card, |c| c.label = label).await;
                let _ = reply.send(r);
            }
            Request::SetRegistered {
                card,
                registered,
                reply,
            } => {
                let r = self.update(&card, |c| c.registered = registered).await;
                let _ = reply.send(r);
            }
            Request::SetCardExpires { card, date, reply } => {
                let r = self.update(&card, |c| c.card_expires = date).await;
                let _ = reply.send(r);
            }
            Request::Forget { card, reply } => {
                let r = if self.state.cards.remove(&card).is_some() {
                    self.present.remove(&card);
                    self.in_reader.retain(|_, k| *k != card);
                    self.save();
                    self.publisher
                        .remove_card(&card)
                        .await
                        .map(|_| ())
                        .map_err(|e| BusError::Failed(e.to_string()))
                } else {
                    Err(BusError::UnknownCard(format!("no card {card}")))
                };
                let _ = reply.send(r);
            }
        }
    }

    async fn update(
        &mut self,
        key: &CardKey,
        f: impl FnOnce(&mut CardRecord),
    ) -> Result<(), BusError> {
        let record = self
            .state
            .cards
            .get_mut(key)
            .ok_or_else(|| BusError::UnknownCard(format!("no card {key}")))?;
        f(record);
        self.publish(key, true).await;
        match &self.store {
            Some(store) => store.save(&self.state).map_err(|e| {
                // The change stays in memory (and on the bus); the next successful save writes it.
                tracing::error!(error = %e, "cannot save the state; keeping the change in memory");
                BusError::Failed(format!("cannot save the state: {e}"))
            }),
            None => Ok(()),
        }
    }

    /// A click on a notification button.
    async fn action(&mut self, card: CardKey, action: String) {
        tracing::debug!(card = %card, action = %action, "notification action");
        let registered = match action.as_str() {
            notify::ACTION_REGISTERED_YES => Registration::Yes,
            notify::ACTION_REGISTERED_NO => Registration::No,
            notify::ACTION_OPEN_GUIDE => {
                open_guide();
                return;
            }
            _ => return,
        };
        if let Err(e) = self.update(&card, |c| c.registered = registered).await {
            tracing::info!(card = %card, error = %e, "notification action for a forgotten card");
        }
    }
}

/// Open the official guide with `xdg-open`, when there is one (not on a headless machine).
fn open_guide() {
    match std::process::Command::new("xdg-open")
        .arg(notify::GUIDE_URL)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        // Reap it in the background; it exits as soon as the browser has the URL.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::info!(error = %e, "cannot open the guide (no xdg-open)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardIdentity;
    use crate::dbus::{card_path, CardProxy};
    use futures_util::StreamExt;
    use scheduler::FixedDay;
    use std::time::Duration;

    async fn p2p_pair() -> (Connection, Connection) {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let server = zbus::connection::Builder::unix_stream(a)
            .server(zbus::Guid::generate())
            .p2p()
            .build();
        let client = zbus::connection::Builder::unix_stream(b).p2p().build();
        tokio::try_join!(server, client).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cert(serial: &[u8], not_before: &str, not_after: &str) -> CertRead {
        CertRead {
            token: crate::rules::TokenKind::MyNumberCard,
            validity: crate::rules::CertValidity {
                not_before: d(not_before),
                not_after: d(not_after),
            },
            identity: CardIdentity::new(b"issuer", serial),
        }
    }

    async fn daemon_on(conn: &Connection, today: &str) -> (Daemon, mpsc::Receiver<Request>) {
        let (tx, rx) = mpsc::channel(4);
        let publisher = Publisher::serve(conn, tx).await.unwrap();
        let opts = Options {
            policy: Policy::default(),
            lang: Lang::En,
            notify: false,
            clock: Arc::new(FixedDay(d(today))),
            state_dir: PathBuf::new(),
        };
        let daemon = Daemon {
            publisher,
            opts,
            today: d(today),
            state: State::default(),
            store: None,
            present: BTreeSet::new(),
            in_reader: BTreeMap::new(),
            notifier: None,
        };
        (daemon, rx)
    }

    /// A proxy that reads the live values, not a cache that PropertiesChanged updates later.
    async fn live_card_proxy(client: &Connection, key: &CardKey) -> CardProxy<'static> {
        CardProxy::builder(client)
            .path(card_path(key))
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_card_is_published_reminded_once_and_follows_the_users_answers() {
        let (server, client) = p2p_pair().await;
        let (mut daemon, mut requests) = daemon_on(&server, "2026-04-01").await;
        let card = cert(b"s", "2021-06-20", "2026-06-20");
        let key = card.identity.key(daemon.salt());
        let proxy = live_card_proxy(&client, &key).await;
        let mut renewal = proxy.receive_renewal_needed().await.unwrap();

        // 80 days before expiry.
        daemon.cert_known("r0".into(), &card, None).await;
        assert_eq!(proxy.status().await.unwrap(), "renewal-open");
        assert_eq!(proxy.days_left().await.unwrap(), 80);
        assert_eq!(proxy.certificate_expires().await.unwrap(), "2026-06-20");
        let sig = tokio::time::timeout(Duration::from_secs(5), renewal.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sig.args().unwrap().deadline(), &"2026-06-20");

        // Seen again the same day, and the next day: no second reminder.
        daemon.card_removed("r0").await;
        assert!(!proxy.present().await.unwrap());
        daemon.cert_known("r0".into(), &card, None).await;
        assert!(proxy.present().await.unwrap());
        daemon.new_day(d("2026-04-02")).await;
        assert_eq!(proxy.days_left().await.unwrap(), 79);
        // The 60-day threshold fires once.
        daemon.new_day(d("2026-04-21")).await;
        daemon.new_day(d("2026-04-22")).await;
        let sig = tokio::time::timeout(Duration::from_secs(5), renewal.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sig.args().unwrap().status(), &"renewal-open");
        assert!(
            tokio::time::timeout(Duration::from_millis(200), renewal.next())
                .await
                .is_err(),
            "a second signal for the same threshold"
        );

        // SetInsuranceRegistered(false) through D-Bus → the loop → an action to register.
        let call = tokio::spawn({
            let proxy = proxy.clone();
            async move { proxy.set_insurance_registered(false).await }
        });
        let req = requests.recv().await.unwrap();
        daemon.handle(req).await;
        call.await.unwrap().unwrap();
        assert_eq!(proxy.insurance_registered().await.unwrap(), "no");
        let actions = proxy.actions().await.unwrap();
        assert!(
            actions.iter().any(|a| a.0 == "register-insurance"),
            "{actions:?}"
        );

        // Forget → object gone; a second Forget is UnknownCard.
        for expect_ok in [true, false] {
            let call = tokio::spawn({
                let proxy = proxy.clone();
                async move { proxy.forget().await }
            });
            if expect_ok {
                let req = requests.recv().await.unwrap();
                daemon.handle(req).await;
                call.await.unwrap().unwrap();
            } else {
                assert!(call.await.unwrap().is_err());
            }
        }
        assert!(daemon.publisher.card_keys().is_empty());
    }

    #[tokio::test]
    async fn past_grace_emits_re_registration_needed() {
        let (server, client) = p2p_pair().await;
        let (mut daemon, _requests) = daemon_on(&server, "2026-07-01").await;
        let card = cert(b"t", "2021-02-10", "2026-02-10");
        let key = card.identity.key(daemon.salt());
        let proxy = live_card_proxy(&client, &key).await;
        let mut rereg = proxy.receive_re_registration_needed().await.unwrap();
        daemon.cert_known("r1".into(), &card, None).await;
        assert_eq!(proxy.status().await.unwrap(), "registration-lapsed");
        let sig = tokio::time::timeout(Duration::from_secs(5), rereg.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sig.args().unwrap().deadline(), &"2026-05-31");
    }
}
