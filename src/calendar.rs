//! An iCalendar (RFC 5545) file of a card's deadlines, for `mynawatch calendar`: one all-day VEVENT
//! per deadline with one DISPLAY alarm each. Pure: the caller passes the cards and the time stamp.
//!
//! Written by hand rather than with the `icalendar` crate: that crate fills in `DTSTAMP` with the
//! current time and a random `UID` unless told otherwise and brings a parser (nom) and uuid along,
//! while this file needs one fixed shape — a few properties, TEXT escaping and UTF-8-safe folding —
//! and byte-for-byte reproducible output for a given input.
//!
//! Every deadline is its own event (not only an alarm) because Google Calendar and Outlook drop or
//! reduce VALARMs on import: the dates must stand on their own.

use chrono::{DateTime, NaiveDate, Utc};

use crate::l10n::{self, Lang};

/// Which deadline an event is about; part of the UID, so it never changes meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deadline {
    RenewalOpens,
    CertificateExpires,
    InsuranceUsableUntil,
    NewCardApplicationsOpen,
    NewCardApplyBy,
}

impl Deadline {
    pub fn id(self) -> &'static str {
        match self {
            Deadline::RenewalOpens => "renewal-opens",
            Deadline::CertificateExpires => "certificate-expires",
            Deadline::InsuranceUsableUntil => "insurance-usable-until",
            Deadline::NewCardApplicationsOpen => "new-card-applications-open",
            Deadline::NewCardApplyBy => "new-card-apply-by",
        }
    }

    /// The catalogue ids of the event's title and description.
    fn messages(self) -> (&'static str, &'static str) {
        match self {
            Deadline::RenewalOpens => ("calendar-renewal-opens", "calendar-renewal-opens-about"),
            Deadline::CertificateExpires => (
                "calendar-certificate-expires",
                "calendar-certificate-expires-about",
            ),
            Deadline::InsuranceUsableUntil => (
                "calendar-insurance-usable-until",
                "calendar-insurance-usable-until-about",
            ),
            Deadline::NewCardApplicationsOpen => (
                "calendar-new-card-applications-open",
                "calendar-new-card-applications-open-about",
            ),
            Deadline::NewCardApplyBy => (
                "calendar-new-card-apply-by",
                "calendar-new-card-apply-by-about",
            ),
        }
    }

    fn summary(self, lang: Lang) -> String {
        l10n::tr(lang, self.messages().0, &[])
    }

    fn description(self, lang: Lang) -> String {
        l10n::tr(lang, self.messages().1, &[])
    }

    /// When the alarm goes off, relative to the start of the (all-day) event.
    fn trigger(self) -> &'static str {
        match self {
            // On the day, at 09:00.
            Deadline::RenewalOpens | Deadline::NewCardApplicationsOpen => "PT9H",
            // Two weeks ahead: an office visit needs planning.
            Deadline::CertificateExpires | Deadline::NewCardApplyBy => "-P14D",
            Deadline::InsuranceUsableUntil => "-P7D",
        }
    }
}

/// The dates of one card that go into the file (from the daemon's published view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardDeadlines {
    /// The card's key: makes the UIDs stable per card.
    pub key: String,
    /// The user's name for the card ("" = none).
    pub label: String,
    pub dates: Vec<(Deadline, NaiveDate)>,
}

/// The whole calendar. `stamp` is the DTSTAMP of every event (pass the current time: clients take a
/// newer stamp as an update of the event with the same UID).
pub fn render(cards: &[CardDeadlines], lang: Lang, stamp: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |s: &str| fold_into(&mut out, s);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line(&format!(
        "PRODID:-//mynawatch//mynawatch {}//{}",
        env!("CARGO_PKG_VERSION"),
        lang.as_str().to_uppercase()
    ));
    line("CALSCALE:GREGORIAN");
    line(&format!(
        "X-WR-CALNAME:{}",
        escape(&l10n::tr(lang, "calendar-name", &[]))
    ));
    let stamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for card in cards {
        let mut dates = card.dates.clone();
        dates.sort();
        for (deadline, date) in dates {
            let summary = match card.label.as_str() {
                "" => deadline.summary(lang),
                label => l10n::tr(
                    lang,
                    "calendar-summary-labelled",
                    &[
                        ("summary", deadline.summary(lang).into()),
                        ("label", label.into()),
                    ],
                ),
            };
            let next = date.succ_opt().unwrap_or(date);
            line("BEGIN:VEVENT");
            line(&format!(
                "UID:{}-{}@mynawatch.invalid",
                deadline.id(),
                card.key
            ));
            line(&format!("DTSTAMP:{stamp}"));
            line(&format!("DTSTART;VALUE=DATE:{}", date.format("%Y%m%d")));
            line(&format!("DTEND;VALUE=DATE:{}", next.format("%Y%m%d")));
            line(&format!("SUMMARY:{}", escape(&summary)));
            line(&format!(
                "DESCRIPTION:{}",
                escape(&deadline.description(lang))
            ));
            line("TRANSP:TRANSPARENT");
            line("BEGIN:VALARM");
            line("ACTION:DISPLAY");
            line(&format!("DESCRIPTION:{}", escape(&summary)));
            line(&format!("TRIGGER:{}", deadline.trigger()));
            line("END:VALARM");
            line("END:VEVENT");
        }
    }
    line("END:VCALENDAR");
    out
}

/// RFC 5545 3.3.11 TEXT: backslash, semicolon, comma and newline escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Append `line` with CRLF, folded (RFC 5545 3.1) so no physical line exceeds 75 octets, breaking
/// only between characters: a continuation line starts with one space, which counts.
fn fold_into(out: &mut String, line: &str) {
    const MAX: usize = 75;
    let mut room = MAX;
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > room {
            out.push_str("\r\n ");
            room = MAX - 1;
            used = 0;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sample() -> Vec<CardDeadlines> {
        vec![CardDeadlines {
            key: "0123456789abcdef0123456789abcdef".into(),
            label: "母, 実家; 1\\2".into(),
            dates: vec![
                (Deadline::CertificateExpires, d("2027-02-14")),
                (Deadline::RenewalOpens, d("2026-11-15")),
            ],
        }]
    }

    fn stamp() -> DateTime<Utc> {
        "2026-03-01T00:00:00Z".parse().unwrap()
    }

    /// Every deadline's words, with and without a label, in every language (a catalogue error
    /// panics in tests).
    #[test]
    fn every_deadline_renders_in_every_language() {
        use Deadline::*;
        let all = [
            RenewalOpens,
            CertificateExpires,
            InsuranceUsableUntil,
            NewCardApplicationsOpen,
            NewCardApplyBy,
        ];
        for lang in Lang::ALL {
            for label in ["", "母"] {
                let card = CardDeadlines {
                    key: "k".into(),
                    label: label.into(),
                    dates: all.iter().map(|&x| (x, d("2027-02-14"))).collect(),
                };
                let ics = render(&[card], lang, stamp()).replace("\r\n ", "");
                assert_eq!(ics.matches("\r\nSUMMARY:").count(), all.len(), "{ics}");
                if !label.is_empty() {
                    // In each event's SUMMARY and its alarm's DESCRIPTION.
                    assert_eq!(ics.matches(label).count(), 2 * all.len(), "{ics}");
                }
                for x in all {
                    assert!(!x.summary(lang).is_empty() && !x.description(lang).is_empty());
                }
            }
        }
    }

    #[test]
    fn lines_are_folded_at_75_octets_between_characters() {
        for lang in [Lang::Ja, Lang::En] {
            let ics = render(&sample(), lang, stamp());
            assert!(ics.ends_with("END:VCALENDAR\r\n"));
            assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
            for l in ics.split("\r\n") {
                assert!(l.len() <= 75, "{} octets: {l}", l.len());
            }
            // Unfolding gives back whole lines, and the Japanese survived intact.
            let unfolded = ics.replace("\r\n ", "");
            if lang == Lang::Ja {
                assert!(
                    unfolded.contains(
                        "\r\nSUMMARY:マイナンバーカード 電子証明書の有効期限（母\\, 実家\\; 1\\\\2）\r\n"
                    ),
                    "{unfolded}"
                );
            }
        }
        let mut folded = String::new();
        fold_into(&mut folded, &"あ".repeat(30));
        // 25 three-octet characters fit in 75; the rest on a continuation line.
        assert_eq!(
            folded,
            format!("{}\r\n {}\r\n", "あ".repeat(25), "あ".repeat(5))
        );
    }

    #[test]
    fn uids_are_stable_and_output_is_reproducible() {
        let a = render(&sample(), Lang::En, stamp());
        assert_eq!(a, render(&sample(), Lang::En, stamp()));
        let uid = "UID:certificate-expires-0123456789abcdef0123456789abcdef@mynawatch.invalid";
        assert!(a.replace("\r\n ", "").contains(uid), "{a}");
        // Another language, another date: the same UIDs (a re-import updates, never duplicates).
        let mut moved = sample();
        moved[0].dates[0].1 = d("2027-03-01");
        let b = render(&moved, Lang::Ja, stamp());
        assert!(b.replace("\r\n ", "").contains(uid));
        assert_eq!(a.matches("BEGIN:VEVENT").count(), 2);
        assert_eq!(a.matches("BEGIN:VALARM").count(), 2);
        // Sorted by deadline: renewal opens first.
        assert!(a.find("renewal-opens").unwrap() < a.find("UID:certificate-expires").unwrap());
    }
}
