//! The D-Bus face of the daemon (session bus, `io.github.mynawatch.MynaWatch1`): the Manager at the
//! root with an ObjectManager, one Card object per remembered card, and the [`Publisher`] the daemon
//! loop uses to change them. Method calls never touch state themselves: they validate their arguments
//! and hand a [`Request`] to the daemon loop, which answers over a oneshot once the change is published.

mod card;
pub mod client;
mod error;
mod manager;
mod strict;
mod view;

pub use card::{Card, CardProxy};
pub use error::Error;
pub use manager::{Manager, ManagerProxy};
pub use strict::Strict;
pub use view::{CardView, PinView, Presence};

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use tokio::sync::{mpsc, oneshot};
use zbus::object_server::SignalEmitter;
use zbus::zvariant::Variant;
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
    /// Remember a card typed in from its face; answers with the new card's key.
    AddCard {
        card: NewCard,
        reply: oneshot::Sender<Result<CardKey, Error>>,
    },
}

/// A card typed in by hand (`Manager.AddCard`, `mynawatch add`), validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCard {
    pub certificate_expires: NaiveDate,
    pub card_expires: Option<NaiveDate>,
    pub label: String,
    pub registered: Registration,
}

/// Typed dates outside this range are typos (a My Number Card certificate is from 2016 on and
/// valid for at most about 5 years; a card for at most 10).
const TYPED_DATES: (&str, &str) = ("2016-01-01", "2099-12-31");

/// A date a user typed (AddCard's, SetCardExpires'), refused outside [`TYPED_DATES`] as a typo:
/// `0000-01-01` would publish a `RenewalOpens` of `-0001-10-02`.
pub(crate) fn plausible_typed_date(name: &str, d: NaiveDate) -> Result<NaiveDate, Error> {
    let (lo, hi) = (
        TYPED_DATES.0.parse().expect("valid"),
        TYPED_DATES.1.parse().expect("valid"),
    );
    if d < lo || d > hi {
        return Err(Error::invalid(format!(
            "{name} {d} is not a plausible date (expected {} to {})",
            TYPED_DATES.0, TYPED_DATES.1
        )));
    }
    Ok(d)
}

/// The `a{sv}` of `AddCard`: `CertificateExpires` (required), `CardExpires`, `Label`,
/// `InsuranceRegistered`, all strings. Anything else is an error, so a typo is not silently ignored.
pub fn parse_new_card(props: &HashMap<String, zbus::OwnedVariant>) -> Result<NewCard, Error> {
    let text = |name: &str| -> Result<Option<String>, Error> {
        match props.get(name) {
            None => Ok(None),
            Some(v) => match &**v {
                zbus::Variant::Str(s) => Ok(Some(s.to_string())),
                other => Err(Error::invalid(format!(
                    "{name} must be a string (s), got {}",
                    other.value_signature()
                ))),
            },
        }
    };
    for name in props.keys() {
        if ![
            "CertificateExpires",
            "CardExpires",
            "Label",
            "InsuranceRegistered",
        ]
        .contains(&name.as_str())
        {
            let shown: String = name.chars().take(40).collect();
            return Err(Error::invalid(format!(
                "unknown property {shown:?}; expected CertificateExpires, CardExpires, Label, InsuranceRegistered"
            )));
        }
    }
    let in_range = plausible_typed_date;
    let certificate_expires = match text("CertificateExpires")? {
        Some(s) => parse_date_arg(&s)?
            .ok_or_else(|| Error::invalid("CertificateExpires must not be empty"))?,
        None => return Err(Error::invalid("CertificateExpires is required")),
    };
    let certificate_expires = in_range("CertificateExpires", certificate_expires)?;
    let card_expires = match text("CardExpires")? {
        Some(s) => parse_date_arg(&s)?
            .map(|d| in_range("CardExpires", d))
            .transpose()?,
        None => None,
    };
    let label = validate_label(&text("Label")?.unwrap_or_default())?;
    let registered = match text("InsuranceRegistered")?.as_deref() {
        None | Some("unknown") => Registration::Unknown,
        Some("yes") => Registration::Yes,
        Some("no") => Registration::No,
        Some(_) => {
            return Err(Error::invalid(
                "InsuranceRegistered must be yes, no or unknown",
            ))
        }
    };
    Ok(NewCard {
        certificate_expires,
        card_expires,
        label,
        registered,
    })
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

/// Whether `c` may be in a label. Labels reach notification titles, `status` lines and logs, so
/// nothing that changes how the text around it is shown: control characters (C0, C1, DEL), the
/// bidirectional-text controls (U+061C, U+200E/U+200F, the embeddings and overrides
/// U+202A–U+202E, the isolates U+2066–U+2069; "Mom\u{202E}gnp.exe" would show as "Momexe.png"
/// and reverse the rest of the title) and the line and paragraph separators U+2028/U+2029. The
/// joiners (U+200C/U+200D, needed by emoji and some scripts) and variation selectors stay allowed.
/// One rule for every way a label comes in (D-Bus `SetLabel` and `AddCard`, and so the CLI).
fn label_char(c: char) -> bool {
    !(c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        ))
}

/// A label as `SetLabel` accepts it: bounded and printable, so it is safe in notifications and logs.
pub fn validate_label(label: &str) -> Result<String, Error> {
    let n = label.chars().count();
    if n > MAX_LABEL_CHARS {
        return Err(Error::invalid(format!(
            "label too long: {n} characters, at most {MAX_LABEL_CHARS}"
        )));
    }
    if let Some(c) = label.chars().find(|&c| !label_char(c)) {
        return Err(Error::invalid(format!(
            "label must not contain control characters, bidirectional-text controls or line \
             separators (found U+{:04X})",
            u32::from(c)
        )));
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

    /// Set the Manager's `Readers` and `ReaderStates`: one PropertiesChanged with those that changed.
    pub async fn set_readers(
        &self,
        names: Vec<String>,
        states: &[crate::readers::ReaderStatus],
    ) -> zbus::Result<()> {
        let new = manager::Readers {
            names,
            states: states.iter().map(|s| s.to_wire()).collect(),
        };
        let old = {
            let mut current = self.manager.readers.lock().expect("readers lock");
            if *current == new {
                return Ok(());
            }
            std::mem::replace(&mut *current, new.clone())
        };
        let mut changed: HashMap<&str, Variant<'_>> = HashMap::new();
        if old.names != new.names {
            changed.insert("Readers", Variant::from(new.names));
        }
        if old.states != new.states {
            changed.insert("ReaderStates", Variant::from(new.states));
        }
        properties_changed(&self.emitter(ROOT_PATH)?, MANAGER_INTERFACE, changed).await
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

    /// Add the card's object, or update it and emit one PropertiesChanged carrying every property
    /// that changed, so a client never sees half an update.
    pub async fn publish_card(&self, key: &CardKey, view: CardView) -> zbus::Result<()> {
        let path = card_path(key);
        let existing = self.cards.lock().expect("cards lock").get(key).cloned();
        let Some(card) = existing else {
            let card = Card {
                key: key.clone(),
                view: Arc::new(Mutex::new(view)),
                requests: self.requests.clone(),
            };
            // InterfacesAdded (with all properties) comes from the ObjectManager. The map says the
            // object exists only once it does.
            if let Some(_clash) = self
                .conn
                .object_server()
                .at(&path, Strict::new(card.clone()))
                .await?
            {
                tracing::warn!(card = %key, "card object already registered");
            }
            self.cards
                .lock()
                .expect("cards lock")
                .insert(key.clone(), card);
            return Ok(());
        };
        let old = {
            let mut v = card.view.lock().expect("card view lock");
            std::mem::replace(&mut *v, view.clone())
        };
        let changed = view.changed_since(&old);
        if changed.is_empty() {
            return Ok(());
        }
        properties_changed(&self.emitter(path.as_str())?, CARD_INTERFACE, changed).await
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

    /// Emit `CardsMerged(typed, card)` from the root: a typed-in card became the card that was read.
    pub async fn cards_merged(&self, typed: &CardKey, card: &CardKey) -> zbus::Result<()> {
        let e = self.emitter(ROOT_PATH)?;
        Manager::cards_merged(&e, card_path(typed).into(), card_path(card).into()).await
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

/// Emit one `org.freedesktop.DBus.Properties.PropertiesChanged` for `interface` at the emitter's path.
async fn properties_changed(
    emitter: &SignalEmitter<'_>,
    interface: &'static str,
    changed: HashMap<&str, Variant<'_>>,
) -> zbus::Result<()> {
    let interface = zbus::names::InterfaceName::from_static_str(interface)?;
    fdo::Properties::properties_changed(emitter, interface, changed, Cow::Borrowed(&[])).await
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
        for c in [
            '\u{0085}', '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}',
            '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}',
            '\u{2029}',
        ] {
            let Err(Error::InvalidArgument(msg)) = validate_label(&format!("Mom{c}gnp.exe")) else {
                panic!("U+{:04X} accepted", u32::from(c))
            };
            assert!(msg.contains(&format!("U+{:04X}", u32::from(c))), "{msg}");
        }
        // Emoji sequences need the zero-width joiner; variation selectors are fine too.
        for ok in ["👨\u{200D}👩\u{200D}👧", "☎\u{FE0F}", "ｶｰﾄﾞ", "母 (2)"] {
            assert_eq!(validate_label(ok).unwrap(), ok);
        }
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
    fn typed_cards_are_validated_like_every_other_input() {
        use zbus::{OwnedVariant, Variant};
        let props = |pairs: &[(&str, Variant<'_>)]| -> HashMap<String, OwnedVariant> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), OwnedVariant::try_from(v.clone()).unwrap()))
                .collect()
        };
        let ok = parse_new_card(&props(&[
            ("CertificateExpires", "2031-06-20".into()),
            ("CardExpires", "2034-06-20".into()),
            ("Label", "母".into()),
            ("InsuranceRegistered", "yes".into()),
        ]))
        .unwrap();
        assert_eq!(
            ok.certificate_expires,
            NaiveDate::from_ymd_opt(2031, 6, 20).unwrap()
        );
        assert_eq!(ok.card_expires, NaiveDate::from_ymd_opt(2034, 6, 20));
        assert_eq!(
            (ok.label.as_str(), ok.registered),
            ("母", Registration::Yes)
        );
        let minimal =
            parse_new_card(&props(&[("CertificateExpires", "2027-01-31".into())])).unwrap();
        assert_eq!(
            (minimal.card_expires, minimal.registered),
            (None, Registration::Unknown)
        );
        for (bad, why) in [
            (props(&[]), "required"),
            (
                props(&[("CertificateExpires", "".into())]),
                "must not be empty",
            ),
            (
                props(&[("CertificateExpires", "2031-02-30".into())]),
                "YYYY-MM-DD",
            ),
            (
                props(&[("CertificateExpires", "0203-01-01".into())]),
                "plausible",
            ),
            (
                props(&[("CertificateExpires", 20310620u32.into())]),
                "must be a string",
            ),
            (
                props(&[
                    ("CertificateExpires", "2031-06-20".into()),
                    ("Expires", "x".into()),
                ]),
                "unknown property",
            ),
            (
                props(&[
                    ("CertificateExpires", "2031-06-20".into()),
                    ("Label", "a\nb".into()),
                ]),
                "control characters",
            ),
            (
                props(&[
                    ("CertificateExpires", "2031-06-20".into()),
                    ("InsuranceRegistered", "true".into()),
                ]),
                "yes, no or unknown",
            ),
        ] {
            let Err(Error::InvalidArgument(msg)) = parse_new_card(&bad) else {
                panic!("{bad:?} accepted")
            };
            assert!(msg.contains(why), "{msg} lacks {why}");
        }
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
