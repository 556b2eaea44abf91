//! The pure rule core: certificate/card dates + what the user told us + today (Japan time) → status,
//! deadlines, next steps and reminder milestones. No I/O and no clock: `today` is always a parameter.

mod actions;
pub mod dates;
mod headline;
mod model;
mod policy;
#[cfg(test)]
mod tests;

pub use headline::Headline;
pub use model::*;
pub use policy::{DatedMeasure, Policy};

use chrono::NaiveDate;

/// The key dates of one My Number Card under one policy. `None` from [`Timeline::new`] means there
/// is nothing to judge (not a My Number Card, or no certificate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeline {
    /// Last valid day of the certificate: notAfter, or the card's expiry if that is earlier
    /// (a certificate never outlives the card, rule 1b).
    pub expires: NaiveDate,
    /// First day renewal is possible (rule 2a).
    pub renewal_opens: NaiveDate,
    /// Last day マイナ保険証 confirms eligibility after expiry (rule 4a).
    pub grace_end: NaiveDate,
    /// The card's own dates, when the user told us its expiry.
    pub card: Option<CardDates>,
}

/// Dates about the card itself (rule 3c, 10a).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CardDates {
    pub expires: NaiveDate,
    pub source: CardExpirySource,
    /// New-card applications open (the day after the date N months before the card's expiry).
    pub applications_open: NaiveDate,
    /// Apply by about this day to have the new card before the old one expires.
    pub apply_by: NaiveDate,
    /// The card expires within the renewal window of the certificate's expiry, so renewing only the
    /// certificate gains (almost) nothing: the action is a new card.
    pub replaces_renewal: bool,
}

impl CardDates {
    pub fn public(&self) -> CardExpiry {
        CardExpiry {
            date: self.expires,
            source: self.source,
            applications_open: self.applications_open,
            apply_by: self.apply_by,
            new_card_needed: self.replaces_renewal,
        }
    }
}

/// The certificate runs longer than a first certificate can (more than `cert_validity_birthdays`
/// years): it was renewed inside the window, so it runs to the card's own expiry (docs/rules.md,
/// "The certificate's span"). Exactly five years is a first certificate issued on a birthday (a
/// birthday on the issue day does not count), or one renewed on the expiry day itself: the span
/// cannot tell those apart, so it says nothing. Next-generation certificates are left alone.
pub(crate) fn renewed_early(cert: &CertValidity, policy: &Policy) -> bool {
    use chrono::Datelike;
    if policy
        .next_generation_from
        .is_some_and(|from| cert.not_before >= from)
    {
        return false;
    }
    let years = policy.cert_validity_birthdays.saturating_mul(12);
    let mut longest_first = dates::add_months(cert.not_before, years);
    // A Feb-29 birthday may be counted as Mar 1 in common years (docs/rules.md, "Where the sources are unsure"), so a
    // first certificate issued on Feb 29 may run to Mar 1 without being a renewal.
    if (cert.not_before.month(), cert.not_before.day()) == (2, 29) {
        longest_first = dates::add_days(longest_first, 1);
    }
    cert.not_after > longest_first
}

impl Timeline {
    pub fn new(facts: &Facts, policy: &Policy) -> Option<Timeline> {
        let cert = match (facts.token, facts.cert) {
            (TokenKind::MyNumberCard, Some(cert)) => cert,
            _ => return None,
        };
        // What the user told us always wins over the inference.
        let card_expires = match facts.card_expires {
            Some(card) => Some((card, CardExpirySource::User)),
            None => renewed_early(&cert, policy)
                .then_some((cert.not_after, CardExpirySource::CertificateSpan)),
        };
        let expires = match card_expires {
            Some((card, _)) => cert.not_after.min(card),
            None => cert.not_after,
        };
        let card = card_expires.map(|(card, source)| CardDates {
            expires: card,
            source,
            applications_open: dates::window_opens(card, policy.new_card_window_months),
            apply_by: dates::sub_days(card, policy.new_card_lead_days),
            replaces_renewal: card <= dates::add_months(expires, policy.new_card_window_months),
        });
        Some(Timeline {
            expires,
            renewal_opens: dates::window_opens(expires, policy.renewal_window_months).min(expires),
            grace_end: dates::grace_end(expires, policy.insurance_grace_months_after_expiry_month),
            card,
        })
    }

    /// The card dates when they make "apply for a new card" the action.
    pub fn new_card(&self) -> Option<CardDates> {
        self.card.filter(|c| c.replaces_renewal)
    }

    /// Exactly one status per day; it only moves forward as `today` advances.
    pub fn status(&self, today: NaiveDate) -> Status {
        if today > self.grace_end {
            Status::RegistrationLapsed
        } else if today > self.expires {
            Status::ExpiredGrace
        } else if today >= self.renewal_opens {
            Status::RenewalOpen
        } else {
            Status::Valid
        }
    }
}

/// Judge one card on one day.
pub fn assess(facts: &Facts, today: NaiveDate, policy: &Policy) -> Assessment {
    let Some(t) = Timeline::new(facts, policy) else {
        return Assessment {
            status: Status::NotAMyNumberCard,
            certificate_expires: None,
            card_expires: None,
            renewal_opens: None,
            insurance_usable_until: None,
            days_left: None,
            actions: actions::not_a_my_number_card(facts),
        };
    };
    let status = t.status(today);
    let days_left = match status {
        Status::Valid | Status::RenewalOpen => Some(dates::days_between(today, t.expires)),
        Status::ExpiredGrace | Status::RegistrationLapsed => {
            Some(dates::days_between(today, t.grace_end))
        }
        Status::NotAMyNumberCard => None,
    };
    Assessment {
        status,
        certificate_expires: Some(t.expires),
        card_expires: t.card.map(|c| c.public()),
        renewal_opens: Some(t.renewal_opens),
        insurance_usable_until: Some(t.grace_end),
        days_left,
        actions: actions::for_card(facts, &t, status, today, policy),
    }
}

/// All reminder milestones for these facts, in date order.
pub fn milestones(facts: &Facts, policy: &Policy) -> Vec<Milestone> {
    let Some(t) = Timeline::new(facts, policy) else {
        return Vec::new();
    };
    let mut out: Vec<Milestone> = Vec::new();
    for &d in &policy.reminder_days_before_expiry {
        out.push(Milestone {
            date: dates::sub_days(t.expires, d),
            kind: MilestoneKind::BeforeExpiry(d),
        });
    }
    out.push(Milestone {
        date: dates::add_days(t.expires, 1),
        kind: MilestoneKind::Expired,
    });
    for &d in &policy.reminder_days_before_grace_end {
        let date = dates::sub_days(t.grace_end, d);
        // A grace-end reminder only makes sense once the certificate has expired; a long threshold
        // (e.g. 90 days with a January expiry) would otherwise fall before the expiry itself.
        if date > t.expires {
            out.push(Milestone {
                date,
                kind: MilestoneKind::BeforeGraceEnd(d),
            });
        }
    }
    out.push(Milestone {
        date: dates::add_days(t.grace_end, 1),
        kind: MilestoneKind::Lapsed,
    });
    if let Some(card) = t.new_card() {
        out.push(Milestone {
            date: card.applications_open,
            kind: MilestoneKind::NewCardApplicationsOpen,
        });
        out.push(Milestone {
            date: card.apply_by,
            kind: MilestoneKind::NewCardApplyBy,
        });
    }
    out.sort();
    out.dedup();
    out
}

/// The newest milestone reached on or before `today` that is newer than `last_notified`, if any.
/// A daemon that was off for a week therefore notifies once, not once per missed milestone.
pub fn due_milestone(
    facts: &Facts,
    today: NaiveDate,
    policy: &Policy,
    last_notified: Option<&Milestone>,
) -> Option<Milestone> {
    milestones(facts, policy)
        .into_iter()
        .filter(|m| m.date <= today)
        .filter(|m| last_notified.is_none_or(|last| m > last))
        .max()
}

/// The first milestone strictly after `today`, if any. The daemon does not need it (it asks
/// [`due_milestone`] on every new day); the rule tests and the fuzz targets check milestones with it.
pub fn next_milestone(facts: &Facts, today: NaiveDate, policy: &Policy) -> Option<Milestone> {
    milestones(facts, policy)
        .into_iter()
        .find(|m| m.date > today)
}
