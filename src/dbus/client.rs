//! The client side, used by `mynawatch status` and `watch`: find the daemon on the session bus, take
//! a snapshot of every card, and turn bus values into JSON.

use serde::Serialize;
use zbus::{Connection, OwnedVariant, Variant};

use super::{key_from_path, ManagerProxy, BUS_NAME, CARD_INTERFACE, ROOT_PATH};
pub use super::{CardView, PinView};
pub use crate::l10n::ActionText;

/// Why the client could not reach the daemon.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to the D-Bus session bus ({0}); is DBUS_SESSION_BUS_ADDRESS set?")]
    NoBus(#[source] zbus::Error),
    /// Not running, and the caller chose not to start it (the tray's passive look).
    #[error("the mynawatch daemon is not running (no {BUS_NAME} on the session bus); start it with `mynawatch daemon` or `systemctl --user start mynawatch`")]
    NoDaemon,
    /// Not running, and the bus has no activation file for it.
    #[error("the mynawatch daemon is not running, and the session bus cannot start it: no D-Bus service file for {BUS_NAME} (installed by `make install` or the package as dbus-1/services/{BUS_NAME}.service); start it with `mynawatch daemon`")]
    NotActivatable,
    /// The bus tried to start it and failed: the unit failed, is masked, the binary is missing, …
    #[error("{}", start_failed_text(.bus_error, .config.as_ref()))]
    StartFailed {
        /// The bus's answer, error name and message.
        bus_error: String,
        /// The configuration file is invalid: the likely reason the daemon would not start.
        config: Option<crate::config::ConfigError>,
    },
    #[error("talking to the daemon failed: {0}")]
    Bus(#[from] zbus::Error),
}

fn start_failed_text(bus_error: &str, config: Option<&crate::config::ConfigError>) -> String {
    let mut text = format!("the mynawatch daemon could not be started ({bus_error})");
    if let Some(config) = config {
        text.push_str(&format!(
            "; the configuration is invalid: {config}; fix it, then `systemctl --user restart mynawatch`"
        ));
    } else {
        text.push_str(
            "; see `systemctl --user status mynawatch` and `journalctl --user -u mynawatch`",
        );
    }
    text
}

/// Connect to the session bus and make sure the daemon is there, starting it through the bus if it
/// is not (D-Bus activation: under systemd the bus asks the user manager to start the unit). Only
/// when that fails is the daemon's absence the answer, with the bus's reason.
pub async fn connect() -> Result<Connection, ClientError> {
    let conn = Connection::session().await.map_err(ClientError::NoBus)?;
    start_daemon(&conn).await?;
    Ok(conn)
}

/// Start the daemon by activation unless it runs already.
pub async fn start_daemon(conn: &Connection) -> Result<(), ClientError> {
    if daemon_running(conn).await? {
        return Ok(());
    }
    let config_error = || {
        crate::config::Config::default_path()
            .and_then(|path| crate::config::Config::load(&path).err())
    };
    // Under systemd the bus answers a failed start only when its activation timeout (dbus-daemon:
    // 120 s) runs out; the user manager knows at once. Watch the unit beside the call.
    let unit = UnitWatch::new(conn).await;
    let dbus = zbus::fdo::DBusProxy::new(conn).await?;
    let name = zbus::names::WellKnownName::try_from(BUS_NAME).expect("valid bus name");
    let started = dbus.start_service_by_name(name, 0);
    let failed = async {
        match &unit {
            Some(unit) => unit.failed().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        started = started => match started {
            Ok(_) => Ok(()),
            Err(zbus::fdo::Error::ServiceUnknown(_)) => Err(ClientError::NotActivatable),
            Err(zbus::fdo::Error::ZBus(e)) => Err(ClientError::Bus(e)),
            Err(e) => Err(ClientError::StartFailed {
                bus_error: dbus_error_text(&e),
                config: config_error(),
            }),
        },
        why = failed => Err(ClientError::StartFailed {
            bus_error: why,
            config: config_error(),
        }),
    }
}

/// The daemon's unit in the user's systemd manager (on the session bus as org.freedesktop.systemd1),
/// watched while the bus starts it.
struct UnitWatch {
    props: zbus::fdo::PropertiesProxy<'static>,
    /// When the unit last became inactive or failed before this start (0: never).
    inactive_since: u64,
}

const SYSTEMD: &str = "org.freedesktop.systemd1";
const UNIT: &str = "mynawatch.service";

impl UnitWatch {
    /// `None` without a user manager on this bus (a plain dbus-daemon, tests) or when it does not
    /// answer: then only the bus's own answer counts.
    async fn new(conn: &Connection) -> Option<UnitWatch> {
        let dbus = zbus::fdo::DBusProxy::new(conn).await.ok()?;
        let systemd = zbus::names::BusName::try_from(SYSTEMD).ok()?;
        if !dbus.name_has_owner(systemd).await.ok()? {
            return None;
        }
        let reply = conn
            .call_method(
                Some(SYSTEMD),
                "/org/freedesktop/systemd1",
                Some("org.freedesktop.systemd1.Manager"),
                "LoadUnit",
                &(UNIT,),
            )
            .await
            .ok()?;
        let path: zbus::OwnedObjectPath = reply.body().deserialize().ok()?;
        let props = zbus::fdo::PropertiesProxy::builder(conn)
            .destination(SYSTEMD)
            .path(path)
            .build()
            .await
            .ok()?;
        let mut watch = UnitWatch {
            props,
            inactive_since: 0,
        };
        watch.inactive_since = watch.inactive_enter().await?;
        Some(watch)
    }

    async fn get(&self, interface: &'static str, name: &str) -> Option<OwnedVariant> {
        let interface = zbus::names::InterfaceName::from_static_str(interface).ok()?;
        self.props.get(interface, name).await.ok()
    }

    async fn inactive_enter(&self) -> Option<u64> {
        let value = self
            .get(
                "org.freedesktop.systemd1.Unit",
                "InactiveEnterTimestampMonotonic",
            )
            .await?;
        u64::try_from(value).ok()
    }

    /// Resolves once this start has ended in `failed` (a usage/config error, a masked unit, or the
    /// start limit), with the manager's reason; never while the unit is starting or restarting.
    async fn failed(&self) -> String {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let state = self
                .get("org.freedesktop.systemd1.Unit", "ActiveState")
                .await
                .and_then(|v| String::try_from(v).ok());
            if state.as_deref() != Some("failed") {
                continue;
            }
            if self
                .inactive_enter()
                .await
                .is_none_or(|t| t <= self.inactive_since)
            {
                continue; // still the failure from before this start
            }
            let result = self
                .get("org.freedesktop.systemd1.Service", "Result")
                .await
                .and_then(|v| String::try_from(v).ok())
                .unwrap_or_default();
            let status = self
                .get("org.freedesktop.systemd1.Service", "ExecMainStatus")
                .await
                .and_then(|v| i32::try_from(v).ok());
            return match status {
                Some(code) if result == "exit-code" => {
                    format!("{UNIT} failed: it exited with status {code}")
                }
                _ => format!("{UNIT} failed ({result})"),
            };
        }
    }
}

fn dbus_error_text(e: &zbus::fdo::Error) -> String {
    use zbus::DBusError;
    match e.description() {
        Some(message) if !message.is_empty() => format!("{}: {message}", e.name()),
        _ => e.name().to_string(),
    }
}

/// Whether the daemon owns its name now; never starts it.
pub async fn daemon_running(conn: &Connection) -> Result<bool, ClientError> {
    let dbus = zbus::fdo::DBusProxy::new(conn).await?;
    Ok(dbus
        .name_has_owner(BUS_NAME.try_into().expect("valid bus name"))
        .await
        .map_err(zbus::Error::from)?)
}

/// Everything `mynawatch status` shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Snapshot {
    pub version: String,
    pub readers: Vec<String>,
    /// What the daemon knows about each reader (empty from a daemon without `ReaderStates`).
    pub reader_states: Vec<ReaderStateSnapshot>,
    pub cards: Vec<CardView>,
}

/// One entry of the Manager's `ReaderStates`, ids as the daemon sent them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReaderStateSnapshot {
    pub reader: String,
    pub state: String,
    /// "" when nothing is wrong.
    pub reason: String,
}

/// Why a CARD argument names no single card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindError {
    /// Nothing matches; `candidates` are all remembered cards (may be empty).
    Unknown {
        query: String,
        candidates: Vec<String>,
    },
    /// Several cards match.
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
}

impl FindError {
    /// The message for the user, with one candidate per line.
    pub fn message(&self, lang: crate::l10n::Lang) -> String {
        use crate::l10n::tr;
        let (id, query, candidates) = match self {
            FindError::Unknown { query, candidates } if candidates.is_empty() => {
                ("find-no-cards", query, candidates)
            }
            FindError::Unknown { query, candidates } => ("find-unknown", query, candidates),
            FindError::Ambiguous { query, candidates } => ("find-ambiguous", query, candidates),
        };
        let head = tr(lang, id, &[("query", format!("{query:?}").into())]);
        let mut s = head;
        for c in candidates {
            s.push_str("\n  ");
            s.push_str(c);
        }
        s
    }
}

/// One line per card for error messages and completions: key prefix, label.
fn candidate(c: &CardView) -> String {
    if c.label.is_empty() {
        c.short_key()
    } else {
        format!("{}  {}", c.short_key(), c.label)
    }
}

/// The card a CARD argument names: a label (exactly), or a key prefix as `status` prints it (the
/// trailing `…` may be kept or dropped, any case). A label wins over a key prefix, so a card
/// labelled "cafe" is not shadowed by keys starting with "cafe".
pub fn find_card<'a>(cards: &'a [CardView], query: &str) -> Result<&'a CardView, FindError> {
    let shown: String = query.chars().take(80).collect();
    let pick = |matches: Vec<&'a CardView>| match matches.as_slice() {
        [one] => Ok(*one),
        _ => Err(FindError::Ambiguous {
            query: shown.clone(),
            candidates: matches.iter().map(|c| candidate(c)).collect(),
        }),
    };
    let by_label: Vec<_> = cards
        .iter()
        .filter(|c| !c.label.is_empty() && c.label == query)
        .collect();
    if !by_label.is_empty() {
        return pick(by_label);
    }
    let prefix = query
        .trim_end_matches('…')
        .trim_end_matches("...")
        .to_ascii_lowercase();
    if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        let by_key: Vec<_> = cards
            .iter()
            .filter(|c| c.key.starts_with(&prefix))
            .collect();
        if !by_key.is_empty() {
            return pick(by_key);
        }
    }
    Err(FindError::Unknown {
        query: shown,
        candidates: cards.iter().map(candidate).collect(),
    })
}

/// What the completion scripts offer for CARD: per card its label (when it has one) and its key
/// prefix, each as `VALUE<TAB>DESCRIPTION`.
pub fn completion_candidates(cards: &[CardView]) -> Vec<String> {
    let mut out = Vec::new();
    for c in cards {
        let key = &c.key[..c.key.len().min(8)];
        let one_line = !c.label.is_empty() && !c.label.contains(['\t', '\n']);
        if one_line {
            out.push(format!("{}\t{key} {}", c.label, c.status));
            out.push(format!("{key}\t{} {}", c.label, c.status));
        } else {
            out.push(format!("{key}\t{}", c.status));
        }
    }
    out
}

/// Read the Manager and every card object in one go (GetManagedObjects).
pub async fn snapshot(conn: &Connection) -> Result<Snapshot, ClientError> {
    let manager = ManagerProxy::new(conn).await?;
    let om = zbus::fdo::ObjectManagerProxy::builder(conn)
        .destination(BUS_NAME)
        .path(ROOT_PATH)
        .build()
        .await?;
    let objects = om.get_managed_objects().await.map_err(zbus::Error::from)?;
    let mut cards: Vec<CardView> = objects
        .iter()
        .filter_map(|(path, ifaces)| {
            let props = ifaces.iter().find(|(n, _)| n.as_str() == CARD_INTERFACE)?.1;
            let key = key_from_path(path.as_str())?;
            Some(CardView::from_properties(key.to_string(), props))
        })
        .collect();
    cards.sort_by(|a, b| (&a.label, &a.key).cmp(&(&b.label, &b.key)));
    Ok(Snapshot {
        version: manager.version().await?,
        readers: manager.readers().await?,
        // An older daemon has no ReaderStates: show what it has.
        reader_states: manager
            .reader_states()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|(reader, state, reason)| ReaderStateSnapshot {
                reader,
                state,
                reason,
            })
            .collect(),
        cards,
    })
}

/// A bus value as JSON (strings, numbers, booleans, arrays, structs as arrays, dicts as objects).
pub fn variant_to_json(v: &Variant<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Variant::U8(x) => J::from(*x),
        Variant::Bool(x) => J::from(*x),
        Variant::I16(x) => J::from(*x),
        Variant::U16(x) => J::from(*x),
        Variant::I32(x) => J::from(*x),
        Variant::U32(x) => J::from(*x),
        Variant::I64(x) => J::from(*x),
        Variant::U64(x) => J::from(*x),
        Variant::F64(x) => J::from(*x),
        Variant::Str(s) => J::from(s.as_str()),
        Variant::Signature(s) => J::from(s.to_string()),
        Variant::ObjectPath(p) => J::from(p.as_str()),
        Variant::Variant(inner) => variant_to_json(inner),
        Variant::Array(a) => J::Array(a.inner().iter().map(variant_to_json).collect()),
        Variant::Structure(s) => J::Array(s.fields().iter().map(variant_to_json).collect()),
        Variant::Dict(d) => J::Object(
            d.iter()
                .map(|(k, v)| {
                    let k = match variant_to_json(k) {
                        J::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, variant_to_json(v))
                })
                .collect(),
        ),
        #[cfg(unix)]
        Variant::Fd(_) => J::Null,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn values_become_json() {
        let actions = vec![("renew".to_string(), "更新".to_string(), "Renew".to_string())];
        let v = Variant::from(actions);
        assert_eq!(
            variant_to_json(&v),
            serde_json::json!([["renew", "更新", "Renew"]])
        );
        assert_eq!(
            variant_to_json(&Variant::from(-3i32)),
            serde_json::json!(-3)
        );
        assert_eq!(
            variant_to_json(&Variant::from(true)),
            serde_json::json!(true)
        );
    }

    #[test]
    fn snapshot_from_properties_tolerates_missing_ones() {
        let mut props = HashMap::new();
        props.insert(
            "Status".to_string(),
            Variant::from("valid").try_to_owned().unwrap(),
        );
        props.insert(
            "DaysLeft".to_string(),
            Variant::from(42i32).try_to_owned().unwrap(),
        );
        let c = CardView::from_properties("k".into(), &props);
        assert_eq!(
            (c.status.as_str(), c.days_left, c.present),
            ("valid", 42, false)
        );
    }
}
