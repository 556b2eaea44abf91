//! Which reminder (if any) a card is due on a given Japan date: the rule core's milestones, compared
//! with the last one notified, mapped to the D-Bus signal the daemon emits. Pure: no clock, no I/O.

use chrono::NaiveDate;

use crate::rules::{self, Assessment, Facts, Milestone, MilestoneKind, Policy, Status};

/// A reminder signal, as published on the card object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reminder {
    /// `RenewalNeeded(status, deadline)`: renew by `deadline` (certificate expiry, or the end of the
    /// insurance grace period once expired).
    RenewalNeeded { status: Status, deadline: NaiveDate },
    /// `ReRegistrationNeeded(deadline)`: the grace period ended on `deadline`; register again.
    ReRegistrationNeeded { deadline: NaiveDate },
}

/// A card judged on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub assessment: Assessment,
    /// The milestone crossed since the last notification (at most one, however long the daemon was
    /// off) and the signal for it. The caller records the milestone as notified.
    pub due: Option<(Milestone, Reminder)>,
}

/// Judge `facts` on `today` and say whether a reminder is due after `last_notified`.
pub fn evaluate(
    facts: &Facts,
    today: NaiveDate,
    policy: &Policy,
    last_notified: Option<&Milestone>,
) -> Evaluation {
    let assessment = rules::assess(facts, today, policy);
    let due = rules::due_milestone(facts, today, policy, last_notified)
        .and_then(|m| reminder_for(&m, &assessment).map(|r| (m, r)));
    Evaluation { assessment, due }
}

fn reminder_for(m: &Milestone, a: &Assessment) -> Option<Reminder> {
    let grace_end = a.insurance_usable_until;
    match m.kind {
        // The new-card milestones say "apply now" (the notification text comes from the actions);
        // the deadline is the day the card, and with it the certificate, expires.
        MilestoneKind::BeforeExpiry(_)
        | MilestoneKind::NewCardApplicationsOpen
        | MilestoneKind::NewCardApplyBy => Some(Reminder::RenewalNeeded {
            status: a.status,
            deadline: a.certificate_expires?,
        }),
        MilestoneKind::Expired | MilestoneKind::BeforeGraceEnd(_) => {
            Some(Reminder::RenewalNeeded {
                status: a.status,
                deadline: grace_end.or(a.certificate_expires)?,
            })
        }
        MilestoneKind::Lapsed => Some(Reminder::ReRegistrationNeeded {
            deadline: grace_end.or(a.certificate_expires)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn card(expires: &str) -> Facts {
        Facts::for_expiry(d("2021-06-20"), d(expires))
    }

    #[test]
    fn a_card_first_seen_80_days_before_expiry_is_reminded_once() {
        let facts = card("2026-06-20");
        let today = d("2026-06-20") - chrono::Days::new(80);
        let e = evaluate(&facts, today, &Policy::default(), None);
        assert_eq!(e.assessment.status, Status::RenewalOpen);
        let (m, r) = e.due.expect("a reminder is due");
        assert_eq!(m.kind, MilestoneKind::BeforeExpiry(90));
        assert_eq!(
            r,
            Reminder::RenewalNeeded {
                status: Status::RenewalOpen,
                deadline: d("2026-06-20")
            }
        );
        // Same day again (card removed and re-inserted, daemon restarted): nothing new.
        let again = evaluate(&facts, today, &Policy::default(), Some(&m));
        assert_eq!(again.due, None);
    }

    #[test]
    fn past_the_grace_end_asks_to_register_again() {
        let facts = card("2026-02-10");
        let e = evaluate(&facts, d("2026-07-01"), &Policy::default(), None);
        assert_eq!(e.assessment.status, Status::RegistrationLapsed);
        let (m, r) = e.due.unwrap();
        assert_eq!(m.kind, MilestoneKind::Lapsed);
        let Reminder::ReRegistrationNeeded { deadline } = r else {
            panic!("{r:?}")
        };
        assert_eq!(Some(deadline), e.assessment.insurance_usable_until);
    }

    /// Day by day through a whole certificate life: every milestone fires exactly once, in order;
    /// a long gap (daemon off, laptop in a drawer) fires once for the newest milestone missed.
    #[test]
    fn time_travel_fires_each_threshold_exactly_once() {
        let policy = Policy::default();
        let facts = card("2026-06-20");
        let all = rules::milestones(&facts, &policy);
        assert!(all.len() >= 8, "{all:?}");
        let mut last: Option<Milestone> = None;
        let mut fired = Vec::new();
        let mut day = d("2026-01-01");
        while day <= d("2027-03-01") {
            if let Some((m, _)) = evaluate(&facts, day, &policy, last.as_ref()).due {
                assert_eq!(m.date, day, "{m:?} fired late");
                fired.push(m);
                last = Some(m);
            }
            day = day.succ_opt().unwrap();
        }
        assert_eq!(fired, all);

        // Off from 100 days before expiry until 10 days after: one catch-up reminder, the newest.
        let mut last = None;
        let e = evaluate(&facts, d("2026-03-12"), &policy, last.as_ref());
        last = e.due.map(|(m, _)| m);
        let e = evaluate(&facts, d("2026-06-30"), &policy, last.as_ref());
        let (m, r) = e.due.expect("catch up");
        assert_eq!(m.kind, MilestoneKind::Expired);
        assert!(matches!(
            r,
            Reminder::RenewalNeeded {
                status: Status::ExpiredGrace,
                ..
            }
        ));
        assert_eq!(
            evaluate(&facts, d("2026-06-30"), &policy, Some(&m)).due,
            None
        );
    }

    #[test]
    fn no_certificate_means_no_reminder() {
        let mut facts = card("2026-06-20");
        facts.cert = None;
        let e = evaluate(&facts, d("2026-06-01"), &Policy::default(), None);
        assert_eq!(e.due, None);
    }
}
