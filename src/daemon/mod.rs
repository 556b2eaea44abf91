//! The daemon: reader events → card read → rule core → publish on D-Bus, notify, remember; plus the
//! reminder scheduler that re-evaluates remembered cards when the Japan date changes.
//!
//! [`run`] owns the loop (mini-redis style: the caller passes the shutdown trigger); [`run_with`] is
//! the same loop with its event sources injected (reader events, card reads; the clock is in
//! [`Options`]), which the in-process tests drive. Everything that changes state happens in the
//! loop, one event at a time: reader events from the monitor thread, D-Bus requests, new Japan dates
//! from the scheduler, card reads finishing, notifications shown, and clicks on notification buttons.
//! Nothing slow runs in the loop itself: card reads run on blocking threads and come back as events
//! ([`reads`]), notifications are shown from tasks, the state is written by the [`writer`] task.

pub mod reads;
pub mod reminders;
pub mod scheduler;
pub mod writer;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use zbus::Connection;

use crate::card::{CardError, CardKey, CertRead};
use crate::dbus::{Error as BusError, Presence, Publisher, Reply, Request, BUS_NAME};
use crate::l10n::Lang;
use crate::notify::{self, Notifier};
use crate::pcsc::monitor::{self, ReaderEvent};
use crate::readers::{ReadProblem, ReaderState, ReaderStatus};
use crate::rules::{jst_date, Milestone, PinCounters, Policy, Registration};
use crate::store::{CardRecord, Origin, State, Store, StoreError};
use reads::{CardReader, PcscCards, ReadEvent, ReadId, ReadOutcome, Reading};
use reminders::{Remind, Reminder};
use scheduler::Clock;
use writer::Writer;

/// How long one card read may take before the daemon gives up on it (and retries). A real read
/// takes one to two seconds; this also bounds how long `Refresh` waits.
pub const READ_DEADLINE: Duration = Duration::from_secs(15);

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
    /// See [`READ_DEADLINE`].
    pub read_deadline: Duration,
}

/// Where the loop's events come from besides D-Bus and the clock: the reader monitor and the cards.
pub struct Sources {
    pub reader_events: mpsc::Receiver<ReaderEvent>,
    pub cards: Arc<dyn CardReader>,
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
    /// A part the loop depends on ended (a panic, or a bug): exit so the service manager restarts
    /// us rather than run on deaf to readers or dates.
    #[error("the {0} stopped")]
    HelperEnded(&'static str),
}

type Actions = Pin<Box<dyn Stream<Item = (CardKey, String)> + Send>>;
type Appeared = Pin<Box<dyn Stream<Item = ()> + Send>>;

/// Serve on `conn`, take the bus name, and handle events from the real reader monitor and pcscd
/// until `shutdown` resolves; then save the state and release the name.
pub async fn run(
    conn: Connection,
    opts: Options,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let (ev_tx, reader_events) = mpsc::channel(32);
    let monitor = monitor::spawn(ev_tx)?;
    let sources = Sources {
        reader_events,
        cards: Arc::new(PcscCards),
    };
    let outcome = run_with(conn, opts, sources, shutdown).await;
    if let Err(e) = tokio::task::spawn_blocking(move || monitor.shutdown()).await {
        tracing::warn!(error = %e, "stopping the reader monitor");
    }
    outcome
}

/// The loop of [`run`] with its sources injected. On a peer-to-peer connection (tests) there is no
/// bus name to take.
pub async fn run_with(
    conn: Connection,
    opts: Options,
    sources: Sources,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let (store, state) = Store::open(&opts.state_dir)?;
    let (req_tx, mut requests) = mpsc::channel(BATCH);
    let publisher = Publisher::serve(&conn, req_tx).await?;
    let (mut daemon, mut loop_events) = Daemon::new(publisher, opts, store, state, sources.cards);
    // Remembered cards are on the bus before the name is, so a client never sees a partial list.
    // Reminders are not checked yet: the scheduler's first date does that, once.
    daemon.publish_all(Remind::Never).await;
    if conn.unique_name().is_some() {
        daemon.publisher.request_name().await.map_err(|e| match e {
            zbus::Error::NameTaken => DaemonError::AlreadyRunning,
            e => DaemonError::Bus(e),
        })?;
    }
    tracing::info!(
        name = BUS_NAME,
        cards = daemon.state.cards.len(),
        "serving on the session bus"
    );

    let (mut actions, mut appeared): (Actions, Appeared) = match &daemon.notifier {
        Some(n) => (
            or_never(n.action_stream().await, "notification buttons unavailable"),
            or_never(
                n.server_appeared().await,
                "cannot follow the notification server",
            ),
        ),
        None => (
            Box::pin(futures_util::stream::pending()),
            Box::pin(futures_util::stream::pending()),
        ),
    };
    let stop = CancellationToken::new();
    let (day_tx, mut days) = mpsc::channel(4);
    let scheduler = tokio::spawn(scheduler::run(
        daemon.opts.clock.clone(),
        day_tx,
        stop.child_token(),
    ));
    let mut reader_events = sources.reader_events;

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
            ev = reader_events.recv() => match ev {
                Some(ev) => daemon.reader_event(ev).await,
                None => {
                    outcome = Err(helper_ended("reader monitor"));
                    break;
                }
            },
            day = days.recv() => match day {
                Some(day) => daemon.new_day(day).await,
                None => {
                    outcome = Err(helper_ended("reminder scheduler"));
                    break;
                }
            },
            Some(req) = requests.recv() => {
                // Everything queued meanwhile goes into one batch: one state write for all of its
                // changes (group commit), so a burst of setters costs one fsync pair, not one each.
                let mut batch = vec![req];
                while batch.len() < BATCH {
                    match requests.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                daemon.handle_batch(batch).await
            }
            Some(ev) = loop_events.reads.recv() => daemon.read_event(ev).await,
            Some(shown) = loop_events.shown.recv() => daemon.shown(shown),
            Some((card, action)) = actions.next() => daemon.action(card, action).await,
            Some(()) = appeared.next() => daemon.notification_server_appeared().await,
        }
    }
    tracing::info!("shutting down");
    // A read in flight is told to stop and abandoned: its thread may sit in a PC/SC transmit that
    // nothing can interrupt, and it ends with the process.
    for slot in daemon.slots.values_mut() {
        if let Some(r) = slot.reading.take() {
            r.cancel();
        }
    }
    stop.cancel();
    let _ = scheduler.await;
    if let Err(e) = daemon.writer.save_now(daemon.state.clone()).await {
        tracing::error!(error = %e, "cannot save the state");
    }
    daemon.writer.close().await;
    if outcome.is_ok() && conn.unique_name().is_some() {
        if let Err(e) = conn.release_name(BUS_NAME).await {
            tracing::debug!(error = %e, "releasing the bus name");
        }
    }
    outcome
}

/// A notification stream, or one that never yields when it cannot be had: the daemon works on
/// without buttons or without following the server, and says so in the log as `unavailable`.
fn or_never<T: Send + 'static>(
    stream: Result<impl Stream<Item = T> + Send + 'static, notify::NotifyError>,
    unavailable: &str,
) -> Pin<Box<dyn Stream<Item = T> + Send>> {
    match stream {
        Ok(s) => Box::pin(s),
        Err(e) => {
            tracing::info!(error = %e, "{unavailable}");
            Box::pin(futures_util::stream::pending())
        }
    }
}

/// A helper task of the loop (`which`) ended: logged, and the loop ends with this error so that
/// the service manager restarts the daemon.
fn helper_ended(which: &'static str) -> DaemonError {
    tracing::error!(
        "the {which} stopped; saving and exiting so the service manager restarts the daemon"
    );
    DaemonError::HelperEnded(which)
}

/// At most this many D-Bus requests wait for the loop, and are handled (and saved) as one batch.
const BATCH: usize = 256;

/// A setter's change, made on the batch's copy of the state, waiting for that copy to be saved.
enum Staged {
    Changed(CardKey, crate::dbus::Reply),
    Forgotten(CardKey, crate::dbus::Reply),
    Added(
        CardKey,
        tokio::sync::oneshot::Sender<Result<CardKey, BusError>>,
    ),
}

/// A notification task's result: was `milestone`'s reminder for `card` shown?
#[derive(Debug)]
pub struct Shown {
    card: CardKey,
    milestone: Milestone,
    ok: bool,
}

/// The loop's own event channels (senders live in [`Daemon`]).
struct LoopEvents {
    reads: mpsc::UnboundedReceiver<ReadEvent>,
    shown: mpsc::UnboundedReceiver<Shown>,
}

/// One reader as the loop tracks it.
#[derive(Debug)]
struct Slot {
    /// Bumped at every insertion and removal: a retry scheduled for an earlier card is dropped.
    generation: u64,
    /// The card last read in this reader (while it stays there).
    card: Option<CardKey>,
    state: ReaderState,
    problem: Option<ReadProblem>,
    reading: Option<Reading>,
    /// Failed reads of this insertion.
    attempts: u32,
}

impl Slot {
    fn empty() -> Slot {
        Slot {
            generation: 0,
            card: None,
            state: ReaderState::Empty,
            problem: None,
            reading: None,
            attempts: 0,
        }
    }

    fn cancel_read(&mut self) {
        if let Some(r) = self.reading.take() {
            r.cancel();
        }
    }
}

/// A `Refresh` waiting for its reads.
struct PendingRefresh {
    id: u64,
    reply: Reply,
    /// `None` while the readers are being listed.
    waiting: Option<BTreeSet<ReadId>>,
}

/// The loop's state: everything is changed from here, one event at a time.
pub struct Daemon {
    publisher: Publisher,
    opts: Options,
    today: NaiveDate,
    state: State,
    salt: Vec<u8>,
    writer: Writer,
    cards: Arc<dyn CardReader>,
    slots: BTreeMap<String, Slot>,
    next_id: u64,
    reads_tx: mpsc::UnboundedSender<ReadEvent>,
    refreshes: Vec<PendingRefresh>,
    notifier: Option<Notifier>,
    shown_tx: mpsc::UnboundedSender<Shown>,
    /// Cards whose notification is being shown now (one at a time per card).
    showing: BTreeSet<CardKey>,
    /// Cards whose PIN notification waits for their reminder to be shown first: the PIN one (which
    /// repeats the status) must come last, since it replaces the card's notification.
    pins_waiting: BTreeSet<CardKey>,
}

impl Daemon {
    fn new(
        publisher: Publisher,
        opts: Options,
        store: Store,
        state: State,
        cards: Arc<dyn CardReader>,
    ) -> (Daemon, LoopEvents) {
        let (reads_tx, reads) = mpsc::unbounded_channel();
        let (shown_tx, shown) = mpsc::unbounded_channel();
        let notifier = opts
            .notify
            .then(|| Notifier::new(publisher.connection().clone()));
        let daemon = Daemon {
            today: jst_date(opts.clock.now()),
            salt: store.salt().to_vec(),
            writer: Writer::spawn(store),
            publisher,
            opts,
            state,
            cards,
            slots: BTreeMap::new(),
            next_id: 0,
            reads_tx,
            refreshes: Vec::new(),
            notifier,
            shown_tx,
            showing: BTreeSet::new(),
            pins_waiting: BTreeSet::new(),
        };
        (daemon, LoopEvents { reads, shown })
    }

    fn salt(&self) -> &[u8] {
        &self.salt
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Write the state soon (coalesced; a failure is logged and the next write carries it).
    fn save_later(&self) {
        self.writer.save_later(self.state.clone());
    }

    /// Apply a change to a copy of the state, write the copy, and only then make it ours: a change
    /// that cannot be saved is not applied.
    async fn commit(&mut self, next: State) -> Result<(), BusError> {
        match self.writer.save_now(next.clone()).await {
            Ok(()) => {
                self.state = next;
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot save the state; the change is not applied");
                Err(BusError::Failed(format!("cannot save the state: {e}")))
            }
        }
    }

    fn presence(&self, key: &CardKey) -> Presence {
        if self.slots.values().any(|s| s.card.as_ref() == Some(key)) {
            Presence::InReader
        } else {
            Presence::Away
        }
    }

    /// Publish the Manager's `Readers` and `ReaderStates` (one PropertiesChanged if either changed).
    async fn publish_readers(&self) {
        let names: Vec<String> = self.slots.keys().cloned().collect();
        let states: Vec<ReaderStatus> = self
            .slots
            .iter()
            .map(|(reader, s)| ReaderStatus {
                reader: reader.clone(),
                state: s.state,
                problem: s.problem,
            })
            .collect();
        if let Err(e) = self.publisher.set_readers(names, &states).await {
            tracing::warn!(error = %e, "publishing the readers failed");
        }
    }

    async fn reader_event(&mut self, ev: ReaderEvent) {
        match ev {
            ReaderEvent::Readers(list) => {
                tracing::debug!(readers = list.len(), "reader list");
                let gone: Vec<String> = self
                    .slots
                    .keys()
                    .filter(|r| !list.contains(r))
                    .cloned()
                    .collect();
                for reader in gone {
                    self.card_removed(&reader).await;
                    self.slots.remove(&reader);
                }
                for reader in list {
                    self.slots.entry(reader).or_insert_with(Slot::empty);
                }
            }
            ReaderEvent::CardInserted { reader } => {
                let slot = self.slots.entry(reader.clone()).or_insert_with(Slot::empty);
                slot.generation += 1;
                slot.attempts = 0;
                slot.cancel_read();
                if let Some(key) = slot.card.take() {
                    if self.presence(&key) == Presence::Away {
                        self.publish(&key, Remind::Never).await;
                    }
                }
                self.start_read(&reader);
            }
            ReaderEvent::CardRemoved { reader } => self.card_removed(&reader).await,
            ReaderEvent::ServiceDown => {
                tracing::info!("pcscd is not available; waiting for it");
                let readers: Vec<String> = self.slots.keys().cloned().collect();
                for r in readers {
                    self.card_removed(&r).await;
                }
                self.slots.clear();
            }
        }
        self.publish_readers().await;
    }

    /// Start reading the card in `reader` beside the loop.
    fn start_read(&mut self, reader: &str) {
        let id = ReadId(self.next_id());
        let reading = reads::spawn_read(
            &self.cards,
            reader.to_string(),
            id,
            self.opts.read_deadline,
            &self.reads_tx,
        );
        let slot = self
            .slots
            .entry(reader.to_string())
            .or_insert_with(Slot::empty);
        slot.cancel_read();
        slot.reading = Some(reading);
        slot.state = ReaderState::Reading;
        slot.problem = None;
        tracing::debug!(reader, read = id.0, "reading the card");
    }

    async fn read_event(&mut self, ev: ReadEvent) {
        match ev {
            ReadEvent::Cert { reader, id, cert } => {
                if self.is_current(&reader, id) {
                    self.cert_known(reader, &cert, None).await;
                }
            }
            ReadEvent::Done {
                reader,
                id,
                outcome,
            } => {
                let current = self.is_current(&reader, id);
                if current {
                    if let Some(slot) = self.slots.get_mut(&reader) {
                        slot.reading = None;
                    }
                    self.card_read(reader, outcome).await;
                    self.publish_readers().await;
                } else {
                    tracing::debug!(reader = %reader, read = id.0, "dropped the result of a read no longer waited for");
                }
                for r in &mut self.refreshes {
                    if let Some(w) = &mut r.waiting {
                        w.remove(&id);
                    }
                }
                self.finish_refreshes().await;
            }
            ReadEvent::Retry { reader, generation } => {
                let due = self.slots.get(&reader).is_some_and(|s| {
                    s.generation == generation
                        && s.reading.is_none()
                        && s.state == ReaderState::Retrying
                });
                if due {
                    self.start_read(&reader);
                    self.publish_readers().await;
                }
            }
            ReadEvent::Listed { refresh, readers } => self.listed(refresh, readers).await,
        }
    }

    /// Is `id` the read the loop waits for in `reader`?
    fn is_current(&self, reader: &str, id: ReadId) -> bool {
        self.slots
            .get(reader)
            .and_then(|s| s.reading.as_ref())
            .is_some_and(|r| r.id == id)
    }

    /// The outcome of the current read of `reader`.
    async fn card_read(&mut self, reader: String, outcome: ReadOutcome) {
        let failure = match outcome {
            Ok(report) => {
                let pins = match report.pins {
                    Ok(pins) => Some(pins),
                    Err(e) => {
                        tracing::debug!(reader = %reader, error = %e, "PIN counters not read");
                        None
                    }
                };
                self.cert_known(reader.clone(), &report.cert, pins).await;
                if let Some(slot) = self.slots.get_mut(&reader) {
                    slot.state = ReaderState::Read;
                    slot.problem = None;
                    slot.attempts = 0;
                }
                return;
            }
            Err(e) => e,
        };
        let Some(slot) = self.slots.get_mut(&reader) else {
            return;
        };
        match ReadProblem::of(&failure) {
            // No card, no reader, no pcscd: the monitor's events say so and settle the slot.
            None => {
                tracing::debug!(reader = %reader, error = %failure, "no card to read");
                slot.state = ReaderState::Empty;
                slot.problem = None;
            }
            Some(problem) if problem.is_about_the_card() => {
                match &failure {
                    CardError::NotMyNumberCard(kind) => {
                        tracing::info!(reader = %reader, token = kind.as_str(), "not a My Number Card");
                    }
                    e => {
                        tracing::warn!(reader = %reader, error = %e, "not a usable My Number Card")
                    }
                }
                slot.state = ReaderState::NotAMyNumberCard;
                slot.problem = Some(problem);
            }
            Some(problem) => {
                slot.attempts += 1;
                slot.problem = Some(problem);
                if slot.attempts < reads::MAX_ATTEMPTS {
                    let delay = reads::backoff(slot.attempts - 1);
                    tracing::info!(reader = %reader, error = %failure, attempt = slot.attempts, ?delay, "cannot read the card; trying again");
                    slot.state = ReaderState::Retrying;
                    reads::spawn_retry(reader.clone(), slot.generation, delay, &self.reads_tx);
                } else {
                    tracing::warn!(reader = %reader, error = %failure, attempts = slot.attempts, "cannot read the card; giving up until it is re-inserted");
                    slot.state = ReaderState::Failed;
                }
            }
        }
    }

    /// A card's certificate (and maybe its PIN counters) is known: remember and publish.
    async fn cert_known(&mut self, reader: String, cert: &CertRead, pins: Option<PinCounters>) {
        let started = std::time::Instant::now();
        let key = cert.identity.key(self.salt());
        if !self.state.cards.contains_key(&key) {
            self.merge_typed(&key, cert).await;
        }
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
        record.last_seen = Some(self.opts.clock.now());
        tracing::debug!(reader = %reader, card = %key, pins = pins.is_some(), "card read");
        self.slots.entry(reader).or_insert_with(Slot::empty).card = Some(key.clone());
        self.publish(&key, Remind::IfDue).await;
        if pin_news {
            self.notify_pins(&key);
        }
        // Timing for bench/daemon.rs: our own work from the certificate to the bus.
        tracing::debug!(
            card = %key,
            publish_us = started.elapsed().as_micros() as u64,
            "card published"
        );
        self.save_later();
    }

    /// Show the PIN notification for a card whose PIN counters just got worse: after the card's
    /// reminder if one is being shown (both replace the card's one notification, and the PIN one
    /// repeats the status, so it goes last), in a task of its own so the loop never waits on the
    /// notification server.
    fn notify_pins(&mut self, key: &CardKey) {
        if self.showing.contains(key) {
            self.pins_waiting.insert(key.clone());
            return;
        }
        let Some(record) = self.state.cards.get(key) else {
            return;
        };
        let a = crate::rules::assess(&record.facts(), self.today, &self.opts.policy);
        tracing::info!(card = %key, "a PIN is locked or has one try left");
        let (Some(n), Some(shown)) = (
            self.notifier.clone(),
            notify::compose_pins(&record.label, &a, record.registered, self.opts.lang),
        ) else {
            return;
        };
        let card = key.clone();
        tokio::spawn(async move {
            if let Err(err) = n.show(&card, &shown).await {
                tracing::warn!(card = %card, error = %err, "the notification was not shown");
            }
        });
    }

    /// A card read for the first time may be one the user typed in (`mynawatch add`): if exactly one
    /// typed card has the same certificate expiry, its record (label, answers, last reminder) becomes
    /// this card's, its object goes, and the user is told (log, `CardsMerged`, a notification).
    async fn merge_typed(&mut self, key: &CardKey, cert: &CertRead) {
        if cert.token != crate::rules::TokenKind::MyNumberCard {
            return;
        }
        let same: Vec<CardKey> = self
            .state
            .cards
            .iter()
            .filter(|(_, r)| {
                r.origin == Origin::Typed
                    && r.cert.map(|c| c.not_after) == Some(cert.validity.not_after)
            })
            .map(|(k, _)| k.clone())
            .collect();
        let typed = match same.as_slice() {
            [] => return,
            [one] => one.clone(),
            _ => {
                // Two typed cards with the same expiry (twins?): guessing could swap their answers.
                tracing::info!(
                    card = %key,
                    candidates = same.len(),
                    "several typed-in cards match this card; not merging (forget the wrong one)"
                );
                return;
            }
        };
        let Some(mut record) = self.state.cards.remove(&typed) else {
            return;
        };
        record.origin = Origin::Read;
        record.cert = Some(cert.validity);
        self.state.cards.insert(key.clone(), record.clone());
        if let Err(e) = self.publisher.remove_card(&typed).await {
            tracing::warn!(card = %typed, error = %e, "removing the typed-in card's object failed");
        }
        tracing::info!(typed = %typed, card = %key, "the card typed in by hand was read; merged the two");
        if let Err(e) = self.publisher.cards_merged(&typed, key).await {
            tracing::warn!(error = %e, "emitting CardsMerged failed");
        }
        if let Some(n) = &self.notifier {
            let shown = notify::merged(&record.label, self.opts.lang);
            // Under the typed card's slot, so the read card's own reminder does not replace it.
            if let Err(e) = n.show(&typed, &shown).await {
                tracing::warn!(card = %key, error = %e, "the notification was not shown");
            }
        }
    }

    /// The card left `reader`: it stays remembered, `Present` goes false.
    async fn card_removed(&mut self, reader: &str) {
        let Some(slot) = self.slots.get_mut(reader) else {
            return;
        };
        slot.generation += 1;
        slot.cancel_read();
        slot.state = ReaderState::Empty;
        slot.problem = None;
        slot.attempts = 0;
        if let Some(key) = slot.card.take() {
            if self.presence(&key) == Presence::Away {
                self.publish(&key, Remind::Never).await;
            }
        }
    }

    async fn new_day(&mut self, day: NaiveDate) {
        // Midnight moves one day forward; anything else is a clock change or a long suspend, worth
        // a line in the log. Never the date itself: next to "reminder due" it is a milestone's
        // date, and so the holder's birthday (docs/privacy.md); the step in days tells nothing.
        let step = (day - self.today).num_days();
        if step != 0 && step != 1 {
            tracing::info!(
                days = step,
                "the Japan date jumped; re-evaluating all cards"
            );
        }
        tracing::debug!("re-evaluating all cards");
        self.today = day;
        self.publish_all(Remind::IfDue).await;
        self.save_later();
    }

    async fn publish_all(&mut self, remind: Remind) {
        let keys: Vec<_> = self.state.cards.keys().cloned().collect();
        for key in keys {
            self.publish(&key, remind).await;
        }
    }

    /// Publish one card for today and deliver the reminder due, as [`reminders::plan`] decides.
    ///
    /// At least once: a milestone counts as delivered only once its notification was shown (or,
    /// with notifications off, once the signal went out). Until then it is `pending_reminder`,
    /// saved, and shown again when a notification server appears or at the next evaluation.
    async fn publish(&mut self, key: &CardKey, remind: Remind) {
        let presence = self.presence(key);
        let notify_in = self.notifier.is_some().then_some(self.opts.lang);
        let Some(record) = self.state.cards.get(key) else {
            return;
        };
        let plan = reminders::plan(
            key,
            record,
            presence,
            self.today,
            &self.opts.policy,
            remind,
            notify_in,
        );
        if let Err(err) = self.publisher.publish_card(key, plan.view).await {
            tracing::warn!(card = %key, error = %err, "publishing the card failed");
        }
        let Some(due) = plan.reminder else {
            return;
        };
        if let Some(signal) = due.signal {
            let sent = match signal {
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
                tracing::warn!(card = %key, error = %err, "emitting the reminder failed; trying again at the next evaluation");
                return;
            }
            tracing::info!(card = %key, status = %plan.status, "reminder due");
        }
        let Some(record) = self.state.cards.get_mut(key) else {
            return;
        };
        let (Some(n), Some(shown)) = (self.notifier.clone(), due.notification) else {
            record.last_notified = Some(due.milestone);
            record.pending_reminder = None;
            self.save_later();
            return;
        };
        let milestone = due.milestone;
        if record.pending_reminder != Some(milestone) {
            record.pending_reminder = Some(milestone);
            self.save_later();
        }
        if !self.showing.insert(key.clone()) {
            return;
        }
        let (card, tx) = (key.clone(), self.shown_tx.clone());
        tokio::spawn(async move {
            let ok = match n.show(&card, &shown).await {
                Ok(_) => true,
                Err(err) => {
                    tracing::warn!(card = %card, error = %err, "the notification was not shown; showing it when a notification server appears");
                    false
                }
            };
            let _ = tx.send(Shown {
                card,
                milestone,
                ok,
            });
        });
    }

    /// A notification task ended: a shown reminder is delivered.
    fn shown(&mut self, s: Shown) {
        self.showing.remove(&s.card);
        if self.pins_waiting.remove(&s.card) {
            self.notify_pins(&s.card);
        }
        if !s.ok {
            return;
        }
        let Some(record) = self.state.cards.get_mut(&s.card) else {
            return;
        };
        if record.pending_reminder == Some(s.milestone) {
            record.pending_reminder = None;
            record.last_notified = Some(s.milestone);
            self.save_later();
        }
    }

    /// A notification server (re)appeared: show the reminders it missed.
    async fn notification_server_appeared(&mut self) {
        let pending: Vec<CardKey> = self
            .state
            .cards
            .iter()
            .filter(|(_, r)| r.pending_reminder.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        tracing::info!(pending = pending.len(), "a notification server appeared");
        for key in pending {
            self.publish(&key, Remind::IfDue).await;
        }
    }

    /// Handle queued requests in order. Every change is made on one copy of the state, which is
    /// written once; only when it is on disk do the changes become ours, get published and
    /// answered. If it cannot be written, every change of the batch fails and none is applied — as
    /// if each had been saved on its own (a request that is wrong by itself fails by itself).
    async fn handle_batch(&mut self, requests: Vec<Request>) {
        let mut next: Option<State> = None;
        let mut staged = Vec::new();
        for req in requests {
            let unknown = |card: &CardKey| Err(BusError::UnknownCard(format!("no card {card}")));
            let state = next.get_or_insert_with(|| self.state.clone());
            let mut change = |card: CardKey,
                              reply: crate::dbus::Reply,
                              f: &dyn Fn(&mut CardRecord)| {
                match state.cards.get_mut(&card) {
                    Some(record) => {
                        f(record);
                        staged.push(Staged::Changed(card, reply));
                    }
                    None => {
                        let _ = reply.send(unknown(&card));
                    }
                }
            };
            match req {
                Request::Refresh { reply } => {
                    let id = self.next_id();
                    self.refreshes.push(PendingRefresh {
                        id,
                        reply,
                        waiting: None,
                    });
                    reads::spawn_list(&self.cards, id, self.opts.read_deadline, &self.reads_tx);
                }
                Request::SetLabel { card, label, reply } => {
                    change(card, reply, &|c| c.label.clone_from(&label))
                }
                Request::SetRegistered {
                    card,
                    registered,
                    reply,
                } => change(card, reply, &|c| c.registered = registered),
                Request::SetCardExpires { card, date, reply } => {
                    change(card, reply, &|c| c.card_expires = date)
                }
                Request::Forget { card, reply } => {
                    if state.cards.remove(&card).is_some() {
                        staged.push(Staged::Forgotten(card, reply));
                    } else {
                        let _ = reply.send(unknown(&card));
                    }
                }
                Request::AddCard { card, reply } => match CardKey::random() {
                    Ok(key) => {
                        let mut record =
                            CardRecord::typed(card.certificate_expires, card.card_expires);
                        record.label = card.label;
                        record.registered = card.registered;
                        state.cards.insert(key.clone(), record);
                        staged.push(Staged::Added(key, reply));
                    }
                    Err(e) => {
                        let _ = reply.send(Err(BusError::Failed(format!(
                            "cannot get random bytes for the key: {e}"
                        ))));
                    }
                },
            }
        }
        let Some(next) = next.filter(|_| !staged.is_empty()) else {
            return;
        };
        if let Err(e) = self.commit(next).await {
            let msg = match e {
                BusError::Failed(m) => m,
                other => other.to_string(),
            };
            for s in staged {
                let failed = BusError::Failed(msg.clone());
                match s {
                    Staged::Changed(_, reply) | Staged::Forgotten(_, reply) => {
                        let _ = reply.send(Err(failed));
                    }
                    Staged::Added(_, reply) => {
                        let _ = reply.send(Err(failed));
                    }
                }
            }
            return;
        }
        // Applied: publish each changed card once, after the batch's last change to it.
        let mut published = BTreeSet::new();
        let last_change: Vec<bool> = {
            let keys: Vec<&CardKey> = staged
                .iter()
                .map(|s| match s {
                    Staged::Changed(k, _) | Staged::Forgotten(k, _) | Staged::Added(k, _) => k,
                })
                .collect();
            (0..keys.len())
                .map(|i| !keys[i + 1..].contains(&keys[i]))
                .collect()
        };
        for (s, last) in staged.into_iter().zip(last_change) {
            match s {
                Staged::Changed(key, reply) => {
                    if last && self.state.cards.contains_key(&key) && published.insert(key.clone())
                    {
                        self.publish(&key, Remind::IfDue).await;
                    }
                    let _ = reply.send(Ok(()));
                }
                Staged::Forgotten(key, reply) => {
                    let _ = reply.send(self.forgotten(&key).await);
                }
                Staged::Added(key, reply) => {
                    tracing::info!(card = %key, "card typed in by hand");
                    if self.state.cards.contains_key(&key) {
                        self.publish(&key, Remind::IfDue).await;
                    }
                    let _ = reply.send(Ok(key));
                }
            }
        }
    }

    /// The readers holding a card are known: (re)read each of them; the Refresh answers when all
    /// those reads ended (each has a deadline).
    async fn listed(&mut self, refresh: u64, readers: Result<Vec<String>, CardError>) {
        let mut waiting = BTreeSet::new();
        match readers {
            Ok(readers) => {
                let gone: Vec<String> = self
                    .slots
                    .iter()
                    .filter(|(r, s)| !readers.contains(r) && s.state != ReaderState::Empty)
                    .map(|(r, _)| r.clone())
                    .collect();
                for reader in gone {
                    self.card_removed(&reader).await;
                }
                for reader in readers {
                    let busy = self.slots.get(&reader).is_some_and(|s| s.reading.is_some());
                    if !busy {
                        if let Some(slot) = self.slots.get_mut(&reader) {
                            slot.attempts = 0;
                        }
                        self.start_read(&reader);
                    }
                    if let Some(r) = self.slots.get(&reader).and_then(|s| s.reading.as_ref()) {
                        waiting.insert(r.id);
                    }
                }
                self.publish_readers().await;
            }
            Err(e) => tracing::warn!(error = %e, "cannot list the cards in the readers"),
        }
        if let Some(r) = self.refreshes.iter_mut().find(|r| r.id == refresh) {
            r.waiting = Some(waiting);
        }
        self.finish_refreshes().await;
    }

    /// Answer every Refresh whose reads have all ended.
    async fn finish_refreshes(&mut self) {
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.refreshes)
            .into_iter()
            .partition(|r| r.waiting.as_ref().is_some_and(BTreeSet::is_empty));
        self.refreshes = waiting;
        if done.is_empty() {
            return;
        }
        self.publish_all(Remind::IfDue).await;
        self.save_later();
        for r in done {
            let _ = r.reply.send(Ok(()));
        }
    }

    /// Change one card's record: saved first, then applied and published.
    async fn update(
        &mut self,
        key: &CardKey,
        f: impl FnOnce(&mut CardRecord),
    ) -> Result<(), BusError> {
        let mut next = self.state.clone();
        let record = next
            .cards
            .get_mut(key)
            .ok_or_else(|| BusError::UnknownCard(format!("no card {key}")))?;
        f(record);
        self.commit(next).await?;
        self.publish(key, Remind::IfDue).await;
        Ok(())
    }

    /// A forgotten card's removal was saved: its object goes and its notification is closed.
    async fn forgotten(&mut self, key: &CardKey) -> Result<(), BusError> {
        for slot in self.slots.values_mut() {
            if slot.card.as_ref() == Some(key) {
                slot.card = None;
            }
        }
        self.showing.remove(key);
        self.pins_waiting.remove(key);
        if let Some(n) = &self.notifier {
            let (n, card) = (n.clone(), key.clone());
            tokio::spawn(async move {
                if let Err(e) = n.close(&card).await {
                    tracing::info!(card = %card, error = %e, "cannot close the notification of a forgotten card");
                }
            });
        }
        self.publisher
            .remove_card(key)
            .await
            .map(|_| ())
            .map_err(|e| BusError::Failed(e.to_string()))
    }

    /// "Open guide" was clicked: open the official guide through the desktop portal, in a task of
    /// its own (a portal may be activated first); `xdg-open` only outside the unit's sandbox.
    fn open_guide(&self) {
        let conn = self.publisher.connection().clone();
        let sandboxed = crate::portal::sandboxed(|k| std::env::var_os(k));
        tokio::spawn(async move {
            match crate::portal::open(&conn, notify::GUIDE_URL, sandboxed).await {
                Ok(crate::portal::Opened::Portal) => {
                    tracing::info!("opened the guide through the desktop portal")
                }
                Ok(crate::portal::Opened::XdgOpen) => {
                    tracing::info!("no desktop portal; opened the guide with xdg-open")
                }
                Err(e) => tracing::warn!(error = %e, "cannot open the guide"),
            }
        });
    }

    /// A click on a notification button.
    async fn action(&mut self, card: CardKey, action: String) {
        tracing::debug!(card = %card, action = %action, "notification action");
        let registered = match action.as_str() {
            notify::ACTION_REGISTERED_YES => Registration::Yes,
            notify::ACTION_REGISTERED_NO => Registration::No,
            notify::ACTION_OPEN_GUIDE => {
                self.open_guide();
                return;
            }
            _ => return,
        };
        if let Err(e) = self.update(&card, |c| c.registered = registered).await {
            tracing::info!(card = %card, error = %e, "notification action not applied");
        }
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

    /// Never called: these tests drive the loop's methods directly.
    struct NoCards;
    impl CardReader for NoCards {
        fn read(
            &self,
            _: &str,
            _: &std::sync::atomic::AtomicBool,
            _: &mut dyn FnMut(&CertRead),
        ) -> ReadOutcome {
            Err(CardError::NoCard)
        }
        fn readers_with_card(&self) -> Result<Vec<String>, CardError> {
            Ok(Vec::new())
        }
    }

    async fn daemon_on(
        conn: &Connection,
        today: &str,
    ) -> (Daemon, mpsc::Receiver<Request>, tempfile::TempDir) {
        let (tx, rx) = mpsc::channel(4);
        let publisher = Publisher::serve(conn, tx).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let opts = Options {
            policy: Policy::default(),
            lang: Lang::En,
            notify: false,
            clock: Arc::new(FixedDay(d(today))),
            state_dir: dir.path().to_path_buf(),
            read_deadline: READ_DEADLINE,
        };
        let (store, state) = Store::open(dir.path()).unwrap();
        let (daemon, _events) = Daemon::new(publisher, opts, store, state, Arc::new(NoCards));
        (daemon, rx, dir)
    }

    /// The next signal of `signals`, within 5 s.
    async fn next_signal<S: Stream + Unpin>(signals: &mut S) -> S::Item {
        tokio::time::timeout(Duration::from_secs(5), signals.next())
            .await
            .unwrap()
            .unwrap()
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

    /// Setters queued together are one state write: each answered on its own merits (an unknown
    /// card fails alone, later requests see earlier ones), and when that write fails, every change
    /// of the batch fails and none is applied.
    #[tokio::test]
    async fn a_batch_of_setters_is_saved_once_and_fails_or_applies_whole() {
        let (server, _client) = p2p_pair().await;
        let (mut daemon, _requests, dir) = daemon_on(&server, "2026-04-01").await;
        let (a, b) = (
            cert(b"a", "2021-06-20", "2026-06-20")
                .identity
                .key(daemon.salt()),
            cert(b"b", "2021-06-20", "2026-06-20")
                .identity
                .key(daemon.salt()),
        );
        let unknown = cert(b"c", "2021-06-20", "2026-06-20")
            .identity
            .key(daemon.salt());
        for k in [&a, &b] {
            daemon.state.cards.insert(
                k.clone(),
                CardRecord::new(crate::rules::TokenKind::MyNumberCard),
            );
        }
        daemon.publish_all(Remind::Never).await;
        fn set(
            card: &CardKey,
            label: &str,
        ) -> (
            Request,
            tokio::sync::oneshot::Receiver<Result<(), BusError>>,
        ) {
            let (reply, rx) = tokio::sync::oneshot::channel();
            let req = Request::SetLabel {
                card: card.clone(),
                label: label.into(),
                reply,
            };
            (req, rx)
        }
        let (forget_tx, forget_rx) = tokio::sync::oneshot::channel();
        let reqs = [set(&a, "one"), set(&a, "two"), set(&unknown, "x")];
        let (late, late_rx) = set(&b, "late");
        let (mut batch, rxs): (Vec<Request>, Vec<_>) = reqs.into_iter().unzip();
        batch.push(Request::Forget {
            card: b.clone(),
            reply: forget_tx,
        });
        batch.push(late);
        daemon.handle_batch(batch).await;
        let mut got = Vec::new();
        for rx in rxs {
            got.push(rx.await.unwrap().map_err(|e| e.to_string()));
        }
        assert!(got[0].is_ok() && got[1].is_ok(), "{got:?}");
        assert!(got[2].as_ref().unwrap_err().contains("no card"), "{got:?}");
        forget_rx.await.unwrap().unwrap();
        assert!(
            late_rx.await.unwrap().is_err(),
            "b was forgotten earlier in the batch"
        );
        assert_eq!(daemon.state.cards[&a].label, "two");
        assert!(!daemon.state.cards.contains_key(&b));
        assert_eq!(daemon.publisher.card_keys(), vec![a.clone()]);
        let saved = Store::open(dir.path()).unwrap().1;
        assert_eq!(saved, daemon.state, "the batch is on disk");

        // The state file cannot be replaced: the whole next batch fails, nothing changes.
        std::fs::remove_file(dir.path().join("state.json")).unwrap();
        std::fs::create_dir(dir.path().join("state.json")).unwrap();
        std::fs::write(dir.path().join("state.json/keep"), b"x").unwrap();
        let before = daemon.state.clone();
        let (req, rx) = set(&a, "three");
        let (add_tx, add_rx) = tokio::sync::oneshot::channel();
        let typed = crate::dbus::NewCard {
            certificate_expires: d("2030-01-01"),
            card_expires: None,
            label: String::new(),
            registered: Registration::Unknown,
        };
        daemon
            .handle_batch(vec![
                req,
                Request::AddCard {
                    card: typed,
                    reply: add_tx,
                },
            ])
            .await;
        assert!(matches!(rx.await.unwrap(), Err(BusError::Failed(_))));
        assert!(matches!(add_rx.await.unwrap(), Err(BusError::Failed(_))));
        assert_eq!(daemon.state, before);
        assert_eq!(daemon.publisher.card_keys(), vec![a.clone()]);
    }

    #[tokio::test]
    async fn a_card_is_published_reminded_once_and_follows_the_users_answers() {
        let (server, client) = p2p_pair().await;
        let (mut daemon, mut requests, _dir) = daemon_on(&server, "2026-04-01").await;
        let card = cert(b"s", "2021-06-20", "2026-06-20");
        let key = card.identity.key(daemon.salt());
        let proxy = live_card_proxy(&client, &key).await;
        let mut renewal = proxy.receive_renewal_needed().await.unwrap();

        // 80 days before expiry.
        daemon.cert_known("r0".into(), &card, None).await;
        assert_eq!(proxy.status().await.unwrap(), "renewal-open");
        assert_eq!(proxy.days_left().await.unwrap(), 80);
        assert_eq!(proxy.certificate_expires().await.unwrap(), "2026-06-20");
        let sig = next_signal(&mut renewal).await;
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
        let sig = next_signal(&mut renewal).await;
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
        daemon.handle_batch(vec![req]).await;
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
                daemon.handle_batch(vec![req]).await;
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
        let (mut daemon, _requests, _dir) = daemon_on(&server, "2026-07-01").await;
        let card = cert(b"t", "2021-02-10", "2026-02-10");
        let key = card.identity.key(daemon.salt());
        let proxy = live_card_proxy(&client, &key).await;
        let mut rereg = proxy.receive_re_registration_needed().await.unwrap();
        daemon.cert_known("r1".into(), &card, None).await;
        assert_eq!(proxy.status().await.unwrap(), "registration-lapsed");
        let sig = next_signal(&mut rereg).await;
        assert_eq!(sig.args().unwrap().deadline(), &"2026-05-31");
    }
}
