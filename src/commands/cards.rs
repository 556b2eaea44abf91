//! The card actions of the command line — `label`, `registered`, `card-expires`, `forget`,
//! `refresh` — each one call on the daemon's D-Bus API, printing what changed; and the hidden
//! `__complete-cards` the shell completions call for CARD.

use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use serde_json::json;
use zbus::DBusError as _;

pub use super::common::Answer;
use super::common::{runtime, with_daemon};
use crate::dbus::client::{self, CardView};
use crate::dbus::{card_path, CardProxy, Error as BusError, ManagerProxy, CARD_INTERFACE};
use crate::l10n::{self, Lang};
use crate::present;
use crate::rules::Registration;

/// `--json` and `--lang`, shared by every card action.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Print JSON (what changed, and the card's state afterwards) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Language of the text output (default: lang in config.toml, else the locale, else ja).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

impl OutputArgs {
    pub(crate) fn lang(&self) -> Lang {
        super::common::lang(self.lang)
    }
}

/// The help text of every CARD argument (the completion scripts find CARD by its value name).
const CARD_HELP: &str =
    "The card: its label, or the start of its key as `mynawatch status` prints it (e.g. 0123abcd)";

#[derive(Debug, clap::Args)]
pub struct LabelArgs {
    #[arg(value_name = "CARD", help = CARD_HELP)]
    pub card: String,
    /// The new name (at most 256 characters; "" removes the name).
    #[arg(value_name = "TEXT")]
    pub text: String,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct RegisteredArgs {
    #[arg(value_name = "CARD", help = CARD_HELP)]
    pub card: String,
    /// Registered for health-insurance use (保険証利用登録)? Check in マイナポータル if unsure.
    #[arg(value_enum, value_name = "ANSWER")]
    pub answer: Answer,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct CardExpiresArgs {
    #[arg(value_name = "CARD", help = CARD_HELP)]
    pub card: String,
    /// The card's own expiry as printed on its face (YYYY-MM-DD), not the certificate's.
    #[arg(
        value_name = "YYYY-MM-DD",
        value_parser = parse_date,
        required_unless_present = "clear",
        conflicts_with = "clear"
    )]
    pub date: Option<NaiveDate>,
    /// Forget the card expiry told before.
    #[arg(long)]
    pub clear: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct ForgetArgs {
    #[arg(value_name = "CARD", help = CARD_HELP)]
    pub card: String,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub out: OutputArgs,
}

/// A `YYYY-MM-DD` argument, checked exactly as the daemon checks it.
pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    match crate::dbus::parse_date_arg(s) {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err("expected a date as YYYY-MM-DD, got \"\"".into()),
        Err(e) => Err(e.description().unwrap_or("bad date").to_string()),
    }
}

/// One change a card action asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    Label(String),
    Registered(Registration),
    CardExpires(Option<NaiveDate>),
    Forget,
}

impl Change {
    async fn apply(&self, card: &CardProxy<'_>) -> Result<(), BusError> {
        match self {
            Change::Label(text) => card.set_label(text.clone()).await,
            Change::Registered(r) => card.set_registration(r.as_str().to_string()).await,
            Change::CardExpires(d) => {
                let d = d.map(|d| d.to_string()).unwrap_or_default();
                card.set_card_expires(d).await
            }
            Change::Forget => card.forget().await,
        }
    }
}

pub fn run_label(args: LabelArgs) -> anyhow::Result<ExitCode> {
    run_change(&args.card, Change::Label(args.text), &args.out)
}

pub fn run_registered(args: RegisteredArgs) -> anyhow::Result<ExitCode> {
    run_change(
        &args.card,
        Change::Registered(args.answer.into()),
        &args.out,
    )
}

pub fn run_card_expires(args: CardExpiresArgs) -> anyhow::Result<ExitCode> {
    let date = if args.clear { None } else { args.date };
    run_change(&args.card, Change::CardExpires(date), &args.out)
}

pub fn run_forget(args: ForgetArgs) -> anyhow::Result<ExitCode> {
    run_change(&args.card, Change::Forget, &args.out)
}

/// The daemon said no (bad argument, card gone, state not saved): its message on stderr, exit 1.
/// Transport failures are errors (exit 2).
pub(crate) fn refused(err: BusError) -> anyhow::Result<ExitCode> {
    let (name, message) = match &err {
        BusError::ZBus(zbus::Error::MethodError(name, desc, _)) => {
            (name.to_string(), desc.clone().unwrap_or_default())
        }
        BusError::ZBus(e) => {
            return Err(anyhow::anyhow!("{e}")).context("talking to the daemon over D-Bus")
        }
        other => (
            other.name().to_string(),
            other.description().unwrap_or_default().to_string(),
        ),
    };
    eprintln!("mynawatch: {message} ({name})");
    Ok(ExitCode::from(1))
}

/// The card's properties as they are now (no cache: the change has just been made).
async fn card_now(conn: &zbus::Connection, key: &str) -> anyhow::Result<CardView> {
    let path = format!("{}/cards/{key}", crate::dbus::ROOT_PATH);
    let props = zbus::fdo::PropertiesProxy::builder(conn)
        .destination(crate::dbus::BUS_NAME)
        .path(path)
        .build()
        .await?
        .get_all(CARD_INTERFACE.try_into()?)
        .await?;
    Ok(CardView::from_properties(key.to_string(), &props))
}

fn run_change(query: &str, change: Change, out: &OutputArgs) -> anyhow::Result<ExitCode> {
    let lang = out.lang();
    with_daemon(|conn| async move {
        let snap = client::snapshot(&conn).await?;
        let before = match client::find_card(&snap.cards, query) {
            Ok(c) => c.clone(),
            Err(e) => {
                eprintln!("mynawatch: {}", e.message(lang));
                return Ok(ExitCode::from(1));
            }
        };
        let key = crate::card::CardKey::try_from(before.key.clone())
            .map_err(|e| anyhow::anyhow!("the daemon published a bad card key: {e}"))?;
        let proxy = CardProxy::builder(&conn)
            .path(card_path(&key))
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await?;
        if let Err(e) = change.apply(&proxy).await {
            return refused(e);
        }
        if change == Change::Forget {
            if out.json {
                println!("{}", json!({"card": before.key, "forgotten": true}));
            } else {
                println!("{}", forgotten_text(&before, lang));
            }
            return Ok(ExitCode::SUCCESS);
        }
        let after = card_now(&conn, &before.key).await?;
        let changes = diff(&before, &after);
        if out.json {
            let changes: Vec<_> = changes
                .iter()
                .map(|c| json!({"field": c.field, "before": c.before, "after": c.after}))
                .collect();
            let doc = json!({"card": after.key, "changes": changes, "state": after});
            println!("{}", serde_json::to_string_pretty(&doc)?);
        } else {
            print!("{}", changes_text(&after, &changes, lang));
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn run_refresh(args: RefreshArgs) -> anyhow::Result<ExitCode> {
    let lang = args.out.lang();
    with_daemon(|conn| async move {
        let manager = ManagerProxy::new(&conn).await?;
        if let Err(e) = manager.refresh().await {
            return refused(e);
        }
        let snap = client::snapshot(&conn).await?;
        if args.out.json {
            println!("{}", serde_json::to_string_pretty(&snap)?);
        } else {
            let present = snap.cards.iter().filter(|c| c.present).count();
            println!(
                "{}",
                l10n::tr(
                    lang,
                    "cards-refreshed",
                    &[
                        ("present", present.into()),
                        ("remembered", snap.cards.len().into())
                    ]
                )
            );
            println!();
            print!("{}", present::report(&snap, lang));
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `__complete-cards`: the CARD candidates, one `VALUE<TAB>DESCRIPTION` per line. Quiet and quick:
/// nothing when the daemon is not running (a key press must not start services), never an error.
pub fn run_complete_cards() -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let lines = rt.block_on(async {
        let work = async {
            let conn = zbus::Connection::session().await.ok()?;
            if !client::daemon_running(&conn).await.ok()? {
                return None;
            }
            let snap = client::snapshot(&conn).await.ok()?;
            Some(client::completion_candidates(&snap.cards))
        };
        tokio::time::timeout(std::time::Duration::from_secs(2), work)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    });
    let mut text = String::new();
    for l in lines {
        text.push_str(&l);
        text.push('\n');
    }
    super::common::write_stdout(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// One field that differs between two views of a card.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldChange {
    /// The JSON field name (as in `status --json`).
    field: &'static str,
    before: String,
    after: String,
}

/// The fields a user cares about, in the order `status` shows them: (JSON name, value); the
/// label is the catalogue's `cards-field`.
type Field = (&'static str, fn(&CardView) -> String);

const FIELDS: [Field; 9] = [
    ("label", |c| c.label.clone()),
    ("status", |c| c.status.clone()),
    ("insurance_registered", |c| c.insurance_registered.clone()),
    ("card_expires", |c| c.card_expires.clone()),
    ("certificate_expires", |c| c.certificate_expires.clone()),
    ("renewal_opens", |c| c.renewal_opens.clone()),
    ("insurance_usable_until", |c| {
        c.insurance_usable_until.clone()
    }),
    ("days_left", |c| c.days_left.to_string()),
    ("actions", |c| {
        c.actions
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }),
];

fn diff(before: &CardView, after: &CardView) -> Vec<FieldChange> {
    FIELDS
        .iter()
        .filter_map(|(field, get)| {
            let (b, a) = (get(before), get(after));
            (b != a).then_some(FieldChange {
                field,
                before: b,
                after: a,
            })
        })
        .collect()
}

fn shown(value: &str, lang: Lang) -> String {
    let empty = if value.is_empty() { "yes" } else { "no" };
    l10n::tr(
        lang,
        "cards-value",
        &[("value", value.into()), ("empty", empty.into())],
    )
}

fn card_name(c: &CardView, lang: Lang) -> String {
    if c.label.is_empty() {
        return c.short_key();
    }
    l10n::tr(
        lang,
        "cards-name",
        &[
            ("label", c.label.as_str().into()),
            ("key", c.short_key().into()),
        ],
    )
}

fn changes_text(card: &CardView, changes: &[FieldChange], lang: Lang) -> String {
    let name = card_name(card, lang);
    let mut s = l10n::tr(
        lang,
        "report-card",
        &[("name", name.into()), ("where", "remembered".into())],
    );
    s.push('\n');
    if changes.is_empty() {
        s.push_str(&format!("  {}\n", l10n::tr(lang, "cards-unchanged", &[])));
        return s;
    }
    for c in changes {
        let label = l10n::tr(lang, "cards-field", &[("field", c.field.into())]);
        if c.field == "actions" {
            s.push_str(&format!("  {label}:\n"));
            for a in &card.actions {
                s.push_str(&format!("   - {}\n", a.text(lang)));
            }
            continue;
        }
        s.push_str(&format!(
            "  {label}: {} → {}\n",
            shown(&c.before, lang),
            shown(&c.after, lang)
        ));
    }
    s
}

fn forgotten_text(card: &CardView, lang: Lang) -> String {
    l10n::tr(
        lang,
        "cards-forgotten",
        &[("name", card_name(card, lang).into())],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dbus::client::{find_card, FindError};

    fn card(key: &str, label: &str) -> CardView {
        CardView {
            key: key.into(),
            label: label.into(),
            status: "valid".into(),
            insurance_registered: "unknown".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_card_is_found_by_label_or_key_prefix_and_ambiguity_lists_candidates() {
        let cards = vec![
            card("0123456789abcdef0123456789abcdef", "母"),
            card("0123ffff89abcdef0123456789abcdef", ""),
            card("cafe0000000000000000000000000000", "0123"),
        ];
        assert_eq!(find_card(&cards, "母").unwrap().key, cards[0].key);
        assert_eq!(find_card(&cards, "01234567…").unwrap().key, cards[0].key);
        assert_eq!(find_card(&cards, "0123FFFF").unwrap().key, cards[1].key);
        // A label beats a key prefix.
        assert_eq!(find_card(&cards, "0123").unwrap().key, cards[2].key);
        let Err(FindError::Ambiguous { candidates, .. }) = find_card(&cards, "012") else {
            panic!("012 is ambiguous")
        };
        assert_eq!(candidates, vec!["01234567…  母", "0123ffff…"]);
        let err = find_card(&cards, "父").unwrap_err();
        let en = err.message(Lang::En);
        assert!(en.starts_with("no card \"父\"; remembered cards:"), "{en}");
        assert!(en.contains("\n  cafe0000…  0123"), "{en}");
        let ja = err.message(Lang::Ja);
        assert!(ja.contains("記憶しているカード:"), "{ja}");
        assert!(find_card(&[], "母")
            .unwrap_err()
            .message(Lang::En)
            .contains("no cards are remembered"));
        assert!(find_card(&cards, "").is_err());
        assert!(find_card(&cards, "…").is_err());
    }

    #[test]
    fn changes_are_listed_with_before_and_after_in_both_languages() {
        let before = card("0123456789abcdef0123456789abcdef", "");
        let mut after = before.clone();
        after.label = "母のカード".into();
        let changes = diff(&before, &after);
        assert_eq!(
            changes,
            vec![FieldChange {
                field: "label",
                before: "".into(),
                after: "母のカード".into()
            }]
        );
        let ja = changes_text(&after, &changes, Lang::Ja);
        assert!(ja.contains("ラベル: （なし） → 「母のカード」"), "{ja}");
        let en = changes_text(&after, &changes, Lang::En);
        assert!(en.starts_with("Card 母のカード (01234567…)\n"), "{en}");
        assert!(en.contains("label: (none) → \"母のカード\""), "{en}");
        let none = changes_text(&after, &[], Lang::En);
        assert!(none.contains("nothing changed"), "{none}");
    }

    #[test]
    fn dates_are_checked_like_the_daemon_checks_them() {
        assert_eq!(parse_date("2031-05-20"), Ok("2031-05-20".parse().unwrap()));
        for bad in ["2031-5-20", "2031-02-30", "", "tomorrow"] {
            assert!(parse_date(bad).is_err(), "{bad:?}");
        }
    }
}
