//! The root object's `io.github.mynawatch.MynaWatch1.Manager` interface: daemon-wide facts (version,
//! readers) and `Refresh()`. The cards themselves are child objects, listed by the ObjectManager.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use zbus::interface;

use std::collections::HashMap;

use zbus::object_server::SignalEmitter;
use zbus::{ObjectPath, OwnedObjectPath, OwnedVariant};

use super::{ask, card_path, parse_new_card, Error, Request};

/// A thin handle over shared state: one clone is served, the daemon's [`super::Publisher`] keeps another.
#[derive(Clone)]
pub struct Manager {
    pub(super) readers: Arc<Mutex<Readers>>,
    pub(super) requests: mpsc::Sender<Request>,
}

/// The two reader properties, changed together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Readers {
    pub names: Vec<String>,
    pub states: Vec<(String, String, String)>,
}

impl Manager {
    pub(super) fn new(requests: mpsc::Sender<Request>) -> Self {
        Manager {
            readers: Arc::default(),
            requests,
        }
    }
}

#[interface(
    name = "io.github.mynawatch.MynaWatch1.Manager",
    proxy(
        default_service = "io.github.mynawatch.MynaWatch1",
        default_path = "/io/github/mynawatch/MynaWatch1"
    )
)]
impl Manager {
    /// The daemon's version (the crate version).
    #[zbus(property(emits_changed_signal = "const"))]
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    /// Names of the smart-card readers pcscd currently reports (empty when pcscd is down).
    #[zbus(property)]
    fn readers(&self) -> Vec<String> {
        self.readers.lock().expect("readers lock").names.clone()
    }

    /// What the daemon knows about each reader: (reader name, state, reason). State is one of
    /// empty, reading, read, retrying, failed, not-a-my-number-card; reason is "" or says why a
    /// card could not be used (see docs/dbus-api.md).
    #[zbus(property)]
    fn reader_states(&self) -> Vec<(String, String, String)> {
        self.readers.lock().expect("readers lock").states.clone()
    }

    /// Re-read every card that is in a reader now and re-evaluate all remembered cards for today.
    async fn refresh(&self) -> Result<(), Error> {
        ask(&self.requests, |reply| Request::Refresh { reply }).await
    }

    /// Remember a card typed in from the dates on its face (no reader needed): `CertificateExpires`
    /// (required), `CardExpires`, `Label`, `InsuranceRegistered` (all strings). Returns its object.
    async fn add_card(
        &self,
        properties: HashMap<String, OwnedVariant>,
    ) -> Result<OwnedObjectPath, Error> {
        let card = parse_new_card(&properties)?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let gone = || Error::ShuttingDown("the daemon is shutting down".into());
        self.requests
            .send(Request::AddCard { card, reply: tx })
            .await
            .map_err(|_| gone())?;
        let key = rx.await.map_err(|_| gone())??;
        Ok(card_path(&key))
    }

    /// A card typed in by hand (`typed`, now gone) was read in a reader and is now `card`: its label
    /// and answers were kept.
    #[zbus(signal)]
    pub async fn cards_merged(
        emitter: &SignalEmitter<'_>,
        typed: ObjectPath<'_>,
        card: ObjectPath<'_>,
    ) -> zbus::Result<()>;
}
