//! The rule core's vocabulary: what we know about a card (`Facts`) and what the rules conclude (`Assessment`).
//!
//! Plain data only: no clock, no I/O. Every date here is a calendar date in Japan time.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Japan Standard Time: +09:00 all year (no DST), which is why a fixed offset is exact.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// The calendar date in Japan at instant `t`. Certificates are issued and expire by Japanese dates,
/// so every rule compares these, never UTC dates or the machine's local date.
pub fn jst_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&jst()).date_naive()
}

/// The user-authentication certificate's validity, as dates in Japan time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertValidity {
    /// First day the certificate is valid (its issue day).
    pub not_before: NaiveDate,
    /// Last day the certificate is valid (the expiry day; usually a birthday).
    pub not_after: NaiveDate,
}

impl CertValidity {
    /// From the X.509 notBefore/notAfter instants. notAfter is 23:59:59 JST on the expiry day,
    /// i.e. 14:59:59Z; converting to a JST date keeps that day even if a card says 15:00:00Z-1s.
    pub fn from_instants(not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> Self {
        CertValidity {
            not_before: jst_date(not_before),
            not_after: jst_date(not_after),
        }
    }
}

/// What kind of JPKI token answered, from the EF 0006 label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    /// `JPKIAPICCTOKEN2`: a My Number Card.
    MyNumberCard,
    /// `JPKIAPICCTOKEN`: the old Basic Resident Register card (住基カード), not a My Number Card.
    JukiCard,
    /// `JPKIAPGPSETOKEN`: JPKI on an Android smartphone.
    SmartphoneAndroid,
    /// `JPKIAPIOSTOKEN`: JPKI on an iPhone.
    SmartphoneIos,
    /// Some other label, or none.
    Unknown,
}

impl TokenKind {
    /// Classify a token label (already trimmed of trailing spaces).
    pub fn from_label(label: &str) -> Self {
        match label {
            "JPKIAPICCTOKEN2" => TokenKind::MyNumberCard,
            "JPKIAPICCTOKEN" => TokenKind::JukiCard,
            "JPKIAPGPSETOKEN" => TokenKind::SmartphoneAndroid,
            "JPKIAPIOSTOKEN" => TokenKind::SmartphoneIos,
            _ => TokenKind::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::MyNumberCard => "my-number-card",
            TokenKind::JukiCard => "juki-card",
            TokenKind::SmartphoneAndroid => "smartphone-android",
            TokenKind::SmartphoneIos => "smartphone-ios",
            TokenKind::Unknown => "unknown",
        }
    }
}

/// Is the card registered for health-insurance use (保険証利用登録)? The card cannot tell us; the user can.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    Yes,
    No,
    #[default]
    Unknown,
}

impl Registration {
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Yes => "yes",
            Registration::No => "no",
            Registration::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Registration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "yes" | "true" => Ok(Registration::Yes),
            "no" | "false" => Ok(Registration::No),
            "unknown" => Ok(Registration::Unknown),
            other => Err(format!("expected yes, no or unknown, got {other:?}")),
        }
    }
}

/// Which PIN a retry counter belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinKind {
    /// 利用者証明用電子証明書の暗証番号 (4 digits, locks after 3).
    Auth,
    /// 署名用電子証明書の暗証番号 (6–16 characters, locks after 5).
    Sign,
    /// 券面事項入力補助用の暗証番号 (4 digits, locks after 3).
    CardInfo,
}

impl PinKind {
    pub const ALL: [PinKind; 3] = [PinKind::Auth, PinKind::Sign, PinKind::CardInfo];

    pub fn as_str(self) -> &'static str {
        match self {
            PinKind::Auth => "auth",
            PinKind::Sign => "sign",
            PinKind::CardInfo => "card-info",
        }
    }
}

/// A PIN's retry counter as read without sending a PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "tries")]
pub enum PinState {
    /// This many tries left before the PIN locks.
    Remaining(u8),
    /// Locked: must be reset (municipal office, or a convenience store for some PINs).
    Blocked,
    /// Already verified in this card session (the card answered 90 00), so the count is not known.
    Verified,
}

/// Retry counters of the three PINs mynawatch looks at; `None` = could not be read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinCounters {
    pub auth: Option<PinState>,
    pub sign: Option<PinState>,
    pub card_info: Option<PinState>,
}

impl PinCounters {
    pub fn get(&self, kind: PinKind) -> Option<PinState> {
        match kind {
            PinKind::Auth => self.auth,
            PinKind::Sign => self.sign,
            PinKind::CardInfo => self.card_info,
        }
    }

    /// The PINs that are locked, in a stable order.
    pub fn blocked(&self) -> Vec<PinKind> {
        self.with(|s| s == Some(PinState::Blocked))
    }

    /// The PINs one wrong entry away from locking, in a stable order.
    pub fn last_try(&self) -> Vec<PinKind> {
        self.with(|s| s == Some(PinState::Remaining(1)))
    }

    fn with(&self, pred: impl Fn(Option<PinState>) -> bool) -> Vec<PinKind> {
        PinKind::ALL
            .into_iter()
            .filter(|k| pred(self.get(*k)))
            .collect()
    }

    /// Whether going from `before` to `self` put a PIN into a worse state worth telling the holder
    /// about now (one try left, or locked). Unchanged or improving counters are not news, so a card
    /// read again every day does not notify again.
    pub fn newly_at_risk(&self, before: &PinCounters) -> bool {
        let risk = |s: Option<PinState>| match s {
            Some(PinState::Blocked) => 2,
            Some(PinState::Remaining(1)) => 1,
            _ => 0,
        };
        PinKind::ALL
            .into_iter()
            .any(|k| risk(self.get(k)) > risk(before.get(k)))
    }
}

/// Everything the rule core is told about one card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub token: TokenKind,
    /// `None` when the certificate could not be read (or the user only told us nothing).
    pub cert: Option<CertValidity>,
    /// The card's own printed expiry, when the user told us (not readable without a PIN).
    pub card_expires: Option<NaiveDate>,
    pub registered: Registration,
    pub pins: PinCounters,
}

impl Facts {
    /// Facts for a My Number Card whose certificate expires on `not_after` and nothing else is known.
    pub fn for_expiry(not_before: NaiveDate, not_after: NaiveDate) -> Self {
        Facts {
            token: TokenKind::MyNumberCard,
            cert: Some(CertValidity {
                not_before,
                not_after,
            }),
            card_expires: None,
            registered: Registration::Unknown,
            pins: PinCounters::default(),
        }
    }
}

/// Where the holder stands. Ordered: as days pass with nothing done, the status only moves forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Certificate valid, renewal not open yet.
    Valid,
    /// Less than 3 months left: renewal (or a new card) is possible and wise now.
    RenewalOpen,
    /// Certificate expired; マイナ保険証 still confirms eligibility until the grace end.
    ExpiredGrace,
    /// Grace over: the insurance registration has been cancelled.
    RegistrationLapsed,
    /// Not a My Number Card (old Juki card, smartphone token, unknown), or no certificate to judge.
    NotAMyNumberCard,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Valid,
        Status::RenewalOpen,
        Status::ExpiredGrace,
        Status::RegistrationLapsed,
        Status::NotAMyNumberCard,
    ];

    /// The stable name used on D-Bus, in JSON and in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::RenewalOpen => "renewal-open",
            Status::ExpiredGrace => "expired-grace",
            Status::RegistrationLapsed => "registration-lapsed",
            Status::NotAMyNumberCard => "not-a-my-number-card",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}

/// What fixes an expired certificate: a renewal at the counter, or a new card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fix {
    Renew,
    NewCard,
}

/// Where a `renew-certificate` step stands: before expiry, in the grace period, or after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RenewPhase {
    Open,
    Expired,
    Lapsed,
}

/// When to apply for the new card (`apply-new-card`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NewCardWhen {
    /// The card itself has expired: a renewal is not possible.
    Expired,
    /// The card is still valid. `from`: applications open on that day (`None`: they are open);
    /// `by`: apply by about that day (`None`: that day has passed, apply now).
    Ahead {
        from: Option<NaiveDate>,
        by: Option<NaiveDate>,
    },
}

/// A concrete next step: a stable id (for apps and tests, listed in docs/rules.md) and the typed
/// facts its text needs. The words are the presentation's ([`crate::l10n`]), in every language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `renew-later`: nothing to do yet; renewal opens on `renewal_opens`. `card_face_unknown`:
    /// the card's own expiry is not known, so the step asks to compare it with the card face.
    RenewLater {
        renewal_opens: NaiveDate,
        expires: NaiveDate,
        birthdays: u32,
        card_face_unknown: bool,
    },
    /// `new-card-later`: the card itself expires on `card_expires`; apply from `applications_open`.
    NewCardLater {
        card_expires: NaiveDate,
        applications_open: NaiveDate,
        source: CardExpirySource,
    },
    /// `renew-certificate`. `birthdays`: a renewed certificate runs to this birthday.
    RenewCertificate {
        phase: RenewPhase,
        expires: NaiveDate,
        grace_end: NaiveDate,
        birthdays: u32,
        card_face_unknown: bool,
    },
    /// `apply-new-card`.
    ApplyNewCard {
        card_expires: NaiveDate,
        when: NewCardWhen,
        source: CardExpirySource,
    },
    /// `new-card-insurance`: health insurance meanwhile. `grace_end`: マイナ保険証 still works until
    /// then (`None` once the grace period is over).
    NewCardInsurance { grace_end: Option<NaiveDate> },
    /// `register-insurance`; `after`: once the fix is done (the certificate has expired).
    RegisterInsurance { after: Option<Fix> },
    /// `check-registration`; `after` as for `RegisterInsurance`.
    CheckRegistration { after: Option<Fix> },
    /// `re-register-insurance`: the grace period is over.
    ReRegisterInsurance { after: Fix },
    /// `ask-insurer-eligibility-certificate`. `by`: if the renewal cannot be done by then (`None`
    /// once the grace period is over).
    AskInsurer { by: Option<NaiveDate> },
    /// `reset-pin-auth`, `reset-pin-sign`, `reset-pin-card-info`: the PIN is locked.
    /// `certs_valid`: the convenience-store reset is possible (rule 8b).
    ResetPin { pin: PinKind, certs_valid: bool },
    /// `pin-last-try`: these PINs are one wrong entry from locking (in a stable order).
    PinLastTry { pins: Vec<PinKind> },
    /// `get-my-number-card`: an old Juki card.
    GetMyNumberCard,
    /// `use-physical-card`: a smartphone token.
    UsePhysicalCard,
    /// `unknown-card`.
    UnknownCard,
    /// `issue-certificate`: a My Number Card without a readable certificate.
    IssueCertificate,
    /// A dated measure (policy `measures`): its id, and its own text when the configuration gave
    /// one (the default measures' words are in the catalogue under their id).
    Measure {
        id: String,
        ja: Option<String>,
        en: Option<String>,
    },
}

impl Action {
    /// The stable id.
    pub fn id(&self) -> &str {
        match self {
            Action::RenewLater { .. } => "renew-later",
            Action::NewCardLater { .. } => "new-card-later",
            Action::RenewCertificate { .. } => "renew-certificate",
            Action::ApplyNewCard { .. } => "apply-new-card",
            Action::NewCardInsurance { .. } => "new-card-insurance",
            Action::RegisterInsurance { .. } => "register-insurance",
            Action::CheckRegistration { .. } => "check-registration",
            Action::ReRegisterInsurance { .. } => "re-register-insurance",
            Action::AskInsurer { .. } => "ask-insurer-eligibility-certificate",
            Action::ResetPin { pin, .. } => match pin {
                PinKind::Auth => "reset-pin-auth",
                PinKind::Sign => "reset-pin-sign",
                PinKind::CardInfo => "reset-pin-card-info",
            },
            Action::PinLastTry { .. } => "pin-last-try",
            Action::GetMyNumberCard => "get-my-number-card",
            Action::UsePhysicalCard => "use-physical-card",
            Action::UnknownCard => "unknown-card",
            Action::IssueCertificate => "issue-certificate",
            Action::Measure { id, .. } => id,
        }
    }
}

/// How the rule core knows the card's own expiry (the date printed on the card face).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardExpirySource {
    /// The user told us (`SetCardExpires`, `card-expires`, `check --card-expires`). Always wins.
    User,
    /// Inferred: the certificate runs more than five years, so it was renewed inside the window and
    /// ends with the card (docs/rules.md, "The certificate's span").
    CertificateSpan,
}

/// The card's own expiry and the new-card dates that follow from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardExpiry {
    pub date: NaiveDate,
    pub source: CardExpirySource,
    /// New-card applications open (the day after the date 3 months before `date`).
    pub applications_open: NaiveDate,
    /// Apply by about this day to have the new card before the old one expires.
    pub apply_by: NaiveDate,
    /// The holder needs a new card rather than a certificate renewal.
    pub new_card_needed: bool,
}

/// The rule core's conclusion for one card on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub status: Status,
    pub certificate_expires: Option<NaiveDate>,
    /// The card's own expiry when known (told by the user, or inferred from the certificate).
    pub card_expires: Option<CardExpiry>,
    /// First day renewal is possible ("from about": see docs/rules.md).
    pub renewal_opens: Option<NaiveDate>,
    /// Last day マイナ保険証 works (eligibility only after certificate expiry).
    pub insurance_usable_until: Option<NaiveDate>,
    /// Days until the next deadline that matters: certificate expiry while valid, grace end while in grace;
    /// negative once lapsed (days since grace end). `None` without a certificate.
    pub days_left: Option<i64>,
    /// Ordered: the most urgent step first. Not serialized here: JSON output carries them
    /// rendered (`l10n::actions_json`).
    #[serde(skip)]
    pub actions: Vec<Action>,
}

/// What a reminder is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "days")]
pub enum MilestoneKind {
    /// `days` before the certificate expires (renewal needed).
    BeforeExpiry(u32),
    /// The certificate expired (grace period starts).
    Expired,
    /// `days` before the insurance grace period ends (registration about to be cancelled).
    BeforeGraceEnd(u32),
    /// Grace over: registration cancelled, register again.
    Lapsed,
    /// New-card applications open (the card expires with, or soon after, the certificate).
    NewCardApplicationsOpen,
    /// Apply for the new card by about today to have it before the old one expires.
    NewCardApplyBy,
}

impl MilestoneKind {
    /// Phase first, then fewer days left = later; the new-card milestones come before the expiry
    /// ones of the same day (distinct ranks keep `Ord` consistent with `Eq`).
    fn rank(self) -> (u8, i64) {
        match self {
            MilestoneKind::NewCardApplicationsOpen => (0, i64::MIN),
            MilestoneKind::NewCardApplyBy => (0, i64::MIN + 1),
            MilestoneKind::BeforeExpiry(d) => (0, -i64::from(d)),
            MilestoneKind::Expired => (1, 0),
            MilestoneKind::BeforeGraceEnd(d) => (2, -i64::from(d)),
            MilestoneKind::Lapsed => (3, 0),
        }
    }
}

/// A point in time at which the daemon notifies once. Ordered by date (ties by phase), so
/// "has a newer one been crossed" is a comparison; the daemon stores the last one it notified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Milestone {
    pub date: NaiveDate,
    pub kind: MilestoneKind,
}

impl PartialOrd for Milestone {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Milestone {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.date, self.kind.rank()).cmp(&(other.date, other.kind.rank()))
    }
}
