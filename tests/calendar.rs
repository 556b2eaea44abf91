//! `mynawatch calendar` against the daemon binary, the file checked by an independent parser
//! (Debian's python3-icalendar, run by /usr/bin/python3): dates, one alarm per event, stable UIDs, Japanese
//! text surviving the 75-octet folding.

mod support;

use std::path::Path;

use support::bus::PrivateBus;
use support::daemon::{fresh_state_dir, write_state, DaemonProc};

const KEY: &str = "0123456789abcdef0123456789abcdef";

fn seed(dir: &Path) {
    write_state(
        dir,
        serde_json::json!({ KEY: {
            "label": "母（実家, 二階）",
            "token": "my-number-card",
            "cert": { "not_before": "2021-06-21", "not_after": "2026-06-20" },
            "card_expires": "2031-06-20",
            "registered": "yes",
        }}),
    );
}

/// Parse with python3-icalendar and print one JSON line per event.
const PARSE: &str = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
for ev in cal.walk('VEVENT'):
    alarms = [a for a in ev.walk('VALARM')]
    print(json.dumps({
        'uid': str(ev['UID']),
        'summary': str(ev['SUMMARY']),
        'description': str(ev['DESCRIPTION']),
        'start': ev.decoded('DTSTART').isoformat(),
        'end': ev.decoded('DTEND').isoformat(),
        'stamp': 'DTSTAMP' in ev,
        'alarms': [[str(a['ACTION']), str(a['DESCRIPTION']), str(a['TRIGGER'].to_ical().decode())] for a in alarms],
    }, ensure_ascii=False))
"#;

fn parse(file: &Path) -> Vec<serde_json::Value> {
    let out = std::process::Command::new("/usr/bin/python3")
        .args(["-c", PARSE])
        .arg(file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python3-icalendar could not parse the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn the_calendar_imports_cleanly_with_stable_uids_in_both_languages() {
    support::pcscd::require();
    let bus = PrivateBus::start();
    let (top, dir) = fresh_state_dir();
    seed(&dir);
    let mut d = DaemonProc::quiet(&bus, &dir, "2026-03-01");
    let ja = top.path().join("ja.ics");
    let out = bus
        .command(support::bin())
        .args(["calendar", "母（実家, 二階）", "--lang", "ja", "-o"])
        .arg(&ja)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&ja).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let bytes = std::fs::read(&ja).unwrap();
    let text = String::from_utf8(bytes).expect("UTF-8");
    for line in text.split_inclusive("\r\n") {
        assert!(line.ends_with("\r\n"), "not CRLF: {line:?}");
        assert!(line.len() - 2 <= 75, "{} octets: {line}", line.len() - 2);
    }
    assert!(
        text.contains("\r\n "),
        "nothing was folded: the test does not test folding"
    );

    let events = parse(&ja);
    let by_uid = |e: &[serde_json::Value], id: &str| -> serde_json::Value {
        let uid = format!("{id}-{KEY}@mynawatch.invalid");
        e.iter()
            .find(|ev| ev["uid"] == uid.as_str())
            .unwrap_or_else(|| panic!("no {uid} in {e:?}"))
            .clone()
    };
    assert_eq!(events.len(), 5, "{events:?}");
    let expires = by_uid(&events, "certificate-expires");
    assert_eq!(expires["start"], "2026-06-20");
    assert_eq!(expires["end"], "2026-06-21");
    assert_eq!(
        expires["summary"],
        "マイナンバーカード 電子証明書の有効期限（母（実家, 二階））"
    );
    assert!(expires["description"]
        .as_str()
        .unwrap()
        .contains("市区町村の窓口"));
    assert_eq!(by_uid(&events, "renewal-opens")["start"], "2026-03-21");
    assert_eq!(
        by_uid(&events, "insurance-usable-until")["start"],
        "2026-09-30"
    );
    by_uid(&events, "new-card-applications-open");
    by_uid(&events, "new-card-apply-by");
    for ev in &events {
        assert_eq!(ev["stamp"], true);
        let alarms = ev["alarms"].as_array().unwrap();
        assert_eq!(alarms.len(), 1, "{ev}");
        assert_eq!(alarms[0][0], "DISPLAY");
        assert!(!alarms[0][1].as_str().unwrap().is_empty());
    }

    // English, every card (stdout): the same UIDs, so a re-import updates instead of duplicating.
    let out = bus
        .command(support::bin())
        .args(["calendar", "--lang", "en"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let en = top.path().join("en.ics");
    std::fs::write(&en, &out.stdout).unwrap();
    let english = parse(&en);
    let mut a: Vec<_> = events.iter().map(|e| e["uid"].clone()).collect();
    let mut b: Vec<_> = english.iter().map(|e| e["uid"].clone()).collect();
    a.sort_by_key(|v| v.to_string());
    b.sort_by_key(|v| v.to_string());
    assert_eq!(a, b);
    assert_eq!(
        by_uid(&english, "certificate-expires")["summary"],
        "My Number Card: certificate expires (母（実家, 二階）)"
    );

    // Unknown card: the candidates, exit 1.
    let out = bus
        .command(support::bin())
        .args(["calendar", "父", "--lang", "en"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("remembered cards"));
    assert_eq!(d.stop().code(), Some(0));
}
