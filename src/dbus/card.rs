//! One remembered card as a D-Bus object (`io.github.mynawatch.MynaWatch1.Card`): the rule core's
//! verdict as properties (their values: [`CardView`], `view.rs`), the user's answers as methods, and
//! the two reminder signals.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use zbus::{interface, object_server::SignalEmitter};

use super::view::{CardView, Wire as _};
use super::{ask, parse_date_arg, validate_label, Error, Reply, Request};
use crate::card::CardKey;
use crate::rules::Registration;

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

    /// Ask the daemon loop to change this card: `make` builds the request from the card's key and
    /// the reply channel.
    async fn ask(&self, make: impl FnOnce(CardKey, Reply) -> Request) -> Result<(), Error> {
        let card = self.key.clone();
        ask(&self.requests, |reply| make(card, reply)).await
    }

    /// The one answer behind SetInsuranceRegistered and SetRegistration.
    async fn set_registered(&self, registered: Registration) -> Result<(), Error> {
        self.ask(|card, reply| Request::SetRegistered {
            card,
            registered,
            reply,
        })
        .await
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
        self.get(|v| v.actions.to_bus())
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
        self.get(|v| v.pin_counters.to_bus())
    }

    /// When the card was last in a reader (RFC 3339, UTC, e.g. 2026-03-01T00:12:34Z), or "" never.
    #[zbus(property)]
    fn last_seen(&self) -> String {
        self.get(|v| v.last_seen.clone())
    }

    /// Name the card (at most 256 characters, no control characters; "" clears it).
    async fn set_label(&self, label: String) -> Result<(), Error> {
        let label = validate_label(&label)?;
        self.ask(|card, reply| Request::SetLabel { card, label, reply })
            .await
    }

    /// Tell the daemon whether the card is registered for health-insurance use.
    async fn set_insurance_registered(&self, registered: bool) -> Result<(), Error> {
        let registered = if registered {
            Registration::Yes
        } else {
            Registration::No
        };
        self.set_registered(registered).await
    }

    /// Like SetInsuranceRegistered, with "unknown" as a third answer: "yes", "no" or "unknown".
    async fn set_registration(&self, registered: String) -> Result<(), Error> {
        let registered = match registered.as_str() {
            "yes" => Registration::Yes,
            "no" => Registration::No,
            "unknown" => Registration::Unknown,
            _ => return Err(Error::invalid("expected yes, no or unknown")),
        };
        self.set_registered(registered).await
    }

    /// The expiry printed on the card itself (YYYY-MM-DD; "" forgets it).
    async fn set_card_expires(&self, date: String) -> Result<(), Error> {
        let date = parse_date_arg(&date)?
            .map(|d| super::plausible_typed_date("CardExpires", d))
            .transpose()?;
        self.ask(|card, reply| Request::SetCardExpires { card, date, reply })
            .await
    }

    /// Forget the card: its record and this object are removed.
    async fn forget(&self) -> Result<(), Error> {
        self.ask(|card, reply| Request::Forget { card, reply })
            .await
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
