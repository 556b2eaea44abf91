//! `mynawatch read`: one-shot read of the card in a PC/SC reader → the card report and the rule-core
//! status. The first end-to-end path from a real reader to an answer.
//!
//! Exit codes (src/exit.rs, the one list): 0 read and judged; 1 ([`Exit::Unavailable`]) nothing to
//! read: pcscd not running, no reader, no card, the card taken out during the read; 2
//! ([`Exit::BadInput`]) what is there is wrong: no reader of that name, not a My Number Card, an
//! unreadable card.
//!
//! The text shows the status as soon as the certificate is read (9 APDUs), before the 7 APDUs of
//! the PIN counters: on a slow (NFC) link that is most of the wait. `--cert-only` skips the counters.

use std::io::{self, Write};
use std::process::ExitCode;

use chrono::{NaiveDate, Utc};
use pcsc::{Context, Scope};
use serde_json::json;

use super::common::Answer;
use crate::card::{CardError, CertRead};
use crate::config::Config;
use crate::dbus::PinView;
use crate::exit::Exit;
use crate::l10n::{self, Lang};
use crate::pcsc::transport::{
    read_reader, read_reader_certificate, reader_error, readers_with_card,
};
use crate::rules::{self, jst_date, Assessment, Facts, PinCounters, PinState, Registration};

/// Read the My Number Card in a reader (no PIN) and show its certificate dates, PIN retry counters and
/// status. Exit 0 on success; 1 when there is nothing to read (no pcscd, no reader, no card); 2 when
/// the card is not a My Number Card or cannot be read, or no reader has the name given.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// Reader to use (exact name, or a unique part of it). Default: the first reader holding a card.
    #[arg(long, value_name = "NAME")]
    pub reader: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Output language (default: lang in config.toml, else the locale, else ja).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
    /// Judge as of this day (default: today in Japan).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<NaiveDate>,
    /// Is the card registered for health-insurance use? The card cannot tell.
    #[arg(long, value_enum, default_value_t = Answer::Unknown)]
    pub registered: Answer,
    /// Read only the certificate (9 commands instead of 16): no PIN retry counters. Faster on a
    /// contactless reader.
    #[arg(long)]
    pub cert_only: bool,
}

/// A failure with its one-line message and exit status.
struct Failure(String, Exit);

impl From<CardError> for Failure {
    fn from(e: CardError) -> Self {
        let msg = match &e {
            e if e.is_removed() => {
                return Failure(
                    "the card was removed during the read; keep it on the reader and try again"
                        .into(),
                    Exit::Unavailable,
                )
            }
            CardError::NoCard => return Failure("no card in the reader".into(), Exit::Unavailable),
            CardError::ServiceUnavailable => return Failure(e.to_string(), Exit::Unavailable),
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
            CardError::ReaderNotFound(_) => e.to_string(),
            e => format!("cannot read the card: {e}"),
        };
        Failure(msg, Exit::BadInput)
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
        return Err(Failure(
            "no smart-card reader found".into(),
            Exit::Unavailable,
        ));
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
                Exit::BadInput,
            )),
            _ => Err(Failure(
                format!("more than one reader matches {w:?}"),
                Exit::BadInput,
            )),
        };
    }
    readers_with_card(ctx)?
        .into_iter()
        .next()
        .ok_or_else(|| Failure("no card in any reader".into(), Exit::Unavailable))
}

fn pin_text(p: Option<PinState>, lang: Lang) -> String {
    let PinView { state, tries } = PinView::of(p);
    l10n::tr(
        lang,
        "read-pin",
        &[
            ("state", state.into()),
            ("tries", tries.unwrap_or(0).into()),
        ],
    )
}

pub fn run(args: ReadArgs) -> anyhow::Result<ExitCode> {
    // Read the config first: a broken config file should be reported before touching the card.
    let config = super::common::user_config()?;
    let out = Output {
        args: &args,
        config: &config,
        lang: l10n::choose(args.lang, config.lang),
        today: args.today.unwrap_or_else(|| jst_date(Utc::now())),
    };
    let mut stdout = io::stdout().lock();
    match read(&out, &mut stdout) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Stop::Failed(Failure(msg, exit))) => {
            eprintln!("mynawatch: {msg}");
            Ok(exit.into())
        }
        Err(Stop::Output(e)) => Err(e.into()),
    }
}

/// Why `read` stopped early: the card could not be read, or stdout went away.
enum Stop {
    Failed(Failure),
    Output(io::Error),
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Self {
        Stop::Failed(f)
    }
}

/// What the output depends on besides the card.
struct Output<'a> {
    args: &'a ReadArgs,
    config: &'a Config,
    lang: Lang,
    today: NaiveDate,
}

impl Output<'_> {
    fn assess(&self, cert: &CertRead, pins: PinCounters) -> Assessment {
        let facts = Facts {
            token: cert.token,
            cert: Some(cert.validity),
            card_expires: None,
            registered: self.args.registered.into(),
            pins,
        };
        rules::assess(&facts, self.today, &self.config.policy)
    }
}

fn read(o: &Output<'_>, out: &mut impl Write) -> Result<(), Stop> {
    let ctx = Context::establish(Scope::User).map_err(|e| match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => {
            Failure::from(CardError::ServiceUnavailable)
        }
        e => Failure(format!("PC/SC error: {e}"), Exit::BadInput),
    })?;
    let reader = pick_reader(&ctx, o.args.reader.as_deref())?;
    let card_error = |e| match e {
        CardError::NoCard => Failure(format!("no card in {reader}"), Exit::Unavailable),
        e => Failure::from(e),
    };
    if o.args.cert_only {
        let cert = read_reader_certificate(&ctx, &reader).map_err(card_error)?;
        let assessment = o.assess(&cert, PinCounters::default());
        let written = match o.args.json {
            true => print_json(o, &reader, &cert, None, &assessment, out),
            false => print_cert(o, &reader, &cert, &assessment, out),
        };
        return written.map_err(Stop::Output);
    }
    // The text goes out as soon as the certificate is known; a write error there ends the output,
    // not the read (the card is left in a clean state either way).
    let mut early: Option<io::Result<Assessment>> = None;
    let report = read_reader(&ctx, &reader, &mut |cert| {
        if !o.args.json {
            let a = o.assess(cert, PinCounters::default());
            early = Some(print_cert(o, &reader, cert, &a, out).map(|()| a));
        }
    })
    .map_err(card_error)?;
    let pins = report.pins.clone().unwrap_or_default();
    let assessment = o.assess(&report.cert, pins);
    let written = match early {
        None => print_json(
            o,
            &reader,
            &report.cert,
            Some(&report.pins),
            &assessment,
            out,
        ),
        Some(Ok(first)) => print_pins(o, &report.pins, &first, &assessment, out),
        Some(Err(e)) => Err(e),
    };
    written.map_err(Stop::Output)
}

/// The whole report as one JSON object (after the PIN counters, unless `--cert-only`).
fn print_json(
    o: &Output<'_>,
    reader: &str,
    cert: &CertRead,
    pins: Option<&Result<PinCounters, CardError>>,
    assessment: &Assessment,
    out: &mut impl Write,
) -> io::Result<()> {
    let validity = cert.validity;
    let mut report_json = json!({
        "reader": reader,
        "token": cert.token.as_str(),
        "certificate": {"not_before": validity.not_before, "not_after": validity.not_after},
        "pins": pins.map(|p| p.clone().unwrap_or_default()),
        "pins_error": pins.and_then(|p| p.as_ref().err().map(ToString::to_string)),
        "registered": Registration::from(o.args.registered),
    });
    if let (Some(obj), Ok(serde_json::Value::Object(a))) = (
        report_json.as_object_mut(),
        serde_json::to_value(assessment),
    ) {
        obj.extend(a);
        obj.insert(
            "actions".into(),
            json!(l10n::action_texts(&assessment.actions)),
        );
    }
    writeln!(out, "{report_json:#}")?;
    out.flush()
}

/// Reader, certificate dates and the status: everything the certificate alone tells.
fn print_cert(
    o: &Output<'_>,
    reader: &str,
    cert: &CertRead,
    assessment: &Assessment,
    out: &mut impl Write,
) -> io::Result<()> {
    let v = cert.validity;
    let lang = o.lang;
    writeln!(
        out,
        "{}",
        l10n::tr(lang, "read-reader", &[("reader", reader.into())])
    )?;
    let (from, to) = (v.not_before.to_string(), v.not_after.to_string());
    writeln!(
        out,
        "{}",
        l10n::tr(
            lang,
            "read-certificate",
            &[("from", from.into()), ("to", to.into())]
        )
    )?;
    writeln!(out)?;
    write!(out, "{}", crate::present::assessment(assessment, o.lang))?;
    out.flush()
}

/// The PIN counters, once read, and the steps they add to what was already shown.
fn print_pins(
    o: &Output<'_>,
    pins: &Result<PinCounters, CardError>,
    shown: &Assessment,
    full: &Assessment,
    out: &mut impl Write,
) -> io::Result<()> {
    let lang = o.lang;
    let PinCounters {
        auth,
        sign,
        card_info,
    } = pins.clone().unwrap_or_default();
    writeln!(out)?;
    let counters = [("auth", auth), ("sign", sign), ("info", card_info)]
        .map(|(name, p)| (name, pin_text(p, lang).into()));
    writeln!(out, "{}", l10n::tr(lang, "read-pins", &counters))?;
    if let Err(e) = pins {
        let error = ("error", e.to_string().into());
        writeln!(out, "{}", l10n::tr(lang, "read-pins-failed", &[error]))?;
    }
    let added: Vec<_> = full
        .actions
        .iter()
        .filter(|a| !shown.actions.contains(a))
        .collect();
    if !added.is_empty() {
        writeln!(out, "{}", l10n::tr(lang, "read-pin-steps", &[]))?;
        for a in added {
            writeln!(out, " - {}", l10n::action(a, lang))?;
        }
    }
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
        for lang in Lang::ALL {
            for p in [None, Some(PinState::Blocked), Some(PinState::Verified)] {
                assert!(!pin_text(p, lang).is_empty());
            }
        }
    }
}
