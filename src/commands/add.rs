//! `mynawatch add`: remember a card without a reader, from the dates on its face (or in マイナポータル),
//! through the daemon's `Manager.AddCard`. The card then gets the same status, reminders and actions
//! as one that was read; when it is read later, the two become one.

use std::collections::HashMap;
use std::process::ExitCode;

use chrono::NaiveDate;
use serde_json::json;
use zbus::{OwnedVariant, Variant};

use super::cards::{parse_date, refused, Answer, OutputArgs};
use super::common::with_daemon;
use crate::dbus::client::{self, CardView};
use crate::dbus::{key_from_path, ManagerProxy};
use crate::l10n::Lang;
use crate::rules::Registration;

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The electronic certificate's expiry (YYYY-MM-DD): written on the card face by the office
    /// (電子証明書の有効期限), or shown in マイナポータル.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub expires: NaiveDate,
    /// The card's own expiry printed on its face (カードの有効期限), if you know it.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub card_expires: Option<NaiveDate>,
    /// A name for the card (e.g. 母).
    #[arg(long, value_name = "TEXT")]
    pub label: Option<String>,
    /// Registered for health-insurance use (保険証利用登録)?
    #[arg(long, value_enum, value_name = "ANSWER")]
    pub registered: Option<Answer>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The `a{sv}` AddCard takes (docs/dbus-api.md).
fn properties(args: &AddArgs) -> HashMap<String, OwnedVariant> {
    let mut p = HashMap::new();
    let mut put = |k: &str, v: String| {
        let v = OwnedVariant::try_from(Variant::from(v)).expect("a string is always owned");
        p.insert(k.to_string(), v);
    };
    put("CertificateExpires", args.expires.to_string());
    if let Some(d) = args.card_expires {
        put("CardExpires", d.to_string());
    }
    if let Some(l) = &args.label {
        put("Label", l.clone());
    }
    if let Some(r) = args.registered {
        put(
            "InsuranceRegistered",
            Registration::from(r).as_str().to_string(),
        );
    }
    p
}

pub fn run(args: AddArgs) -> anyhow::Result<ExitCode> {
    let lang = args.out.lang();
    with_daemon(|conn| async move {
        let manager = ManagerProxy::new(&conn).await?;
        let path = match manager.add_card(properties(&args)).await {
            Ok(p) => p,
            Err(e) => return refused(e),
        };
        let key = key_from_path(path.as_str())
            .ok_or_else(|| anyhow::anyhow!("the daemon answered a path that is no card: {path}"))?;
        let card = client::snapshot(&conn)
            .await?
            .cards
            .into_iter()
            .find(|c| c.key == key.as_str())
            .ok_or_else(|| anyhow::anyhow!("the added card {key} is not published"))?;
        if args.out.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"card": key.as_str(), "state": card}))?
            );
        } else {
            print!("{}", added_text(&card, lang));
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn added_text(card: &CardView, lang: Lang) -> String {
    let head = format!("{}\n\n", crate::l10n::tr(lang, "add-remembered", &[]));
    let snap = client::Snapshot {
        version: String::new(),
        readers: Vec::new(),
        reader_states: Vec::new(),
        cards: vec![card.clone()],
    };
    let report = crate::present::report(&snap, lang);
    // Skip the report's "mynawatch VERSION — readers" line: this is about one card.
    let body = report.split_once("\n\n").map(|(_, b)| b).unwrap_or(&report);
    format!("{head}{body}")
}
