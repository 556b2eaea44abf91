//! `mynawatch calendar [CARD] [-o FILE]`: the remembered cards' deadlines as an iCalendar file
//! (src/calendar.rs), from what the daemon publishes.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;

use super::common::{runtime, unreachable_exit};
use crate::calendar::{self, CardDeadlines, Deadline};
use crate::dbus::client::{self, CardView};
use crate::l10n::{self, Lang};
use crate::rules::{dates, Policy};

#[derive(Debug, clap::Args)]
pub struct CalendarArgs {
    /// Only this card (its label, or the start of its key); default: every remembered card.
    #[arg(value_name = "CARD")]
    pub card: Option<String>,
    /// Write the file here (created 0600: the dates reveal a birthday) instead of to stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Language of the event texts (default: lang in config.toml, else the locale, else ja).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// The deadlines of one card as the daemon published them; new-card dates from its card expiry.
pub fn deadlines(c: &CardView, policy: &Policy) -> CardDeadlines {
    let date = |s: &str| s.parse::<NaiveDate>().ok();
    let mut out: Vec<(Deadline, NaiveDate)> = [
        (Deadline::RenewalOpens, date(&c.renewal_opens)),
        (Deadline::CertificateExpires, date(&c.certificate_expires)),
        (
            Deadline::InsuranceUsableUntil,
            date(&c.insurance_usable_until),
        ),
    ]
    .into_iter()
    .filter_map(|(d, v)| Some((d, v?)))
    .collect();
    if let Some(card) = date(&c.card_expires) {
        out.push((
            Deadline::NewCardApplicationsOpen,
            dates::window_opens(card, policy.new_card_window_months),
        ));
        out.push((
            Deadline::NewCardApplyBy,
            dates::sub_days(card, policy.new_card_lead_days),
        ));
    }
    CardDeadlines {
        key: c.key.clone(),
        label: c.label.clone(),
        dates: out,
    }
}

pub fn run(args: CalendarArgs) -> anyhow::Result<ExitCode> {
    let config = super::common::user_config()?;
    let lang = l10n::choose(args.lang, config.lang);
    let policy = config.policy.clone();
    runtime()?.block_on(async {
        let conn = match client::connect().await {
            Ok(c) => c,
            Err(e) => return unreachable_exit(e),
        };
        let snap = match client::snapshot(&conn).await {
            Ok(s) => s,
            Err(e) => return unreachable_exit(e),
        };
        let chosen: Vec<&CardView> = match &args.card {
            Some(q) => match client::find_card(&snap.cards, q) {
                Ok(c) => vec![c],
                Err(e) => {
                    eprintln!("mynawatch: {}", e.message(lang));
                    return Ok(ExitCode::from(1));
                }
            },
            None => snap.cards.iter().collect(),
        };
        let cards: Vec<CardDeadlines> = chosen
            .iter()
            .map(|c| deadlines(c, &policy))
            .filter(|d| !d.dates.is_empty())
            .collect();
        if cards.is_empty() {
            eprintln!(
                "mynawatch: {}",
                l10n::tr(lang, "calendar-no-deadlines", &[])
            );
            return Ok(ExitCode::from(1));
        }
        let ics = calendar::render(&cards, lang, chrono::Utc::now());
        match &args.output {
            None => super::common::write_stdout(ics.as_bytes())?,
            Some(path) => write_private(path, ics.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Create or replace `path` with mode 0600.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Facts, Registration, TokenKind};

    #[test]
    fn new_card_dates_agree_with_the_rule_core() {
        let policy = Policy::default();
        let card: NaiveDate = "2031-06-20".parse().unwrap();
        let facts = Facts {
            token: TokenKind::MyNumberCard,
            cert: Some(crate::rules::CertValidity {
                not_before: "2021-06-21".parse().unwrap(),
                not_after: "2026-06-20".parse().unwrap(),
            }),
            card_expires: Some(card),
            registered: Registration::Unknown,
            pins: Default::default(),
        };
        let t = crate::rules::Timeline::new(&facts, &policy).unwrap();
        let c = CardView {
            key: "k".into(),
            card_expires: card.to_string(),
            certificate_expires: "2026-06-20".into(),
            ..Default::default()
        };
        let d = deadlines(&c, &policy);
        let dates = t.card.unwrap();
        assert!(d
            .dates
            .contains(&(Deadline::NewCardApplicationsOpen, dates.applications_open)));
        assert!(d
            .dates
            .contains(&(Deadline::NewCardApplyBy, dates.apply_by)));
        assert!(d
            .dates
            .contains(&(Deadline::CertificateExpires, "2026-06-20".parse().unwrap())));
        assert_eq!(d.dates.len(), 3, "unknown dates are left out");
    }
}
