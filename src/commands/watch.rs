//! `mynawatch watch`: print the daemon's state, then every change and signal as it happens. This is
//! also the reference for a local app: one match rule on the daemon's path namespace catches
//! PropertiesChanged, InterfacesAdded/Removed and the Card signals.

use std::process::ExitCode;

use futures_util::StreamExt;
use serde_json::{json, Value};
use zbus::message::Type as MessageType;
use zbus::{MatchRule, Message, MessageStream, OwnedObjectPath, OwnedVariant};

use super::common::with_daemon;
use crate::dbus::client::{self, variant_to_json};
use crate::dbus::{key_from_path, BUS_NAME, CARD_INTERFACE, MANAGER_INTERFACE, ROOT_PATH};
use crate::l10n::Lang;
use crate::present;

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Language of the initial text report (default: lang in config.toml, else the locale, else ja).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

pub fn run(args: WatchArgs) -> anyhow::Result<ExitCode> {
    let lang = super::common::lang(args.lang);
    with_daemon(|conn| async move {
        // Subscribe before reading the snapshot so nothing falls in between.
        let rule = MatchRule::builder()
            .msg_type(MessageType::Signal)
            .path_namespace(ROOT_PATH)
            .build()?;
        let mut events = MessageStream::for_match_rule(rule, &conn, None).await?;
        let owner_rule = MatchRule::builder()
            .msg_type(MessageType::Signal)
            .sender("org.freedesktop.DBus")
            .interface("org.freedesktop.DBus")
            .member("NameOwnerChanged")
            .arg(0, BUS_NAME)
            .build()?;
        let mut owners = MessageStream::for_match_rule(owner_rule, &conn, None).await?;
        let snap = client::snapshot(&conn).await?;
        let first = if args.json {
            format!("{}\n", json!({"event": "snapshot", "state": snap}))
        } else {
            format!("{}--\n", present::report(&snap, lang))
        };
        super::common::write_stdout(first.as_bytes())?;
        let mut sigint = std::pin::pin!(tokio::signal::ctrl_c());
        loop {
            let (line, _) = tokio::select! {
                _ = &mut sigint => return Ok(ExitCode::SUCCESS),
                m = events.next() => match m {
                    Some(Ok(m)) => (describe(&m), ()),
                    Some(Err(e)) => { tracing::debug!(error = %e, "bad message"); continue }
                    None => return Ok(ExitCode::SUCCESS),
                },
                m = owners.next() => match m {
                    Some(Ok(m)) => (describe_owner(&m), ()),
                    Some(Err(_)) => continue,
                    None => return Ok(ExitCode::SUCCESS),
                },
            };
            let Some(event) = line else { continue };
            let line = if args.json {
                format!("{event}\n")
            } else {
                format!("{}\n", as_text(&event))
            };
            super::common::write_stdout(line.as_bytes())?;
        }
    })
}

fn card_of(path: &str) -> Value {
    key_from_path(path)
        .map(|k| Value::from(k.to_string()))
        .unwrap_or(Value::Null)
}

/// One event as JSON, or `None` for signals that are not part of the API.
pub fn describe(m: &Message) -> Option<Value> {
    let h = m.header();
    let path = h.path()?.as_str().to_string();
    let iface = h.interface()?.as_str().to_string();
    let member = h.member()?.as_str().to_string();
    let body = m.body();
    match (iface.as_str(), member.as_str()) {
        ("org.freedesktop.DBus.Properties", "PropertiesChanged") => {
            let (iface, changed, _inv): (
                String,
                std::collections::HashMap<String, OwnedVariant>,
                Vec<String>,
            ) = body.deserialize().ok()?;
            let changed: serde_json::Map<String, Value> = changed
                .iter()
                .map(|(k, v)| (k.clone(), variant_to_json(v)))
                .collect();
            let which = if iface == MANAGER_INTERFACE {
                "manager"
            } else if iface == CARD_INTERFACE {
                "card"
            } else {
                return None;
            };
            Some(
                json!({"event": "changed", "object": which, "card": card_of(&path), "properties": changed}),
            )
        }
        ("org.freedesktop.DBus.ObjectManager", "InterfacesAdded") => {
            type Props =
                std::collections::HashMap<String, std::collections::HashMap<String, OwnedVariant>>;
            let (obj, ifaces): (OwnedObjectPath, Props) = body.deserialize().ok()?;
            let props = ifaces.get(CARD_INTERFACE)?;
            let snap =
                client::CardView::from_properties(key_from_path(obj.as_str())?.to_string(), props);
            Some(json!({"event": "card-added", "card": card_of(obj.as_str()), "state": snap}))
        }
        ("org.freedesktop.DBus.ObjectManager", "InterfacesRemoved") => {
            let (obj, ifaces): (OwnedObjectPath, Vec<String>) = body.deserialize().ok()?;
            ifaces
                .iter()
                .any(|i| i == CARD_INTERFACE)
                .then(|| json!({"event": "card-removed", "card": card_of(obj.as_str())}))
        }
        (CARD_INTERFACE, "RenewalNeeded") => {
            let (status, deadline): (String, String) = body.deserialize().ok()?;
            Some(
                json!({"event": "renewal-needed", "card": card_of(&path), "status": status, "deadline": deadline}),
            )
        }
        (CARD_INTERFACE, "ReRegistrationNeeded") => {
            let (deadline,): (String,) = body.deserialize().ok()?;
            Some(
                json!({"event": "re-registration-needed", "card": card_of(&path), "deadline": deadline}),
            )
        }
        (MANAGER_INTERFACE, "CardsMerged") => {
            let (typed, card): (OwnedObjectPath, OwnedObjectPath) = body.deserialize().ok()?;
            Some(
                json!({"event": "cards-merged", "typed": card_of(typed.as_str()), "card": card_of(card.as_str())}),
            )
        }
        _ => None,
    }
}

fn describe_owner(m: &Message) -> Option<Value> {
    let (_name, _old, new): (String, String, String) = m.body().deserialize().ok()?;
    Some(if new.is_empty() {
        json!({"event": "daemon-stopped"})
    } else {
        json!({"event": "daemon-started"})
    })
}

/// A one-line text rendering of an event.
pub fn as_text(e: &Value) -> String {
    let card = e["card"]
        .as_str()
        .map(|k| &k[..k.len().min(8)])
        .unwrap_or("");
    let kind = e["event"].as_str().unwrap_or("?");
    match kind {
        "changed" => {
            let props = e["properties"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            if card.is_empty() {
                format!("manager {props}")
            } else {
                format!("card {card} {props}")
            }
        }
        "card-added" => format!(
            "card {card} added: {} {}",
            e["state"]["status"].as_str().unwrap_or(""),
            e["state"]["certificate_expires"].as_str().unwrap_or("")
        ),
        "card-removed" => format!("card {card} forgotten"),
        "renewal-needed" => format!(
            "card {card} RenewalNeeded status={} deadline={}",
            e["status"].as_str().unwrap_or(""),
            e["deadline"].as_str().unwrap_or("")
        ),
        "re-registration-needed" => format!(
            "card {card} ReRegistrationNeeded deadline={}",
            e["deadline"].as_str().unwrap_or("")
        ),
        "cards-merged" => format!(
            "card {card} was typed in as {} and is now read: merged",
            e["typed"]
                .as_str()
                .map(|k| &k[..k.len().min(8)])
                .unwrap_or("")
        ),
        other => other.to_string(),
    }
}
