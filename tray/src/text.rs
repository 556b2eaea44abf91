//! The tray's own words (menu entries and messages), in Japanese and English. Statuses, deadlines,
//! next steps and the registration answers come from the library, not from here.

use mynawatch::l10n::Lang;

/// The Japanese or the English of a pair of words (both are made; they are short).
fn ja_en<T>(lang: Lang, ja: T, en: T) -> T {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

pub fn app_title(_lang: Lang) -> &'static str {
    "mynawatch"
}

pub fn connecting(lang: Lang) -> &'static str {
    ja_en(
        lang,
        "mynawatch デーモンに接続しています…",
        "Connecting to the mynawatch daemon…",
    )
}

pub fn daemon_unreachable(lang: Lang) -> &'static str {
    ja_en(
        lang,
        "mynawatch デーモンが動いていません。「今すぐ確認」で起動します。",
        "The mynawatch daemon is not running. “Check now” starts it.",
    )
}

pub fn card_summary(name: &str, status: &str, days: &str, lang: Lang) -> String {
    ja_en(
        lang,
        format!("{name}：{status}（{days}）"),
        format!("{name}: {status} ({days})"),
    )
}

pub fn card_summary_no_days(name: &str, status: &str, lang: Lang) -> String {
    ja_en(
        lang,
        format!("{name}：{status}"),
        format!("{name}: {status}"),
    )
}

pub fn enter_card_expiry(lang: Lang) -> &'static str {
    ja_en(
        lang,
        "カードに印字された有効期限を入力…",
        "Enter the date printed on the card…",
    )
}

/// Shown (disabled) instead of the date dialog when zenity is not installed.
pub fn enter_card_expiry_in_terminal(name: &str, lang: Lang) -> String {
    ja_en(
        lang,
        format!("有効期限の入力: 端末で mynawatch card-expires {name} YYYY-MM-DD"),
        format!("To enter the card's expiry: mynawatch card-expires {name} YYYY-MM-DD"),
    )
}

pub fn dialog_title(lang: Lang) -> &'static str {
    ja_en(lang, "カードの有効期限", "The card's expiry")
}

pub fn dialog_text(name: &str, lang: Lang) -> String {
    ja_en(
        lang,
        format!("{name} の表面に印字された「有効期限」（カード自体の期限）を選んでください。"),
        format!("Pick the expiry date printed on the front of {name} (the card's own expiry)."),
    )
}

pub fn export_calendar(lang: Lang) -> &'static str {
    ja_en(lang, "カレンダーに書き出す", "Export to calendar")
}

/// The calendar entry, disabled, while `mynawatch calendar` does not exist in this version.
pub fn export_calendar_missing(lang: Lang) -> &'static str {
    ja_en(
        lang,
        "カレンダーに書き出す（この版の mynawatch にはまだありません）",
        "Export to calendar (not in this version of mynawatch yet)",
    )
}

pub fn exported_calendar(path: &str, lang: Lang) -> String {
    ja_en(
        lang,
        format!("期限をカレンダーファイルに書き出しました: {path}\nお使いのカレンダーに読み込んでください。"),
        format!("The deadlines were written to {path}\nImport it into your calendar."),
    )
}

pub fn refresh(lang: Lang) -> &'static str {
    ja_en(lang, "今すぐ確認", "Check now")
}

pub fn quit(lang: Lang) -> &'static str {
    ja_en(lang, "トレイを終了", "Quit tray")
}

pub fn failed(what: &str, err: &str, lang: Lang) -> String {
    ja_en(
        lang,
        format!("{what}: できませんでした（{err}）"),
        format!("{what}: failed ({err})"),
    )
}
