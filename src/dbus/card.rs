//! One remembered card as a D-Bus object (`io.github.mynawatch.MynaWatch1.Card`): the rule core's
//! verdict as properties, the user's answers as methods, and the two reminder signals.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use zbus::{interface, object_server::SignalEmitter};

use super::{ask, parse_date_arg, validate_label, Error, Request};
use crate::card::CardKey;
use crate::rules::{Assessment, Registration};

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
            actions: a
                .actions
                .iter()
                .map(|x| (x.id.clone(), x.ja.clone(), x.en.clone()))
                .collect(),
        }
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

    /// The expiry printed on the card itself (YYYY-MM-DD; "" forgets it).
    async fn set_card_expires(&self, date: String) -> Result<(), Error> {
        let date = parse_date_arg(&date)?;
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
