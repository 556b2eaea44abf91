//! One card as the Card interface shows it (`io.github.mynawatch.MynaWatch1.Card`): the same type on
//! both ends of the bus. The daemon builds it from the rule core's verdict and the record
//! ([`CardView::new`], [`CardView::with_record`]) and serves it (`card.rs`); the client reads it
//! back from `GetManagedObjects` ([`CardView::from_properties`]) and prints it, as text or as JSON
//! (these field names, snake_case). Each property's D-Bus name and shape is written once, in the
//! table below; `card.rs`'s getters serve the same names (a unit test compares them).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use zbus::zvariant::{OwnedVariant, Variant};

use crate::card::CardKey;
use crate::l10n::ActionText;
use crate::rules::{Assessment, CardExpirySource, PinCounters, PinKind, PinState, Registration};

/// One PIN's retry counter: state "remaining" (tries left), "blocked", "verified" or "unknown".
/// On the bus `(si)`, tries -1 when absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PinView {
    pub state: String,
    /// Tries left when `state` is "remaining" (0 when blocked), else absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tries: Option<i32>,
}

/// How a property's value goes on the bus and comes back (`Bus`: its D-Bus shape).
pub(super) trait Wire {
    type Bus;
    fn to_bus(&self) -> Self::Bus;
    fn from_bus(bus: Self::Bus) -> Self;
}

macro_rules! same_on_the_bus {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            type Bus = $t;
            fn to_bus(&self) -> $t {
                self.clone()
            }
            fn from_bus(bus: $t) -> $t {
                bus
            }
        }
    )*};
}
same_on_the_bus!(String, i32, bool);

impl Wire for Vec<ActionText> {
    type Bus = Vec<(String, String, String)>;
    fn to_bus(&self) -> Self::Bus {
        self.iter()
            .map(|a| (a.id.clone(), a.ja.clone(), a.en.clone()))
            .collect()
    }
    fn from_bus(bus: Self::Bus) -> Self {
        bus.into_iter()
            .map(|(id, ja, en)| ActionText { id, ja, en })
            .collect()
    }
}

impl Wire for BTreeMap<String, PinView> {
    type Bus = BTreeMap<String, (String, i32)>;
    fn to_bus(&self) -> Self::Bus {
        self.iter()
            .map(|(pin, p)| (pin.clone(), (p.state.clone(), p.tries.unwrap_or(-1))))
            .collect()
    }
    fn from_bus(bus: Self::Bus) -> Self {
        bus.into_iter()
            .map(|(pin, (state, tries))| {
                let tries = (tries >= 0).then_some(tries);
                (pin, PinView { state, tries })
            })
            .collect()
    }
}

fn prop<T: TryFrom<OwnedVariant>>(props: &HashMap<String, OwnedVariant>, name: &str) -> Option<T> {
    T::try_from(props.get(name)?.try_clone().ok()?).ok()
}

/// The table: field, type, D-Bus property name. It makes the struct, the names, the comparison
/// behind `PropertiesChanged` and the client's reading of the properties.
macro_rules! card_properties {
    ($($(#[$doc:meta])* $field:ident: $ty:ty = $name:literal,)*) => {
        /// What a card object shows. Unknown dates are "". `key` is not a property: it is the
        /// object's path (`/io/github/mynawatch/MynaWatch1/cards/KEY`).
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
        pub struct CardView {
            pub key: String,
            $($(#[$doc])* pub $field: $ty,)*
        }

        impl CardView {
            /// The D-Bus property names, in table order.
            pub const PROPERTIES: &[&str] = &[$($name),*];

            /// The D-Bus properties that differ from `old`, by name, with their new values.
            pub fn changed_since(&self, old: &CardView) -> HashMap<&'static str, Variant<'static>> {
                let mut changed = HashMap::new();
                $(if self.$field != old.$field {
                    changed.insert($name, Variant::from(self.$field.to_bus()));
                })*
                changed
            }

            /// From the card interface's properties as GetManagedObjects / InterfacesAdded give
            /// them; a property missing (an older daemon) or of another type is left empty.
            pub fn from_properties(key: String, props: &HashMap<String, OwnedVariant>) -> Self {
                CardView {
                    key,
                    $($field: prop::<<$ty as Wire>::Bus>(props, $name)
                        .map(<$ty as Wire>::from_bus)
                        .unwrap_or_default(),)*
                }
            }

            /// Each property's D-Bus signature, by name (for the test against the interface).
            #[cfg(test)]
            pub(super) fn signatures() -> Vec<(&'static str, String)> {
                vec![$(($name, <<$ty as Wire>::Bus as zbus::zvariant::Type>::SIGNATURE.to_string())),*]
            }
        }
    };
}

card_properties! {
    /// The user's name for the card ("" until set).
    label: String = "Label",
    /// The rule-core status (`Status::as_str`).
    status: String = "Status",
    certificate_expires: String = "CertificateExpires",
    renewal_opens: String = "RenewalOpens",
    insurance_usable_until: String = "InsuranceUsableUntil",
    /// 0 when there is no certificate to count from (status says why).
    days_left: i32 = "DaysLeft",
    insurance_registered: String = "InsuranceRegistered",
    present: bool = "Present",
    /// Most urgent first.
    actions: Vec<ActionText> = "Actions",
    /// The card's own expiry (YYYY-MM-DD) and where it came from ("user", "inferred"), or "" / "".
    card_expires: String = "CardExpires",
    card_expires_source: String = "CardExpiresSource",
    /// "read" or "typed".
    origin: String = "Origin",
    /// The token kind (`TokenKind::as_str`).
    kind: String = "Kind",
    /// PIN → counter: see [`pin_counters`].
    pin_counters: BTreeMap<String, PinView> = "PinCounters",
    /// When the card was last in a reader (RFC 3339, UTC), or "".
    last_seen: String = "LastSeen",
}

/// The PIN retry counters as D-Bus shows them: for each of `auth`, `sign`, `card-info` a state
/// `remaining` (tries = how many are left), `blocked` (0), `verified` (the card said the PIN is
/// already verified in this session, so the count is not known) or `unknown` (not read, e.g. a
/// typed-in card or a read cut short).
pub fn pin_counters(pins: &PinCounters) -> BTreeMap<String, PinView> {
    [PinKind::Auth, PinKind::Sign, PinKind::CardInfo]
        .into_iter()
        .map(|k| (k.as_str().to_string(), PinView::of(pins.get(k))))
        .collect()
}

impl PinView {
    /// One PIN's counter in these terms (see [`pin_counters`]).
    pub fn of(pin: Option<PinState>) -> Self {
        let (state, tries) = match pin {
            Some(PinState::Remaining(n)) => ("remaining", Some(i32::from(n))),
            Some(PinState::Blocked) => ("blocked", Some(0)),
            Some(PinState::Verified) => ("verified", None),
            None => ("unknown", None),
        };
        PinView {
            state: state.to_string(),
            tries,
        }
    }
}

/// Whether the card is in a reader now: the Card's `Present` property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    InReader,
    Away,
}

impl CardView {
    pub fn new(
        key: &CardKey,
        a: &Assessment,
        registered: Registration,
        presence: Presence,
        label: &str,
    ) -> Self {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        CardView {
            key: key.to_string(),
            status: a.status.as_str().to_string(),
            certificate_expires: date(a.certificate_expires),
            renewal_opens: date(a.renewal_opens),
            insurance_usable_until: date(a.insurance_usable_until),
            days_left: a
                .days_left
                .map(|d| d.clamp(i32::MIN.into(), i32::MAX.into()) as i32)
                .unwrap_or(0),
            insurance_registered: registered.as_str().to_string(),
            present: presence == Presence::InReader,
            label: label.to_string(),
            actions: crate::l10n::action_texts(&a.actions),
            card_expires: a
                .card_expires
                .map(|c| c.date.to_string())
                .unwrap_or_default(),
            card_expires_source: a
                .card_expires
                .map(|c| card_expiry_source(c.source).to_string())
                .unwrap_or_default(),
            origin: String::new(),
            kind: String::new(),
            pin_counters: pin_counters(&PinCounters::default()),
            last_seen: String::new(),
        }
    }

    /// The facts that come from the record rather than the rule core's verdict. A card expiry the
    /// user told us is shown even where the rule core has no timeline (no certificate).
    pub fn with_record(mut self, record: &crate::store::CardRecord) -> Self {
        if let Some(date) = record.card_expires {
            self.card_expires = date.to_string();
            self.card_expires_source = card_expiry_source(CardExpirySource::User).to_string();
        }
        self.origin = record.origin.as_str().to_string();
        self.kind = record.token.as_str().to_string();
        self.pin_counters = pin_counters(&record.pins);
        self.last_seen = record
            .last_seen
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        self
    }

    /// How `status` names the card: its label, or the first 8 characters of its key.
    pub fn short_name(&self) -> String {
        if self.label.is_empty() {
            self.short_key()
        } else {
            self.label.clone()
        }
    }

    /// The key prefix `status` prints (`0123abcd…`).
    pub fn short_key(&self) -> String {
        format!("{}…", &self.key[..self.key.len().min(8)])
    }
}

/// The `CardExpiresSource` words (docs/dbus-api.md): "user", or "inferred" from the certificate.
fn card_expiry_source(source: CardExpirySource) -> &'static str {
    match source {
        CardExpirySource::User => "user",
        CardExpirySource::CertificateSpan => "inferred",
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use zbus::object_server::Interface as _;

    use super::*;
    use crate::dbus::Card;

    /// The table and the interface's getters name the same properties with the same types.
    #[test]
    fn the_table_is_the_card_interface() {
        let (requests, _rx) = tokio::sync::mpsc::channel(1);
        let card = Card {
            key: CardKey::try_from("0123456789abcdef0123456789abcdef".to_string()).unwrap(),
            view: Arc::new(Mutex::new(CardView::default())),
            requests,
        };
        let mut xml = String::new();
        card.introspect_to_writer(&mut xml, 0);
        let mut served: Vec<(String, String)> = xml
            .split("<property name=\"")
            .skip(1)
            .map(|p| {
                let (name, rest) = p.split_once('"').unwrap();
                let ty = rest
                    .split("type=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                (name.to_string(), ty.to_string())
            })
            .collect();
        let mut table: Vec<(String, String)> = CardView::signatures()
            .into_iter()
            .map(|(n, t)| (n.to_string(), t))
            .collect();
        served.sort();
        table.sort();
        assert_eq!(served, table);
        assert_eq!(CardView::PROPERTIES.len(), table.len());
    }

    #[test]
    fn a_view_comes_back_from_its_properties() {
        let mut view = CardView {
            key: "k".into(),
            status: "renewal-open".into(),
            days_left: 80,
            present: true,
            actions: vec![ActionText {
                id: "renew-certificate".into(),
                ja: "更新".into(),
                en: "Renew".into(),
            }],
            pin_counters: pin_counters(&PinCounters::default()),
            ..Default::default()
        };
        view.pin_counters.insert(
            "auth".into(),
            PinView {
                state: "remaining".into(),
                tries: Some(3),
            },
        );
        let props: HashMap<String, OwnedVariant> = view
            .changed_since(&CardView::default())
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.try_to_owned().unwrap()))
            .collect();
        assert_eq!(CardView::from_properties("k".into(), &props), view);
    }
}
