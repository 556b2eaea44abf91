//! The tray's own words (menu entries and messages), from the catalogue (`i18n/`, section "Tray
//! indicator"). Statuses, deadlines, next steps and the registration answers are the library's
//! messages, not these.

use mynawatch::l10n::{tr, Lang};

pub fn app_title(_lang: Lang) -> &'static str {
    "mynawatch"
}

/// The tray's fixed words: menu entries and states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word {
    Connecting,
    DaemonUnreachable,
    EnterCardExpiry,
    DialogTitle,
    ExportCalendar,
    /// The calendar entry, disabled, while `mynawatch calendar` does not exist in this version.
    ExportCalendarMissing,
    Refresh,
    Quit,
}

impl Word {
    pub fn text(self, lang: Lang) -> String {
        let id = match self {
            Word::Connecting => "tray-connecting",
            Word::DaemonUnreachable => "tray-daemon-unreachable",
            Word::EnterCardExpiry => "tray-enter-card-expiry",
            Word::DialogTitle => "tray-dialog-title",
            Word::ExportCalendar => "tray-export-calendar",
            Word::ExportCalendarMissing => "tray-export-calendar-missing",
            Word::Refresh => "tray-refresh",
            Word::Quit => "tray-quit",
        };
        tr(lang, id, &[])
    }
}

pub fn card_summary(name: &str, status: &str, days: &str, lang: Lang) -> String {
    let args = [
        ("name", name.into()),
        ("status", status.into()),
        ("days", days.into()),
    ];
    tr(lang, "tray-card-summary", &args)
}

pub fn card_summary_no_days(name: &str, status: &str, lang: Lang) -> String {
    let args = [("name", name.into()), ("status", status.into())];
    tr(lang, "tray-card-summary-no-days", &args)
}

/// Shown (disabled) instead of the date dialog when zenity is not installed.
pub fn enter_card_expiry_in_terminal(name: &str, lang: Lang) -> String {
    tr(
        lang,
        "tray-enter-card-expiry-in-terminal",
        &[("name", name.into())],
    )
}

pub fn dialog_text(name: &str, lang: Lang) -> String {
    tr(lang, "tray-dialog-text", &[("name", name.into())])
}

pub fn exported_calendar(path: &str, lang: Lang) -> String {
    tr(lang, "tray-exported-calendar", &[("path", path.into())])
}

pub fn failed(what: &str, err: &str, lang: Lang) -> String {
    let args = [("what", what.into()), ("error", err.into())];
    tr(lang, "tray-failed", &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tray message in every language (the library's catalogue test checks that the ids
    /// exist in every catalogue; this checks that the arguments the tray passes are the ones
    /// the messages want: a Fluent error shows as the bare id).
    const ALL: [Word; 8] = [
        Word::Connecting,
        Word::DaemonUnreachable,
        Word::EnterCardExpiry,
        Word::DialogTitle,
        Word::ExportCalendar,
        Word::ExportCalendarMissing,
        Word::Refresh,
        Word::Quit,
    ];

    #[test]
    fn every_message_renders_in_every_language() {
        for lang in Lang::ALL {
            let texts = ALL.map(|w| w.text(lang)).into_iter().chain([
                card_summary("母", "有効", "あと3日", lang),
                card_summary_no_days("母", "有効", lang),
                enter_card_expiry_in_terminal("母", lang),
                dialog_text("母", lang),
                exported_calendar("/tmp/x.ics", lang),
                failed("Check now", "boom", lang),
            ]);
            for t in texts {
                assert!(!t.starts_with("tray-"), "{lang}: {t}");
                assert!(!t.contains(['\u{2068}', '\u{2069}']), "{t}");
            }
        }
    }
}
