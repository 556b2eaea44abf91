//! The root object's `io.github.mynawatch.MynaWatch1.Manager` interface: daemon-wide facts (version,
//! readers) and `Refresh()`. The cards themselves are child objects, listed by the ObjectManager.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use zbus::interface;

use super::{ask, Error, Request};

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
}
