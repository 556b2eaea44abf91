//! `mynawatch read`: one-shot read of the card in a PC/SC reader → the card report and the rule-core
//! status. The first end-to-end path from a real reader to an answer.
//!
//! Exit codes: 0 read and judged; 1 no card in any reader (or in the reader named); 2 anything else
//! (pcscd not running, no reader, not a My Number Card, card removed mid-read, unreadable card).

use std::io::{self, Write};
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use pcsc::{Context, Scope};
use serde_json::json;

use crate::card::{CardError, CardReport};
use crate::config::Config;
use crate::pcsc::transport::{read_reader, reader_error, readers_with_card};
use crate::rules::{self, jst_date, Facts, Lang, PinCounters, PinState, Registration};

/// Read the My Number Card in a reader (no PIN) and show its certificate dates, PIN retry counters and
/// status. Exit 0 on success, 1 when no card is present, 2 on any other problem.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Reader to use (exact name, or a unique part of it). Default: the first reader holding a card.
    #[arg(long, value_name = "NAME")]
    pub reader: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Output language (default from LC_ALL / LC_MESSAGES / LANG, else ja).
    #[arg(long, value_name = "ja|en")]
    pub lang: Option<Lang>,
    /// Judge as of this day (default: today in Japan).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
    /// Is the card registered for health-insurance use? The card cannot tell.
    #[arg(long, default_value = "unknown", value_name = "yes|no|unknown")]
    pub registered: Registration,
}

/// A failure with its one-line message and exit code.
struct Failure(String, u8);

impl From<CardError> for Failure {
    fn from(e: CardError) -> Self {
        let msg = match &e {
            e if e.is_removed() => {
                "the card was removed during the read; keep it on the reader and try again".into()
            }
            CardError::NoCard => return Failure("no card in the reader".into(), 1),
            CardError::NotMyNumberCard(kind) => {
                format!(
                    "this card is not a My Number Card (JPKI token: {})",
                    kind.as_str()
                )
            }
            CardError::NotUserAuth(why) => format!(
                "this card's certificate is not the user-authentication certificate of a My Number Card ({why})"
            ),
            CardError::NoJpkiApplet => {
                "this card is not a My Number Card (it has no JPKI applet)".into()
            }
            CardError::ServiceUnavailable | CardError::ReaderNotFound(_) => e.to_string(),
            e => format!("cannot read the card: {e}"),
        };
        Failure(msg, 2)
    }
}

/// Which reader to read: the named one, or the first with a card in it.
fn pick_reader(ctx: &Context, wanted: Option<&str>) -> Result<String, Failure> {
    let readers: Vec<String> = match ctx.list_readers_owned() {
        Ok(r) => r
            .into_iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect(),
        Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
        Err(e) => return Err(Failure::from(reader_error(e, ""))),
    };
    if readers.is_empty() {
        return Err(Failure("no smart-card reader found".into(), 2));
    }
    if let Some(w) = wanted {
        if let Some(r) = readers.iter().find(|r| *r == w) {
            return Ok(r.clone());
        }
        let matching: Vec<_> = readers.iter().filter(|r| r.contains(w)).collect();
        return match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Failure(
                format!("no reader named {w:?} (readers: {})", readers.join(", ")),
                2,
            )),
            _ => Err(Failure(format!("more than one reader matches {w:?}"), 2)),
        };
    }
    readers_with_card(ctx)?
        .into_iter()
        .next()
        .ok_or_else(|| Failure("no card in any reader".into(), 1))
}

fn pin_text(p: Option<PinState>, lang: Lang) -> String {
    match (p, lang) {
        (Some(PinState::Remaining(n)), Lang::Ja) => format!("残り{n}回"),
        (Some(PinState::Remaining(1)), Lang::En) => "1 try left".into(),
        (Some(PinState::Remaining(n)), Lang::En) => format!("{n} tries left"),
        (Some(PinState::Blocked), Lang::Ja) => "ロック中".into(),
        (Some(PinState::Blocked), Lang::En) => "locked".into(),
        (Some(PinState::Verified), Lang::Ja) => "認証済み".into(),
        (Some(PinState::Verified), Lang::En) => "verified".into(),
        (None, Lang::Ja) => "不明".into(),
        (None, Lang::En) => "unknown".into(),
    }
}

pub fn run(args: ReadArgs) -> anyhow::Result<ExitCode> {
    // Read the config first: a broken config file should be reported before touching the card.
    let config = super::user_config()?;
    match read(&args) {
        Ok((reader, report)) => {
            print(&args, &config, &reader, &report, &mut io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(Failure(msg, code)) => {
            eprintln!("mynawatch: {msg}");
            Ok(ExitCode::from(code))
        }
    }
}

fn read(args: &ReadArgs) -> Result<(String, CardReport), Failure> {
    let ctx = Context::establish(Scope::User).map_err(|e| match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => {
            Failure::from(CardError::ServiceUnavailable)
        }
        e => Failure(format!("PC/SC error: {e}"), 2),
    })?;
    let reader = pick_reader(&ctx, args.reader.as_deref())?;
    let report = read_reader(&ctx, &reader, &mut |_| {}).map_err(|e| match e {
        CardError::NoCard => Failure(format!("no card in {reader}"), 1),
        e => Failure::from(e),
    })?;
    Ok((reader, report))
}

fn print(
    args: &ReadArgs,
    config: &Config,
    reader: &str,
    report: &CardReport,
    out: &mut impl Write,
) -> io::Result<()> {
    let lang = args.lang.unwrap_or_else(|| config.lang());
    let today = args.today.unwrap_or_else(|| jst_date(Utc::now()));
    let pins = report.pins.clone().unwrap_or_default();
    let facts = Facts {
        token: report.cert.token,
        cert: Some(report.cert.validity),
        card_expires: None,
        registered: args.registered,
        pins,
    };
    let assessment = rules::assess(&facts, today, &config.policy);
    let validity = report.cert.validity;
    if args.json {
        let mut report_json = json!({
            "reader": reader,
            "token": report.cert.token.as_str(),
            "certificate": {"not_before": validity.not_before, "not_after": validity.not_after},
            "pins": pins,
            "pins_error": report.pins.as_ref().err().map(ToString::to_string),
            "registered": args.registered,
        });
        if let (Some(obj), Ok(serde_json::Value::Object(a))) = (
            report_json.as_object_mut(),
            serde_json::to_value(&assessment),
        ) {
            obj.extend(a);
        }
        writeln!(out, "{report_json:#}")?;
        return out.flush();
    }
    let PinCounters {
        auth,
        sign,
        card_info,
    } = pins;
    match lang {
        Lang::Ja => {
            writeln!(out, "カードリーダー: {reader}")?;
            writeln!(
                out,
                "利用者証明用電子証明書: {} 〜 {}",
                validity.not_before, validity.not_after
            )?;
            writeln!(
                out,
                "暗証番号: 利用者証明用 {} / 署名用 {} / 券面事項入力補助 {}",
                pin_text(auth, lang),
                pin_text(sign, lang),
                pin_text(card_info, lang)
            )?;
            if let Err(e) = &report.pins {
                writeln!(out, "（暗証番号の残り回数を読めませんでした: {e}）")?;
            }
        }
        Lang::En => {
            writeln!(out, "Reader: {reader}")?;
            writeln!(
                out,
                "User-authentication certificate: {} to {}",
                validity.not_before, validity.not_after
            )?;
            writeln!(
                out,
                "PIN retries: authentication {} / signature {} / card info {}",
                pin_text(auth, lang),
                pin_text(sign, lang),
                pin_text(card_info, lang)
            )?;
            if let Err(e) = &report.pins {
                writeln!(out, "(PIN retry counters could not be read: {e})")?;
            }
        }
    }
    writeln!(out)?;
    write!(out, "{}", super::check::human(&assessment, lang))?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_counts_read_right_in_english_and_japanese() {
        let text = |n| pin_text(Some(PinState::Remaining(n)), Lang::En);
        assert_eq!(text(1), "1 try left");
        assert_eq!(text(3), "3 tries left");
        assert_eq!(text(0), "0 tries left");
        assert_eq!(pin_text(Some(PinState::Remaining(1)), Lang::Ja), "残り1回");
    }
}
