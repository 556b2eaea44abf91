//! The D-Bus API over real connections: a p2p socket pair for properties, methods, signals, errors and
//! the ObjectManager; a private dbus-daemon for the bus name; the documented introspection XML
//! checked against the live objects so docs/ cannot drift.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use mynawatch::card::{CardIdentity, CardKey};
use mynawatch::dbus::{
    card_path, CardProxy, CardView, Error, ManagerProxy, Publisher, Request, BUS_NAME,
    CARD_INTERFACE, MANAGER_INTERFACE, ROOT_PATH,
};
use tokio::sync::mpsc;
use tokio::time::timeout;
use zbus::Connection;

const WAIT: Duration = Duration::from_secs(5);

async fn p2p_pair() -> (Connection, Connection) {
    let (a, b) = std::os::unix::net::UnixStream::pair().expect("socket pair");
    let server = zbus::connection::Builder::unix_stream(a)
        .server(zbus::Guid::generate())
        .p2p()
        .build();
    let client = zbus::connection::Builder::unix_stream(b).p2p().build();
    tokio::try_join!(server, client).expect("p2p connections")
}

fn key(n: u8) -> CardKey {
    CardIdentity::new(b"issuer", &[n]).key(b"test-salt")
}

fn view(status: &str, days_left: i32) -> CardView {
    CardView {
        status: status.into(),
        certificate_expires: "2026-06-20".into(),
        renewal_opens: "2026-03-20".into(),
        insurance_usable_until: "2026-09-30".into(),
        days_left,
        insurance_registered: "unknown".into(),
        present: true,
        label: String::new(),
        actions: vec![(
            "renew-certificate".into(),
            "市区町村の窓口で更新してください".into(),
            "Renew at your municipal office".into(),
        )],
    }
}

/// A stand-in for the daemon loop: applies requests to the published view like the real loop does.
fn fake_loop(
    publisher: Publisher,
    mut rx: mpsc::Receiver<Request>,
) -> mpsc::Receiver<&'static str> {
    let (seen_tx, seen_rx) = mpsc::channel(16);
    tokio::spawn(async move {
        while let Some(req) = rx.recv().await {
            let (name, reply, result) = match req {
                Request::Refresh { reply } => ("refresh", reply, Ok(())),
                Request::SetLabel { card, label, reply } => {
                    let mut v = publisher.card_view(&card).expect("card");
                    v.label = label;
                    publisher.publish_card(&card, v).await.unwrap();
                    ("set-label", reply, Ok(()))
                }
                Request::SetRegistered {
                    card,
                    registered,
                    reply,
                } => {
                    let mut v = publisher.card_view(&card).expect("card");
                    v.insurance_registered = registered.to_string();
                    publisher.publish_card(&card, v).await.unwrap();
                    ("set-registered", reply, Ok(()))
                }
                Request::SetCardExpires { reply, date, .. } => {
                    let r = match date {
                        Some(_) => Ok(()),
                        None => Err(Error::Failed("nothing to forget".into())),
                    };
                    ("set-card-expires", reply, r)
                }
                Request::Forget { card, reply } => {
                    let r = if publisher.remove_card(&card).await.unwrap() {
                        Ok(())
                    } else {
                        Err(Error::UnknownCard(card.to_string()))
                    };
                    ("forget", reply, r)
                }
            };
            let _ = reply.send(result);
            let _ = seen_tx.send(name).await;
        }
    });
    seen_rx
}

struct Setup {
    publisher: Publisher,
    client: Connection,
    seen: mpsc::Receiver<&'static str>,
}

async fn setup() -> Setup {
    let (server, client) = p2p_pair().await;
    let (tx, rx) = mpsc::channel(8);
    let publisher = Publisher::serve(&server, tx).await.expect("serve");
    let seen = fake_loop(publisher.clone(), rx);
    Setup {
        publisher,
        client,
        seen,
    }
}

/// The next value a property-change stream yields, within `WAIT`.
async fn next_change<T>(stream: &mut zbus::proxy::PropertyStream<'static, T>) -> T
where
    T: serde::de::DeserializeOwned + zbus::Type + Unpin,
{
    timeout(WAIT, stream.next())
        .await
        .expect("a property change in time")
        .expect("the stream ended")
        .get()
        .await
        .unwrap()
}

async fn card_proxy(client: &Connection, key: &CardKey) -> CardProxy<'static> {
    CardProxy::builder(client)
        .path(card_path(key))
        .build()
        .await
        .expect("card proxy")
}

#[tokio::test]
async fn card_properties_and_methods() {
    let mut s = setup().await;
    let k = key(1);
    s.publisher
        .publish_card(&k, view("renewal-open", 80))
        .await
        .unwrap();
    let card = card_proxy(&s.client, &k).await;
    assert_eq!(card.status().await.unwrap(), "renewal-open");
    assert_eq!(card.certificate_expires().await.unwrap(), "2026-06-20");
    assert_eq!(card.renewal_opens().await.unwrap(), "2026-03-20");
    assert_eq!(card.insurance_usable_until().await.unwrap(), "2026-09-30");
    assert_eq!(card.days_left().await.unwrap(), 80);
    assert_eq!(card.insurance_registered().await.unwrap(), "unknown");
    assert!(card.present().await.unwrap());
    assert_eq!(card.label().await.unwrap(), "");
    let actions = card.actions().await.unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].0, "renew-certificate");

    // Subscribe first; the property stream yields the current value first.
    let mut labels = card.receive_label_changed().await;
    let first = timeout(WAIT, labels.next()).await.unwrap().unwrap();
    assert_eq!(first.get().await.unwrap(), "");
    card.set_label("家族のカード".into()).await.unwrap();
    assert_eq!(s.seen.recv().await, Some("set-label"));
    let changed = timeout(WAIT, labels.next()).await.unwrap().unwrap();
    assert_eq!(changed.get().await.unwrap(), "家族のカード");
    assert_eq!(card.label().await.unwrap(), "家族のカード");

    card.set_insurance_registered(false).await.unwrap();
    assert_eq!(s.seen.recv().await, Some("set-registered"));
    assert_eq!(card.insurance_registered().await.unwrap(), "no");

    card.set_card_expires("2031-02-28".into()).await.unwrap();
    assert_eq!(s.seen.recv().await, Some("set-card-expires"));
    // An error from the daemon loop reaches the caller by name.
    match card.set_card_expires(String::new()).await {
        Err(Error::Failed(msg)) => assert_eq!(msg, "nothing to forget"),
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_arguments_get_named_errors_and_the_service_keeps_running() {
    let s = setup().await;
    let k = key(2);
    s.publisher
        .publish_card(&k, view("valid", 400))
        .await
        .unwrap();
    let card = card_proxy(&s.client, &k).await;
    for bad in ["2031-02-30", "2031-2-28", "tomorrow"] {
        match card.set_card_expires(bad.into()).await {
            Err(Error::InvalidArgument(msg)) => assert!(msg.contains("YYYY-MM-DD"), "{msg}"),
            other => panic!("{bad:?}: expected InvalidArgument, got {other:?}"),
        }
    }
    for bad in ["a\nb".to_string(), "x".repeat(10_000), "\u{7}".into()] {
        assert!(
            matches!(card.set_label(bad).await, Err(Error::InvalidArgument(_))),
            "label accepted"
        );
    }
    // The raw error name on the wire is the documented one.
    let reply = s
        .client
        .call_method(
            Some(BUS_NAME),
            card_path(&k).as_str(),
            Some(CARD_INTERFACE),
            "SetLabel",
            &("\u{1b}[2J",),
        )
        .await;
    match reply {
        Err(zbus::Error::MethodError(name, Some(msg), _)) => {
            assert_eq!(
                name.as_str(),
                "io.github.mynawatch.MynaWatch1.Error.InvalidArgument"
            );
            assert!(msg.contains("control"), "{msg}");
        }
        other => panic!("expected a method error, got {other:?}"),
    }
    // Wrong argument type: rejected by zbus, still no crash.
    let reply = s
        .client
        .call_method(
            Some(BUS_NAME),
            card_path(&k).as_str(),
            Some(CARD_INTERFACE),
            "SetInsuranceRegistered",
            &("yes",),
        )
        .await;
    assert!(
        matches!(&reply, Err(zbus::Error::FDO(e)) if matches!(**e, zbus::fdo::Error::InvalidArgs(_))),
        "{reply:?}"
    );
    // Unknown object.
    let ghost = card_proxy(&s.client, &key(99)).await;
    assert!(ghost.forget().await.is_err());
    // Still serving.
    assert_eq!(card.status().await.unwrap(), "valid");
}

#[tokio::test]
async fn property_changes_and_signals_reach_subscribers() {
    let s = setup().await;
    let k = key(3);
    s.publisher
        .publish_card(&k, view("valid", 100))
        .await
        .unwrap();
    let card = card_proxy(&s.client, &k).await;
    let mut status = card.receive_status_changed().await;
    let mut days = card.receive_days_left_changed().await;
    let mut renewal = card.receive_renewal_needed().await.unwrap();
    let mut rereg = card.receive_re_registration_needed().await.unwrap();
    assert_eq!(next_change(&mut status).await, "valid");
    assert_eq!(next_change(&mut days).await, 100);

    s.publisher
        .publish_card(&k, view("renewal-open", 90))
        .await
        .unwrap();
    s.publisher
        .renewal_needed(&k, "renewal-open", "2026-06-20")
        .await
        .unwrap();
    s.publisher
        .re_registration_needed(&k, "2026-09-30")
        .await
        .unwrap();
    assert_eq!(next_change(&mut status).await, "renewal-open");
    assert_eq!(next_change(&mut days).await, 90);
    let sig = timeout(WAIT, renewal.next()).await.unwrap().unwrap();
    let args = sig.args().unwrap();
    assert_eq!(
        (args.status(), args.deadline()),
        (&"renewal-open", &"2026-06-20")
    );
    let sig = timeout(WAIT, rereg.next()).await.unwrap().unwrap();
    assert_eq!(sig.args().unwrap().deadline(), &"2026-09-30");
}

#[tokio::test]
async fn object_manager_lists_adds_and_removes_cards() {
    let mut s = setup().await;
    let om = zbus::fdo::ObjectManagerProxy::builder(&s.client)
        .destination(BUS_NAME)
        .path(ROOT_PATH)
        .build()
        .await
        .unwrap();
    let mut added = om.receive_interfaces_added().await.unwrap();
    let mut removed = om.receive_interfaces_removed().await.unwrap();
    assert!(om.get_managed_objects().await.unwrap().is_empty());

    let k = key(4);
    s.publisher
        .publish_card(&k, view("expired-grace", 30))
        .await
        .unwrap();
    let sig = timeout(WAIT, added.next()).await.unwrap().unwrap();
    let args = sig.args().unwrap();
    assert_eq!(args.object_path().as_str(), card_path(&k).as_str());
    let props = args
        .interfaces_and_properties()
        .get(CARD_INTERFACE)
        .expect("card interface announced");
    assert_eq!(
        String::try_from(props["Status"].try_clone().unwrap()).unwrap(),
        "expired-grace"
    );

    // zbus also lists the intermediate `…/cards` node (standard interfaces only): filter by interface.
    let cards = |objects: zbus::fdo::ManagedObjects| {
        objects
            .into_iter()
            .filter_map(|(path, ifaces)| {
                let props = ifaces
                    .into_iter()
                    .find(|(n, _)| n.as_str() == CARD_INTERFACE)?
                    .1;
                Some((path, props))
            })
            .collect::<Vec<_>>()
    };
    let objects = cards(om.get_managed_objects().await.unwrap());
    assert_eq!(objects.len(), 1);
    let (path, props) = &objects[0];
    assert_eq!(path.as_str(), card_path(&k).as_str());
    for name in [
        "Status",
        "CertificateExpires",
        "RenewalOpens",
        "InsuranceUsableUntil",
        "DaysLeft",
        "InsuranceRegistered",
        "Present",
        "Label",
        "Actions",
    ] {
        assert!(props.contains_key(name), "{name} missing");
    }
    assert_eq!(s.publisher.card_keys(), vec![k.clone()]);

    let card = card_proxy(&s.client, &k).await;
    card.forget().await.unwrap();
    assert_eq!(s.seen.recv().await, Some("forget"));
    let sig = timeout(WAIT, removed.next()).await.unwrap().unwrap();
    assert_eq!(
        sig.args().unwrap().object_path().as_str(),
        card_path(&k).as_str()
    );
    assert!(cards(om.get_managed_objects().await.unwrap()).is_empty());
    assert!(s.publisher.card_keys().is_empty());
    assert!(!s.publisher.remove_card(&k).await.unwrap());
}

#[tokio::test]
async fn manager_version_readers_and_refresh() {
    let mut s = setup().await;
    let m = ManagerProxy::new(&s.client).await.unwrap();
    assert_eq!(m.version().await.unwrap(), env!("CARGO_PKG_VERSION"));
    assert!(m.readers().await.unwrap().is_empty());
    let mut readers = m.receive_readers_changed().await;
    timeout(WAIT, readers.next()).await.unwrap().unwrap();
    let list = vec!["Virtual PCD 00 00".to_string(), "Virtual PCD 00 01".into()];
    s.publisher.set_readers(list.clone()).await.unwrap();
    let got = timeout(WAIT, readers.next()).await.unwrap().unwrap();
    assert_eq!(got.get().await.unwrap(), list);
    m.refresh().await.unwrap();
    assert_eq!(s.seen.recv().await, Some("refresh"));
}

#[tokio::test]
async fn requests_after_the_loop_stopped_get_shutting_down() {
    let (server, client) = p2p_pair().await;
    let (tx, rx) = mpsc::channel(1);
    let _publisher = Publisher::serve(&server, tx).await.unwrap();
    drop(rx);
    let m = ManagerProxy::new(&client).await.unwrap();
    assert!(matches!(m.refresh().await, Err(Error::ShuttingDown(_))));
}

#[tokio::test]
async fn the_bus_name_is_exclusive() {
    let bus = support::bus::PrivateBus::start();
    let connect = || async {
        zbus::connection::Builder::address(bus.address.as_str())
            .build()
            .await
            .unwrap()
    };
    let (c1, c2) = (connect().await, connect().await);
    let (tx, _rx) = mpsc::channel(1);
    let p1 = Publisher::serve(&c1, tx.clone()).await.unwrap();
    p1.request_name().await.unwrap();
    let p2 = Publisher::serve(&c2, tx).await.unwrap();
    assert!(matches!(
        p2.request_name().await,
        Err(zbus::Error::NameTaken)
    ));
    assert!(bus.has_name(BUS_NAME));
}

/// The interface blocks of an introspection document, whitespace-normalised.
fn interface_blocks(xml: &str, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            let open = format!("<interface name=\"{name}\">");
            let start = xml
                .find(&open)
                .unwrap_or_else(|| panic!("{name} not in XML"));
            let end = start + xml[start..].find("</interface>").unwrap() + "</interface>".len();
            xml[start..end]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[tokio::test]
async fn documented_api_matches_the_live_service() {
    let s = setup().await;
    let k = key(5);
    s.publisher
        .publish_card(&k, view("valid", 1))
        .await
        .unwrap();
    let introspect = |path: String| {
        let client = s.client.clone();
        async move {
            zbus::fdo::IntrospectableProxy::builder(&client)
                .destination(BUS_NAME)
                .path(path)
                .build()
                .await
                .unwrap()
                .introspect()
                .await
                .unwrap()
        }
    };
    let root = introspect(ROOT_PATH.to_string()).await;
    let card = introspect(card_path(&k).to_string()).await;
    let live = [
        interface_blocks(&root, &[MANAGER_INTERFACE]),
        interface_blocks(&card, &[CARD_INTERFACE]),
    ]
    .concat();
    let doc_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/io.github.mynawatch.MynaWatch1.xml"
    );
    if std::env::var_os("MW_BLESS").is_some() {
        let manager = &root[root
            .find("<interface name=\"io.github.mynawatch.MynaWatch1.Manager\">")
            .unwrap()..];
        let manager = &manager[..manager.find("</interface>").unwrap() + 12];
        let cardx = &card[card
            .find("<interface name=\"io.github.mynawatch.MynaWatch1.Card\">")
            .unwrap()..];
        let cardx = &cardx[..cardx.find("</interface>").unwrap() + 12];
        let doc = format!(
            "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<!-- Generated from the live service by the documented_api test in tests/dbus_api.rs (set MW_BLESS=1 to rewrite) -->\n<node>\n  {manager}\n  {cardx}\n</node>\n"
        );
        std::fs::write(doc_path, doc).unwrap();
    }
    let doc = std::fs::read_to_string(doc_path).expect("docs XML");
    let documented = interface_blocks(&doc, &[MANAGER_INTERFACE, CARD_INTERFACE]);
    assert_eq!(
        documented, live,
        "docs/io.github.mynawatch.MynaWatch1.xml is stale: regenerate with MW_BLESS=1"
    );
    // Every member in the XML is described in the prose reference.
    let md = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/dbus-api.md"))
        .expect("docs/dbus-api.md");
    for block in &live {
        for part in block.split("name=\"").skip(1) {
            let name = part.split('"').next().unwrap();
            if name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && !name.contains('.') {
                assert!(
                    md.contains(name),
                    "docs/dbus-api.md does not mention {name}"
                );
            }
        }
    }
}

/// A Publisher that owns the bus name on a private bus, as the daemon would.
async fn serve_on(bus: &support::bus::PrivateBus) -> (Publisher, mpsc::Receiver<&'static str>) {
    let conn = zbus::connection::Builder::address(bus.address.as_str())
        .build()
        .await
        .unwrap();
    let (tx, rx) = mpsc::channel(8);
    let publisher = Publisher::serve(&conn, tx).await.unwrap();
    let seen = fake_loop(publisher.clone(), rx);
    (publisher, seen)
}

#[tokio::test]
async fn status_without_a_daemon_says_so_and_exits_1() {
    let bus = support::bus::PrivateBus::start();
    let out = bus
        .command(support::bin())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("daemon is not running"), "{err}");
    // No session bus at all.
    let out = std::process::Command::new(support::bin())
        .arg("status")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("session bus"),
        "{out:?}"
    );
}

#[tokio::test]
async fn status_reads_the_published_cards() {
    let bus = support::bus::PrivateBus::start();
    let (publisher, _seen) = serve_on(&bus).await;
    let k = key(6);
    publisher
        .publish_card(&k, view("renewal-open", 80))
        .await
        .unwrap();
    publisher
        .set_readers(vec!["Virtual PCD 00 00".into()])
        .await
        .unwrap();
    publisher.request_name().await.unwrap();
    // Not std's blocking output(): the service runs on this test's runtime.
    let out = tokio::process::Command::from(bus.command(support::bin()))
        .args(["status", "--json"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["readers"], serde_json::json!(["Virtual PCD 00 00"]));
    assert_eq!(v["cards"][0]["key"], k.to_string());
    assert_eq!(v["cards"][0]["status"], "renewal-open");
    assert_eq!(v["cards"][0]["days_left"], 80);
    assert_eq!(v["cards"][0]["actions"][0]["id"], "renew-certificate");
    let out = tokio::process::Command::from(bus.command(support::bin()))
        .args(["status", "--lang", "en"])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("certificate expires: 2026-06-20\n"), "{text}");
    assert!(
        text.contains("days: 80 days left until the certificate expires"),
        "{text}"
    );
}

#[tokio::test]
async fn watch_prints_changes_and_signals_as_they_happen() {
    use tokio::io::AsyncBufReadExt;
    let bus = support::bus::PrivateBus::start();
    let (publisher, _seen) = serve_on(&bus).await;
    publisher.request_name().await.unwrap();
    let mut child = tokio::process::Command::from(bus.command(support::bin()))
        .args(["watch", "--json"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(next_json(&mut lines).await["event"], "snapshot");
    let k = key(7);
    publisher
        .publish_card(&k, view("valid", 100))
        .await
        .unwrap();
    let e = next_json(&mut lines).await;
    assert_eq!(
        (e["event"].as_str(), e["card"].as_str()),
        (Some("card-added"), Some(k.as_str()))
    );
    publisher
        .publish_card(&k, view("renewal-open", 90))
        .await
        .unwrap();
    let e = next_json(&mut lines).await;
    assert_eq!(e["properties"]["Status"], "renewal-open");
    let e = next_json(&mut lines).await;
    assert_eq!(e["properties"]["DaysLeft"], 90);
    publisher
        .renewal_needed(&k, "renewal-open", "2026-06-20")
        .await
        .unwrap();
    let e = next_json(&mut lines).await;
    assert_eq!(e["event"], "renewal-needed");
    assert_eq!(e["deadline"], "2026-06-20");
    publisher
        .re_registration_needed(&k, "2026-09-30")
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut lines).await["event"],
        "re-registration-needed"
    );
    publisher.remove_card(&k).await.unwrap();
    assert_eq!(next_json(&mut lines).await["event"], "card-removed");
    drop(publisher);
}

async fn next_json(
    lines: &mut tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
) -> serde_json::Value {
    let line = timeout(WAIT, lines.next_line())
        .await
        .expect("an event line in time")
        .unwrap()
        .expect("watch still running");
    serde_json::from_str(&line).unwrap()
}
