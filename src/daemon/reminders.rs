//! What publishing a card comes to on a given Japan date: its D-Bus view, and which reminder (if
//! any) is due — the rule core's milestones, compared with the last one notified, mapped to the
//! D-Bus signal the daemon emits and the notification it shows. Pure: no clock, no I/O; the loop
//! (`Daemon::publish`) carries out what [`plan`] decides.

use chrono::NaiveDate;

use crate::card::CardKey;
use crate::dbus::{CardView, Presence};
use crate::l10n::Lang;
use crate::notify::{self, Notification};
use crate::rules::{self, Assessment, Facts, Milestone, MilestoneKind, Policy, Status};
use crate::store::CardRecord;

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

/// Whether publishing a card may emit and show a due reminder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remind {
    IfDue,
    Never,
}

/// What publishing one card today comes to.
#[derive(Clone, Debug, PartialEq)]
pub struct Publication {
    /// The card object's properties.
    pub view: CardView,
    pub status: Status,
    /// The reminder to deliver now, if one is due and may be.
    pub reminder: Option<Delivery>,
}

/// A due reminder and how it is delivered (at least once: a milestone counts as delivered only
/// once its notification was shown, or, with notifications off, once its signal went out).
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub milestone: Milestone,
    /// The signal to emit first; `None` when it went out already (the milestone is the record's
    /// `pending_reminder`) and only the notification is offered again.
    pub signal: Option<Reminder>,
    /// The notification to show, after which the milestone is delivered; `None` with notifications
    /// off: then the signal delivers it.
    pub notification: Option<Notification>,
}

/// Decide what publishing the card of `record` means on `today`: its view, and (with
/// [`Remind::IfDue`]) the reminder due, as a signal and, when `notify_in` gives a language, a
/// notification.
pub fn plan(
    key: &CardKey,
    record: &CardRecord,
    presence: Presence,
    today: NaiveDate,
    policy: &Policy,
    remind: Remind,
    notify_in: Option<Lang>,
) -> Publication {
    let e = evaluate(
        &record.facts(),
        today,
        policy,
        record.last_notified.as_ref(),
    );
    let view = CardView::new(
        key,
        &e.assessment,
        record.registered,
        presence,
        &record.label,
    )
    .with_record(record);
    let reminder = e
        .due
        .filter(|_| remind == Remind::IfDue)
        .map(|(milestone, reminder)| Delivery {
            milestone,
            // The signal goes out once per milestone; only the notification is offered again.
            signal: (record.pending_reminder != Some(milestone)).then_some(reminder),
            notification: notify_in.map(|lang| {
                notify::compose_for(&record.label, &e.assessment, record.registered, lang)
            }),
        });
    Publication {
        view,
        status: e.assessment.status,
        reminder,
    }
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

    fn key() -> CardKey {
        CardKey::try_from("0123456789abcdef0123456789abcdef".to_string()).unwrap()
    }

    /// The test card, typed in: its certificate expires on 2026-06-20.
    fn record() -> CardRecord {
        CardRecord::typed(d("2026-06-20"), None)
    }

    /// 80 days before that expiry: renewal open, the 90-day reminder due.
    fn today() -> NaiveDate {
        d("2026-06-20") - chrono::Days::new(80)
    }

    /// [`plan`] for the test card under the default policy, today.
    fn plan_for(
        record: &CardRecord,
        presence: Presence,
        remind: Remind,
        notify_in: Option<Lang>,
    ) -> Publication {
        plan(
            &key(),
            record,
            presence,
            today(),
            &Policy::default(),
            remind,
            notify_in,
        )
    }

    /// ... with the card in a reader and its reminder asked for, as on an insertion.
    fn plan_inserted(record: &CardRecord, notify_in: Option<Lang>) -> Publication {
        plan_for(record, Presence::InReader, Remind::IfDue, notify_in)
    }

    #[test]
    fn a_due_reminder_is_a_signal_then_a_notification() {
        let p = plan_inserted(&record(), Some(Lang::En));
        assert_eq!(p.status, Status::RenewalOpen);
        assert_eq!(
            (p.view.status.as_str(), p.view.present),
            ("renewal-open", true)
        );
        let due = p.reminder.expect("a reminder is due");
        assert_eq!(due.milestone.kind, MilestoneKind::BeforeExpiry(90));
        assert!(matches!(due.signal, Some(Reminder::RenewalNeeded { .. })));
        assert!(due.notification.is_some());
    }

    #[test]
    fn never_publishes_without_a_reminder() {
        let p = plan_for(&record(), Presence::Away, Remind::Never, Some(Lang::En));
        assert_eq!(p.view.status, "renewal-open");
        assert_eq!(p.reminder, None);
    }

    #[test]
    fn a_pending_reminder_is_shown_again_without_a_second_signal() {
        let mut rec = record();
        let first = plan_inserted(&rec, Some(Lang::Ja));
        rec.pending_reminder = Some(first.reminder.unwrap().milestone);
        let again = plan_inserted(&rec, Some(Lang::Ja));
        let due = again.reminder.expect("still due until shown");
        assert_eq!(due.signal, None);
        assert!(due.notification.is_some());
    }

    #[test]
    fn with_notifications_off_the_signal_is_the_delivery() {
        let mut rec = record();
        let p = plan_inserted(&rec, None);
        let due = p.reminder.unwrap();
        assert!(due.signal.is_some());
        assert_eq!(due.notification, None);
        // Delivered: nothing more is due that day.
        rec.last_notified = Some(due.milestone);
        let p = plan_inserted(&rec, None);
        assert_eq!(p.reminder, None);
    }
}
