//! Hostile state and config files (the in-CI counterpart of the `state_file` / `config_file` fuzz
//! targets): arbitrary and damaged bytes through `Store::open` and `Config::parse`, then the rule core
//! on whatever was loaded. A typed error or a valid result, never a panic; a corrupt state file is
//! kept byte for byte; a newer one is refused and left alone; an accepted state survives save +
//! load; config errors point into the file.

use std::path::Path;

use chrono::NaiveDate;
use mynawatch::config::{Config, ConfigError};
use mynawatch::l10n::{self, Lang};
use mynawatch::rules::{self, CertValidity, Facts, PinCounters, Policy, Registration, TokenKind};
use mynawatch::store::{CardRecord, State, Store, StoreError};
use proptest::prelude::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Everything the daemon does with facts and a policy, on a few days: must not panic.
fn judge(facts: &Facts, policy: &Policy) {
    for today in [
        day(2026, 11, 26),
        day(2027, 2, 15),
        NaiveDate::MIN,
        NaiveDate::MAX,
    ] {
        let a = rules::assess(facts, today, policy);
        let _ = (l10n::headline(&a, Lang::Ja), l10n::headline(&a, Lang::En));
        let _ = l10n::action_texts(&a.actions);
        let ms = rules::milestones(facts, policy);
        let _ = rules::due_milestone(facts, today, policy, ms.first());
        let _ = rules::next_milestone(facts, today, policy);
    }
}

fn facts(cert: Option<(NaiveDate, NaiveDate)>, card_expires: Option<NaiveDate>) -> Facts {
    Facts {
        token: TokenKind::MyNumberCard,
        cert: cert.map(|(not_before, not_after)| CertValidity {
            not_before,
            not_after,
        }),
        card_expires,
        registered: Registration::Unknown,
        pins: PinCounters::default(),
    }
}

/// Load `bytes` as the state file of a fresh store; check the store's promises; return the state.
fn load_state(bytes: &[u8]) -> State {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, bytes).unwrap();
    let (store, state) = match Store::open(dir.path()) {
        Ok(opened) => opened,
        Err(StoreError::NewerVersion { .. }) => {
            assert_eq!(
                std::fs::read(&path).unwrap(),
                bytes,
                "a newer file was changed"
            );
            return State::default();
        }
        Err(e) => panic!("a bad state file is not an error: {e}"),
    };
    if path.exists() {
        // Every record of the file was either loaded or set aside: none is silently dropped.
        let records = |v: &serde_json::Value| v["cards"].as_object().map_or(0, |m| m.len());
        let input: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let set_aside: usize = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("state.json.rejected-"))
            .map(|p| records(&serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()))
            .sum();
        assert_eq!(state.cards.len() + set_aside, records(&input));
        store.save(&state).unwrap();
        assert_eq!(Store::open(dir.path()).unwrap().1, state);
    } else {
        assert!(state.cards.is_empty());
        let kept: Vec<Vec<u8>> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("state.json.corrupt-"))
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        assert_eq!(kept, vec![bytes.to_vec()]);
    }
    for r in state.cards.values() {
        judge(&r.facts(), &Policy::default());
    }
    state
}

/// A realistic state file, as the store writes it.
fn good_state_file() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (store, mut state) = Store::open(dir.path()).unwrap();
    let mut r = CardRecord::new(TokenKind::MyNumberCard);
    r.label = "母".into();
    r.cert = Some(CertValidity {
        not_before: day(2022, 3, 1),
        not_after: day(2027, 2, 14),
    });
    r.last_notified = rules::milestones(&r.facts(), &Policy::default())
        .first()
        .copied();
    let key = "0123456789abcdef0123456789abcdef"
        .to_string()
        .try_into()
        .unwrap();
    state.cards.insert(key, r);
    store.save(&state).unwrap();
    std::fs::read(dir.path().join("state.json")).unwrap()
}

fn check_config(bytes: &[u8]) {
    match Config::parse(Path::new("config.toml"), bytes) {
        Ok(cfg) => {
            for (cert, exp) in [
                (Some((day(2022, 3, 1), day(2027, 2, 14))), None),
                (
                    Some((day(2021, 1, 31), day(2026, 1, 31))),
                    Some(day(2031, 1, 31)),
                ),
                (None, None),
            ] {
                judge(&facts(cert, exp), &cfg.policy);
            }
        }
        Err(ConfigError::Invalid { line, column, .. }) => {
            let lines = bytes.split(|b| *b == b'\n').count();
            assert!((1..=lines).contains(&line), "line {line} of {lines}");
            assert!(column >= 1);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

#[test]
fn the_good_state_file_loads_back() {
    let s = load_state(&good_state_file());
    assert_eq!(s.cards.len(), 1);
}

#[test]
fn extreme_dates_in_a_state_file_are_judged_without_panic() {
    let text = String::from_utf8(good_state_file()).unwrap();
    for (from, to) in [
        ("2027-02-14", "+262142-12-31"),
        ("2022-03-01", "-262143-01-01"),
    ] {
        let s = load_state(text.replace(from, to).as_bytes());
        // chrono reads the extreme years: the record is kept and judged (no panic above).
        assert_eq!(s.cards.len(), 1, "{to}");
    }
}

#[test]
fn extreme_policy_values_do_not_panic_the_rules() {
    for key in [
        "renewal_window_months",
        "insurance_grace_months_after_expiry_month",
        "cert_validity_birthdays",
        "early_renewal_birthdays",
        "new_card_window_months",
        "new_card_lead_days",
    ] {
        for v in [0u32, 1, 1200, u32::MAX] {
            check_config(format!("[policy]\n{key} = {v}\n").as_bytes());
        }
    }
    for key in [
        "reminder_days_before_expiry",
        "reminder_days_before_grace_end",
    ] {
        check_config(format!("[policy]\n{key} = [0, 4294967295, 1, 1]\n").as_bytes());
    }
}

#[test]
fn config_errors_point_into_the_file() {
    let e = Config::parse(Path::new("c.toml"), b"lang = \"en\"\n\nbogus = 1\n").unwrap_err();
    assert!(matches!(e, ConfigError::Invalid { line: 3, .. }), "{e}");
    let e = Config::parse(Path::new("c.toml"), b"lang = \"en\"\n\xff\n").unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                line: 2,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
}

fn config_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("renewal_window_months"),
        Just("insurance_grace_months_after_expiry_month"),
        Just("cert_validity_birthdays"),
        Just("early_renewal_birthdays"),
        Just("new_card_window_months"),
        Just("new_card_lead_days"),
    ];
    prop_oneof![
        (key, any::<u32>()).prop_map(|(k, v)| format!("{k} = {v}")),
        proptest::collection::vec(any::<u32>(), 0..5)
            .prop_map(|v| format!("reminder_days_before_expiry = {v:?}")),
        proptest::collection::vec(any::<u32>(), 0..5)
            .prop_map(|v| format!("reminder_days_before_grace_end = {v:?}")),
        "[ -~]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_state_bytes_load_or_are_moved_aside(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        load_state(&bytes);
    }

    #[test]
    fn damaged_state_files_load_or_are_moved_aside(at in 0..2000usize, b in any::<u8>(), cut in 0..2000usize) {
        let mut f = good_state_file();
        let i = at % f.len();
        f[i] = b;
        f.truncate(cut.max(i + 1));
        load_state(&f);
    }

    #[test]
    fn arbitrary_config_bytes_parse_or_fail_with_a_position(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check_config(&bytes);
    }

    #[test]
    fn arbitrary_policies_do_not_panic_the_rules(lines in proptest::collection::vec(config_line(), 0..6)) {
        check_config(format!("[policy]\n{}\n", lines.join("\n")).as_bytes());
    }
}

/// Writes the fuzzers' seed inputs to `fuzz/seeds/` (`cargo test --test hostile_files -- --ignored`).
#[test]
#[ignore = "writes files; run by hand to refresh fuzz/seeds"]
fn write_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for d in ["state_file", "config_file"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("state_file/one-card.json"), good_state_file()).unwrap();
    std::fs::write(
        root.join("config_file/full.toml"),
        "lang = \"en\"\nnotifications = false\n\n[policy]\nrenewal_window_months = 3\n\
         reminder_days_before_expiry = [60, 30, 7]\nreminder_days_before_grace_end = [30, 7]\n",
    )
    .unwrap();
}
