//! Where the holder stands in one short sentence, as an id plus its arguments (the words are the
//! catalogue's: `crate::l10n::headline`), for notifications, `check` and status lines.

use chrono::NaiveDate;

use super::actions::PIN_ACTION_IDS;
use super::model::{Action, Assessment, Status};

/// The headline of an assessment. `days`: [`Assessment::days_left`]; `until`: the last day
/// マイナ保険証 works ([`Assessment::insurance_usable_until`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Headline {
    /// `headline-valid`
    Valid { days: i64 },
    /// `headline-valid-new-card-next`: valid, and the next step will be a new card.
    ValidNewCardNext { days: i64 },
    /// `headline-renewal-open`
    RenewalOpen { days: i64 },
    /// `headline-new-card-due`: the card expires soon, apply for a new one.
    NewCardDue { days: i64 },
    /// `headline-expired`: the certificate expired, renew now. The grace end is the latest
    /// possible day (some insurers count from the expiry day): never "safe until".
    Expired { days: i64, until: NaiveDate },
    /// `headline-card-expired`: the card itself expired, apply for a new card.
    CardExpired { days: i64, until: NaiveDate },
    /// `headline-lapsed`: the registration has been cancelled.
    Lapsed,
    /// `headline-lapsed-new-card`
    LapsedNewCard,
    /// `headline-lapsed-unregistered`: never registered, the card cannot be used until renewed.
    LapsedUnregistered,
    /// `headline-no-certificate`: a My Number Card whose certificate could not be read.
    NoCertificate,
    /// `headline-not-a-my-number-card`
    NotAMyNumberCard,
}

impl Headline {
    /// The catalogue id.
    pub fn id(self) -> &'static str {
        match self {
            Headline::Valid { .. } => "headline-valid",
            Headline::ValidNewCardNext { .. } => "headline-valid-new-card-next",
            Headline::RenewalOpen { .. } => "headline-renewal-open",
            Headline::NewCardDue { .. } => "headline-new-card-due",
            Headline::Expired { .. } => "headline-expired",
            Headline::CardExpired { .. } => "headline-card-expired",
            Headline::Lapsed => "headline-lapsed",
            Headline::LapsedNewCard => "headline-lapsed-new-card",
            Headline::LapsedUnregistered => "headline-lapsed-unregistered",
            Headline::NoCertificate => "headline-no-certificate",
            Headline::NotAMyNumberCard => "headline-not-a-my-number-card",
        }
    }
}

impl Assessment {
    fn has_action(&self, id: &str) -> bool {
        self.actions.iter().any(|a| a.id() == id)
    }

    /// The holder needs a new card (the card expires with, or soon after, the certificate).
    pub fn needs_new_card(&self) -> bool {
        self.has_action("apply-new-card") || self.has_action("new-card-later")
    }

    /// The PIN steps (a PIN locked, or one wrong entry from locking), in order.
    pub fn pin_actions(&self) -> Vec<&Action> {
        self.actions
            .iter()
            .filter(|a| PIN_ACTION_IDS.contains(&a.id()))
            .collect()
    }

    /// Where the holder stands, e.g. [`Headline::RenewalOpen`] with 80 days left.
    pub fn headline(&self) -> Headline {
        let days = self.days_left.unwrap_or(0);
        let until = self.insurance_usable_until.unwrap_or(NaiveDate::MIN);
        let new_card = self.has_action("apply-new-card");
        match self.status {
            Status::Valid if self.has_action("new-card-later") => {
                Headline::ValidNewCardNext { days }
            }
            Status::Valid => Headline::Valid { days },
            Status::RenewalOpen if new_card => Headline::NewCardDue { days },
            Status::RenewalOpen => Headline::RenewalOpen { days },
            Status::ExpiredGrace if new_card => Headline::CardExpired { days, until },
            Status::ExpiredGrace => Headline::Expired { days, until },
            Status::RegistrationLapsed if new_card => Headline::LapsedNewCard,
            Status::RegistrationLapsed if self.has_action("register-insurance") => {
                Headline::LapsedUnregistered
            }
            Status::RegistrationLapsed => Headline::Lapsed,
            Status::NotAMyNumberCard if self.has_action("issue-certificate") => {
                Headline::NoCertificate
            }
            Status::NotAMyNumberCard => Headline::NotAMyNumberCard,
        }
    }
}
