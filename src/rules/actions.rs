//! The next steps for each status, as [`Action`]s: a stable id plus the dates and choices their
//! text needs. Ids are listed in docs/rules.md; apps and tests match on them, so never rename one.
//! The words are in the catalogue (i18n/, rendered by `crate::l10n`).

use chrono::NaiveDate;

use super::model::{Action, Facts, Fix, NewCardWhen, Registration, RenewPhase, Status, TokenKind};
use super::policy::Policy;
use super::{CardDates, Timeline};

/// Next steps for a My Number Card with a certificate, most urgent first.
pub(crate) fn for_card(
    facts: &Facts,
    t: &Timeline,
    status: Status,
    today: NaiveDate,
    policy: &Policy,
) -> Vec<Action> {
    let fix = if t.new_card().is_some() {
        Fix::NewCard
    } else {
        Fix::Renew
    };
    let mut out = Vec::new();
    match status {
        Status::Valid => {
            out.extend(registration(facts.registered, None));
            out.extend(pins(facts, true));
            out.push(later(t, policy));
        }
        Status::RenewalOpen => {
            out.push(renew_or_new_card(t, status, today, policy));
            if t.new_card().is_some() {
                out.push(new_card_insurance(t, status));
            }
            out.extend(registration(facts.registered, None));
            out.extend(pins(facts, true));
        }
        Status::ExpiredGrace => {
            out.push(renew_or_new_card(t, status, today, policy));
            // With a new card coming, `new-card-insurance` already says to check the registration
            // once the card is in hand.
            let registered = match (fix, facts.registered) {
                (Fix::NewCard, Registration::Unknown) => Registration::Yes,
                (_, registered) => registered,
            };
            out.extend(registration(registered, Some(fix)));
            out.extend(pins(facts, false));
            out.push(insurer(t, status));
        }
        Status::RegistrationLapsed => {
            out.push(renew_or_new_card(t, status, today, policy));
            out.push(reregister(facts.registered, fix));
            out.push(insurer(t, status));
            out.extend(pins(facts, false));
        }
        Status::NotAMyNumberCard => {}
    }
    out.extend(
        policy
            .measures
            .iter()
            .filter(|m| m.applies(today, status))
            .map(|m| Action::Measure {
                id: m.id.clone(),
                ja: m.ja.clone(),
                en: m.en.clone(),
            }),
    );
    out
}

/// The insurance step once the certificate has expired: the new-card one, or ask the insurer.
fn insurer(t: &Timeline, status: Status) -> Action {
    match t.new_card() {
        Some(_) => new_card_insurance(t, status),
        None => Action::AskInsurer {
            by: (status != Status::RegistrationLapsed).then_some(t.grace_end),
        },
    }
}

/// Valid, renewal not open yet: when it will be.
fn later(t: &Timeline, policy: &Policy) -> Action {
    match t.new_card() {
        Some(card) => Action::NewCardLater {
            card_expires: card.expires,
            applications_open: card.applications_open,
            source: card.source,
        },
        None => Action::RenewLater {
            renewal_opens: t.renewal_opens,
            expires: t.expires,
            birthdays: policy.early_renewal_birthdays,
            card_face_unknown: t.card.is_none(),
        },
    }
}

fn renew_or_new_card(t: &Timeline, status: Status, today: NaiveDate, policy: &Policy) -> Action {
    match t.new_card() {
        Some(card) => new_card(card, today),
        None => Action::RenewCertificate {
            phase: match status {
                Status::Valid | Status::RenewalOpen | Status::NotAMyNumberCard => RenewPhase::Open,
                Status::ExpiredGrace => RenewPhase::Expired,
                Status::RegistrationLapsed => RenewPhase::Lapsed,
            },
            expires: t.expires,
            grace_end: t.grace_end,
            birthdays: policy.early_renewal_birthdays,
            card_face_unknown: t.card.is_none(),
        },
    }
}

fn new_card(card: CardDates, today: NaiveDate) -> Action {
    let when = if card.expires < today {
        NewCardWhen::Expired
    } else {
        NewCardWhen::Ahead {
            from: (today < card.applications_open).then_some(card.applications_open),
            by: (today <= card.apply_by).then_some(card.apply_by),
        }
    };
    Action::ApplyNewCard {
        card_expires: card.expires,
        when,
        source: card.source,
    }
}

/// Health insurance while the new card is being made, and after it arrives (rules 4a, 4c, 7a).
fn new_card_insurance(t: &Timeline, status: Status) -> Action {
    Action::NewCardInsurance {
        grace_end: (status != Status::RegistrationLapsed).then_some(t.grace_end),
    }
}

/// Registration step while the registration still stands (or was never made). `after`: the
/// certificate has expired, so the step comes after the fix (マイナポータル and registration both
/// need a valid certificate).
fn registration(registered: Registration, after: Option<Fix>) -> Option<Action> {
    match registered {
        Registration::Yes => None,
        Registration::No => Some(Action::RegisterInsurance { after }),
        Registration::Unknown => Some(Action::CheckRegistration { after }),
    }
}

/// Registration step once the grace period is over.
fn reregister(registered: Registration, fix: Fix) -> Action {
    match registered {
        Registration::No => Action::RegisterInsurance { after: Some(fix) },
        Registration::Yes | Registration::Unknown => Action::ReRegisterInsurance { after: fix },
    }
}

/// One action per blocked PIN, then one for those one wrong entry from locking (rule 8a: 3 tries,
/// 5 for the signature PIN; the count never resets by itself). `certs_valid`: the certificates are
/// still valid, so the convenience-store reset is possible for the auth and signature PINs (rule 8b).
fn pins(facts: &Facts, certs_valid: bool) -> Vec<Action> {
    let mut out: Vec<Action> = facts
        .pins
        .blocked()
        .into_iter()
        .map(|pin| Action::ResetPin { pin, certs_valid })
        .collect();
    let last_try = facts.pins.last_try();
    if !last_try.is_empty() {
        out.push(Action::PinLastTry { pins: last_try });
    }
    out
}

/// The ids of the PIN actions, for callers that single them out (the daemon's PIN notification).
pub const PIN_ACTION_IDS: [&str; 4] = [
    "reset-pin-auth",
    "reset-pin-sign",
    "reset-pin-card-info",
    "pin-last-try",
];

/// Actions when there is nothing to judge: not a My Number Card, or no certificate.
pub(crate) fn not_a_my_number_card(facts: &Facts) -> Vec<Action> {
    vec![match facts.token {
        TokenKind::JukiCard => Action::GetMyNumberCard,
        TokenKind::SmartphoneAndroid | TokenKind::SmartphoneIos => Action::UsePhysicalCard,
        TokenKind::Unknown => Action::UnknownCard,
        TokenKind::MyNumberCard => Action::IssueCertificate,
    }]
}
