//! Cards without a reader: `mynawatch add` and `Manager.AddCard` against the daemon binary on a
//! private bus with a notification server; and the typed card becoming the card read later by pcscd
//! + vpcd (`mynawatch sim-card`), with label and answers kept and the user told.

mod support;

use std::path::Path;
use std::time::Duration;

use support::bus::{NotificationServer, PrivateBus};
use support::cli::{run, Watch};
use support::daemon::{busctl, fresh_state_dir, DaemonProc, MANAGER, NAME, ROOT};
use support::wait_for;

fn cards(bus: &PrivateBus) -> Vec<serde_json::Value> {
    let (code, out, err) = run(bus, &["status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["cards"].as_array().unwrap().clone()
}

fn daemon(bus: &PrivateBus, dir: &Path) -> DaemonProc {
    DaemonProc::start(
        bus,
        &[
            "--today",
            "2026-03-01",
            "--state-dir",
            dir.to_str().unwrap(),
        ],
        &[("LANG", "en_US.UTF-8")],
    )
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_card_typed_in_gets_status_reminders_and_survives_a_restart() {
    // The daemon watches every reader of the shared pcscd: no sim card from the other test, please.
    let _slots = support::pcscd::e2e();
    let bus = PrivateBus::start();
    let notifications = NotificationServer::start(&bus, Some("body actions"));
    let (_top, dir) = fresh_state_dir();
    let mut d = daemon(&bus, &dir);

    let (code, out, err) = run(
        &bus,
        &[
            "add",
            "--expires",
            "2026-04-10",
            "--label",
            "父",
            "--registered",
            "yes",
            "--lang",
            "en",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Remembered the card from the dates you typed"),
        "{out}"
    );
    assert!(out.contains("Card 父 (typed in)"), "{out}");
    assert!(out.contains("status: renewal open (renewal-open)"), "{out}");
    // The same reminder a read card gets: a notification for the 60-day threshold.
    let shown = notifications.nth_call(0, Duration::from_secs(10));
    assert!(shown.contains("父"), "{shown}");
    let list = cards(&bus);
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(
        (
            &c["origin"],
            &c["kind"],
            &c["label"],
            &c["insurance_registered"]
        ),
        (
            &"typed".into(),
            &"my-number-card".into(),
            &"父".into(),
            &"yes".into()
        )
    );
    assert_eq!(c["certificate_expires"], "2026-04-10");
    // Only the expiry was typed: the stored start of the certificate is a placeholder, and the
    // card's own expiry is not inferred from it.
    assert_eq!(c["card_expires"], "");
    assert_eq!(c["card_expires_source"], "");
    assert_eq!(c["pin_counters"]["auth"]["state"], "unknown");
    assert_eq!(c["last_seen"], "");
    let key = c["key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 32);

    // JSON for scripts, and the Japanese text.
    let (code, out, _) = run(
        &bus,
        &[
            "add",
            "--expires",
            "2031-06-20",
            "--card-expires",
            "2034-06-20",
            "--json",
        ],
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["state"]["card_expires"], "2034-06-20");
    assert_eq!(doc["state"]["card_expires_source"], "user");
    assert_ne!(
        doc["card"],
        key.as_str(),
        "each typed card gets its own random key"
    );
    let (code, out, _) = run(&bus, &["add", "--expires", "2030-01-01", "--lang", "ja"]);
    assert_eq!(code, 0);
    assert!(out.contains("入力した日付でカードを記憶しました"), "{out}");
    assert!(out.contains("（手入力）"), "{out}");

    // Typed dates are validated: by the CLI (usage error) and by the daemon (its message).
    let (code, _, err) = run(&bus, &["add", "--expires", "2031-02-30"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&bus, &["add", "--expires", "0203-01-01"]);
    assert_eq!(code, 1);
    assert!(err.contains("not a plausible date"), "{err}");
    assert!(err.contains("Error.InvalidArgument"), "{err}");
    assert_eq!(run(&bus, &["add"]).0, 2, "--expires is required");
    let (ok, _, err) = busctl(
        &bus,
        &[
            "call",
            NAME,
            ROOT,
            MANAGER,
            "AddCard",
            "a{sv}",
            "2",
            "CertificateExpires",
            "s",
            "2031-06-20",
            "Expiry",
            "s",
            "2031-06-20",
        ],
    );
    assert!(!ok && err.contains("unknown property"), "{err}");
    let (ok, out, err) = busctl(
        &bus,
        &[
            "call",
            NAME,
            ROOT,
            MANAGER,
            "AddCard",
            "a{sv}",
            "1",
            "CertificateExpires",
            "s",
            "2029-09-09",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.starts_with("o \"/io/github/mynawatch/MynaWatch1/cards/"),
        "{out}"
    );
    let list = cards(&bus);
    assert_eq!(list.len(), 4, "{list:#?}");

    // Remembered across a restart, still typed in.
    assert_eq!(d.stop().code(), Some(0));
    let state = std::fs::read_to_string(dir.join("state.json")).unwrap();
    assert!(state.contains("\"origin\": \"typed\""), "{state}");
    let mut d = daemon(&bus, &dir);
    let list = cards(&bus);
    assert_eq!(list.len(), 4);
    assert!(list.iter().all(|c| c["origin"] == "typed"));
    assert_eq!(d.stop().code(), Some(0));
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_typed_card_read_later_becomes_one_card_and_the_user_is_told() {
    let _slots = support::pcscd::e2e();
    let bus = PrivateBus::start();
    let notifications = NotificationServer::start(&bus, Some("body actions"));
    let (_top, dir) = fresh_state_dir();
    let mut d = daemon(&bus, &dir);
    let (code, out, err) = run(
        &bus,
        &[
            "add",
            "--expires",
            "2026-06-20",
            "--card-expires",
            "2031-06-20",
            "--label",
            "母",
            "--registered",
            "yes",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let typed = serde_json::from_str::<serde_json::Value>(&out).unwrap()["card"]
        .as_str()
        .unwrap()
        .to_string();
    // Another typed card with another expiry stays as it is.
    assert_eq!(
        run(&bus, &["add", "--expires", "2027-01-31", "--label", "父"]).0,
        0
    );
    let before = notifications.notify_calls().len();

    let watch = Watch::after_snapshot(&bus);
    let _card = support::pcscd::SimCard::start(support::pcscd::SLOT0, &["--expires", "2026-06-20"]);
    let (merged, _) = watch.until("cards-merged", |e| e["event"] == "cards-merged");
    assert_eq!(merged["typed"], typed.as_str());
    let read = merged["card"].as_str().unwrap().to_string();
    assert_ne!(read, typed);
    let list = wait_for(
        Duration::from_secs(10),
        "the read card with its PINs",
        || {
            let list = cards(&bus);
            list.iter()
                .any(|c| {
                    c["key"] == read.as_str() && c["pin_counters"]["auth"]["state"] == "remaining"
                })
                .then_some(list)
        },
    );
    assert_eq!(list.len(), 2, "{list:?}");
    let c = list.iter().find(|c| c["key"] == read.as_str()).unwrap();
    assert_eq!(
        (
            &c["origin"],
            &c["label"],
            &c["insurance_registered"],
            &c["present"]
        ),
        (&"read".into(), &"母".into(), &"yes".into(), &true.into())
    );
    assert_eq!(c["card_expires"], "2031-06-20");
    assert_eq!(c["pin_counters"]["auth"]["tries"], 3);
    assert_eq!(c["pin_counters"]["sign"]["tries"], 5);
    assert!(c["last_seen"].as_str().unwrap().ends_with('Z'), "{c}");
    assert!(!list.iter().any(|c| c["key"] == typed.as_str()));
    assert!(list
        .iter()
        .any(|c| c["label"] == "父" && c["origin"] == "typed"));
    // Told: the log (no dates in it) and a notification.
    d.wait_log("merged the two");
    let told = wait_for(Duration::from_secs(10), "the merge notification", || {
        notifications
            .notify_calls()
            .into_iter()
            .skip(before)
            .find(|n| n.contains("typed in"))
    });
    assert!(told.contains("母"), "{told}");
    assert!(
        !d.log().contains("2026-06-20"),
        "the expiry date leaked into the log"
    );
    assert_eq!(d.stop().code(), Some(0));
    let state = std::fs::read_to_string(dir.join("state.json")).unwrap();
    assert!(!state.contains(&typed), "{state}");
}
