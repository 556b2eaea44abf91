//! `mynawatch check`: judge a certificate (file or expiry date) with no card reader at all.

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::common::Answer;
use crate::card::{cert, CardError};
use crate::l10n::{self, Lang};
use crate::rules::{self, dates, jst_date, Assessment, CertValidity, Facts, TokenKind};

/// Judge a certificate file or an expiry date and print the status and next steps.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The card's user-authentication certificate, DER or PEM.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["expires", "issued"])]
    pub cert: Option<PathBuf>,

    /// The certificate's expiry date (YYYY-MM-DD), when you have no certificate file.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,

    /// The certificate's issue date (YYYY-MM-DD); only with --expires.
    #[arg(long, value_name = "YYYY-MM-DD", requires = "expires")]
    pub issued: Option<String>,

    /// The card's own printed expiry date (YYYY-MM-DD), if you know it.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub card_expires: Option<String>,

    /// Judge as of this day (YYYY-MM-DD) instead of today in Japan.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,

    /// Is the card registered for health-insurance use (保険証利用登録)?
    #[arg(long, value_enum, default_value_t = Answer::Unknown)]
    pub registered: Answer,

    /// Output language (default: lang in config.toml, else the locale, else ja).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Why a certificate file could not be used. Each message is one line and names the file.
#[derive(Debug, thiserror::Error)]
pub enum CertFileError {
    #[error("cannot read certificate file {}: {cause}", path.display())]
    Read { path: PathBuf, cause: io::Error },
    #[error("certificate file {} is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{} is not an X.509 certificate (DER or PEM): {reason}", path.display())]
    NotCertificate { path: PathBuf, reason: String },
    #[error("{} is not the user-authentication certificate of a My Number Card: {why}", path.display())]
    NotUserAuth {
        path: PathBuf,
        why: crate::card::cert::NotUserAuth,
    },
}

/// Read a DER or PEM certificate through the card's own parser (the same checks as a card read)
/// and return its validity as Japanese dates.
pub fn load_certificate(path: &Path) -> Result<CertValidity, CertFileError> {
    use std::io::Read as _;
    let read_error = |cause| CertFileError::Read {
        path: path.to_owned(),
        cause,
    };
    // Bounded: a certificate is a few KB, and `--cert /dev/zero` must not eat the memory.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(cert::MAX_FILE_LEN as u64 + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(read_error)?;
    let not_cert = |reason: String| CertFileError::NotCertificate {
        path: path.to_owned(),
        reason: reason.replace('\n', " "),
    };
    let der = cert::decode_file(&bytes).map_err(|e| match e {
        cert::FileError::Empty => CertFileError::Empty {
            path: path.to_owned(),
        },
        e => not_cert(e.to_string()),
    })?;
    match cert::parse(&der) {
        Ok((validity, _)) => Ok(validity),
        Err(CardError::NotUserAuth(why)) => Err(CertFileError::NotUserAuth {
            path: path.to_owned(),
            why,
        }),
        Err(e) => Err(not_cert(e.to_string())),
    }
}

fn parse_date(flag: &str, value: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .with_context(|| format!("invalid {flag} {value:?}: expected a date as YYYY-MM-DD"))
}

/// A typed expiry: a date, and a plausible one for a My Number Card (the same range as D-Bus
/// AddCard/SetCardExpires), so that no derived deadline comes out as `0000-10-02`.
fn typed_date(flag: &str, value: &str) -> anyhow::Result<NaiveDate> {
    let d = parse_date(flag, value)?;
    crate::dbus::plausible_typed_date(flag, d).map_err(|e| match e {
        crate::dbus::Error::InvalidArgument(m) => anyhow::anyhow!("invalid {m}"),
        other => anyhow::anyhow!(other.to_string()),
    })
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let cert = match (&args.cert, &args.expires) {
        (Some(path), _) => load_certificate(path)?,
        (None, Some(expires)) => {
            let not_after = typed_date("--expires", expires)?;
            let not_before = match &args.issued {
                Some(issued) => parse_date("--issued", issued)?,
                // Only informational: a certificate runs about five years.
                None => dates::sub_months(not_after, 60),
            };
            anyhow::ensure!(
                not_before <= not_after,
                "--issued {} is after --expires {}",
                not_before,
                not_after
            );
            CertValidity {
                not_before,
                not_after,
            }
        }
        (None, None) => anyhow::bail!("give --cert FILE or --expires YYYY-MM-DD"),
    };
    let card_expires = args
        .card_expires
        .as_deref()
        .map(|v| typed_date("--card-expires", v))
        .transpose()?;
    let today = match &args.today {
        Some(v) => parse_date("--today", v)?,
        None => jst_date(Utc::now()),
    };
    let config = super::common::user_config()?;
    let lang = l10n::choose(args.lang, config.lang);
    let facts = Facts {
        token: TokenKind::MyNumberCard,
        cert: Some(cert),
        card_expires,
        registered: args.registered.into(),
        pins: Default::default(),
    };
    let assessment = rules::assess(&facts, today, &config.policy);
    tracing::debug!(status = %assessment.status, "checked");

    let text = if args.json {
        json(&assessment, today)?
    } else {
        crate::present::assessment(&assessment, lang)
    };
    super::common::write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    assessment: &'a Assessment,
    today: NaiveDate,
    headline: Headline,
    actions: Vec<l10n::ActionText>,
}

#[derive(Serialize)]
struct Headline {
    ja: String,
    en: String,
}

fn json(a: &Assessment, today: NaiveDate) -> anyhow::Result<String> {
    let report = JsonReport {
        assessment: a,
        today,
        headline: Headline {
            ja: l10n::headline(a, Lang::Ja),
            en: l10n::headline(a, Lang::En),
        },
        actions: l10n::action_texts(&a.actions),
    };
    Ok(serde_json::to_string_pretty(&report)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_whitespace_input_is_empty_not_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            load_certificate(&p)
        };
        assert!(matches!(file("a", b""), Err(CertFileError::Empty { .. })));
        assert!(matches!(
            file("b", b" \n\t"),
            Err(CertFileError::Empty { .. })
        ));
        assert!(matches!(
            file("c", b"hello"),
            Err(CertFileError::NotCertificate { .. })
        ));
        assert!(matches!(
            file(
                "d",
                b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"
            ),
            Err(CertFileError::NotCertificate { .. })
        ));
        let huge = vec![0x30u8; cert::MAX_FILE_LEN + 10];
        let e = file("e", &huge).unwrap_err().to_string();
        assert!(e.contains("larger than a certificate"), "{e}");
    }

    #[test]
    fn dates_must_be_real() {
        assert!(parse_date("--today", "2026-02-30").is_err());
        assert!(parse_date("--today", "tomorrow").is_err());
        assert_eq!(
            parse_date("--today", "2028-02-29").unwrap(),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
    }
}
