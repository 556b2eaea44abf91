//! The daemon: reader events → card read → rule core → publish on D-Bus, notify, remember; plus the
//! reminder scheduler that re-evaluates remembered cards when the Japan date changes.
//!
//! [`run`] owns the loop (mini-redis style: the caller passes the shutdown trigger). Until the store,
//! notifier and reader monitor are merged, cards live in memory only and none are read from readers;
//! the D-Bus requests, the scheduler and the reminder logic are complete.

pub mod reminders;
pub mod scheduler;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use chrono::NaiveDate;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use zbus::Connection;

use crate::card::{CardError, CardKey, CardReport, CertRead};
use crate::dbus::{CardView, Error as BusError, Publisher, Request, BUS_NAME};
use crate::rules::{jst_date, Facts, Lang, Milestone, PinCounters, Policy};
use reminders::{evaluate, Reminder};
use scheduler::Clock;

/// How the daemon runs (from the command line and the config file).
#[derive(Clone)]
pub struct Options {
    pub policy: Policy,
    pub lang: Lang,
    pub notify: bool,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("another mynawatch daemon already owns {BUS_NAME} on this session bus")]
    AlreadyRunning,
    #[error("D-Bus: {0}")]
    Bus(#[from] zbus::Error),
}

/// What the daemon remembers about a card (the store's record once it is merged).
#[derive(Clone, Debug)]
pub struct Known {
    pub facts: Facts,
    pub label: String,
    pub last_notified: Option<Milestone>,
    pub present: bool,
}

/// Serve on `conn`, take the bus name, and handle requests and new days until `shutdown` resolves.
pub async fn run(
    conn: Connection,
    opts: Options,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    let (req_tx, mut requests) = mpsc::channel(16);
    let publisher = Publisher::serve(&conn, req_tx).await?;
    publisher.request_name().await.map_err(|e| match e {
        zbus::Error::NameTaken => DaemonError::AlreadyRunning,
        e => DaemonError::Bus(e),
    })?;
    tracing::info!(name = BUS_NAME, "serving on the session bus");

    let stop = CancellationToken::new();
    let (day_tx, mut days) = mpsc::channel(4);
    let scheduler = tokio::spawn(scheduler::run(
        opts.clock.clone(),
        day_tx,
        stop.child_token(),
    ));
    let today = jst_date(opts.clock.now());
    let mut daemon = Daemon {
        publisher,
        opts,
        today,
        cards: BTreeMap::new(),
        salt: random_salt(),
        in_reader: BTreeMap::new(),
    };
    // Cards already in a reader at start.
    daemon.reread_present().await;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(day) = days.recv() => daemon.new_day(day).await,
            Some(req) = requests.recv() => daemon.handle(req).await,
        }
    }
    tracing::info!("shutting down");
    stop.cancel();
    let _ = scheduler.await;
    if let Err(e) = conn.release_name(BUS_NAME).await {
        tracing::debug!(error = %e, "releasing the bus name");
    }
    Ok(())
}

fn random_salt() -> Vec<u8> {
    let mut salt = vec![0u8; 32];
    if let Err(e) = getrandom::fill(&mut salt) {
        tracing::warn!(error = %e, "no random salt; card keys use a fixed one");
    }
    salt
}

/// The loop's state: everything is changed from here, one event at a time.
pub struct Daemon {
    publisher: Publisher,
    opts: Options,
    today: NaiveDate,
    cards: BTreeMap<CardKey, Known>,
    /// Salt for card keys. TODO(infra merge): `Store::salt()`, so keys survive restarts.
    salt: Vec<u8>,
    /// Which card is in which reader (for CardRemoved).
    in_reader: BTreeMap<String, CardKey>,
}

/// One reader's read, done on a blocking thread.
type ReadOutcome = (String, Result<CardReport, CardError>);

/// Read every card that is in a reader now (fresh PC/SC context: an old one never recovers from a
/// pcscd restart). Each certificate goes to `certs` as soon as it is parsed, before the PIN counters.
/// Blocking: run it with `spawn_blocking`.
fn read_present_cards(
    certs: mpsc::UnboundedSender<(String, CertRead)>,
) -> Result<Vec<ReadOutcome>, CardError> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User)
        .map_err(|e| crate::pcsc::transport::reader_error(e, ""))?;
    let readers = crate::pcsc::transport::readers_with_card(&ctx)?;
    Ok(readers
        .into_iter()
        .map(|r| {
            let report = crate::pcsc::transport::read_reader(&ctx, &r, &mut |cert| {
                let _ = certs.send((r.clone(), cert.clone()));
            });
            (r, report)
        })
        .collect())
}

impl Daemon {
    /// Re-read the cards in the readers and publish what they say: the certificate status as soon as
    /// it is known, then the PIN counters.
    async fn reread_present(&mut self) {
        let (cert_tx, mut certs) = mpsc::unbounded_channel();
        let mut job = tokio::task::spawn_blocking(move || read_present_cards(cert_tx));
        let outcome = loop {
            tokio::select! {
                Some((reader, cert)) = certs.recv() => self.cert_known(reader, &cert, None).await,
                r = &mut job => break r,
            }
        };
        let reads = match outcome {
            Ok(Ok(reads)) => reads,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot list the cards in the readers");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "the card reading thread failed");
                return;
            }
        };
        let now_present: Vec<String> = reads.iter().map(|(r, _)| r.clone()).collect();
        let gone: Vec<String> = self
            .in_reader
            .keys()
            .filter(|r| !now_present.contains(r))
            .cloned()
            .collect();
        for reader in gone {
            self.card_removed(&reader).await;
        }
        for (reader, report) in reads {
            self.card_read(reader, report).await;
        }
    }

    /// The outcome of reading the card in `reader`.
    pub async fn card_read(&mut self, reader: String, report: Result<CardReport, CardError>) {
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
        let key = cert.identity.key(&self.salt);
        let mut facts = self
            .cards
            .get(&key)
            .map(|k| k.facts.clone())
            .unwrap_or_else(|| Facts {
                token: cert.token,
                cert: None,
                card_expires: None,
                registered: Default::default(),
                pins: Default::default(),
            });
        facts.token = cert.token;
        facts.cert = Some(cert.validity);
        if let Some(pins) = pins {
            facts.pins = pins;
        }
        tracing::debug!(reader = %reader, card = %key, pins = pins.is_some(), "card read");
        self.in_reader.insert(reader, key.clone());
        self.card_seen(key, facts).await;
    }

    /// The card left `reader`: it stays remembered, `Present` goes false.
    pub async fn card_removed(&mut self, reader: &str) {
        let Some(key) = self.in_reader.remove(reader) else {
            return;
        };
        if let Some(known) = self.cards.get_mut(&key) {
            known.present = false;
        }
        self.publish(&key).await;
    }

    async fn new_day(&mut self, day: NaiveDate) {
        tracing::debug!(%day, "re-evaluating all cards");
        self.today = day;
        let keys: Vec<_> = self.cards.keys().cloned().collect();
        for key in keys {
            self.publish(&key).await;
        }
    }

    /// A card was read (or its facts changed): remember it and publish.
    pub async fn card_seen(&mut self, key: CardKey, facts: Facts) {
        let known = self.cards.entry(key.clone()).or_insert_with(|| Known {
            facts: facts.clone(),
            label: String::new(),
            last_notified: None,
            present: true,
        });
        known.facts = facts;
        known.present = true;
        self.publish(&key).await;
    }

    /// Judge one card for today, update its object, and emit a reminder if one is due.
    async fn publish(&mut self, key: &CardKey) {
        let Some(known) = self.cards.get_mut(key) else {
            return;
        };
        let e = evaluate(
            &known.facts,
            self.today,
            &self.opts.policy,
            known.last_notified.as_ref(),
        );
        let view = CardView::new(
            &e.assessment,
            known.facts.registered,
            known.present,
            &known.label,
        );
        if let Err(err) = self.publisher.publish_card(key, view).await {
            tracing::warn!(card = %key, error = %err, "publishing the card failed");
        }
        let Some((milestone, reminder)) = e.due else {
            return;
        };
        known.last_notified = Some(milestone);
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
        // TODO(infra merge): Notifier::show(compose(label, &assessment, lang)) unless !self.opts.notify.
    }

    async fn handle(&mut self, req: Request) {
        match req {
            Request::Refresh { reply } => {
                self.reread_present().await;
                let keys: Vec<_> = self.cards.keys().cloned().collect();
                for key in keys {
                    self.publish(&key).await;
                }
                let _ = reply.send(Ok(()));
            }
            Request::SetLabel { card, label, reply } => {
                let r = self.update(&card, |k| k.label = label).await;
                let _ = reply.send(r);
            }
            Request::SetRegistered {
                card,
                registered,
                reply,
            } => {
                let r = self
                    .update(&card, |k| k.facts.registered = registered)
                    .await;
                let _ = reply.send(r);
            }
            Request::SetCardExpires { card, date, reply } => {
                let r = self.update(&card, |k| k.facts.card_expires = date).await;
                let _ = reply.send(r);
            }
            Request::Forget { card, reply } => {
                let r = if self.cards.remove(&card).is_some() {
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

    async fn update(&mut self, key: &CardKey, f: impl FnOnce(&mut Known)) -> Result<(), BusError> {
        let known = self
            .cards
            .get_mut(key)
            .ok_or_else(|| BusError::UnknownCard(format!("no card {key}")))?;
        f(known);
        self.publish(key).await;
        Ok(())
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

    async fn daemon_on(conn: &Connection, today: &str) -> (Daemon, mpsc::Receiver<Request>) {
        let (tx, rx) = mpsc::channel(4);
        let publisher = Publisher::serve(conn, tx).await.unwrap();
        let opts = Options {
            policy: Policy::default(),
            lang: Lang::En,
            notify: false,
            clock: Arc::new(FixedDay(d(today))),
        };
        let daemon = Daemon {
            publisher,
            opts,
            today: d(today),
            cards: BTreeMap::new(),
            salt: b"test".to_vec(),
            in_reader: BTreeMap::new(),
        };
        (daemon, rx)
    }

    #[tokio::test]
    async fn a_card_is_published_reminded_once_and_follows_the_users_answers() {
        let (server, client) = p2p_pair().await;
        let (mut daemon, mut requests) = daemon_on(&server, "2026-04-01").await;
        let key = CardIdentity::new(b"i", b"s").key(b"salt");
        let proxy = CardProxy::builder(&client)
            .path(card_path(&key))
            // Read the live values, not a cache that PropertiesChanged updates later.
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .unwrap();
        let mut renewal = proxy.receive_renewal_needed().await.unwrap();

        // 80 days before expiry.
        let facts = Facts::for_expiry(d("2021-06-20"), d("2026-06-20"));
        daemon.card_seen(key.clone(), facts.clone()).await;
        assert_eq!(proxy.status().await.unwrap(), "renewal-open");
        assert_eq!(proxy.days_left().await.unwrap(), 80);
        assert_eq!(proxy.certificate_expires().await.unwrap(), "2026-06-20");
        let sig = tokio::time::timeout(Duration::from_secs(5), renewal.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sig.args().unwrap().deadline(), &"2026-06-20");

        // Seen again the same day, and the next day: no second reminder.
        daemon.card_seen(key.clone(), facts.clone()).await;
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
        let key = CardIdentity::new(b"i", b"t").key(b"salt");
        let proxy = CardProxy::builder(&client)
            .path(card_path(&key))
            // Read the live values, not a cache that PropertiesChanged updates later.
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .unwrap();
        let mut rereg = proxy.receive_re_registration_needed().await.unwrap();
        daemon
            .card_seen(key, Facts::for_expiry(d("2021-02-10"), d("2026-02-10")))
            .await;
        assert_eq!(proxy.status().await.unwrap(), "registration-lapsed");
        let sig = tokio::time::timeout(Duration::from_secs(5), rereg.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sig.args().unwrap().deadline(), &"2026-05-31");
    }
}
