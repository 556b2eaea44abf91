//! The tray's own words (menu entries and messages), in Japanese and English. Statuses, deadlines,
//! next steps and the registration answers come from the library, not from here.

use mynawatch::l10n::Lang;

pub fn app_title(_lang: Lang) -> &'static str {
    "mynawatch"
}

pub fn connecting(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "mynawatch デーモンに接続しています…",
        Lang::En => "Connecting to the mynawatch daemon…",
    }
}

pub fn daemon_unreachable(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "mynawatch デーモンが動いていません。「今すぐ確認」で起動します。",
        Lang::En => "The mynawatch daemon is not running. “Check now” starts it.",
    }
}

pub fn card_summary(name: &str, status: &str, days: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("{name}：{status}（{days}）"),
        Lang::En => format!("{name}: {status} ({days})"),
    }
}

pub fn card_summary_no_days(name: &str, status: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("{name}：{status}"),
        Lang::En => format!("{name}: {status}"),
    }
}

pub fn enter_card_expiry(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "カードに印字された有効期限を入力…",
        Lang::En => "Enter the date printed on the card…",
    }
}

/// Shown (disabled) instead of the date dialog when zenity is not installed.
pub fn enter_card_expiry_in_terminal(name: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("有効期限の入力: 端末で mynawatch card-expires {name} YYYY-MM-DD"),
        Lang::En => format!("To enter the card's expiry: mynawatch card-expires {name} YYYY-MM-DD"),
    }
}

pub fn dialog_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "カードの有効期限",
        Lang::En => "The card's expiry",
    }
}

pub fn dialog_text(name: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => {
            format!("{name} の表面に印字された「有効期限」（カード自体の期限）を選んでください。")
        }
        Lang::En => {
            format!("Pick the expiry date printed on the front of {name} (the card's own expiry).")
        }
    }
}

pub fn export_calendar(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "カレンダーに書き出す",
        Lang::En => "Export to calendar",
    }
}

/// The calendar entry, disabled, while `mynawatch calendar` does not exist in this version.
pub fn export_calendar_missing(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "カレンダーに書き出す（この版の mynawatch にはまだありません）",
        Lang::En => "Export to calendar (not in this version of mynawatch yet)",
    }
}

pub fn exported_calendar(path: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("期限をカレンダーファイルに書き出しました: {path}\nお使いのカレンダーに読み込んでください。"),
        Lang::En => format!("The deadlines were written to {path}\nImport it into your calendar."),
    }
}

pub fn refresh(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "今すぐ確認",
        Lang::En => "Check now",
    }
}

pub fn quit(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "トレイを終了",
        Lang::En => "Quit tray",
    }
}

pub fn failed(what: &str, err: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("{what}: できませんでした（{err}）"),
        Lang::En => format!("{what}: failed ({err})"),
    }
}
