//! The daemon's memory: what it knows about each card (dates, the user's answers, the last reminder),
//! kept in `state.json` next to the per-installation key salt, in the directory `crate::state_dir`
//! picks (`$STATE_DIRECTORY` under systemd, else `~/.local/state/mynawatch`).
//!
//! Only non-identifying data is stored: cards are keyed by a salted hash (`CardKey`) and the record
//! types have no field for a certificate, its subject or its serial. Files are 0600 in a 0700 dir,
//! written atomically (temp file + fsync + rename + dir fsync).
//!
//! Nothing the user stored is thrown away by a bad byte:
//! * each card record is read on its own: a record that does not parse (an impossible date, a bad
//!   key, a wrong type) is set aside, verbatim, in `state.json.rejected-<unix-ts>` (0600) and the
//!   other cards are kept;
//! * a file that is not a state file at all (not JSON, truncated) is moved aside whole to
//!   `state.json.corrupt-<unix-ts>`;
//! * a file written by a newer mynawatch (a higher `version`) is left alone and the daemon refuses
//!   to start ([`StoreError::NewerVersion`]): a downgrade must not eat the newer version's memory.
//!
//! The process that holds the directory's lock (one daemon at a time) also removes the temp files a
//! crash left behind, since they are full copies of an older state (a forgotten card included).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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

/// The file as read: each record stays raw JSON until it is parsed on its own, so one bad record
/// costs only itself.
#[derive(Deserialize)]
struct StateFileIn {
    #[serde(default)]
    cards: serde_json::Map<String, serde_json::Value>,
}

/// Records of a state file that could not be read, kept verbatim (`cards`, in the state file's own
/// shape, so a fixed copy can be put back) with why (`errors`; serde's words, which may quote the
/// bad value: the file is as private as state.json itself, unlike the log).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rejected {
    version: u32,
    pub cards: serde_json::Map<String, serde_json::Value>,
    pub errors: BTreeMap<String, String>,
}

impl Rejected {
    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }
}

/// A state file, read record by record.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub state: State,
    pub rejected: Rejected,
}

/// Why a state file cannot be read at all.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not a state file (not UTF-8, not JSON, no version, truncated, …): the message says where.
    Corrupt(String),
    /// Written by a newer mynawatch, in a format this one does not know.
    Newer(u32),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::Corrupt(why) => f.write_str(why),
            ParseError::Newer(v) => write!(
                f,
                "written by a newer mynawatch (state format {v}; this one reads {STATE_VERSION})"
            ),
        }
    }
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
    #[error(
        "{} was written by a newer mynawatch (state format {found}; this one reads {STATE_VERSION}); \
         not starting, so that its remembered cards are not lost: install that newer mynawatch \
         again, or move the file away to start with no remembered cards",
        path.display()
    )]
    NewerVersion { path: PathBuf, found: u32 },
}

/// The state directory: salt and state file.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    salt: Vec<u8>,
    /// Rejected records not yet written to their file: written before the next save, which would
    /// otherwise drop them from state.json (and that save fails if they cannot be).
    unsaved_rejects: Mutex<Option<Rejected>>,
    /// The directory's lock (`flock`), held while the store lives, when we got it.
    _lock: Option<File>,
}

impl Store {
    /// Open (creating if needed) the store in `dir` and load the remembered state.
    ///
    /// Records that do not parse are set aside (module docs) with a warning, the others are
    /// returned. A state file that is not one at all (or is unreadable) is moved aside to
    /// `state.json.corrupt-<unix-ts>` (the original bytes kept) with a warning, and an empty state
    /// is returned; the same for a corrupt salt file, which means remembered cards get new keys.
    /// A file from a newer mynawatch is an error ([`StoreError::NewerVersion`]), the file untouched.
    pub fn open(dir: &Path) -> Result<(Store, State), StoreError> {
        create_private_dir(dir)?;
        let lock = lock_dir(dir);
        if lock.is_some() {
            remove_stale_temp_files(dir);
        }
        let salt = load_or_create_salt(dir)?;
        let mut store = Store {
            dir: dir.to_path_buf(),
            salt,
            unsaved_rejects: Mutex::new(None),
            _lock: lock,
        };
        let state = store.load_state()?;
        let pending = store
            .unsaved_rejects
            .get_mut()
            .unwrap_or_else(|p| p.into_inner());
        // Only the lock holder rewrites the file: another daemon on the same directory (which will
        // not get the bus name) must not race the one that runs.
        if pending.is_some() && store._lock.is_some() {
            if let Err(e) = store.save(&state) {
                tracing::warn!(
                    error = %e,
                    "cannot set the unreadable card records aside yet; state.json is left as it \
                     is and the next save tries again"
                );
            }
        }
        Ok((store, state))
    }

    /// The per-installation salt for `CardIdentity::key`.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Path of the state file.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// Write `state` atomically: a reader (or a crash) sees either the old or the new file, whole.
    /// Records set aside at open are written to their own file first (once).
    pub fn save(&self, state: &State) -> Result<(), StoreError> {
        {
            let mut pending = self
                .unsaved_rejects
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(rejected) = pending.as_ref() {
                let path = self.write_rejected(rejected)?;
                tracing::warn!(
                    records = rejected.cards.len(),
                    kept = state.cards.len(),
                    set_aside_in = %path.display(),
                    "card records in state.json could not be read; set them aside in that file \
                     (the other cards are kept)"
                );
                *pending = None;
            }
        }
        let mut bytes = serde_json::to_vec_pretty(&StateFileOut {
            version: STATE_VERSION,
            cards: &state.cards,
        })?;
        bytes.push(b'\n');
        write_atomic(&self.dir, STATE_FILE, &bytes)
    }

    fn write_rejected(&self, rejected: &Rejected) -> Result<PathBuf, StoreError> {
        let mut bytes = serde_json::to_vec_pretty(rejected)?;
        bytes.push(b'\n');
        let name = free_name(&self.dir, &format!("{STATE_FILE}.rejected"));
        write_atomic(&self.dir, &name, &bytes)?;
        Ok(self.dir.join(name))
    }

    fn load_state(&mut self) -> Result<State, StoreError> {
        let path = self.state_path();
        let bytes = match read_file(&path) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(State::default()),
            // Unreadable (e.g. permissions): keep it for the user, start fresh.
            Err(e) => return start_fresh(&path, &e, "unreadable"),
        };
        match parse_state(&bytes) {
            Ok(Parsed { state, rejected }) => {
                if !rejected.is_empty() {
                    // Counts only: the errors may quote a date or a key, and the log is not private.
                    tracing::warn!(
                        path = %path.display(),
                        unreadable = rejected.cards.len(),
                        kept = state.cards.len(),
                        "some card records in the state file cannot be read; keeping the others"
                    );
                    *self
                        .unsaved_rejects
                        .get_mut()
                        .unwrap_or_else(|p| p.into_inner()) = Some(rejected);
                }
                Ok(state)
            }
            Err(ParseError::Newer(found)) => Err(StoreError::NewerVersion { path, found }),
            Err(ParseError::Corrupt(why)) => start_fresh(&path, &why, "corrupt"),
        }
    }
}

/// Read a state file record by record (module docs).
pub(crate) fn parse_state(bytes: &[u8]) -> Result<Parsed, ParseError> {
    let corrupt = ParseError::Corrupt;
    let text = std::str::from_utf8(bytes).map_err(|e| corrupt(format!("not UTF-8: {e}")))?;
    // The version first, on its own: a newer file may have a shape this code cannot read at all.
    #[derive(Deserialize)]
    struct VersionOnly {
        version: u32,
    }
    let v: VersionOnly = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    match v.version {
        STATE_VERSION => {}
        newer if newer > STATE_VERSION => return Err(ParseError::Newer(newer)),
        older => {
            return Err(corrupt(format!(
                "unknown state format {older} (this mynawatch reads {STATE_VERSION})"
            )))
        }
    }
    let file: StateFileIn = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    let mut state = State::default();
    let mut rejected = Rejected {
        version: STATE_VERSION,
        ..Rejected::default()
    };
    for (key, value) in file.cards {
        let record = CardKey::try_from(key.clone())
            .map_err(|_| "not a card key (32 lowercase hex digits)".to_string())
            .and_then(|k| {
                CardRecord::deserialize(&value)
                    .map(|r| (k, r))
                    .map_err(|e| e.to_string())
            });
        match record {
            Ok((k, r)) => {
                state.cards.insert(k, r);
            }
            Err(why) => {
                rejected.errors.insert(key.clone(), why);
                rejected.cards.insert(key, value);
            }
        }
    }
    Ok(Parsed { state, rejected })
}

/// `flock` the directory without waiting; `None` when another process holds it (or locks are not
/// supported there), which only means we do not tidy up.
fn lock_dir(dir: &Path) -> Option<File> {
    let f = File::open(dir).ok()?;
    match f.try_lock() {
        Ok(()) => Some(f),
        Err(TryLockError::WouldBlock) => {
            tracing::debug!(dir = %dir.display(), "the state directory is in use by another process");
            None
        }
        Err(TryLockError::Error(e)) => {
            tracing::debug!(dir = %dir.display(), error = %e, "cannot lock the state directory");
            None
        }
    }
}

/// Remove `.<name>.tmp-*` files that a crash between write and rename left behind.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stale = [STATE_FILE, SALT_FILE]
            .iter()
            .any(|f| name.starts_with(&format!(".{f}.tmp-")));
        if !stale {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => tracing::info!(file = name, "removed a temp file left by an earlier crash"),
            Err(e) => {
                tracing::warn!(file = name, error = %e, "cannot remove a temp file left by an earlier crash")
            }
        }
    }
}

/// `<dir>/<stem>-<unix-ts>`, with a counter if that exists: the file name only.
fn free_name(dir: &Path, stem: &str) -> String {
    let ts = Utc::now().timestamp();
    let mut name = format!("{stem}-{ts}");
    let mut n = 1;
    while dir.join(&name).exists() {
        name = format!("{stem}-{ts}-{n}");
        n += 1;
    }
    name
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

/// Move the state file at `path` aside (it is `what`: unreadable, corrupt) and say so; the store
/// goes on with no remembered cards.
fn start_fresh(
    path: &Path,
    error: &dyn std::fmt::Display,
    what: &str,
) -> Result<State, StoreError> {
    let aside = move_aside(path)?;
    tracing::warn!(
        path = %path.display(),
        moved_to = %aside.display(),
        error = %error,
        "state file {what}; moved it aside and starting with no remembered cards"
    );
    Ok(State::default())
}

/// Rename `path` to `<path>.corrupt-<unix-ts>` (with a counter if that exists) and return the new path.
fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let stem = format!(
        "{}.corrupt",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let aside = dir.join(free_name(dir, &stem));
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
pub(crate) mod tests {
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

    /// The file names in `dir`, sorted.
    pub(crate) fn names(dir: &Path) -> Vec<String> {
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

    /// Each file that is not a state file at all is moved aside byte for byte and a fresh state
    /// comes back.
    #[test]
    fn corrupt_state_is_moved_aside_with_original_bytes() {
        let cases: [(&str, &[u8]); 7] = [
            ("garbage", b"{not json"),
            ("truncated", b"{\"version\":1,\"cards\":{\"0123"),
            ("empty", b""),
            ("non-utf8", b"\xff\xfe{\"version\":1}"),
            ("cards not a map", b"{\"version\":1,\"cards\":[]}"),
            ("no version", b"{\"cards\":{}}"),
            ("version 0", b"{\"version\":0,\"cards\":{}}"),
        ];
        for (what, bytes) in cases {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            drop(Store::open(dir).unwrap());
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
            drop(store);
            assert_eq!(Store::open(dir).unwrap().1, st, "{what}");
        }
    }

    /// A state file with three good cards and one bad record of each kind.
    fn file_with_bad_records(
        good: &State,
    ) -> (String, Vec<(&'static str, String, serde_json::Value)>) {
        let mut json = serde_json::to_value(StateFileOut {
            version: STATE_VERSION,
            cards: &good.cards,
        })
        .unwrap();
        let rec = serde_json::to_value(good.cards.values().next().unwrap()).unwrap();
        let mut impossible_date = rec.clone();
        impossible_date["cert"]["not_after"] = "2027-02-30".into();
        let mut wrong_type = rec.clone();
        wrong_type["token"] = 42.into();
        let bad = vec![
            (
                "impossible date",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_string(),
                impossible_date,
            ),
            ("bad key", "../../etc".to_string(), rec.clone()),
            ("upper-case key", "A".repeat(32), rec),
            (
                "wrong type",
                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".to_string(),
                wrong_type,
            ),
        ];
        for (_, k, v) in &bad {
            json["cards"][k] = v.clone();
        }
        (serde_json::to_string_pretty(&json).unwrap(), bad)
    }

    /// [`file_with_bad_records`] written as `dir`'s state.json.
    fn write_bad_records(
        dir: &Path,
        good: &State,
    ) -> (String, Vec<(&'static str, String, serde_json::Value)>) {
        let (text, bad) = file_with_bad_records(good);
        fs::write(dir.join("state.json"), &text).unwrap();
        (text, bad)
    }

    /// The files bad records were set aside in.
    fn rejected_files(dir: &Path) -> Vec<String> {
        names(dir)
            .into_iter()
            .filter(|n| n.starts_with("state.json.rejected-"))
            .collect()
    }

    /// A store in a new directory, and three cards under its salt (not saved).
    fn three_cards() -> (tempfile::TempDir, Store, State) {
        let tmp = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(tmp.path()).unwrap();
        let (_, one) = sample(&store);
        let rec = one.cards.values().next().unwrap().clone();
        let mut state = State::default();
        for (n, label) in [(1u8, "母"), (2, "父"), (3, "")] {
            let key = CardIdentity::new(b"issuer", &[n]).key(store.salt());
            state.cards.insert(
                key,
                CardRecord {
                    label: label.into(),
                    ..rec.clone()
                },
            );
        }
        (tmp, store, state)
    }

    /// One impossible date or bad key costs only its own record: the others load, the bad ones are
    /// kept verbatim in a private `state.json.rejected-<ts>`, state.json is rewritten without them,
    /// and the next start finds nothing to reject.
    #[test]
    fn a_bad_record_is_set_aside_and_every_other_card_kept() {
        let (tmp, store, good) = three_cards();
        let dir = tmp.path();
        drop(store);
        let (_, bad) = write_bad_records(dir, &good);

        let (store, state) = Store::open(dir).unwrap();
        assert_eq!(
            state, good,
            "every good card, with its label, answers and reminder history"
        );
        let rejected = rejected_files(dir);
        assert_eq!(rejected.len(), 1, "{:?}", names(dir));
        let path = dir.join(&rejected[0]);
        assert_eq!(mode(&path), 0o600);
        let kept: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(kept["version"], 1);
        for (what, k, v) in &bad {
            assert_eq!(&kept["cards"][k], v, "{what}: kept verbatim");
            assert!(kept["errors"][k].is_string(), "{what}: with why");
        }
        assert_eq!(kept["cards"].as_object().unwrap().len(), bad.len());
        // state.json now holds only what loaded; reopening rejects nothing more.
        drop(store);
        let (_, again) = Store::open(dir).unwrap();
        assert_eq!(again, good);
        assert_eq!(rejected_files(dir).len(), 1, "{:?}", names(dir));
        assert!(!names(dir).iter().any(|n| n.contains("corrupt")));
    }

    /// While another process holds the directory (a second daemon that will not get the bus name),
    /// the file is not rewritten; this store's first save sets the bad records aside first.
    #[test]
    fn without_the_lock_the_bad_records_are_set_aside_by_the_first_save() {
        // `_holder` holds the lock to the end (a named binding, unlike `_`, is not dropped at once).
        let (tmp, _holder, good) = three_cards();
        let dir = tmp.path();
        let (text, bad) = write_bad_records(dir, &good);
        let (second, state) = Store::open(dir).unwrap();
        assert_eq!(state, good);
        assert_eq!(fs::read_to_string(dir.join("state.json")).unwrap(), text);
        assert!(!names(dir).iter().any(|n| n.contains("rejected")));
        second.save(&state).unwrap();
        let rejected = rejected_files(dir);
        assert_eq!(rejected.len(), 1);
        let kept: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join(&rejected[0])).unwrap()).unwrap();
        assert_eq!(kept["cards"].as_object().unwrap().len(), bad.len());
        // Only once.
        second.save(&state).unwrap();
        let n = names(dir).iter().filter(|n| n.contains("rejected")).count();
        assert_eq!(n, 1);
    }

    /// A file from a newer mynawatch is never moved, rewritten or judged corrupt: open fails with a
    /// message that says what to do.
    #[test]
    fn a_newer_version_refuses_to_open_and_leaves_the_file_alone() {
        for bytes in [
            &b"{\"version\":2,\"cards\":{}}"[..],
            b"{\"version\":99,\"cards\":[1,2,3],\"new\":true}",
        ] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            drop(Store::open(dir).unwrap());
            fs::write(dir.join("state.json"), bytes).unwrap();
            let err = Store::open(dir).unwrap_err();
            assert!(matches!(err, StoreError::NewerVersion { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(
                msg.contains("newer mynawatch") && msg.contains("state.json"),
                "{msg}"
            );
            assert_eq!(fs::read(dir.join("state.json")).unwrap(), bytes);
            assert_eq!(names(dir), ["salt", "state.json"]);
        }
    }

    /// Temp files a crash left (full copies of an older state, forgotten cards included) are
    /// removed when the store opens; other files are not touched.
    #[test]
    fn temp_files_left_by_a_crash_are_removed_at_open() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let (store, state) = Store::open(dir).unwrap();
        store.save(&state).unwrap();
        drop(store);
        for n in [
            ".state.json.tmp-123-0",
            ".state.json.tmp-99999-7",
            ".salt.tmp-5-0",
        ] {
            fs::write(dir.join(n), b"{\"version\":1,\"cards\":{}}").unwrap();
        }
        fs::write(dir.join("notes.txt"), b"mine").unwrap();
        drop(Store::open(dir).unwrap());
        assert_eq!(names(dir), ["notes.txt", "salt", "state.json"]);
    }

    #[test]
    fn two_corruptions_in_the_same_second_keep_both_copies() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::write(dir.join("state.json"), b"one").unwrap();
        drop(Store::open(dir).unwrap());
        fs::write(dir.join("state.json"), b"two").unwrap();
        drop(Store::open(dir).unwrap());
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
