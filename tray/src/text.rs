//! The tray's own words (menu entries and messages), from the catalogue (`i18n/`, section "Tray
//! indicator"). Statuses, deadlines, next steps and the registration answers are the library's
//! messages, not these.

use mynawatch::l10n::{tr, Lang};

pub fn app_title(_lang: Lang) -> &'static str {
    "mynawatch"
}

pub fn connecting(lang: Lang) -> String {
    tr(lang, "tray-connecting", &[])
}

pub fn daemon_unreachable(lang: Lang) -> String {
    tr(lang, "tray-daemon-unreachable", &[])
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

pub fn enter_card_expiry(lang: Lang) -> String {
    tr(lang, "tray-enter-card-expiry", &[])
}

/// Shown (disabled) instead of the date dialog when zenity is not installed.
pub fn enter_card_expiry_in_terminal(name: &str, lang: Lang) -> String {
    tr(
        lang,
        "tray-enter-card-expiry-in-terminal",
        &[("name", name.into())],
    )
}

pub fn dialog_title(lang: Lang) -> String {
    tr(lang, "tray-dialog-title", &[])
}

pub fn dialog_text(name: &str, lang: Lang) -> String {
    tr(lang, "tray-dialog-text", &[("name", name.into())])
}

pub fn export_calendar(lang: Lang) -> String {
    tr(lang, "tray-export-calendar", &[])
}

/// The calendar entry, disabled, while `mynawatch calendar` does not exist in this version.
pub fn export_calendar_missing(lang: Lang) -> String {
    tr(lang, "tray-export-calendar-missing", &[])
}

pub fn exported_calendar(path: &str, lang: Lang) -> String {
    tr(lang, "tray-exported-calendar", &[("path", path.into())])
}

pub fn refresh(lang: Lang) -> String {
    tr(lang, "tray-refresh", &[])
}

pub fn quit(lang: Lang) -> String {
    tr(lang, "tray-quit", &[])
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
    #[test]
    fn every_message_renders_in_every_language() {
        for lang in Lang::ALL {
            let texts = [
                connecting(lang),
                daemon_unreachable(lang),
                card_summary("母", "有効", "あと3日", lang),
                card_summary_no_days("母", "有効", lang),
                enter_card_expiry(lang),
                enter_card_expiry_in_terminal("母", lang),
                dialog_title(lang),
                dialog_text("母", lang),
                export_calendar(lang),
                export_calendar_missing(lang),
                exported_calendar("/tmp/x.ics", lang),
                refresh(lang),
                quit(lang),
                failed("Check now", "boom", lang),
            ];
            for t in texts {
                assert!(!t.starts_with("tray-"), "{lang}: {t}");
                assert!(!t.contains(['\u{2068}', '\u{2069}']), "{t}");
            }
        }
    }
}
