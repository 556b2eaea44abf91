//! Desktop notifications over `org.freedesktop.Notifications`: one notification per card, updated in
//! place, in the user's language, with urgency by how close the deadline is and buttons for the
//! insurance-registration question and the official guide.
//!
//! `compose` is pure (an `Assessment` in, text out); `Notifier` does the D-Bus part. A missing or
//! restarting notification server is an `Err(Unavailable)` for the caller to log, never a crash.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use chrono::NaiveDate;
use futures_util::{Stream, StreamExt};
use zbus::{proxy::CacheProperties, Connection, Variant};

use crate::card::CardKey;
use crate::rules::{Assessment, Lang, Registration, Status};

/// The official My Number Card site (J-LIS), opened by the "open-guide" action.
pub const GUIDE_URL: &str = "https://www.kojinbango-card.go.jp/";

/// Action ids (stable: the daemon matches on them).
pub const ACTION_REGISTERED_YES: &str = "registered-yes";
pub const ACTION_REGISTERED_NO: &str = "registered-no";
pub const ACTION_OPEN_GUIDE: &str = "open-guide";

const APP_NAME: &str = "mynawatch";
const SERVICE: &str = "org.freedesktop.Notifications";
/// A hung server must not hold the daemon's task for ever.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The notification spec's urgency levels (hint "urgency", a byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    Low = 0,
    Normal = 1,
    Critical = 2,
}

/// A notification ready to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub summary: String,
    pub body: String,
    pub urgency: Urgency,
    /// (action id, button label), in display order.
    pub actions: Vec<(String, String)>,
}

/// The notification for card `label` in this assessment, without the registration question.
/// Use [`compose_for`] when the card's registration answer is known to the caller.
pub fn compose(label: &str, a: &Assessment, lang: Lang) -> Notification {
    compose_for(label, a, Registration::Yes, lang)
}

/// The card typed in by hand (named `label`) was read in a reader: the two are now one card.
pub fn merged(label: &str, lang: Lang) -> Notification {
    let (summary, body) = match (lang, label.is_empty()) {
        (Lang::Ja, true) => (
            "入力したカードを読み取りました".to_string(),
            "手で入力したカードと、いま読み取ったカードをひとつにまとめました。".to_string(),
        ),
        (Lang::Ja, false) => (
            format!("{label}：入力したカードを読み取りました"),
            format!("手で入力した「{label}」と、いま読み取ったカードをひとつにまとめました（名前と回答はそのままです）。"),
        ),
        (Lang::En, true) => (
            "The card you typed in was read".to_string(),
            "The card you typed in and the card just read are now one.".to_string(),
        ),
        (Lang::En, false) => (
            format!("{label}: the card you typed in was read"),
            format!("\"{label}\", typed in by hand, and the card just read are now one (name and answers kept)."),
        ),
    };
    Notification {
        summary,
        body,
        urgency: Urgency::Low,
        actions: Vec::new(),
    }
}

/// The notification for card `label`; asks "registered for insurance?" (actions
/// `registered-yes`/`registered-no`) when `registered` is unknown.
pub fn compose_for(
    label: &str,
    a: &Assessment,
    registered: Registration,
    lang: Lang,
) -> Notification {
    let mut body: Vec<String> = deadline_line(a, lang).into_iter().collect();
    let bullet = match lang {
        Lang::Ja => "・",
        Lang::En => "• ",
    };
    body.extend(
        a.actions
            .iter()
            .take(2)
            .map(|act| format!("{bullet}{}", act.text(lang))),
    );

    let mut actions = Vec::new();
    if registered == Registration::Unknown && a.status != Status::NotAMyNumberCard {
        let (yes, no) = registration_answers(lang);
        actions.push((ACTION_REGISTERED_YES.to_string(), yes.to_string()));
        actions.push((ACTION_REGISTERED_NO.to_string(), no.to_string()));
    }
    actions.push((ACTION_OPEN_GUIDE.to_string(), guide_label(lang).to_string()));

    Notification {
        summary: summary(label, a, lang),
        body: body.join("\n"),
        urgency: urgency(a),
        actions,
    }
}

/// The two answers to "registered for insurance?" (yes, not yet), as buttons and tray menu items.
pub fn registration_answers(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::Ja => ("保険証利用登録済み", "まだ登録していない"),
        Lang::En => ("Registered for insurance", "Not registered yet"),
    }
}

/// The label of the action that opens [`GUIDE_URL`].
pub fn guide_label(lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => "案内を開く",
        Lang::En => "Open guide",
    }
}

/// Critical once expired (or lapsed) or within a week; Normal within the 90-day renewal season.
pub fn urgency(a: &Assessment) -> Urgency {
    match (a.status, a.days_left) {
        (Status::ExpiredGrace | Status::RegistrationLapsed, _) => Urgency::Critical,
        (_, Some(d)) if d <= 7 => Urgency::Critical,
        (_, Some(d)) if d <= 90 => Urgency::Normal,
        _ => Urgency::Low,
    }
}

/// The notification when a PIN has just locked or is one wrong entry from locking: the PIN steps
/// from the rule core first, then the card's status and main step (it replaces the card's previous
/// notification, so that must not be lost). `None` when no PIN is at risk.
pub fn compose_pins(
    label: &str,
    a: &Assessment,
    registered: Registration,
    lang: Lang,
) -> Option<Notification> {
    let steps = a.pin_actions();
    if steps.is_empty() {
        return None;
    }
    let bullet = match lang {
        Lang::Ja => "・",
        Lang::En => "• ",
    };
    let what = match lang {
        Lang::Ja => "暗証番号を確認してください",
        Lang::En => "check your PINs",
    };
    let mut n = compose_for(label, a, registered, lang);
    let mut body: Vec<String> = steps
        .iter()
        .map(|act| format!("{bullet}{}", act.text(lang)))
        .collect();
    body.extend(deadline_line(a, lang));
    body.extend(
        a.actions
            .iter()
            .find(|act| !steps.iter().any(|p| p.id == act.id))
            .map(|act| format!("{bullet}{}", act.text(lang))),
    );
    n.summary = titled(label, a.status, what, lang);
    n.body = body.join("\n");
    n.urgency = n.urgency.max(Urgency::Normal);
    Some(n)
}

fn summary(label: &str, a: &Assessment, lang: Lang) -> String {
    let status = a.status;
    let new_card = a.needs_new_card();
    let what = match (status, lang) {
        (Status::RenewalOpen, Lang::Ja) if new_card => "新しいカードの申請時期です",
        (Status::RenewalOpen, Lang::En) if new_card => "time to apply for a new card",
        (Status::ExpiredGrace, Lang::Ja) if new_card => {
            "カードの有効期限が切れています。新しいカードを申請してください"
        }
        (Status::ExpiredGrace, Lang::En) if new_card => {
            "the card has expired: apply for a new card"
        }
        (Status::RegistrationLapsed, Lang::Ja) if new_card => {
            "保険証利用登録が解除されました。新しいカードを申請してください"
        }
        (Status::RegistrationLapsed, Lang::En) if new_card => {
            "health-insurance registration cancelled: apply for a new card"
        }
        (Status::Valid, Lang::Ja) => "電子証明書は有効です",
        (Status::Valid, Lang::En) => "certificate valid",
        (Status::RenewalOpen, Lang::Ja) => "電子証明書の更新時期です",
        (Status::RenewalOpen, Lang::En) => "time to renew the certificate",
        (Status::ExpiredGrace, Lang::Ja) => "電子証明書の有効期限が切れています",
        (Status::ExpiredGrace, Lang::En) => "the certificate has expired",
        (Status::RegistrationLapsed, Lang::Ja) => "保険証利用登録が解除されました",
        (Status::RegistrationLapsed, Lang::En) => "health-insurance registration cancelled",
        (Status::NotAMyNumberCard, Lang::Ja) => "マイナンバーカードとして確認できません",
        (Status::NotAMyNumberCard, Lang::En) => "not recognised as a My Number Card",
    };
    titled(label, status, what, lang)
}

fn titled(label: &str, status: Status, what: &str, lang: Lang) -> String {
    let card = match (status, lang) {
        (Status::NotAMyNumberCard, Lang::Ja) => "カード",
        (Status::NotAMyNumberCard, Lang::En) => "Card",
        (_, Lang::Ja) => "マイナンバーカード",
        (_, Lang::En) => "My Number Card",
    };
    match (label.is_empty(), lang) {
        (true, _) => format!("{card}: {what}"),
        (false, Lang::Ja) => format!("{card}「{label}」: {what}"),
        (false, Lang::En) => format!("{card} “{label}”: {what}"),
    }
}

fn date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Ja => d.format("%Y年%-m月%-d日").to_string(),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    }
}

fn days(n: i64, lang: Lang) -> String {
    match (n, lang) {
        (0, Lang::Ja) => "今日まで".into(),
        (0, Lang::En) => "last day today".into(),
        (1, Lang::En) => "1 day left".into(),
        (n, Lang::Ja) => format!("あと{n}日"),
        (n, Lang::En) => format!("{n} days left"),
    }
}

/// "deadline + days left" for the status, if there is a deadline.
fn deadline_line(a: &Assessment, lang: Lang) -> Option<String> {
    match a.status {
        Status::Valid | Status::RenewalOpen => {
            let d = date(a.certificate_expires?, lang);
            let left = a.days_left.map(|n| days(n, lang));
            Some(match (lang, left) {
                (Lang::Ja, Some(l)) => format!("電子証明書の有効期限: {d}（{l}）"),
                (Lang::Ja, None) => format!("電子証明書の有効期限: {d}"),
                (Lang::En, Some(l)) => format!("Certificate expires {d} ({l})"),
                (Lang::En, None) => format!("Certificate expires {d}"),
            })
        }
        Status::ExpiredGrace => {
            let d = date(a.insurance_usable_until?, lang);
            let left = a.days_left.map(|n| days(n, lang));
            Some(match (lang, left) {
                (Lang::Ja, Some(l)) => format!("マイナ保険証として使えるのは{d}まで（{l}）"),
                (Lang::Ja, None) => format!("マイナ保険証として使えるのは{d}まで"),
                (Lang::En, Some(l)) => {
                    format!("Usable as health-insurance card until {d} ({l})")
                }
                (Lang::En, None) => format!("Usable as health-insurance card until {d}"),
            })
        }
        Status::RegistrationLapsed => {
            let d = date(a.insurance_usable_until?, lang);
            Some(match lang {
                Lang::Ja => format!("猶予期間は{d}に終了しました"),
                Lang::En => format!("The grace period ended on {d}"),
            })
        }
        Status::NotAMyNumberCard => None,
    }
}

#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications"
)]
trait Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Variant<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    fn get_capabilities(&self) -> zbus::Result<Vec<String>>;

    fn close_notification(&self, id: u32) -> zbus::Result<()>;

    #[zbus(signal)]
    fn action_invoked(&self, id: u32, action_key: String) -> zbus::Result<()>;

    #[zbus(signal)]
    fn notification_closed(&self, id: u32, reason: u32) -> zbus::Result<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No notification server (headless session), or it went away or does not answer.
    #[error("no notification server: {0}")]
    Unavailable(String),
    /// The server answered with an error.
    #[error("the notification server refused: {0}")]
    Rejected(String),
}

impl From<zbus::Error> for NotifyError {
    fn from(e: zbus::Error) -> Self {
        match &e {
            zbus::Error::MethodError(name, _, _)
                if !matches!(
                    name.as_str(),
                    "org.freedesktop.DBus.Error.ServiceUnknown"
                        | "org.freedesktop.DBus.Error.NameHasNoOwner"
                        | "org.freedesktop.DBus.Error.NoReply"
                        | "org.freedesktop.DBus.Error.Disconnected"
                        | "org.freedesktop.DBus.Error.TimedOut"
                ) =>
            {
                NotifyError::Rejected(e.to_string())
            }
            _ => NotifyError::Unavailable(e.to_string()),
        }
    }
}

/// Shows one notification per card on the session bus and maps clicks back to cards.
#[derive(Clone)]
pub struct Notifier {
    conn: Connection,
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    server: Mutex<Server>,
}

/// What we know about the current notification server; reset when it changes.
#[derive(Default)]
struct Server {
    /// Unique bus name of the server the ids below belong to.
    owner: Option<String>,
    /// GetCapabilities answer, asked once per server.
    caps: Option<Vec<String>>,
    /// The notification shown for each card.
    shown: HashMap<CardKey, Shown>,
    /// A task follows NotificationClosed.
    watching_closed: bool,
}

#[derive(Clone, Copy)]
struct Shown {
    id: u32,
    /// False after NotificationClosed: replacing a closed id is not reliable across servers.
    open: bool,
}

impl Server {
    fn forget(&mut self) {
        self.caps = None;
        self.shown.clear();
        self.owner = None;
    }
}

impl Inner {
    fn server(&self) -> MutexGuard<'_, Server> {
        self.server.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn card_of(&self, id: u32) -> Option<CardKey> {
        self.server()
            .shown
            .iter()
            .find(|(_, s)| s.id == id)
            .map(|(k, _)| k.clone())
    }
}

impl Notifier {
    pub fn new(conn: Connection) -> Notifier {
        Notifier {
            conn,
            inner: Arc::default(),
        }
    }

    async fn proxy(&self) -> Result<NotificationsProxy<'static>, NotifyError> {
        Ok(NotificationsProxy::builder(&self.conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await?)
    }

    /// The current server's unique name, if one runs (without starting one).
    async fn owner(&self) -> Option<String> {
        let dbus = zbus::fdo::DBusProxy::new(&self.conn).await.ok()?;
        let name = zbus::names::BusName::try_from(SERVICE).ok()?;
        dbus.get_name_owner(name).await.ok().map(|o| o.to_string())
    }

    /// Show `n` as the notification of `card`, replacing that card's previous one. Returns its id.
    pub async fn show(&self, card: &CardKey, n: &Notification) -> Result<u32, NotifyError> {
        let owner = self.owner().await;
        {
            let mut server = self.inner.server();
            if server.owner.is_some() && server.owner != owner {
                tracing::info!("notification server restarted; showing new notifications");
                server.forget();
            }
            server.owner.clone_from(&owner);
        }
        let proxy = self.proxy().await?;
        self.watch_closed(&proxy).await;
        let result = tokio::time::timeout(CALL_TIMEOUT, self.notify(&proxy, card, n)).await;
        let result = match result {
            Ok(r) => r,
            Err(_) => Err(NotifyError::Unavailable(format!(
                "no reply within {CALL_TIMEOUT:?}"
            ))),
        };
        match result {
            Ok(id) => {
                if owner.is_none() {
                    // The call may have started the server (D-Bus activation).
                    let now = self.owner().await;
                    self.inner.server().owner = now;
                }
                Ok(id)
            }
            Err(e) => {
                // The next attempt starts over: capabilities, and replaces_id 0.
                self.inner.server().forget();
                Err(e)
            }
        }
    }

    async fn notify(
        &self,
        proxy: &NotificationsProxy<'static>,
        card: &CardKey,
        n: &Notification,
    ) -> Result<u32, NotifyError> {
        // Bound first: a guard in the match scrutinee would live through the arms (deadlock).
        let cached = self.inner.server().caps.clone();
        let caps = match cached {
            Some(c) => c,
            None => {
                let c = proxy.get_capabilities().await?;
                self.inner.server().caps = Some(c.clone());
                c
            }
        };
        let actions: Vec<&str> = if caps.iter().any(|c| c == "actions") {
            n.actions
                .iter()
                .flat_map(|(id, label)| [id.as_str(), label.as_str()])
                .collect()
        } else {
            Vec::new()
        };
        let replaces = self
            .inner
            .server()
            .shown
            .get(card)
            .filter(|s| s.open)
            .map_or(0, |s| s.id);
        let hints = HashMap::from([
            ("urgency", Variant::from(n.urgency as u8)),
            ("desktop-entry", Variant::from(APP_NAME)),
        ]);
        let icon = match n.urgency {
            Urgency::Critical => "dialog-warning",
            Urgency::Normal | Urgency::Low => "dialog-information",
        };
        let id = proxy
            .notify(
                APP_NAME, replaces, icon, &n.summary, &n.body, &actions, hints, -1,
            )
            .await?;
        self.inner
            .server()
            .shown
            .insert(card.clone(), Shown { id, open: true });
        Ok(id)
    }

    /// Follow NotificationClosed (once per Notifier) so a closed notification is not "replaced".
    async fn watch_closed(&self, proxy: &NotificationsProxy<'static>) {
        if std::mem::replace(&mut self.inner.server().watching_closed, true) {
            return;
        }
        let mut stream = match proxy.receive_notification_closed().await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "cannot follow NotificationClosed");
                self.inner.server().watching_closed = false;
                return;
            }
        };
        let inner: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            while let Some(sig) = stream.next().await {
                let Ok(args) = sig.args() else { continue };
                let Some(inner) = inner.upgrade() else { return };
                let id = *args.id();
                for s in inner.server().shown.values_mut() {
                    if s.id == id {
                        s.open = false;
                    }
                }
            }
        });
    }

    /// The id of `card`'s notification while it is shown (not closed, same server).
    pub fn current_id(&self, card: &CardKey) -> Option<u32> {
        self.inner
            .server()
            .shown
            .get(card)
            .filter(|s| s.open)
            .map(|s| s.id)
    }

    /// Close `card`'s notification, if one is shown (e.g. the card was forgotten).
    pub async fn close(&self, card: &CardKey) -> Result<(), NotifyError> {
        let Some(id) = self.current_id(card) else {
            return Ok(());
        };
        let proxy = self.proxy().await?;
        let result = tokio::time::timeout(CALL_TIMEOUT, proxy.close_notification(id)).await;
        self.inner.server().shown.remove(card);
        match result {
            Ok(r) => Ok(r?),
            Err(_) => Err(NotifyError::Unavailable(format!(
                "no reply within {CALL_TIMEOUT:?}"
            ))),
        }
    }

    /// Yields each time a notification server takes the name (NameOwnerChanged of
    /// org.freedesktop.Notifications with a new owner): reminders that could not be shown are
    /// offered again then.
    pub async fn server_appeared(
        &self,
    ) -> Result<impl Stream<Item = ()> + Send + 'static, NotifyError> {
        let dbus = zbus::fdo::DBusProxy::new(&self.conn).await?;
        let stream = dbus
            .receive_name_owner_changed_with_args(&[(0, SERVICE)])
            .await?;
        Ok(stream.filter_map(|sig| {
            let appeared = sig.args().ok().is_some_and(|a| a.new_owner().is_some());
            std::future::ready(appeared.then_some(()))
        }))
    }

    /// Clicks on our notifications' buttons, as (card, action id). Subscribes before returning, so
    /// nothing shown afterwards is missed. Ids from other programs' notifications are ignored.
    pub async fn action_stream(
        &self,
    ) -> Result<impl Stream<Item = (CardKey, String)> + Send + 'static, NotifyError> {
        let proxy = self.proxy().await?;
        let stream = proxy.receive_action_invoked().await?;
        let inner = Arc::clone(&self.inner);
        Ok(stream.filter_map(move |sig| {
            let found = sig.args().ok().and_then(|args| {
                let card = inner.card_of(*args.id())?;
                Some((card, args.action_key().clone()))
            });
            std::future::ready(found)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Action;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn act(id: &str, ja: &str, en: &str) -> Action {
        Action {
            id: id.into(),
            ja: ja.into(),
            en: en.into(),
        }
    }

    fn assessment(status: Status, days_left: Option<i64>) -> Assessment {
        Assessment {
            status,
            certificate_expires: Some(d(2026, 5, 20)),
            card_expires: None,
            renewal_opens: Some(d(2026, 2, 20)),
            insurance_usable_until: Some(d(2026, 8, 31)),
            days_left,
            actions: vec![
                act(
                    "renew",
                    "市区町村の窓口で更新してください",
                    "Renew at your municipal office",
                ),
                act("book", "予約してください", "Book an appointment"),
                act("third", "三番目", "Third"),
            ],
        }
    }

    #[test]
    fn renewal_open_in_japanese() {
        let n = compose("母", &assessment(Status::RenewalOpen, Some(80)), Lang::Ja);
        assert_eq!(
            n.summary,
            "マイナンバーカード「母」: 電子証明書の更新時期です"
        );
        assert_eq!(
            n.body,
            "電子証明書の有効期限: 2026年5月20日（あと80日）\n・市区町村の窓口で更新してください\n・予約してください"
        );
        assert_eq!(n.urgency, Urgency::Normal);
        assert_eq!(
            n.actions,
            [("open-guide".to_string(), "案内を開く".to_string())]
        );
    }

    #[test]
    fn renewal_open_in_english_with_the_registration_question() {
        let a = assessment(Status::RenewalOpen, Some(1));
        let n = compose_for("Mum", &a, Registration::Unknown, Lang::En);
        assert_eq!(
            n.summary,
            "My Number Card “Mum”: time to renew the certificate"
        );
        assert_eq!(
            n.body,
            "Certificate expires 2026-05-20 (1 day left)\n• Renew at your municipal office\n• Book an appointment"
        );
        assert!(!n.body.contains("Third"), "at most two actions");
        assert_eq!(n.urgency, Urgency::Critical);
        let ids: Vec<&str> = n.actions.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["registered-yes", "registered-no", "open-guide"]);
        // Answered: no question.
        let n = compose_for("Mum", &a, Registration::No, Lang::En);
        assert_eq!(n.actions.len(), 1);
    }

    #[test]
    fn grace_and_lapsed_are_critical_with_the_grace_end() {
        let n = compose("", &assessment(Status::ExpiredGrace, Some(40)), Lang::Ja);
        assert_eq!(
            n.summary,
            "マイナンバーカード: 電子証明書の有効期限が切れています"
        );
        assert!(
            n.body
                .starts_with("マイナ保険証として使えるのは2026年8月31日まで（あと40日）"),
            "{}",
            n.body
        );
        assert_eq!(n.urgency, Urgency::Critical);
        let n = compose(
            "x",
            &assessment(Status::RegistrationLapsed, Some(-3)),
            Lang::En,
        );
        assert_eq!(
            n.summary,
            "My Number Card “x”: health-insurance registration cancelled"
        );
        assert!(n.body.starts_with("The grace period ended on 2026-08-31\n"));
        assert_eq!(n.urgency, Urgency::Critical);
    }

    #[test]
    fn urgency_thresholds() {
        let u = |days| urgency(&assessment(Status::Valid, days));
        assert_eq!(u(Some(0)), Urgency::Critical);
        assert_eq!(u(Some(7)), Urgency::Critical);
        assert_eq!(u(Some(8)), Urgency::Normal);
        assert_eq!(u(Some(90)), Urgency::Normal);
        assert_eq!(u(Some(91)), Urgency::Low);
        assert_eq!(u(None), Urgency::Low);
    }

    #[test]
    fn last_day_and_not_a_card() {
        let n = compose("a", &assessment(Status::Valid, Some(0)), Lang::En);
        assert!(n
            .body
            .starts_with("Certificate expires 2026-05-20 (last day today)"));
        let mut a = assessment(Status::NotAMyNumberCard, None);
        a.certificate_expires = None;
        a.actions.truncate(1);
        let n = compose_for("古い", &a, Registration::Unknown, Lang::Ja);
        assert_eq!(
            n.summary,
            "カード「古い」: マイナンバーカードとして確認できません"
        );
        assert_eq!(n.body, "・市区町村の窓口で更新してください");
        assert_eq!(n.urgency, Urgency::Low);
        assert_eq!(
            n.actions.len(),
            1,
            "no registration question for a non-card"
        );
    }

    #[test]
    fn unavailable_vs_rejected() {
        let e: NotifyError =
            zbus::Error::InputOutput(Arc::new(std::io::Error::other("gone"))).into();
        assert!(matches!(e, NotifyError::Unavailable(_)));
    }
}
