//! One remembered card as a D-Bus object (`io.github.mynawatch.MynaWatch1.Card`): the rule core's
//! verdict as properties, the user's answers as methods, and the two reminder signals.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use zbus::{interface, object_server::SignalEmitter};

use super::{ask, parse_date_arg, validate_label, Error, Request};
use crate::card::CardKey;
use crate::rules::{Assessment, CardExpirySource, PinCounters, PinKind, PinState, Registration};

/// What a card object shows, already in D-Bus shapes. Unknown dates are "".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardView {
    pub status: String,
    pub certificate_expires: String,
    pub renewal_opens: String,
    pub insurance_usable_until: String,
    /// 0 when there is no certificate to count from (status says why).
    pub days_left: i32,
    pub insurance_registered: String,
    pub present: bool,
    pub label: String,
    /// (id, ja, en), most urgent first.
    pub actions: Vec<(String, String, String)>,
    /// The card's own expiry (YYYY-MM-DD) and where it came from ("user", "inferred"), or "" / "".
    pub card_expires: String,
    pub card_expires_source: String,
    /// "read" or "typed".
    pub origin: String,
    /// The token kind (TokenKind::as_str).
    pub kind: String,
    /// PIN → (state, tries): see [`pin_counters`].
    pub pin_counters: BTreeMap<String, (String, i32)>,
    /// When the card was last in a reader (RFC 3339, UTC), or "".
    pub last_seen: String,
}

/// The PIN retry counters as D-Bus shows them: for each of `auth`, `sign`, `card-info` a
/// `(state, tries)` with state `remaining` (tries = how many are left), `blocked` (0), `verified`
/// (the card said the PIN is already verified in this session, so the count is not known; -1) or
/// `unknown` (not read, e.g. a typed-in card or a read cut short; -1).
pub fn pin_counters(pins: &PinCounters) -> BTreeMap<String, (String, i32)> {
    [PinKind::Auth, PinKind::Sign, PinKind::CardInfo]
        .into_iter()
        .map(|k| {
            let v = match pins.get(k) {
                Some(PinState::Remaining(n)) => ("remaining", i32::from(n)),
                Some(PinState::Blocked) => ("blocked", 0),
                Some(PinState::Verified) => ("verified", -1),
                None => ("unknown", -1),
            };
            (k.as_str().to_string(), (v.0.to_string(), v.1))
        })
        .collect()
}

impl CardView {
    /// The D-Bus properties that differ from `old`, by name, with their new values.
    pub fn changed_since(
        &self,
        old: &CardView,
    ) -> std::collections::HashMap<&'static str, zbus::zvariant::Variant<'static>> {
        use zbus::zvariant::Variant;
        let mut changed = std::collections::HashMap::new();
        let mut put = |name: &'static str, differs: bool, value: Variant<'static>| {
            if differs {
                changed.insert(name, value);
            }
        };
        put(
            "Status",
            self.status != old.status,
            Variant::from(self.status.clone()),
        );
        put(
            "CertificateExpires",
            self.certificate_expires != old.certificate_expires,
            Variant::from(self.certificate_expires.clone()),
        );
        put(
            "RenewalOpens",
            self.renewal_opens != old.renewal_opens,
            Variant::from(self.renewal_opens.clone()),
        );
        put(
            "InsuranceUsableUntil",
            self.insurance_usable_until != old.insurance_usable_until,
            Variant::from(self.insurance_usable_until.clone()),
        );
        put(
            "DaysLeft",
            self.days_left != old.days_left,
            Variant::from(self.days_left),
        );
        put(
            "InsuranceRegistered",
            self.insurance_registered != old.insurance_registered,
            Variant::from(self.insurance_registered.clone()),
        );
        put(
            "Present",
            self.present != old.present,
            Variant::from(self.present),
        );
        put(
            "Label",
            self.label != old.label,
            Variant::from(self.label.clone()),
        );
        put(
            "Actions",
            self.actions != old.actions,
            Variant::from(self.actions.clone()),
        );
        put(
            "CardExpires",
            self.card_expires != old.card_expires,
            Variant::from(self.card_expires.clone()),
        );
        put(
            "CardExpiresSource",
            self.card_expires_source != old.card_expires_source,
            Variant::from(self.card_expires_source.clone()),
        );
        put(
            "Origin",
            self.origin != old.origin,
            Variant::from(self.origin.clone()),
        );
        put(
            "Kind",
            self.kind != old.kind,
            Variant::from(self.kind.clone()),
        );
        put(
            "PinCounters",
            self.pin_counters != old.pin_counters,
            Variant::from(self.pin_counters.clone()),
        );
        put(
            "LastSeen",
            self.last_seen != old.last_seen,
            Variant::from(self.last_seen.clone()),
        );
        changed
    }

    pub fn new(a: &Assessment, registered: Registration, present: bool, label: &str) -> Self {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        CardView {
            status: a.status.as_str().to_string(),
            certificate_expires: date(a.certificate_expires),
            renewal_opens: date(a.renewal_opens),
            insurance_usable_until: date(a.insurance_usable_until),
            days_left: a
                .days_left
                .map(|d| d.clamp(i32::MIN.into(), i32::MAX.into()) as i32)
                .unwrap_or(0),
            insurance_registered: registered.as_str().to_string(),
            present,
            label: label.to_string(),
            actions: crate::l10n::action_texts(&a.actions)
                .into_iter()
                .map(|x| (x.id, x.ja, x.en))
                .collect(),
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
}

/// The `CardExpiresSource` words (docs/dbus-api.md): "user", or "inferred" from the certificate.
fn card_expiry_source(source: CardExpirySource) -> &'static str {
    match source {
        CardExpirySource::User => "user",
        CardExpirySource::CertificateSpan => "inferred",
    }
}

/// A thin handle: one clone is served at the card's path, the [`super::Publisher`] keeps another and
/// updates `view` from outside method calls.
#[derive(Clone)]
pub struct Card {
    pub(super) key: CardKey,
    pub(super) view: Arc<Mutex<CardView>>,
    pub(super) requests: mpsc::Sender<Request>,
}

impl Card {
    fn get<T>(&self, f: impl FnOnce(&CardView) -> T) -> T {
        f(&self.view.lock().expect("card view lock"))
    }
}

#[interface(
    name = "io.github.mynawatch.MynaWatch1.Card",
    proxy(default_service = "io.github.mynawatch.MynaWatch1")
)]
impl Card {
    /// The rule-core status: valid, renewal-open, expired-grace, registration-lapsed, not-a-my-number-card.
    #[zbus(property)]
    fn status(&self) -> String {
        self.get(|v| v.status.clone())
    }

    /// Last day of the user-authentication certificate (YYYY-MM-DD, Japan time), or "".
    #[zbus(property)]
    fn certificate_expires(&self) -> String {
        self.get(|v| v.certificate_expires.clone())
    }

    /// First day renewal is possible (YYYY-MM-DD), or "".
    #[zbus(property)]
    fn renewal_opens(&self) -> String {
        self.get(|v| v.renewal_opens.clone())
    }

    /// Last day the card works as health-insurance card (YYYY-MM-DD), or "".
    #[zbus(property)]
    fn insurance_usable_until(&self) -> String {
        self.get(|v| v.insurance_usable_until.clone())
    }

    /// Days to the next deadline that matters (negative once lapsed; 0 without a certificate).
    #[zbus(property)]
    fn days_left(&self) -> i32 {
        self.get(|v| v.days_left)
    }

    /// Registered for health-insurance use: yes, no or unknown (the user tells us).
    #[zbus(property)]
    fn insurance_registered(&self) -> String {
        self.get(|v| v.insurance_registered.clone())
    }

    /// Is the card in a reader right now?
    #[zbus(property)]
    fn present(&self) -> bool {
        self.get(|v| v.present)
    }

    /// The user's name for the card ("" until set).
    #[zbus(property)]
    fn label(&self) -> String {
        self.get(|v| v.label.clone())
    }

    /// Next steps, most urgent first: (id, Japanese text, English text).
    #[zbus(property)]
    fn actions(&self) -> Vec<(String, String, String)> {
        self.get(|v| v.actions.clone())
    }

    /// The card's own expiry (YYYY-MM-DD), or "" when not known. Not the certificate's: see CertificateExpires.
    #[zbus(property)]
    fn card_expires(&self) -> String {
        self.get(|v| v.card_expires.clone())
    }

    /// Where CardExpires comes from: "user" (told with SetCardExpires or AddCard), "inferred" (from
    /// the certificate's dates), or "" when CardExpires is "".
    #[zbus(property)]
    fn card_expires_source(&self) -> String {
        self.get(|v| v.card_expires_source.clone())
    }

    /// "read" (from a card in a reader) or "typed" (typed in from the card's face with AddCard).
    #[zbus(property)]
    fn origin(&self) -> String {
        self.get(|v| v.origin.clone())
    }

    /// What answered: "my-number-card", "juki-card" (住基カード), "smartphone-android",
    /// "smartphone-ios" (JPKI on a phone), or "unknown" (another token).
    #[zbus(property)]
    fn kind(&self) -> String {
        self.get(|v| v.kind.clone())
    }

    /// PIN retry counters as the card last reported them, read without a PIN: "auth", "sign",
    /// "card-info" → (state, tries), state "remaining" (tries left), "blocked" (0), "verified"
    /// (already verified, count not known; -1) or "unknown" (not read; -1).
    #[zbus(property)]
    fn pin_counters(&self) -> BTreeMap<String, (String, i32)> {
        self.get(|v| v.pin_counters.clone())
    }

    /// When the card was last in a reader (RFC 3339, UTC, e.g. 2026-03-01T00:12:34Z), or "" never.
    #[zbus(property)]
    fn last_seen(&self) -> String {
        self.get(|v| v.last_seen.clone())
    }

    /// Name the card (at most 256 characters, no control characters; "" clears it).
    async fn set_label(&self, label: String) -> Result<(), Error> {
        let label = validate_label(&label)?;
        let card = self.key.clone();
        ask(&self.requests, |reply| Request::SetLabel {
            card,
            label,
            reply,
        })
        .await
    }

    /// Tell the daemon whether the card is registered for health-insurance use.
    async fn set_insurance_registered(&self, registered: bool) -> Result<(), Error> {
        let registered = if registered {
            Registration::Yes
        } else {
            Registration::No
        };
        let card = self.key.clone();
        ask(&self.requests, |reply| Request::SetRegistered {
            card,
            registered,
            reply,
        })
        .await
    }

    /// Like SetInsuranceRegistered, with "unknown" as a third answer: "yes", "no" or "unknown".
    async fn set_registration(&self, registered: String) -> Result<(), Error> {
        let registered = match registered.as_str() {
            "yes" => Registration::Yes,
            "no" => Registration::No,
            "unknown" => Registration::Unknown,
            _ => return Err(Error::invalid("expected yes, no or unknown")),
        };
        let card = self.key.clone();
        ask(&self.requests, |reply| Request::SetRegistered {
            card,
            registered,
            reply,
        })
        .await
    }

    /// The expiry printed on the card itself (YYYY-MM-DD; "" forgets it).
    async fn set_card_expires(&self, date: String) -> Result<(), Error> {
        let date = parse_date_arg(&date)?
            .map(|d| super::plausible_typed_date("CardExpires", d))
            .transpose()?;
        let card = self.key.clone();
        ask(&self.requests, |reply| Request::SetCardExpires {
            card,
            date,
            reply,
        })
        .await
    }

    /// Forget the card: its record and this object are removed.
    async fn forget(&self) -> Result<(), Error> {
        let card = self.key.clone();
        ask(&self.requests, |reply| Request::Forget { card, reply }).await
    }

    /// The certificate needs renewing: `status` is the rule-core status, `deadline` the date
    /// (YYYY-MM-DD) by which to act (certificate expiry, or the insurance grace end once expired).
    #[zbus(signal)]
    pub async fn renewal_needed(
        emitter: &SignalEmitter<'_>,
        status: &str,
        deadline: &str,
    ) -> zbus::Result<()>;

    /// The insurance registration has been cancelled (grace over since `deadline`): renew, then register again.
    #[zbus(signal)]
    pub async fn re_registration_needed(
        emitter: &SignalEmitter<'_>,
        deadline: &str,
    ) -> zbus::Result<()>;
}
