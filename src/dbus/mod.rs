//! The D-Bus face of the daemon (session bus, `io.github.mynawatch.MynaWatch1`): the Manager at the
//! root with an ObjectManager, one Card object per remembered card, and the [`Publisher`] the daemon
//! loop uses to change them. Method calls never touch state themselves: they validate their arguments
//! and hand a [`Request`] to the daemon loop, which answers over a oneshot once the change is published.

mod card;
pub mod client;
mod error;
mod manager;
mod strict;

pub use card::{Card, CardProxy, CardView};
pub use error::Error;
pub use manager::{Manager, ManagerProxy};
pub use strict::Strict;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use tokio::sync::{mpsc, oneshot};
use zbus::object_server::SignalEmitter;
use zbus::{fdo, Connection, OwnedObjectPath};

use crate::card::CardKey;
use crate::rules::Registration;

/// The well-known bus name.
pub const BUS_NAME: &str = "io.github.mynawatch.MynaWatch1";
/// The root object: Manager + ObjectManager.
pub const ROOT_PATH: &str = "/io/github/mynawatch/MynaWatch1";
pub const MANAGER_INTERFACE: &str = "io.github.mynawatch.MynaWatch1.Manager";
pub const CARD_INTERFACE: &str = "io.github.mynawatch.MynaWatch1.Card";
/// Longest label accepted by `SetLabel`, in characters.
pub const MAX_LABEL_CHARS: usize = 256;

/// The object path of a card: its salted key is 32 hex characters, always a valid path element.
pub fn card_path(key: &CardKey) -> OwnedObjectPath {
    OwnedObjectPath::try_from(format!("{ROOT_PATH}/cards/{key}"))
        .expect("a CardKey is lowercase hex, valid in an object path")
}

/// The card key in a card object path, if it is one.
pub fn key_from_path(path: &str) -> Option<CardKey> {
    let rest = path.strip_prefix(ROOT_PATH)?.strip_prefix("/cards/")?;
    CardKey::try_from(rest.to_string()).ok()
}

/// The daemon's answer to a request: sent after the change is saved and published.
pub type Reply = oneshot::Sender<Result<(), Error>>;

/// What a D-Bus method asks the daemon loop to do (arguments already validated).
#[derive(Debug)]
pub enum Request {
    Refresh {
        reply: Reply,
    },
    SetLabel {
        card: CardKey,
        label: String,
        reply: Reply,
    },
    SetRegistered {
        card: CardKey,
        registered: Registration,
        reply: Reply,
    },
    /// `None` forgets the printed card expiry.
    SetCardExpires {
        card: CardKey,
        date: Option<NaiveDate>,
        reply: Reply,
    },
    Forget {
        card: CardKey,
        reply: Reply,
    },
}

/// Send a request to the daemon loop and wait for its answer.
pub(crate) async fn ask(
    requests: &mpsc::Sender<Request>,
    make: impl FnOnce(Reply) -> Request,
) -> Result<(), Error> {
    let gone = || Error::ShuttingDown("the daemon is shutting down".into());
    let (tx, rx) = oneshot::channel();
    requests.send(make(tx)).await.map_err(|_| gone())?;
    rx.await.map_err(|_| gone())?
}

/// A label as `SetLabel` accepts it: bounded and printable, so it is safe in notifications and logs.
pub fn validate_label(label: &str) -> Result<String, Error> {
    let n = label.chars().count();
    if n > MAX_LABEL_CHARS {
        return Err(Error::invalid(format!(
            "label too long: {n} characters, at most {MAX_LABEL_CHARS}"
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(Error::invalid("label must not contain control characters"));
    }
    Ok(label.to_string())
}

/// A `YYYY-MM-DD` date argument; "" means "none".
pub fn parse_date_arg(s: &str) -> Result<Option<NaiveDate>, Error> {
    if s.is_empty() {
        return Ok(None);
    }
    let shown: String = s.chars().take(40).collect();
    let bad = || Error::invalid(format!("expected a date as YYYY-MM-DD, got {shown:?}"));
    // chrono alone would accept "2026-1-5"; insist on the one spelling the API documents.
    if s.len() != 10 || !s.is_char_boundary(10) {
        return Err(bad());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| bad())
}

/// Serves the objects and changes them from outside method calls (oo7 style: the served interfaces
/// and this publisher share state; changes go out through the generated `*_changed` helpers).
#[derive(Clone)]
pub struct Publisher {
    conn: Connection,
    manager: Manager,
    cards: Arc<Mutex<HashMap<CardKey, Card>>>,
    requests: mpsc::Sender<Request>,
}

impl Publisher {
    /// Register the ObjectManager and the Manager at the root of `conn`. Does not take the bus name:
    /// call [`Publisher::request_name`] once the remembered cards are published.
    pub async fn serve(conn: &Connection, requests: mpsc::Sender<Request>) -> zbus::Result<Self> {
        let manager = Manager::new(requests.clone());
        let server = conn.object_server();
        server.at(ROOT_PATH, fdo::ObjectManager).await?;
        server.at(ROOT_PATH, Strict::new(manager.clone())).await?;
        Ok(Publisher {
            conn: conn.clone(),
            manager,
            cards: Arc::default(),
            requests,
        })
    }

    /// Take the well-known name; `Err(zbus::Error::NameTaken)` when another daemon has it.
    pub async fn request_name(&self) -> zbus::Result<()> {
        use zbus::fdo::{RequestNameFlags, RequestNameReply};
        let reply = self
            .conn
            .request_name_with_flags(BUS_NAME, RequestNameFlags::DO_NOT_QUEUE)
            .await?;
        match reply {
            RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner => Ok(()),
            RequestNameReply::Exists | RequestNameReply::InQueue => Err(zbus::Error::NameTaken),
        }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn emitter(&self, path: &str) -> zbus::Result<SignalEmitter<'static>> {
        Ok(SignalEmitter::new(&self.conn, path.to_string())?.into_owned())
    }

    /// Set the Manager's Readers (PropertiesChanged only when the list changed).
    pub async fn set_readers(&self, readers: Vec<String>) -> zbus::Result<()> {
        {
            let mut current = self.manager.readers.lock().expect("readers lock");
            if *current == readers {
                return Ok(());
            }
            *current = readers;
        }
        self.manager
            .readers_changed(&self.emitter(ROOT_PATH)?)
            .await
    }

    /// The keys of the card objects currently published.
    pub fn card_keys(&self) -> Vec<CardKey> {
        let mut keys: Vec<_> = self
            .cards
            .lock()
            .expect("cards lock")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    /// The view a card object shows now, if it exists.
    pub fn card_view(&self, key: &CardKey) -> Option<CardView> {
        let cards = self.cards.lock().expect("cards lock");
        cards.get(key).map(|c| c.get_view())
    }

    /// Add the card's object, or update it and emit PropertiesChanged for each property that changed.
    pub async fn publish_card(&self, key: &CardKey, view: CardView) -> zbus::Result<()> {
        let path = card_path(key);
        let existing = self.cards.lock().expect("cards lock").get(key).cloned();
        let Some(card) = existing else {
            let card = Card {
                key: key.clone(),
                view: Arc::new(Mutex::new(view)),
                requests: self.requests.clone(),
            };
            self.cards
                .lock()
                .expect("cards lock")
                .insert(key.clone(), card.clone());
            // InterfacesAdded (with all properties) comes from the ObjectManager.
            let served = Strict::new(card);
            if let Some(_clash) = self.conn.object_server().at(&path, served).await? {
                tracing::warn!(card = %key, "card object already registered");
            }
            return Ok(());
        };
        let old = {
            let mut v = card.view.lock().expect("card view lock");
            std::mem::replace(&mut *v, view.clone())
        };
        let e = self.emitter(path.as_str())?;
        if old.status != view.status {
            card.status_changed(&e).await?;
        }
        if old.certificate_expires != view.certificate_expires {
            card.certificate_expires_changed(&e).await?;
        }
        if old.renewal_opens != view.renewal_opens {
            card.renewal_opens_changed(&e).await?;
        }
        if old.insurance_usable_until != view.insurance_usable_until {
            card.insurance_usable_until_changed(&e).await?;
        }
        if old.days_left != view.days_left {
            card.days_left_changed(&e).await?;
        }
        if old.insurance_registered != view.insurance_registered {
            card.insurance_registered_changed(&e).await?;
        }
        if old.present != view.present {
            card.present_changed(&e).await?;
        }
        if old.label != view.label {
            card.label_changed(&e).await?;
        }
        if old.actions != view.actions {
            card.actions_changed(&e).await?;
        }
        Ok(())
    }

    /// Remove a card's object (InterfacesRemoved comes from the ObjectManager). `false` if it had none.
    pub async fn remove_card(&self, key: &CardKey) -> zbus::Result<bool> {
        if self.cards.lock().expect("cards lock").remove(key).is_none() {
            return Ok(false);
        }
        self.conn
            .object_server()
            .remove::<Strict<Card>, _>(card_path(key))
            .await?;
        Ok(true)
    }

    /// Emit `RenewalNeeded(status, deadline)` from the card's object.
    pub async fn renewal_needed(
        &self,
        key: &CardKey,
        status: &str,
        deadline: &str,
    ) -> zbus::Result<()> {
        let e = self.emitter(card_path(key).as_str())?;
        Card::renewal_needed(&e, status, deadline).await
    }

    /// Emit `ReRegistrationNeeded(deadline)` from the card's object.
    pub async fn re_registration_needed(&self, key: &CardKey, deadline: &str) -> zbus::Result<()> {
        let e = self.emitter(card_path(key).as_str())?;
        Card::re_registration_needed(&e, deadline).await
    }
}

impl Card {
    fn get_view(&self) -> CardView {
        self.view.lock().expect("card view lock").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded_and_printable() {
        assert_eq!(validate_label("家族のカード").unwrap(), "家族のカード");
        assert_eq!(validate_label("").unwrap(), "");
        assert!(validate_label(&"あ".repeat(256)).is_ok());
        assert!(matches!(
            validate_label(&"あ".repeat(257)),
            Err(Error::InvalidArgument(_))
        ));
        assert!(validate_label("a\nb").is_err());
        assert!(validate_label("a\u{1b}[31m").is_err());
    }

    #[test]
    fn dates_must_be_iso_calendar_days() {
        assert_eq!(
            parse_date_arg("2031-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2031, 2, 28)
        );
        assert_eq!(parse_date_arg("").unwrap(), None);
        for bad in [
            "2031-02-30",
            "2031-2-28",
            "28/02/2031",
            "2031-02-28x",
            "あいうえおか",
            "x",
        ] {
            assert!(
                matches!(parse_date_arg(bad), Err(Error::InvalidArgument(_))),
                "{bad:?} accepted"
            );
        }
        let huge = "9".repeat(100_000);
        let Err(Error::InvalidArgument(msg)) = parse_date_arg(&huge) else {
            panic!("huge string accepted")
        };
        assert!(msg.len() < 200, "error message echoes the whole argument");
    }

    #[test]
    fn card_paths_round_trip() {
        let key = crate::card::CardIdentity::new(b"i", b"s").key(b"salt");
        let path = card_path(&key);
        assert!(path
            .as_str()
            .starts_with("/io/github/mynawatch/MynaWatch1/cards/"));
        assert_eq!(key_from_path(path.as_str()), Some(key));
        assert_eq!(key_from_path(ROOT_PATH), None);
        assert_eq!(
            key_from_path("/io/github/mynawatch/MynaWatch1/cards/zz"),
            None
        );
    }
}
