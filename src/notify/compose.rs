//! What a notification says: pure (an `Assessment` in, a [`Notification`] out), its words from the
//! catalogue (`crate::l10n`). The D-Bus side is `super::Notifier`.

use crate::l10n::{self, date, tr, Lang};
use crate::rules::{Assessment, Registration, Status};

/// The official My Number Card site (J-LIS), opened by the "open-guide" action.
pub const GUIDE_URL: &str = "https://www.kojinbango-card.go.jp/";

/// Action ids (stable: the daemon matches on them).
pub const ACTION_REGISTERED_YES: &str = "registered-yes";
pub const ACTION_REGISTERED_NO: &str = "registered-no";
pub const ACTION_OPEN_GUIDE: &str = "open-guide";

/// The notification spec's urgency levels (hint "urgency", a byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    Low = 0,
    Normal = 1,
    Critical = 2,
}

/// A notification ready to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub summary: String,
    pub body: String,
    pub urgency: Urgency,
    /// (action id, button label), in display order.
    pub actions: Vec<(String, String)>,
}

/// The notification for card `label` in this assessment, without the registration question.
/// Use [`compose_for`] when the card's registration answer is known to the caller.
pub fn compose(label: &str, a: &Assessment, lang: Lang) -> Notification {
    compose_for(label, a, Registration::Yes, lang)
}

fn named(label: &str) -> &'static str {
    if label.is_empty() {
        "no"
    } else {
        "yes"
    }
}

/// The card typed in by hand (named `label`) was read in a reader: the two are now one card.
pub fn merged(label: &str, lang: Lang) -> Notification {
    let args = [("label", label.into()), ("named", named(label).into())];
    Notification {
        summary: tr(lang, "notify-merged-summary", &args),
        body: tr(lang, "notify-merged-body", &args),
        urgency: Urgency::Low,
        actions: Vec::new(),
    }
}

/// One step as a line of the body.
fn bullet(text: &str, lang: Lang) -> String {
    tr(lang, "notify-bullet", &[("text", text.into())])
}

/// The notification for card `label`; asks "registered for insurance?" (actions
/// `registered-yes`/`registered-no`) when `registered` is unknown.
pub fn compose_for(
    label: &str,
    a: &Assessment,
    registered: Registration,
    lang: Lang,
) -> Notification {
    let mut body: Vec<String> = deadline_line(a, lang).into_iter().collect();
    body.extend(
        a.actions
            .iter()
            .take(2)
            .map(|act| bullet(&l10n::action(act, lang), lang)),
    );

    let mut actions = Vec::new();
    if registered == Registration::Unknown && a.status != Status::NotAMyNumberCard {
        let (yes, no) = registration_answers(lang);
        actions.push((ACTION_REGISTERED_YES.to_string(), yes));
        actions.push((ACTION_REGISTERED_NO.to_string(), no));
    }
    actions.push((ACTION_OPEN_GUIDE.to_string(), guide_label(lang)));

    Notification {
        summary: summary(label, a, lang),
        body: body.join("\n"),
        urgency: urgency(a),
        actions,
    }
}

/// The two answers to "registered for insurance?" (yes, not yet), as buttons and tray menu items.
pub fn registration_answers(lang: Lang) -> (String, String) {
    (
        tr(lang, "answer-registered-yes", &[]),
        tr(lang, "answer-registered-no", &[]),
    )
}

/// The label of the action that opens [`GUIDE_URL`].
pub fn guide_label(lang: Lang) -> String {
    tr(lang, "button-open-guide", &[])
}

/// Critical once expired (or lapsed) or within a week; Normal within the 90-day renewal season.
pub fn urgency(a: &Assessment) -> Urgency {
    match (a.status, a.days_left) {
        (Status::ExpiredGrace | Status::RegistrationLapsed, _) => Urgency::Critical,
        (_, Some(d)) if d <= 7 => Urgency::Critical,
        (_, Some(d)) if d <= 90 => Urgency::Normal,
        _ => Urgency::Low,
    }
}

/// The notification when a PIN has just locked or is one wrong entry from locking: the PIN steps
/// from the rule core first, then the card's status and main step (it replaces the card's previous
/// notification, so that must not be lost). `None` when no PIN is at risk.
pub fn compose_pins(
    label: &str,
    a: &Assessment,
    registered: Registration,
    lang: Lang,
) -> Option<Notification> {
    let steps = a.pin_actions();
    if steps.is_empty() {
        return None;
    }
    let mut n = compose_for(label, a, registered, lang);
    let mut body: Vec<String> = steps
        .iter()
        .map(|act| bullet(&l10n::action(act, lang), lang))
        .collect();
    body.extend(deadline_line(a, lang));
    body.extend(
        a.actions
            .iter()
            .find(|act| !steps.iter().any(|p| p.id() == act.id()))
            .map(|act| bullet(&l10n::action(act, lang), lang)),
    );
    n.summary = titled(label, a.status, &tr(lang, "notify-check-pins", &[]), lang);
    n.body = body.join("\n");
    n.urgency = n.urgency.max(Urgency::Normal);
    Some(n)
}

/// The `$what` key of `notify-what`: the status, and whether a new card is the way out.
fn what_key(a: &Assessment) -> String {
    let new_card = a.needs_new_card()
        && matches!(
            a.status,
            Status::RenewalOpen | Status::ExpiredGrace | Status::RegistrationLapsed
        );
    if new_card {
        format!("{}-new-card", a.status.as_str())
    } else {
        a.status.as_str().to_owned()
    }
}

fn summary(label: &str, a: &Assessment, lang: Lang) -> String {
    let what = tr(lang, "notify-what", &[("what", what_key(a).into())]);
    titled(label, a.status, &what, lang)
}

fn titled(label: &str, status: Status, what: &str, lang: Lang) -> String {
    let kind = if status == Status::NotAMyNumberCard {
        "card"
    } else {
        "my-number-card"
    };
    tr(
        lang,
        "notify-title",
        &[
            ("kind", kind.into()),
            ("label", label.into()),
            ("named", named(label).into()),
            ("what", what.into()),
        ],
    )
}

/// "deadline + days left" for the status, if there is a deadline.
fn deadline_line(a: &Assessment, lang: Lang) -> Option<String> {
    let (id, day) = match a.status {
        Status::Valid | Status::RenewalOpen => ("notify-deadline-expires", a.certificate_expires?),
        Status::ExpiredGrace => ("notify-deadline-usable-until", a.insurance_usable_until?),
        Status::RegistrationLapsed => ("notify-deadline-grace-ended", a.insurance_usable_until?),
        Status::NotAMyNumberCard => return None,
    };
    let mut args = vec![
        ("date", date(day, lang).into()),
        (
            "known",
            if a.days_left.is_some() { "yes" } else { "no" }.into(),
        ),
    ];
    args.extend(a.days_left.map(|n| ("days", n.into())));
    Some(tr(lang, id, &args))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::rules::Action;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// An action with these words (a configured measure speaks its own text).
    fn act(id: &str, ja: &str, en: &str) -> Action {
        Action::Measure {
            id: id.into(),
            ja: Some(ja.into()),
            en: Some(en.into()),
        }
    }

    fn assessment(status: Status, days_left: Option<i64>) -> Assessment {
        Assessment {
            status,
            certificate_expires: Some(d(2026, 5, 20)),
            card_expires: None,
            renewal_opens: Some(d(2026, 2, 20)),
            insurance_usable_until: Some(d(2026, 8, 31)),
            days_left,
            actions: vec![
                act(
                    "renew",
                    "市区町村の窓口で更新してください",
                    "Renew at your municipal office",
                ),
                act("book", "予約してください", "Book an appointment"),
                act("third", "三番目", "Third"),
            ],
        }
    }

    #[test]
    fn renewal_open_in_japanese() {
        let n = compose("母", &assessment(Status::RenewalOpen, Some(80)), Lang::Ja);
        assert_eq!(
            n.summary,
            "マイナンバーカード「母」: 電子証明書の更新時期です"
        );
        assert_eq!(
            n.body,
            "電子証明書の有効期限: 2026年5月20日（あと80日）\n・市区町村の窓口で更新してください\n・予約してください"
        );
        assert_eq!(n.urgency, Urgency::Normal);
        assert_eq!(
            n.actions,
            [("open-guide".to_string(), "案内を開く".to_string())]
        );
    }

    #[test]
    fn renewal_open_in_english_with_the_registration_question() {
        let a = assessment(Status::RenewalOpen, Some(1));
        let n = compose_for("Mum", &a, Registration::Unknown, Lang::En);
        assert_eq!(
            n.summary,
            "My Number Card “Mum”: time to renew the certificate"
        );
        assert_eq!(
            n.body,
            "Certificate expires 2026-05-20 (1 day left)\n• Renew at your municipal office\n• Book an appointment"
        );
        assert!(!n.body.contains("Third"), "at most two actions");
        assert_eq!(n.urgency, Urgency::Critical);
        let ids: Vec<&str> = n.actions.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["registered-yes", "registered-no", "open-guide"]);
        // Answered: no question.
        let n = compose_for("Mum", &a, Registration::No, Lang::En);
        assert_eq!(n.actions.len(), 1);
    }

    #[test]
    fn grace_and_lapsed_are_critical_with_the_grace_end() {
        let n = compose("", &assessment(Status::ExpiredGrace, Some(40)), Lang::Ja);
        assert_eq!(
            n.summary,
            "マイナンバーカード: 電子証明書の有効期限が切れています"
        );
        assert!(
            n.body
                .starts_with("マイナ保険証として使えるのは2026年8月31日まで（あと40日）"),
            "{}",
            n.body
        );
        assert_eq!(n.urgency, Urgency::Critical);
        let n = compose(
            "x",
            &assessment(Status::RegistrationLapsed, Some(-3)),
            Lang::En,
        );
        assert_eq!(
            n.summary,
            "My Number Card “x”: health-insurance registration cancelled"
        );
        assert!(n.body.starts_with("The grace period ended on 2026-08-31\n"));
        assert_eq!(n.urgency, Urgency::Critical);
    }

    #[test]
    fn urgency_thresholds() {
        let u = |days| urgency(&assessment(Status::Valid, days));
        assert_eq!(u(Some(0)), Urgency::Critical);
        assert_eq!(u(Some(7)), Urgency::Critical);
        assert_eq!(u(Some(8)), Urgency::Normal);
        assert_eq!(u(Some(90)), Urgency::Normal);
        assert_eq!(u(Some(91)), Urgency::Low);
        assert_eq!(u(None), Urgency::Low);
    }

    #[test]
    fn last_day_and_not_a_card() {
        let n = compose("a", &assessment(Status::Valid, Some(0)), Lang::En);
        assert!(n
            .body
            .starts_with("Certificate expires 2026-05-20 (today is the last day)"));
        let mut a = assessment(Status::NotAMyNumberCard, None);
        a.certificate_expires = None;
        a.actions.truncate(1);
        let n = compose_for("古い", &a, Registration::Unknown, Lang::Ja);
        assert_eq!(
            n.summary,
            "カード「古い」: マイナンバーカードとして確認できません"
        );
        assert_eq!(n.body, "・市区町村の窓口で更新してください");
        let n = compose("", &a, Lang::En);
        assert_eq!(n.summary, "Card: not recognised as a My Number Card");
        assert_eq!(n.urgency, Urgency::Low);
        assert_eq!(
            n.actions.len(),
            1,
            "no registration question for a non-card"
        );
    }

    /// Every status, with and without a new card, label and days, in every language: the words
    /// render (the catalogue panics in tests on a Fluent error) and say something.
    #[test]
    fn every_status_renders_in_every_language() {
        let new_card = Action::ApplyNewCard {
            card_expires: d(2026, 5, 20),
            when: crate::rules::NewCardWhen::Expired,
            source: crate::rules::CardExpirySource::User,
        };
        for lang in Lang::ALL {
            for status in Status::ALL {
                for days in [None, Some(0), Some(1), Some(30), Some(-3)] {
                    for label in ["", "母"] {
                        let mut a = assessment(status, days);
                        for extra in [None, Some(new_card.clone())] {
                            a.actions.extend(extra);
                            let n = compose_for(label, &a, Registration::Unknown, lang);
                            assert!(n.summary.contains(label) && !n.summary.is_empty());
                            assert!(n.actions.iter().all(|(_, l)| !l.is_empty()));
                            let m = merged(label, lang);
                            assert!(m.summary.contains(label) && m.body.contains(label));
                        }
                    }
                }
            }
        }
    }
}
