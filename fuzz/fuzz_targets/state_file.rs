//! Fuzz target: loading the daemon's state file (`store::Store::open` on a directory whose
//! `state.json` is the fuzz input), then judging every remembered card with the rule core. Checks:
//! a corrupt file is never an error (it is moved aside with its bytes intact and the state is empty),
//! a file from a newer version is an error and stays as it was, an accepted state (bad records set
//! aside) saves and reloads to the same state, and the rules never panic on what was loaded (dates
//! anywhere in chrono's range, any milestone).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use mynawatch::rules::{self, Policy};
use mynawatch::store::{Store, StoreError};

/// One private directory per fuzzing process, on tmpfs when there is one (save() fsyncs).
fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("mynawatch-fuzz-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = dir();
    let _ = Store::open(dir).expect("the state directory can be created");
    let state_path = dir.join("state.json");
    std::fs::write(&state_path, data).unwrap();
    let (store, state) = match Store::open(dir) {
        Ok(opened) => opened,
        Err(StoreError::NewerVersion { .. }) => {
            assert_eq!(std::fs::read(&state_path).unwrap(), data, "a newer file was changed");
            return;
        }
        Err(e) => panic!("a bad state file is not an error: {e}"),
    };
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().contains("state.json.rejected-") {
            std::fs::remove_file(&p).unwrap();
        }
    }
    if state_path.exists() {
        store.save(&state).expect("an accepted state saves");
        let (_, again) = Store::open(dir).unwrap();
        assert_eq!(again, state, "state changed across save + load");
    } else {
        assert!(
            state.cards.is_empty(),
            "a corrupt file must give a fresh state"
        );
        let mut kept = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.to_string_lossy().contains("state.json.corrupt-") {
                kept.push(std::fs::read(&p).unwrap());
                std::fs::remove_file(&p).unwrap();
            }
        }
        assert_eq!(
            kept,
            vec![data.to_vec()],
            "the corrupt file was not kept as it was"
        );
    }
    let policy = Policy::default();
    for today in [
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        NaiveDate::MIN,
        NaiveDate::MAX,
    ] {
        for record in state.cards.values() {
            let facts = record.facts();
            let a = rules::assess(&facts, today, &policy);
            let _ = a.headline(mynawatch::rules::Lang::Ja);
            let _ = rules::milestones(&facts, &policy);
            let _ = rules::due_milestone(&facts, today, &policy, record.last_notified.as_ref());
            let _ = rules::next_milestone(&facts, today, &policy);
        }
    }
});
