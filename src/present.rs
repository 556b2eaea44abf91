//! The daemon's state and an assessment in words: the status report (`status`, `watch`, `add` and
//! the card actions print it), the status and days-left phrases the tray shows too, and the
//! assessment summary of `check` and `read`. Input is what the rule core and the D-Bus client give
//! ([`crate::rules::Assessment`], [`crate::dbus::client::Snapshot`]); nothing here reads or decides.

use chrono::NaiveDate;
use fluent_bundle::FluentValue;

use crate::dbus::client::{CardView, Snapshot};
use crate::l10n::{self, Lang};
use crate::rules::{Assessment, CardExpirySource, Status};

/// An assessment in words (what `check` and `read` print): headline, key dates, days left, numbered next steps.
pub fn assessment(a: &Assessment, lang: Lang) -> String {
    let show = |d: NaiveDate| FluentValue::from(l10n::date(d, lang));
    let mut out = format!("{}\n\n", l10n::headline(a, lang));
    let mut line = |id: &str, args: &l10n::Args<'_>| {
        out.push_str(&l10n::tr(lang, id, args));
        out.push('\n');
    };
    if let Some(d) = a.certificate_expires {
        line("summary-certificate-expires", &[("date", show(d))]);
    }
    if let Some(card) = a.card_expires {
        let source = match card.source {
            CardExpirySource::User => "user",
            CardExpirySource::CertificateSpan => "certificate-span",
        };
        line(
            "summary-card-expires",
            &[("date", show(card.date)), ("source", source.into())],
        );
    }
    match a.card_expires.filter(|c| c.new_card_needed) {
        Some(card) if a.status <= Status::RenewalOpen => line(
            "summary-new-card-applications",
            &[
                ("from", show(card.applications_open)),
                ("by", show(card.apply_by)),
            ],
        ),
        Some(_) => {}
        None => {
            if let Some(d) = a.renewal_opens.filter(|_| a.status <= Status::RenewalOpen) {
                line("summary-renewal-possible", &[("date", show(d))]);
            }
        }
    }
    if let Some(d) = a.insurance_usable_until {
        line("summary-insurance-usable-until", &[("date", show(d))]);
    }
    if let Some(days) = a.days_left {
        let (phase, days) = match a.status {
            Status::RegistrationLapsed => ("lapsed", -days),
            Status::ExpiredGrace => ("grace", days),
            _ => ("valid", days),
        };
        line(
            "summary-days",
            &[("phase", phase.into()), ("days", days.into())],
        );
    }
    if !a.actions.is_empty() {
        out.push('\n');
        out.push_str(&l10n::tr(lang, "summary-next-steps", &[]));
        out.push('\n');
        for (i, action) in a.actions.iter().enumerate() {
            out.push_str(&format!("{:>2}. {}\n", i + 1, l10n::action(action, lang)));
        }
    }
    out
}

/// One line per reader whose card is being read or could not be used, in words: "which reader holds
/// a card that could not be read, and why". Ids this build does not know are shown as they are.
fn render_reader_problems(snap: &Snapshot, lang: Lang) -> String {
    use crate::readers::{ReaderState, ReaderStatus};
    let mut out = String::new();
    for r in &snap.reader_states {
        let wire = (r.reader.clone(), r.state.clone(), r.reason.clone());
        let line = match ReaderStatus::from_wire(wire) {
            Ok(s) if matches!(s.state, ReaderState::Empty | ReaderState::Read) => continue,
            Ok(s) => s.describe(lang),
            Err(_) if r.reason.is_empty() => format!("{}: {}", r.reader, r.state),
            Err(_) => format!("{}: {} ({})", r.reader, r.state, r.reason),
        };
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn or_unknown(s: &str, lang: Lang) -> String {
    if s.is_empty() {
        l10n::tr(lang, "report-unknown", &[])
    } else {
        s.to_owned()
    }
}

/// The status report: the daemon version, its readers, and each card (what `status`, `watch`,
/// `add` and the card actions print).
pub fn report(snap: &Snapshot, lang: Lang) -> String {
    let mut out = String::new();
    let readers = if snap.readers.is_empty() {
        l10n::tr(lang, "report-no-readers", &[])
    } else {
        snap.readers.join(", ")
    };
    out.push_str(&l10n::tr(
        lang,
        "report-header",
        &[
            ("version", snap.version.as_str().into()),
            ("readers", readers.into()),
        ],
    ));
    out.push('\n');
    out.push_str(&render_reader_problems(snap, lang));
    if snap.cards.is_empty() {
        out.push_str(&no_cards_text(lang));
        out.push('\n');
    }
    for c in &snap.cards {
        out.push('\n');
        out.push_str(&render_card(c, lang));
    }
    out
}

/// What to do while no card is remembered.
pub fn no_cards_text(lang: Lang) -> String {
    l10n::tr(lang, "report-no-cards", &[])
}

/// The status in words ("有効" / "valid"), as `status`, `watch` and the tray show it.
pub fn status_text(status: Status, lang: Lang) -> String {
    l10n::tr(lang, "status-word", &[("status", status.as_str().into())])
}

/// The status in words, with the machine name that scripts and the D-Bus API use.
fn status_words(status: &str, lang: Lang) -> String {
    match status.parse::<Status>() {
        Ok(st) => format!("{} ({status})", status_text(st, lang)),
        Err(_) => status.to_string(),
    }
}

/// What `DaysLeft` counts depends on the status (docs/dbus-api.md): to expiry, to the grace end,
/// or (negative) since the grace end.
pub fn days_words(c: &CardView, lang: Lang) -> Option<String> {
    let status = c.status.parse::<Status>().ok()?;
    let (id, days) = match status {
        Status::Valid | Status::RenewalOpen => ("days-to-expiry", c.days_left),
        Status::ExpiredGrace => ("days-to-grace-end", c.days_left),
        Status::RegistrationLapsed => ("days-since-grace-end", -c.days_left),
        Status::NotAMyNumberCard => return None,
    };
    Some(l10n::tr(lang, id, &[("days", days.into())]))
}

/// "auth 3, sign 5, card-info blocked" — only when the card reported any counter.
fn pin_words(c: &CardView, lang: Lang) -> Option<String> {
    if c.pin_counters.values().all(|p| p.state == "unknown") {
        return None;
    }
    let parts: Vec<String> = ["auth", "sign", "card-info"]
        .iter()
        .filter_map(|id| {
            let p = c.pin_counters.get(*id)?;
            let state = match (p.state.as_str(), p.tries) {
                ("remaining", Some(_)) => "remaining",
                ("blocked", _) => "blocked",
                ("verified", _) => "verified",
                _ => "unknown",
            };
            Some(l10n::tr(
                lang,
                "report-pin",
                &[
                    ("pin", (*id).into()),
                    ("state", state.into()),
                    ("tries", p.tries.unwrap_or(0).into()),
                ],
            ))
        })
        .collect();
    Some(parts.join(", "))
}

/// The card's label, or the start of its key while it has none.
pub fn card_name(c: &CardView) -> String {
    if c.label.is_empty() {
        format!("{}…", &c.key[..c.key.len().min(8)])
    } else {
        c.label.clone()
    }
}

fn render_card(c: &CardView, lang: Lang) -> String {
    let here = match (c.present, c.origin == "typed") {
        (true, _) => "reader",
        (false, true) => "typed",
        (false, false) => "remembered",
    };
    let mut s = l10n::tr(
        lang,
        "report-card",
        &[("name", card_name(c).into()), ("where", here.into())],
    );
    s.push('\n');
    let mut line = |field: &str, value: &str| {
        let label = l10n::tr(lang, "report-field", &[("field", field.into())]);
        s.push_str(&format!("  {label}: {value}\n"));
    };
    line("status", &status_words(&c.status, lang));
    line(
        "certificate-expires",
        &or_unknown(&c.certificate_expires, lang),
    );
    if let Some(days) = days_words(c, lang) {
        line("days", &days);
    }
    line("renewal-opens", &or_unknown(&c.renewal_opens, lang));
    line(
        "insurance-usable-until",
        &or_unknown(&c.insurance_usable_until, lang),
    );
    line("registered", &c.insurance_registered);
    if !c.card_expires.is_empty() {
        let inferred = if c.card_expires_source == "inferred" {
            "yes"
        } else {
            "no"
        };
        line(
            "card-expires",
            &l10n::tr(
                lang,
                "report-card-expires",
                &[
                    ("date", c.card_expires.as_str().into()),
                    ("inferred", inferred.into()),
                ],
            ),
        );
    }
    if let Some(pins) = pin_words(c, lang) {
        line("pins", &pins);
    }
    if !c.actions.is_empty() {
        s.push_str(&format!("  {}\n", l10n::tr(lang, "report-next-steps", &[])));
    }
    for a in &c.actions {
        s.push_str(&format!("   - {}\n", a.text(lang)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dbus::client::ActionText;

    #[test]
    fn renders_cards_in_both_languages() {
        let snap = Snapshot {
            version: "0.1.0".into(),
            readers: vec!["Virtual PCD 00 00".into()],
            reader_states: Vec::new(),
            cards: vec![CardView {
                key: "0123456789abcdef0123456789abcdef".into(),
                status: "renewal-open".into(),
                certificate_expires: "2026-06-20".into(),
                days_left: 80,
                present: true,
                insurance_registered: "unknown".into(),
                actions: vec![ActionText {
                    id: "renew-certificate".into(),
                    ja: "更新してください".into(),
                    en: "Renew it".into(),
                }],
                ..Default::default()
            }],
        };
        let en = report(&snap, Lang::En);
        assert!(en.contains("Card 01234567… (in a reader)"), "{en}");
        assert!(en.contains("certificate expires: 2026-06-20\n"), "{en}");
        assert!(
            en.contains("days: 80 days left until the certificate expires"),
            "{en}"
        );
        assert!(en.contains("status: renewal open (renewal-open)"), "{en}");
        assert!(en.contains("renewal opens: unknown"), "{en}");
        assert!(en.contains("   - Renew it"), "{en}");
        let ja = report(&snap, Lang::Ja);
        assert!(ja.contains("残り日数: 有効期限まで あと80日"), "{ja}");
        assert!(ja.contains("   - 更新してください"), "{ja}");
        let lapsed = CardView {
            status: "registration-lapsed".into(),
            days_left: -76,
            ..snap.cards[0].clone()
        };
        let grace = CardView {
            status: "expired-grace".into(),
            days_left: 46,
            ..snap.cards[0].clone()
        };
        let lapsed = render_card(&lapsed, Lang::En);
        assert!(
            lapsed.contains("days: 76 days since the grace period ended"),
            "{lapsed}"
        );
        let grace = render_card(&grace, Lang::Ja);
        assert!(grace.contains("猶予期間の終わりまで あと46日"), "{grace}");
        assert!(grace.contains("有効期限切れ（猶予期間中）"), "{grace}");
        let empty = report(&Snapshot::default(), Lang::En);
        assert!(!empty.contains("  Virtual"), "{empty}");
        assert!(
            empty.contains("readers: none") && empty.contains("No cards"),
            "{empty}"
        );
    }

    #[test]
    fn readers_with_a_card_that_could_not_be_used_are_named_in_words() {
        use crate::dbus::client::ReaderStateSnapshot;
        let state = |reader: &str, state: &str, reason: &str| ReaderStateSnapshot {
            reader: reader.into(),
            state: state.into(),
            reason: reason.into(),
        };
        let snap = Snapshot {
            version: "0.1.0".into(),
            readers: vec!["A".into(), "B".into(), "C".into(), "D".into()],
            reader_states: vec![
                state("A", "read", ""),
                state("B", "retrying", "in-use"),
                state("C", "not-a-my-number-card", "juki-card"),
                state("D", "future-state", "future-reason"),
            ],
            cards: Vec::new(),
        };
        let en = report(&snap, Lang::En);
        assert!(!en.contains("  A:"), "{en}");
        assert!(
            en.contains("  B: could not read the card; trying again (another program is using the card; close that program)\n"),
            "{en}"
        );
        assert!(
            en.contains("  C: not a usable My Number Card (this is a Basic Resident Register card"),
            "{en}"
        );
        assert!(en.contains("  D: future-state (future-reason)\n"), "{en}");
        let ja = report(&snap, Lang::Ja);
        assert!(
            ja.contains(
                "  B: 読み取れませんでした。もう一度試します（ほかのアプリがカードを使用中です"
            ),
            "{ja}"
        );
        assert!(
            ja.contains("  C: マイナンバーカードとして使えません（住民基本台帳カード"),
            "{ja}"
        );
    }
}
