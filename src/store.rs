//! The daemon's memory: what it knows about each card (dates, the user's answers, the last reminder),
//! kept in `state.json` next to the per-installation key salt, in the directory `crate::state_dir`
//! picks (`$STATE_DIRECTORY` under systemd, else `~/.local/state/mynawatch`).
//!
//! Only non-identifying data is stored: cards are keyed by a salted hash (`CardKey`) and the record
//! types have no field for a certificate, its subject or its serial. Files are 0600 in a 0700 dir,
//! written atomically (temp file + fsync + rename + dir fsync). A corrupt file is moved aside, never
//! overwritten, so the user's data is not silently lost.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::card::CardKey;
use crate::rules::{CertValidity, Facts, Milestone, PinCounters, Registration, TokenKind};

/// File names inside the state directory.
pub(crate) const STATE_FILE: &str = "state.json";
pub(crate) const SALT_FILE: &str = "salt";
/// Salt length in bytes (stored as 64 hex characters).
const SALT_LEN: usize = 32;
/// The state file format version this code writes and reads.
const STATE_VERSION: u32 = 1;

/// What the daemon remembers about one card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRecord {
    /// The user's name for the card ("" until they set one).
    #[serde(default)]
    pub label: String,
    pub token: TokenKind,
    #[serde(default)]
    pub cert: Option<CertValidity>,
    /// The card's printed expiry, when the user told us.
    #[serde(default)]
    pub card_expires: Option<NaiveDate>,
    #[serde(default)]
    pub registered: Registration,
    #[serde(default)]
    pub pins: PinCounters,
    /// The last reminder milestone delivered: its notification shown (or, with notifications off,
    /// its signal emitted).
    #[serde(default)]
    pub last_notified: Option<Milestone>,
    /// A milestone whose signal went out but whose notification could not be shown yet: shown when
    /// a notification server appears (also after a restart), then it becomes `last_notified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_reminder: Option<Milestone>,
    #[serde(default)]
    pub last_seen: Option<DateTime<Utc>>,
    /// Read from a card, or typed in by the user from the card's face (`mynawatch add`).
    #[serde(default)]
    pub origin: Origin,
}

/// Where a remembered card came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Read in a reader: keyed by the salted hash of its certificate.
    #[default]
    Read,
    /// Typed in from the dates on its face: keyed by a random id (there is no serial to hash).
    Typed,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Read => "read",
            Origin::Typed => "typed",
        }
    }
}

impl CardRecord {
    /// A record for a card of this kind about which nothing else is known yet.
    pub fn new(token: TokenKind) -> Self {
        CardRecord {
            label: String::new(),
            token,
            cert: None,
            card_expires: None,
            registered: Registration::Unknown,
            pins: PinCounters::default(),
            last_notified: None,
            pending_reminder: None,
            last_seen: None,
            origin: Origin::Read,
        }
    }

    /// A card typed in from its face: a My Number Card whose certificate expires on `expires`.
    /// The issue day is not on the face; the earliest day a certificate expiring on `expires` can
    /// have been issued (5 years before, plus a day) stands in for it.
    pub fn typed(expires: NaiveDate, card_expires: Option<NaiveDate>) -> Self {
        let not_before = expires
            .checked_sub_months(chrono::Months::new(60))
            .and_then(|d| d.succ_opt())
            .unwrap_or(expires);
        CardRecord {
            cert: Some(CertValidity {
                not_before,
                not_after: expires,
            }),
            card_expires,
            origin: Origin::Typed,
            ..CardRecord::new(TokenKind::MyNumberCard)
        }
    }

    /// What the rule core is told about this card.
    pub fn facts(&self) -> Facts {
        Facts {
            token: self.token,
            cert: self.cert,
            card_expires: self.card_expires,
            registered: self.registered,
            pins: self.pins,
        }
    }
}

/// Everything remembered, by card.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub cards: BTreeMap<CardKey, CardRecord>,
}

/// The on-disk shape: a version number so a future format change is detected, not misread.
#[derive(Serialize)]
struct StateFileOut<'a> {
    version: u32,
    cards: &'a BTreeMap<CardKey, CardRecord>,
}

#[derive(Deserialize)]
struct StateFileIn {
    version: u32,
    cards: BTreeMap<CardKey, CardRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot find the state directory: none of $STATE_DIRECTORY, $XDG_STATE_HOME, $HOME is set to an absolute path")]
    NoStateDir,
    #[error("cannot create the state directory {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot move the unreadable file {} aside: {source}", path.display())]
    MoveAside { path: PathBuf, source: io::Error },
    #[error("cannot get random bytes for the key salt: {0}")]
    Random(String),
    #[error("cannot serialize the state: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// The state directory: salt and state file.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    salt: Vec<u8>,
}

impl Store {
    /// Open (creating if needed) the store in `dir` and load the remembered state.
    ///
    /// A corrupt or unreadable state file is moved aside to `state.json.corrupt-<unix-ts>` (the
    /// original bytes kept) with a warning, and an empty state is returned; the same for a corrupt
    /// salt file, which means remembered cards get new keys.
    pub fn open(dir: &Path) -> Result<(Store, State), StoreError> {
        create_private_dir(dir)?;
        let salt = load_or_create_salt(dir)?;
        let store = Store {
            dir: dir.to_path_buf(),
            salt,
        };
        let state = store.load_state()?;
        Ok((store, state))
    }

    /// The per-installation salt for `CardIdentity::key`.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the state file.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// Write `state` atomically: a reader (or a crash) sees either the old or the new file, whole.
    pub fn save(&self, state: &State) -> Result<(), StoreError> {
        let mut bytes = serde_json::to_vec_pretty(&StateFileOut {
            version: STATE_VERSION,
            cards: &state.cards,
        })?;
        bytes.push(b'\n');
        write_atomic(&self.dir, STATE_FILE, &bytes)
    }

    fn load_state(&self) -> Result<State, StoreError> {
        let path = self.state_path();
        let bytes = match read_file(&path) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(State::default()),
            Err(e) => {
                // Unreadable (e.g. permissions): keep it for the user, start fresh.
                let aside = move_aside(&path)?;
                tracing::warn!(
                    path = %path.display(),
                    moved_to = %aside.display(),
                    error = %e,
                    "state file unreadable; moved it aside and starting with no remembered cards"
                );
                return Ok(State::default());
            }
        };
        match parse_state(&bytes) {
            Ok(state) => Ok(state),
            Err(why) => {
                let aside = move_aside(&path)?;
                tracing::warn!(
                    path = %path.display(),
                    moved_to = %aside.display(),
                    error = %why,
                    "state file corrupt; moved it aside and starting with no remembered cards"
                );
                Ok(State::default())
            }
        }
    }
}

pub(crate) fn parse_state(bytes: &[u8]) -> Result<State, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let file: StateFileIn = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if file.version != STATE_VERSION {
        return Err(format!(
            "unsupported state version {} (this mynawatch reads {STATE_VERSION})",
            file.version
        ));
    }
    Ok(State { cards: file.cards })
}

/// `Ok(None)` when the file does not exist.
fn read_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match File::open(path) {
        Ok(mut f) => {
            let mut buf = Vec::new();
            f.read_to_end(&mut buf)?;
            Ok(Some(buf))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::CreateDir {
        path: dir.to_path_buf(),
        source,
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(err)?;
    // The mode above is filtered by the umask, and an existing dir keeps its mode: set it explicitly,
    // but only when it differs, so a read-only mount with the right mode still opens (state kept in
    // memory, saves fail with a logged error until it is writable again).
    let mode = fs::metadata(dir).map_err(err)?.permissions().mode() & 0o7777;
    if mode == 0o700 {
        return Ok(());
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(err)
}

fn load_or_create_salt(dir: &Path) -> Result<Vec<u8>, StoreError> {
    let path = dir.join(SALT_FILE);
    match read_file(&path) {
        Ok(Some(bytes)) => match parse_salt(&bytes) {
            Some(salt) => return Ok(salt),
            None => {
                let aside = move_aside(&path)?;
                tracing::warn!(
                    path = %path.display(),
                    moved_to = %aside.display(),
                    "key salt file corrupt; moved it aside and made a new salt, so remembered cards \
                     will be re-keyed and show up as new cards"
                );
            }
        },
        Ok(None) => {}
        Err(source) => return Err(StoreError::Read { path, source }),
    }
    let mut salt = vec![0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| StoreError::Random(e.to_string()))?;
    let mut text = hex::encode(&salt);
    text.push('\n');
    write_atomic(dir, SALT_FILE, text.as_bytes())?;
    Ok(salt)
}

pub(crate) fn parse_salt(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let salt = hex::decode(text).ok()?;
    (salt.len() == SALT_LEN).then_some(salt)
}

/// Rename `path` to `<path>.corrupt-<unix-ts>` (with a counter if that exists) and return the new path.
fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let ts = Utc::now().timestamp();
    let mut aside = PathBuf::from(format!("{}.corrupt-{ts}", path.display()));
    let mut n = 1;
    while aside.exists() {
        aside = PathBuf::from(format!("{}.corrupt-{ts}-{n}", path.display()));
        n += 1;
    }
    fs::rename(path, &aside).map_err(|source| StoreError::MoveAside {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(aside)
}

/// Write `dir/name` as a new 0600 file via a temp file in the same dir, fsync, rename, dir fsync.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let target = dir.join(name);
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        // The umask may have removed bits from 0600 or (for odd umasks) the owner's: set it exactly.
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, &target)?;
        // Make the rename itself durable.
        File::open(dir)?.sync_all()
    })();
    result.map_err(|source| {
        let _ = fs::remove_file(&tmp);
        StoreError::Write {
            path: target,
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardIdentity;
    use crate::rules::{MilestoneKind, PinState};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn sample(store: &Store) -> (CardKey, State) {
        let key = CardIdentity::new(b"issuer", &[7, 7, 7]).key(store.salt());
        let mut rec = CardRecord::new(TokenKind::MyNumberCard);
        rec.label = "母のカード".into();
        rec.cert = Some(CertValidity {
            not_before: date(2021, 5, 1),
            not_after: date(2026, 5, 20),
        });
        rec.card_expires = Some(date(2031, 5, 20));
        rec.registered = Registration::Yes;
        rec.pins = PinCounters {
            auth: Some(PinState::Remaining(3)),
            sign: Some(PinState::Blocked),
            card_info: None,
        };
        rec.last_notified = Some(Milestone {
            date: date(2026, 4, 20),
            kind: MilestoneKind::BeforeExpiry(30),
        });
        rec.last_seen = Some(DateTime::from_timestamp(1_790_000_000, 0).unwrap());
        let mut state = State::default();
        state.cards.insert(key.clone(), rec);
        (key, state)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn round_trip_and_salt_is_stable() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/mynawatch");
        let (store, state) = Store::open(&dir).unwrap();
        assert!(state.cards.is_empty());
        assert_eq!(store.salt().len(), 32);
        let (key, state) = sample(&store);
        store.save(&state).unwrap();

        let (store2, loaded) = Store::open(&dir).unwrap();
        assert_eq!(store2.salt(), store.salt(), "salt must be created once");
        assert_eq!(loaded, state);
        assert_eq!(loaded.cards[&key].facts().registered, Registration::Yes);
        assert_eq!(names(&dir), ["salt", "state.json"], "no temp files left");

        let text = fs::read_to_string(dir.join("state.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["version"], 1);
        assert!(json["cards"][key.as_str()]["label"] == "母のカード");
    }

    /// umask is process-wide, so the restrictive-umask case runs in a child test process.
    #[test]
    fn files_are_private_regardless_of_umask() {
        if crate::test_util::rerun_in_child(
            "store::tests::files_are_private_regardless_of_umask",
            &[],
        ) {
            return;
        }
        // 0277 would leave 0400 files and a 0500 dir if the code relied on `mode()` alone.
        // SAFETY: umask only sets the process file-mode mask; no memory is involved.
        unsafe { libc::umask(0o277) };
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("mw");
        let (store, state) = Store::open(&dir).unwrap();
        store.save(&state).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("salt")), 0o600);
        assert_eq!(mode(&dir.join("state.json")), 0o600);
    }

    #[test]
    fn existing_dir_is_tightened_to_0700() {
        let tmp = tempfile::tempdir().unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        Store::open(tmp.path()).unwrap();
        assert_eq!(mode(tmp.path()), 0o700);
    }

    /// Each bad state file is moved aside byte for byte and a fresh state comes back.
    #[test]
    fn corrupt_state_is_moved_aside_with_original_bytes() {
        let cases: [(&str, &[u8]); 7] = [
            ("garbage", b"{not json"),
            ("truncated", b"{\"version\":1,\"cards\":{\"0123"),
            ("empty", b""),
            ("non-utf8", b"\xff\xfe{\"version\":1}"),
            (
                "wrong types",
                b"{\"version\":1,\"cards\":{\"0123456789abcdef0123456789abcdef\":{\"token\":42}}}",
            ),
            (
                "bad key",
                b"{\"version\":1,\"cards\":{\"../../etc\":{\"token\":\"my-number-card\"}}}",
            ),
            ("future version", b"{\"version\":99,\"cards\":{}}"),
        ];
        for (what, bytes) in cases {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            Store::open(dir).unwrap();
            fs::write(dir.join("state.json"), bytes).unwrap();
            let (store, state) = Store::open(dir).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(state.cards.is_empty(), "{what}");
            let aside: Vec<String> = names(dir)
                .into_iter()
                .filter(|n| n.starts_with("state.json.corrupt-"))
                .collect();
            assert_eq!(aside.len(), 1, "{what}: {:?}", names(dir));
            assert_eq!(fs::read(dir.join(&aside[0])).unwrap(), bytes, "{what}");
            assert!(!dir.join("state.json").exists(), "{what}");
            // And the store works afterwards.
            let (_, st) = sample(&store);
            store.save(&st).unwrap();
            assert_eq!(Store::open(dir).unwrap().1, st, "{what}");
        }
    }

    #[test]
    fn two_corruptions_in_the_same_second_keep_both_copies() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::write(dir.join("state.json"), b"one").unwrap();
        Store::open(dir).unwrap();
        fs::write(dir.join("state.json"), b"two").unwrap();
        Store::open(dir).unwrap();
        let mut contents: Vec<Vec<u8>> = names(dir)
            .into_iter()
            .filter(|n| n.starts_with("state.json.corrupt-"))
            .map(|n| fs::read(dir.join(n)).unwrap())
            .collect();
        contents.sort();
        assert_eq!(contents, [b"one".to_vec(), b"two".to_vec()]);
    }

    #[test]
    fn corrupt_salt_is_moved_aside_and_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (store, _) = Store::open(dir).unwrap();
        let old = store.salt().to_vec();
        fs::write(dir.join("salt"), b"not hex at all").unwrap();
        let (store, _) = Store::open(dir).unwrap();
        assert_eq!(store.salt().len(), 32);
        assert_ne!(store.salt(), &old[..]);
        let aside: Vec<String> = names(dir)
            .into_iter()
            .filter(|n| n.starts_with("salt.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(fs::read(dir.join(&aside[0])).unwrap(), b"not hex at all");
        assert_eq!(mode(&dir.join("salt")), 0o600);
        // A salt of the wrong length is corrupt too.
        fs::write(dir.join("salt"), hex::encode([1u8; 16])).unwrap();
        let (store2, _) = Store::open(dir).unwrap();
        assert_ne!(store2.salt(), store.salt());
    }

    #[test]
    fn unwritable_target_gives_a_clear_error_and_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (store, _) = Store::open(dir).unwrap();
        let (_, state) = sample(&store);
        // A directory where the state file should be: rename over it fails even for root.
        fs::create_dir(dir.join("state.json")).unwrap();
        fs::write(dir.join("state.json/keep"), b"x").unwrap();
        let err = store.save(&state).unwrap_err();
        assert!(matches!(err, StoreError::Write { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("cannot write") && msg.contains("state.json"),
            "{msg}"
        );
        assert_eq!(names(dir), ["salt", "state.json"]);
    }

    #[test]
    fn old_files_without_optional_fields_still_load() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let key = "0123456789abcdef0123456789abcdef";
        fs::write(
            dir.join("state.json"),
            format!("{{\"version\":1,\"cards\":{{\"{key}\":{{\"token\":\"juki-card\"}}}}}}"),
        )
        .unwrap();
        let (_, state) = Store::open(dir).unwrap();
        let rec = &state.cards[&CardKey::try_from(key.to_string()).unwrap()];
        assert_eq!(rec, &CardRecord::new(TokenKind::JukiCard));
    }
}
