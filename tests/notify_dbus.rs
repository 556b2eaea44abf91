//! `Notifier` against a real notification server (python3-dbusmock) on a private dbus-daemon:
//! what is sent, replacement in place, capabilities, clicks, no server, server restart.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use mynawatch::card::{CardIdentity, CardKey};
use mynawatch::l10n::Lang;
use mynawatch::notify::{compose_for, Notification, Notifier, NotifyError, Urgency};
use mynawatch::rules::{Action, Assessment, Registration, Status};
use support::bus::{NotificationServer, PrivateBus};
use support::wait_for;

const WAIT: Duration = Duration::from_secs(10);

fn key(serial: &[u8]) -> CardKey {
    CardIdentity::new(b"issuer", serial).key(b"test salt")
}

fn notification(summary: &str, registered: Registration) -> Notification {
    let a = Assessment {
        status: Status::RenewalOpen,
        certificate_expires: chrono::NaiveDate::from_ymd_opt(2026, 5, 20),
        card_expires: None,
        renewal_opens: None,
        insurance_usable_until: None,
        days_left: Some(30),
        actions: vec![Action::Measure {
            id: "renew".into(),
            ja: Some("更新してください".into()),
            en: Some("Renew".into()),
        }],
    };
    let mut n = compose_for("母", &a, registered, Lang::Ja);
    n.summary = summary.to_string();
    n
}

async fn notifier(bus: &PrivateBus) -> Notifier {
    Notifier::new(support::client::connect(bus).await)
}

/// A private bus with a notification server offering `capabilities`, and a notifier on it.
async fn served(capabilities: Option<&str>) -> (PrivateBus, NotificationServer, Notifier) {
    let bus = PrivateBus::start();
    let server = NotificationServer::start(&bus, capabilities);
    let notifier = notifier(&bus).await;
    (bus, server, notifier)
}

/// Show the test notification titled `summary` for `card`, registration unknown.
async fn show(notifier: &Notifier, card: &CardKey, summary: &str) -> Result<u32, NotifyError> {
    notifier
        .show(card, &notification(summary, Registration::Unknown))
        .await
}

/// The n-th (0-based) Notify call, waiting for it.
fn nth_call(server: &NotificationServer, n: usize) -> String {
    server.nth_call(n, WAIT)
}

/// `<ts> Notify "app" <replaces_id> …`: the replaces_id field.
fn replaces_id(line: &str) -> u32 {
    let rest = line.split_once(" Notify \"mynawatch\" ").expect(line).1;
    rest.split_whitespace().next().unwrap().parse().expect(line)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_notification_per_card_replaced_in_place() {
    let (_bus, server, notifier) = served(Some("body actions")).await;
    let (mum, dad) = (key(b"1"), key(b"2"));

    let id = show(&notifier, &mum, "一回目").await.unwrap();
    let first = nth_call(&server, 0);
    assert_eq!(replaces_id(&first), 0, "{first}");
    assert!(
        first.contains("\"dialog-information\" \"一回目\""),
        "{first}"
    );
    assert!(
        first.contains("電子証明書の有効期限: 2026年5月20日（あと30日）\n・更新してください"),
        "{first}"
    );
    assert!(
        first.contains(
            "[\"registered-yes\", \"保険証利用登録済み\", \"registered-no\", \"まだ登録していない\", \"open-guide\", \"案内を開く\"]"
        ),
        "{first}"
    );
    assert!(first.contains("\"urgency\": 1"), "{first}");
    assert!(
        first.contains("\"desktop-entry\": \"mynawatch\""),
        "{first}"
    );
    assert!(
        first.trim_end().ends_with(" -1"),
        "expire_timeout -1: {first}"
    );
    assert_eq!(notifier.current_id(&mum), Some(id));

    // The same card again: replaced in place.
    let mut n = notification("二回目", Registration::Yes);
    n.urgency = Urgency::Critical;
    let id2 = notifier.show(&mum, &n).await.unwrap();
    let second = nth_call(&server, 1);
    assert_eq!(replaces_id(&second), id, "{second}");
    assert_eq!(id2, id);
    assert!(second.contains("\"dialog-warning\" \"二回目\""), "{second}");
    assert!(
        second.contains("[\"open-guide\", \"案内を開く\"]"),
        "{second}"
    );
    assert!(second.contains("\"urgency\": 2"), "{second}");

    // Another card: its own notification.
    let id3 = notifier
        .show(&dad, &notification("父", Registration::Yes))
        .await
        .unwrap();
    assert_eq!(replaces_id(&nth_call(&server, 2)), 0);
    assert_ne!(id3, id);

    // Closed (by us here; by the user or a timeout alike): the next one is new, not a replacement.
    notifier.close(&mum).await.unwrap();
    assert_eq!(notifier.current_id(&mum), None);
    notifier
        .show(&mum, &notification("三回目", Registration::Yes))
        .await
        .unwrap();
    assert_eq!(replaces_id(&nth_call(&server, 3)), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_by_the_server_means_a_new_notification() {
    let (bus, server, notifier) = served(None).await;
    let card = key(b"1");
    let id = show(&notifier, &card, "a").await.unwrap();
    // Without the "actions" capability no buttons are sent.
    assert!(nth_call(&server, 0).contains("\"a\" \"電子証明書"));
    assert!(
        nth_call(&server, 0).contains(" [] {"),
        "{}",
        nth_call(&server, 0)
    );
    // The user dismisses it: the server closes it and emits NotificationClosed.
    let status = bus
        .command("gdbus")
        .args([
            "call",
            "--session",
            "--dest",
            "org.freedesktop.Notifications",
        ])
        .args(["--object-path", "/org/freedesktop/Notifications"])
        .args([
            "--method",
            "org.freedesktop.Notifications.CloseNotification",
        ])
        .arg(id.to_string())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    wait_for(WAIT, "NotificationClosed to reach the notifier", || {
        notifier.current_id(&card).is_none().then_some(())
    });
    show(&notifier, &card, "b").await.unwrap();
    assert_eq!(replaces_id(&nth_call(&server, 1)), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_map_back_to_the_card() {
    let (_bus, server, notifier) = served(Some("body actions")).await;
    let mut clicks = Box::pin(notifier.action_stream().await.unwrap());
    let (mum, dad) = (key(b"1"), key(b"2"));
    let id_mum = show(&notifier, &mum, "m").await.unwrap();
    let id_dad = show(&notifier, &dad, "d").await.unwrap();
    assert_ne!(id_mum, id_dad);

    server.invoke_action(9999, "registered-yes"); // someone else's notification
    server.invoke_action(id_dad, "registered-no");
    server.invoke_action(id_mum, "open-guide");
    let first = tokio::time::timeout(WAIT, clicks.next()).await.unwrap();
    assert_eq!(first, Some((dad, "registered-no".to_string())));
    let second = tokio::time::timeout(WAIT, clicks.next()).await.unwrap();
    assert_eq!(second, Some((mum, "open-guide".to_string())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_server_is_unavailable_and_a_later_server_is_used() {
    let bus = PrivateBus::start();
    let notifier = notifier(&bus).await;
    let card = key(b"1");
    let err = show(&notifier, &card, "x").await.unwrap_err();
    assert!(matches!(err, NotifyError::Unavailable(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("no notification server"),
        "{err}"
    );
    // The stream can be set up before any server exists.
    let _clicks = notifier.action_stream().await.unwrap();

    let server = NotificationServer::start(&bus, Some("body actions"));
    show(&notifier, &card, "y").await.unwrap();
    let line = nth_call(&server, 0);
    assert_eq!(replaces_id(&line), 0);
    assert!(
        line.contains("registered-yes"),
        "capabilities asked again: {line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_falls_back_to_a_new_notification() {
    let bus = PrivateBus::start();
    let card = key(b"1");
    let notifier = notifier(&bus).await;
    let mut clicks = Box::pin(notifier.action_stream().await.unwrap());
    {
        let server = NotificationServer::start(&bus, Some("body actions"));
        show(&notifier, &card, "before").await.unwrap();
        nth_call(&server, 0);
    } // killed
    wait_for(WAIT, "the old server to leave the bus", || {
        (!bus.has_name("org.freedesktop.Notifications")).then_some(())
    });
    let server = NotificationServer::start(&bus, Some("body actions"));
    let log_before = server.notify_calls().len();
    let id = show(&notifier, &card, "after").await.unwrap();
    let line = nth_call(&server, log_before);
    assert!(line.contains("\"after\""), "{line}");
    assert_eq!(
        replaces_id(&line),
        0,
        "stale id must not be replaced: {line}"
    );
    // Clicks on the new server's notification still reach us.
    server.invoke_action(id, "registered-yes");
    let click = tokio::time::timeout(WAIT, clicks.next()).await.unwrap();
    assert_eq!(click, Some((card, "registered-yes".to_string())));
}
