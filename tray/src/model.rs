//! What the tray shows, computed from the daemon's published state alone (pure: no I/O). The
//! wording of statuses and deadlines comes from the library, the same text `mynawatch status` prints.

use mynawatch::dbus::client::{CardView, Snapshot};
use mynawatch::l10n::Lang;
use mynawatch::present::{card_name, days_words, no_cards_text, status_text};
use mynawatch::rules::Status;

use crate::text::{self, Word};

/// The daemon as the tray last saw it.
#[derive(Clone, Debug, PartialEq)]
pub enum DaemonState {
    /// Not asked yet (the first look is under way).
    Starting,
    /// Not on the bus and could not be started; `reason` is the error in English, for the log.
    Unreachable {
        reason: String,
    },
    Running(Snapshot),
}

/// The icon's state: the worst among the remembered cards. Ordered from harmless to worst, so `max`
/// picks the one to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Overall {
    /// Nothing to say yet, or the daemon is not reachable: a neutral icon.
    Offline,
    NoCards,
    AllFine,
    /// A card that could not be judged (not read as a My Number Card, or without a certificate):
    /// the user should look, but no deadline is known to be near.
    Unreadable,
    RenewalDue,
    ExpiredGrace,
    RegistrationCancelled,
}

impl Overall {
    pub fn of(status: Status) -> Overall {
        match status {
            Status::Valid => Overall::AllFine,
            Status::RenewalOpen => Overall::RenewalDue,
            Status::ExpiredGrace => Overall::ExpiredGrace,
            Status::RegistrationLapsed => Overall::RegistrationCancelled,
            Status::NotAMyNumberCard => Overall::Unreadable,
        }
    }

    /// The theme icon (data/icons/hicolor/scalable/status/<name>.svg): one shape per state.
    pub fn icon_name(self) -> &'static str {
        match self {
            Overall::Offline => "mynawatch-offline",
            Overall::NoCards | Overall::AllFine => "mynawatch-ok",
            Overall::Unreadable => "mynawatch-unreadable",
            Overall::RenewalDue => "mynawatch-renewal",
            Overall::ExpiredGrace => "mynawatch-expired",
            Overall::RegistrationCancelled => "mynawatch-cancelled",
        }
    }

    /// The item's SNI `Status`: hosts may tuck "Active" items away less eagerly than "Passive" ones,
    /// and draw attention to "NeedsAttention". A fine card stays visible (the user wants to see it).
    pub fn sni_status(self) -> &'static str {
        match self {
            Overall::Offline | Overall::NoCards | Overall::AllFine => "Active",
            Overall::Unreadable
            | Overall::RenewalDue
            | Overall::ExpiredGrace
            | Overall::RegistrationCancelled => "NeedsAttention",
        }
    }
}

fn status_of(c: &CardView) -> Option<Status> {
    c.status.parse().ok()
}

/// One card in the menu.
#[derive(Clone, Debug, PartialEq)]
pub struct CardLine {
    pub key: String,
    pub name: String,
    /// "name: status (days)".
    pub summary: String,
    pub registered: Registered,
    /// The card's next steps in `lang`, most urgent first (the daemon's own texts).
    pub steps: Vec<String>,
    pub judged: bool,
}

/// `InsuranceRegistered` as the menu's radio pair shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registered {
    Yes,
    No,
    Unknown,
}

impl Registered {
    fn parse(s: &str) -> Registered {
        match s {
            "yes" => Registered::Yes,
            "no" => Registered::No,
            _ => Registered::Unknown,
        }
    }
}

/// Everything the item and its menu show.
#[derive(Clone, Debug, PartialEq)]
pub struct View {
    pub overall: Overall,
    pub tooltip_title: String,
    pub tooltip_body: String,
    pub cards: Vec<CardLine>,
    /// Is the daemon there (else the card actions are left out and Refresh starts it)?
    pub daemon_running: bool,
}

/// The view while no daemon answers: no cards, `body` in the tooltip.
fn offline(lang: Lang, body: String) -> View {
    View {
        overall: Overall::Offline,
        tooltip_title: text::app_title(lang).to_string(),
        tooltip_body: body,
        cards: Vec::new(),
        daemon_running: false,
    }
}

/// The view of `state` in `lang`. Cards are listed worst first, then by name.
pub fn view(state: &DaemonState, lang: Lang) -> View {
    let snap = match state {
        DaemonState::Running(s) => s,
        DaemonState::Starting => return offline(lang, Word::Connecting.text(lang)),
        DaemonState::Unreachable { .. } => {
            return offline(lang, Word::DaemonUnreachable.text(lang))
        }
    };
    let mut cards: Vec<&CardView> = snap.cards.iter().collect();
    let rank = |c: &CardView| status_of(c).map(Overall::of).unwrap_or(Overall::Unreadable);
    cards.sort_by(|a, b| rank(b).cmp(&rank(a)).then(card_name(a).cmp(&card_name(b))));
    // A card sitting in a reader that could not be read has no Card object of its own: the
    // daemon's ReaderStates tell it, and the icon must not look fine meanwhile.
    let unreadable_reader = snap
        .reader_states
        .iter()
        .any(|r| matches!(r.state.as_str(), "failed" | "not-a-my-number-card"))
        .then_some(Overall::Unreadable);
    let overall = cards
        .iter()
        .map(|c| rank(c))
        .chain(unreadable_reader)
        .max()
        .unwrap_or(Overall::NoCards);

    let lines: Vec<CardLine> = cards.iter().map(|c| card_line(c, lang)).collect();
    let tooltip_title = match cards.first().and_then(|c| status_of(c)) {
        Some(st) => format!("{}: {}", text::app_title(lang), status_text(st, lang)),
        None => text::app_title(lang).to_string(),
    };
    let tooltip_body = if lines.is_empty() {
        no_cards_text(lang).to_string()
    } else {
        lines
            .iter()
            .map(|l| l.summary.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    View {
        overall,
        tooltip_title,
        tooltip_body,
        cards: lines,
        daemon_running: true,
    }
}

fn card_line(c: &CardView, lang: Lang) -> CardLine {
    let name = card_name(c);
    let summary = match (status_of(c), days_words(c, lang)) {
        (Some(st), Some(days)) => text::card_summary(&name, &status_text(st, lang), &days, lang),
        (Some(st), None) => text::card_summary_no_days(&name, &status_text(st, lang), lang),
        (None, _) => text::card_summary_no_days(&name, &c.status, lang),
    };
    CardLine {
        key: c.key.clone(),
        name,
        summary,
        registered: Registered::parse(&c.insurance_registered),
        steps: c.actions.iter().map(|a| a.text(lang).to_owned()).collect(),
        judged: !matches!(status_of(c), None | Some(Status::NotAMyNumberCard)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mynawatch::dbus::client::ActionText;

    fn card(key: &str, label: &str, status: &str, days: i32) -> CardView {
        CardView {
            key: key.into(),
            label: label.into(),
            status: status.into(),
            days_left: days,
            insurance_registered: "unknown".into(),
            actions: vec![ActionText {
                id: "renew-certificate".into(),
                ja: "市区町村の窓口で更新".into(),
                en: "Renew at your municipal office".into(),
            }],
            ..CardView::default()
        }
    }

    fn running(cards: Vec<CardView>) -> DaemonState {
        DaemonState::Running(Snapshot {
            reader_states: Vec::new(),
            version: "0".into(),
            readers: vec![],
            cards,
        })
    }

    #[test]
    fn the_worst_card_sets_the_icon_and_comes_first() {
        let v = view(
            &running(vec![
                card("a1", "父", "valid", 900),
                card("b2", "母", "expired-grace", 40),
                card("c3", "子", "renewal-open", 60),
            ]),
            Lang::En,
        );
        assert_eq!(v.overall, Overall::ExpiredGrace);
        assert_eq!(v.overall.icon_name(), "mynawatch-expired");
        assert_eq!(v.overall.sni_status(), "NeedsAttention");
        let names: Vec<_> = v.cards.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["母", "子", "父"]);
        assert!(v.tooltip_title.contains("expired, grace period"), "{v:?}");
        assert!(v.tooltip_body.contains("40 days left"), "{v:?}");
        assert_eq!(v.cards[0].steps, ["Renew at your municipal office"]);
    }

    #[test]
    fn every_status_has_its_own_icon() {
        use std::collections::HashSet;
        let icons: HashSet<_> = [
            Overall::Offline,
            Overall::AllFine,
            Overall::Unreadable,
            Overall::RenewalDue,
            Overall::ExpiredGrace,
            Overall::RegistrationCancelled,
        ]
        .iter()
        .map(|o| o.icon_name())
        .collect();
        assert_eq!(icons.len(), 6);
        assert!(Overall::RegistrationCancelled > Overall::ExpiredGrace);
        assert!(Overall::RenewalDue > Overall::Unreadable);
        assert!(Overall::Unreadable > Overall::AllFine);
    }

    #[test]
    fn japanese_uses_the_librarys_words() {
        let v = view(&running(vec![card("c3", "", "renewal-open", 60)]), Lang::Ja);
        assert_eq!(v.overall, Overall::RenewalDue);
        assert!(v.cards[0].summary.starts_with("c3…"), "{v:?}");
        assert!(v.tooltip_body.contains("更新手続きができます"), "{v:?}");
        assert!(v.tooltip_body.contains("あと60日"), "{v:?}");
        assert_eq!(v.cards[0].steps, ["市区町村の窓口で更新"]);
    }

    #[test]
    fn no_cards_and_no_daemon_say_so() {
        let v = view(&running(vec![]), Lang::En);
        assert_eq!(v.overall, Overall::NoCards);
        assert!(v.tooltip_body.contains("No cards remembered"), "{v:?}");
        let v = view(&DaemonState::Unreachable { reason: "x".into() }, Lang::En);
        assert_eq!(v.overall, Overall::Offline);
        assert!(!v.daemon_running);
        assert_eq!(v.overall.icon_name(), "mynawatch-offline");
    }

    #[test]
    fn a_reader_whose_card_could_not_be_read_shows_unreadable() {
        let snap = Snapshot {
            version: String::new(),
            readers: vec!["r0".into()],
            reader_states: vec![mynawatch::dbus::client::ReaderStateSnapshot {
                reader: "r0".into(),
                state: "failed".into(),
                reason: "unsupported-protocol".into(),
            }],
            cards: Vec::new(),
        };
        let v = view(&DaemonState::Running(snap), Lang::En);
        assert_eq!(v.overall, Overall::Unreadable);
    }

    #[test]
    fn an_unreadable_card_is_not_judged() {
        let v = view(
            &running(vec![card("d4", "x", "not-a-my-number-card", 0)]),
            Lang::En,
        );
        assert_eq!(v.overall, Overall::Unreadable);
        assert!(!v.cards[0].judged);
    }
}
