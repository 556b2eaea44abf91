//! Where the daemon keeps its memory (salt + `state.json`), and carrying that memory over from the
//! other place a mynawatch may have kept it.
//!
//! The directory is, in this order: `--state-dir`; `$STATE_DIRECTORY` (set by systemd from the
//! unit's `StateDirectory=mynawatch`, first path if several, systemd.exec(5)); else
//! `$XDG_STATE_HOME/mynawatch` (`~/.local/state/mynawatch`). An explicit flag wins over the
//! environment so that a hand-run or test daemon is never redirected by a `STATE_DIRECTORY` it merely
//! inherited; systemd's `ExecStart=` never passes the flag.
//!
//! systemd ≤ 253 puts a *user* unit's `StateDirectory=` under `$XDG_CONFIG_HOME`
//! (`~/.config/mynawatch`, next to `config.toml`), systemd ≥ 254 under `$XDG_STATE_HOME` (and, when
//! only the old directory exists, makes the new one a symlink to it). So the same user's cards may be
//! in `~/.config/mynawatch` (the unit on Debian 12) or `~/.local/state/mynawatch` (a daemon run by
//! hand, or the unit on a newer systemd). Unless `--state-dir` was given, [`carry_over`] looks at
//! both and makes the chosen directory hold the newest readable memory:
//!
//! * only a pair this mynawatch can read counts (a salt and a state file that parse);
//! * the newest `state.json` (modification time) wins; the chosen directory's own state is replaced
//!   only by a strictly newer one, never by an older one or an equally old one;
//! * if the chosen directory's state was made with another salt (an unrelated memory) or is
//!   unreadable, it is first copied aside as `state.json.replaced-<unix-ts>` + `salt.replaced-<ts>`,
//!   so nothing is lost; a state with the same salt is an earlier copy of the same memory;
//! * the copy writes the salt first, then the state (each atomically), then gives the state the
//!   source's modification time: a crash in between leaves an older state that the next start
//!   replaces again, and a finished copy is not copied back the other way;
//! * the other place is only read, never changed (in the unit's sandbox it is read-only).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::Utc;

use crate::store::{self, StoreError};

/// Why the daemon uses the directory it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--state-dir`: exactly that directory, nothing carried over.
    CommandLine,
    /// `$STATE_DIRECTORY`, set by systemd for the unit.
    Systemd,
    /// `$XDG_STATE_HOME/mynawatch` (or `~/.local/state/mynawatch`).
    XdgDefault,
}

/// The state directory to use, and the other places where earlier runs may have left the memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub dir: PathBuf,
    pub origin: Origin,
    /// Other known places, in the order they are looked at (empty for [`Origin::CommandLine`]).
    pub others: Vec<PathBuf>,
}

/// The directory name under the XDG base directories (and the unit's `StateDirectory=`).
const APP: &str = "mynawatch";

/// An XDG base directory: the variable when it is an absolute path, else `$HOME/<fallback>`
/// (the basedir spec: relative values are invalid and must be ignored).
fn xdg_base(get: &impl Fn(&str) -> Option<OsString>, var: &str, fallback: &str) -> Option<PathBuf> {
    let from_var = get(var).map(PathBuf::from).filter(|p| p.is_absolute());
    from_var.or_else(|| {
        get("HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .map(|h| h.join(fallback))
    })
}

/// Pick the state directory from the command line and the environment (`get` reads a variable).
pub fn resolve(
    flag: Option<PathBuf>,
    get: impl Fn(&str) -> Option<OsString>,
) -> Result<Location, StoreError> {
    if let Some(dir) = flag {
        return Ok(Location {
            dir,
            origin: Origin::CommandLine,
            others: Vec::new(),
        });
    }
    let state = xdg_base(&get, "XDG_STATE_HOME", ".local/state").map(|b| b.join(APP));
    let config = xdg_base(&get, "XDG_CONFIG_HOME", ".config").map(|b| b.join(APP));
    // systemd joins several directories with ':' (systemd.exec(5)); ours is the first.
    let systemd = get("STATE_DIRECTORY")
        .and_then(|v| {
            v.to_str()
                .and_then(|s| s.split(':').next())
                .map(PathBuf::from)
        })
        .filter(|p| p.is_absolute());
    let (dir, origin) = match (systemd, &state) {
        (Some(dir), _) => (dir, Origin::Systemd),
        (None, Some(dir)) => (dir.clone(), Origin::XdgDefault),
        (None, None) => return Err(StoreError::NoStateDir),
    };
    let others = [state, config]
        .into_iter()
        .flatten()
        .filter(|p| *p != dir)
        .collect();
    Ok(Location {
        dir,
        origin,
        others,
    })
}

/// What one directory holds, as far as carrying the memory over is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Held {
    /// No state file (a lone salt keys nothing).
    Nothing,
    /// A state file this mynawatch cannot use (corrupt, unreadable, no salt).
    Unusable(String),
    /// A state file written by a newer mynawatch: never replaced (the store refuses to start on
    /// it) and never copied (this mynawatch cannot read it).
    Newer(String),
    /// A salt and a state file that both parse.
    Memory(Memory),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    pub salt: Vec<u8>,
    pub state: Vec<u8>,
    pub cards: usize,
    /// The state file's modification time: when that daemon last saved.
    pub saved: SystemTime,
}

/// What [`plan`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The chosen directory already holds the newest memory (or there is none anywhere).
    Keep,
    /// Copy the memory found in `others[from]`; first copy the chosen directory's own state aside
    /// when `keep_aside` (another salt, or unusable).
    Adopt { from: usize, keep_aside: bool },
}

/// The pure decision (module docs): the newest usable memory wins, ties keep what is in place.
pub fn plan(own: &Held, others: &[Held]) -> Plan {
    let newest = others
        .iter()
        .enumerate()
        .filter_map(|(i, h)| match h {
            Held::Memory(m) => Some((i, m)),
            Held::Nothing | Held::Unusable(_) | Held::Newer(_) => None,
        })
        // The first of equally new ones (max_by_key would take the last).
        .fold(None::<(usize, &Memory)>, |best, (i, m)| match best {
            Some((_, b)) if b.saved >= m.saved => best,
            _ => Some((i, m)),
        });
    let Some((from, theirs)) = newest else {
        return Plan::Keep;
    };
    match own {
        Held::Newer(_) => Plan::Keep,
        Held::Nothing => Plan::Adopt {
            from,
            keep_aside: false,
        },
        Held::Unusable(_) => Plan::Adopt {
            from,
            keep_aside: true,
        },
        Held::Memory(mine) if mine.saved >= theirs.saved => Plan::Keep,
        Held::Memory(mine) if mine.salt == theirs.salt && mine.state == theirs.state => Plan::Keep,
        Held::Memory(mine) => Plan::Adopt {
            from,
            keep_aside: mine.salt != theirs.salt,
        },
    }
}

/// Look at what `dir` holds. Only reads.
pub fn survey(dir: &Path) -> Held {
    let state_path = dir.join(store::STATE_FILE);
    let state = match fs::read(&state_path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Held::Nothing,
        Err(e) => return Held::Unusable(format!("cannot read {}: {e}", state_path.display())),
    };
    let saved = match fs::metadata(&state_path).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(e) => return Held::Unusable(format!("{}: {e}", state_path.display())),
    };
    let salt_path = dir.join(store::SALT_FILE);
    let salt = match fs::read(&salt_path) {
        Ok(b) => match store::parse_salt(&b) {
            Some(_) => b,
            None => return Held::Unusable(format!("{} is corrupt", salt_path.display())),
        },
        Err(e) => return Held::Unusable(format!("cannot read {}: {e}", salt_path.display())),
    };
    match store::parse_state(&state) {
        Ok(parsed) => Held::Memory(Memory {
            salt,
            state,
            cards: parsed.state.cards.len(),
            saved,
        }),
        Err(why @ store::ParseError::Newer(_)) => {
            Held::Newer(format!("{}: {why}", state_path.display()))
        }
        Err(why @ store::ParseError::Corrupt(_)) => {
            Held::Unusable(format!("{}: {why}", state_path.display()))
        }
    }
}

/// Two paths naming the same directory (systemd ≥ 254's compatibility symlink makes
/// `~/.local/state/mynawatch` point at `~/.config/mynawatch`).
fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// What [`carry_over`] did, for the log and the tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Nothing,
    Copied {
        from: PathBuf,
        cards: usize,
        /// Where the replaced state went, when it was kept aside.
        aside: Option<PathBuf>,
    },
}

/// Make `loc.dir` hold the newest memory of the known places (module docs). Logs what it does.
/// An error means the chosen directory could not be written; the daemon must not start on an empty
/// memory then, or its next save would look newer than the cards it failed to copy.
pub fn carry_over(loc: &Location) -> Result<Outcome, StoreError> {
    if loc.origin == Origin::CommandLine {
        return Ok(Outcome::Nothing);
    }
    let others: Vec<&PathBuf> = loc
        .others
        .iter()
        .filter(|o| !same_dir(o, &loc.dir))
        .collect();
    let held: Vec<Held> = others.iter().map(|o| survey(o)).collect();
    for (dir, h) in others.iter().zip(&held) {
        if let Held::Unusable(why) | Held::Newer(why) = h {
            tracing::warn!(
                dir = %dir.display(),
                reason = %why,
                "found mynawatch state here that cannot be used; not carrying it over"
            );
        }
    }
    let own = survey(&loc.dir);
    let Plan::Adopt { from, keep_aside } = plan(&own, &held) else {
        return Ok(Outcome::Nothing);
    };
    let Held::Memory(memory) = &held[from] else {
        unreachable!("plan adopts only a usable memory");
    };
    let source = others[from];
    store::create_private_dir(&loc.dir)?;
    let aside = if keep_aside {
        Some(copy_aside(&loc.dir)?)
    } else {
        None
    };
    store::write_atomic(&loc.dir, store::SALT_FILE, &memory.salt)?;
    store::write_atomic(&loc.dir, store::STATE_FILE, &memory.state)?;
    let target = loc.dir.join(store::STATE_FILE);
    File::options()
        .write(true)
        .open(&target)
        .and_then(|f| f.set_modified(memory.saved))
        .map_err(|source| StoreError::Write {
            path: target.clone(),
            source,
        })?;
    tracing::info!(
        from = %source.display(),
        to = %loc.dir.display(),
        cards = memory.cards,
        kept_aside = aside.as_ref().map(|p| p.display().to_string()),
        "carried the remembered cards over from the other state directory (it was newer); \
         the other copy is left as it was"
    );
    Ok(Outcome::Copied {
        from: source.clone(),
        cards: memory.cards,
        aside,
    })
}

/// Copy `dir`'s state file (and salt, when there is one) to `*.replaced-<unix-ts>`; returns the
/// state copy's path.
fn copy_aside(dir: &Path) -> Result<PathBuf, StoreError> {
    let ts = Utc::now().timestamp();
    let mut suffix = format!("replaced-{ts}");
    let mut n = 1;
    while dir.join(format!("{}.{suffix}", store::STATE_FILE)).exists() {
        suffix = format!("replaced-{ts}-{n}");
        n += 1;
    }
    let mut state_copy = None;
    for name in [store::STATE_FILE, store::SALT_FILE] {
        let from = dir.join(name);
        let bytes = match fs::read(&from) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(StoreError::Read { path: from, source }),
        };
        let aside = format!("{name}.{suffix}");
        store::write_atomic(dir, &aside, &bytes)?;
        if name == store::STATE_FILE {
            state_copy = Some(dir.join(aside));
        }
    }
    Ok(state_copy.expect("keep_aside is planned only when there is a state file"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::names;
    use std::collections::HashMap;
    use std::time::Duration;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    /// Where `resolve` puts the state for `flag` in the environment `pairs`.
    fn located(flag: Option<&str>, pairs: &[(&str, &str)]) -> Location {
        resolve(flag.map(p), env(pairs)).unwrap()
    }

    #[test]
    fn the_flag_wins_and_carries_nothing_over() {
        let loc = located(
            Some("/tmp/mine"),
            &[
                ("STATE_DIRECTORY", "/home/u/.config/mynawatch"),
                ("HOME", "/home/u"),
            ],
        );
        assert_eq!(loc.dir, p("/tmp/mine"));
        assert_eq!(loc.origin, Origin::CommandLine);
        assert!(loc.others.is_empty());
    }

    #[test]
    fn systemd_252_state_directory_is_under_config() {
        let loc = located(
            None,
            &[
                ("STATE_DIRECTORY", "/home/u/.config/mynawatch"),
                ("HOME", "/home/u"),
            ],
        );
        assert_eq!(loc.dir, p("/home/u/.config/mynawatch"));
        assert_eq!(loc.origin, Origin::Systemd);
        assert_eq!(loc.others, [p("/home/u/.local/state/mynawatch")]);
    }

    #[test]
    fn newer_systemd_state_directory_is_under_state_and_the_first_of_several_is_ours() {
        let loc = located(
            None,
            &[
                (
                    "STATE_DIRECTORY",
                    "/home/u/.local/state/mynawatch:/home/u/.local/state/other",
                ),
                ("HOME", "/home/u"),
            ],
        );
        assert_eq!(loc.dir, p("/home/u/.local/state/mynawatch"));
        assert_eq!(loc.others, [p("/home/u/.config/mynawatch")]);
    }

    #[test]
    fn by_hand_it_is_xdg_state_home_and_relative_values_are_ignored() {
        let loc = located(
            None,
            &[
                ("XDG_STATE_HOME", "/s"),
                ("XDG_CONFIG_HOME", "/c"),
                ("HOME", "/home/u"),
            ],
        );
        assert_eq!(
            (loc.dir.as_path(), loc.origin),
            (Path::new("/s/mynawatch"), Origin::XdgDefault)
        );
        assert_eq!(loc.others, [p("/c/mynawatch")]);
        let loc = located(
            None,
            &[
                ("XDG_STATE_HOME", "rel"),
                ("STATE_DIRECTORY", "also/relative"),
                ("HOME", "/home/u"),
            ],
        );
        assert_eq!(loc.dir, p("/home/u/.local/state/mynawatch"));
        assert_eq!(loc.origin, Origin::XdgDefault);
        assert!(resolve(None, env(&[])).is_err());
        assert!(resolve(None, env(&[("HOME", "relative")])).is_err());
    }

    fn mem(salt: u8, state: &str, secs: u64) -> Held {
        Held::Memory(Memory {
            salt: vec![salt],
            state: state.as_bytes().to_vec(),
            cards: 1,
            saved: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
        })
    }

    #[test]
    fn plan_newest_wins_never_an_older_one() {
        let adopt = |from, keep_aside| Plan::Adopt { from, keep_aside };
        // Nothing anywhere, or nothing usable elsewhere.
        assert_eq!(plan(&Held::Nothing, &[]), Plan::Keep);
        assert_eq!(
            plan(&Held::Nothing, &[Held::Nothing, Held::Unusable("x".into())]),
            Plan::Keep
        );
        // Nothing here: take what is there.
        assert_eq!(plan(&Held::Nothing, &[mem(1, "a", 10)]), adopt(0, false));
        // Unusable here: take it, keep ours aside.
        assert_eq!(
            plan(&Held::Unusable("corrupt".into()), &[mem(1, "a", 10)]),
            adopt(0, true)
        );
        // Ours is newer or as new: keep it.
        assert_eq!(plan(&mem(1, "b", 20), &[mem(1, "a", 10)]), Plan::Keep);
        assert_eq!(plan(&mem(2, "b", 10), &[mem(1, "a", 10)]), Plan::Keep);
        // Theirs is newer: same salt = an earlier copy of the same memory, replaced.
        assert_eq!(plan(&mem(1, "a", 10), &[mem(1, "b", 20)]), adopt(0, false));
        // Another salt: an unrelated memory, kept aside first.
        assert_eq!(plan(&mem(2, "a", 10), &[mem(1, "b", 20)]), adopt(0, true));
        // The newest of several; the first of equals.
        assert_eq!(
            plan(
                &Held::Nothing,
                &[mem(1, "a", 10), mem(2, "b", 30), mem(3, "c", 30)]
            ),
            adopt(1, false)
        );
    }

    #[test]
    fn plan_does_not_copy_an_identical_memory() {
        assert_eq!(plan(&mem(1, "a", 10), &[mem(1, "a", 20)]), Plan::Keep);
    }

    /// A daemon's leftovers: salt `salt` (one byte repeated), a state with one card, saved at `secs`.
    fn leave(dir: &Path, salt: u8, label: &str, secs: u64) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join("salt"), format!("{}\n", hex::encode([salt; 32]))).unwrap();
        let state = format!(
            "{{\"version\":1,\"cards\":{{\"0123456789abcdef0123456789abcdef\":\
             {{\"token\":\"my-number-card\",\"label\":\"{label}\"}}}}}}"
        );
        fs::write(dir.join("state.json"), state).unwrap();
        set_saved(dir, secs);
    }

    fn set_saved(dir: &Path, secs: u64) {
        File::options()
            .write(true)
            .open(dir.join("state.json"))
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
    }

    fn label(dir: &Path) -> String {
        let v: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("state.json")).unwrap()).unwrap();
        v["cards"]["0123456789abcdef0123456789abcdef"]["label"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// `~/.config/mynawatch` (systemd 252's StateDirectory=) and `~/.local/state/mynawatch`.
    fn home() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let config = t.path().join(".config/mynawatch");
        let state = t.path().join(".local/state/mynawatch");
        (t, config, state)
    }

    fn unit_252(t: &tempfile::TempDir, config: &Path) -> Location {
        let h = t.path().to_str().unwrap().to_string();
        let c = config.to_str().unwrap().to_string();
        resolve(None, env(&[("HOME", &h), ("STATE_DIRECTORY", &c)])).unwrap()
    }

    #[test]
    fn cards_of_a_hand_run_daemon_move_into_the_unit_directory_once() {
        let (t, config, state) = home();
        leave(&state, 7, "by hand", 1_000);
        fs::create_dir_all(&config).unwrap();
        fs::write(config.join("config.toml"), "lang = \"en\"\n").unwrap();
        let loc = unit_252(&t, &config);
        let out = carry_over(&loc).unwrap();
        assert_eq!(
            out,
            Outcome::Copied {
                from: state.clone(),
                cards: 1,
                aside: None
            }
        );
        assert_eq!(label(&config), "by hand");
        assert_eq!(
            fs::read(config.join("salt")).unwrap(),
            fs::read(state.join("salt")).unwrap()
        );
        assert_eq!(names(&config), ["config.toml", "salt", "state.json"]);
        assert_eq!(
            fs::read_to_string(config.join("config.toml")).unwrap(),
            "lang = \"en\"\n"
        );
        use std::os::unix::fs::PermissionsExt;
        for f in ["salt", "state.json"] {
            let mode = fs::metadata(config.join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
        // The copy is as old as its source: nothing happens again, in either direction.
        assert_eq!(carry_over(&loc).unwrap(), Outcome::Nothing);
        let h = t.path().to_str().unwrap().to_string();
        let by_hand = resolve(None, env(&[("HOME", &h)])).unwrap();
        assert_eq!(by_hand.dir, state);
        assert_eq!(carry_over(&by_hand).unwrap(), Outcome::Nothing);
        // The unit saves later: a hand-run daemon then takes that newer memory.
        fs::write(
            config.join("state.json"),
            fs::read_to_string(config.join("state.json"))
                .unwrap()
                .replace("by hand", "by unit"),
        )
        .unwrap();
        set_saved(&config, 2_000);
        assert!(matches!(
            carry_over(&by_hand).unwrap(),
            Outcome::Copied { aside: None, .. }
        ));
        assert_eq!(label(&state), "by unit");
    }

    #[test]
    fn an_older_memory_never_replaces_a_newer_one_and_another_salt_is_kept_aside() {
        let (t, config, state) = home();
        leave(&state, 1, "old", 1_000);
        leave(&config, 2, "new", 2_000);
        let loc = unit_252(&t, &config);
        assert_eq!(carry_over(&loc).unwrap(), Outcome::Nothing);
        assert_eq!(label(&config), "new");
        // The other way round the newer one wins, and the older unrelated one is kept aside.
        set_saved(&state, 3_000);
        let Outcome::Copied {
            aside: Some(aside), ..
        } = carry_over(&loc).unwrap()
        else {
            panic!("not copied");
        };
        assert_eq!(label(&config), "old");
        assert_eq!(
            fs::read(config.join("salt")).unwrap(),
            fs::read(state.join("salt")).unwrap()
        );
        let kept: serde_json::Value = serde_json::from_slice(&fs::read(&aside).unwrap()).unwrap();
        assert_eq!(
            kept["cards"]["0123456789abcdef0123456789abcdef"]["label"],
            "new"
        );
        let salt_aside = aside.to_str().unwrap().replace("state.json.", "salt.");
        assert_eq!(
            fs::read_to_string(salt_aside).unwrap().trim(),
            hex::encode([2u8; 32])
        );
        // The source is never touched.
        assert_eq!(names(&state), ["salt", "state.json"]);
        assert_eq!(label(&state), "old");
    }

    #[test]
    fn unusable_memories_are_not_carried_over_and_a_corrupt_own_one_is_kept_aside() {
        let (t, config, state) = home();
        leave(&state, 1, "x", 1_000);
        fs::write(state.join("state.json"), "{not json").unwrap();
        set_saved(&state, 5_000);
        let loc = unit_252(&t, &config);
        assert_eq!(carry_over(&loc).unwrap(), Outcome::Nothing);
        assert!(
            !config.exists(),
            "nothing written when there is nothing to carry"
        );
        // No salt next to it: unusable too (its keys mean nothing without it).
        leave(&state, 1, "x", 5_000);
        fs::remove_file(state.join("salt")).unwrap();
        assert_eq!(carry_over(&loc).unwrap(), Outcome::Nothing);
        // A corrupt state in the unit's own directory is kept aside, byte for byte.
        leave(&state, 1, "good", 5_000);
        fs::create_dir_all(&config).unwrap();
        fs::write(config.join("state.json"), "garbage").unwrap();
        let Outcome::Copied {
            aside: Some(aside), ..
        } = carry_over(&loc).unwrap()
        else {
            panic!("not copied");
        };
        assert_eq!(fs::read(aside).unwrap(), b"garbage");
        assert_eq!(label(&config), "good");
    }

    #[test]
    fn the_compatibility_symlink_of_newer_systemd_is_one_directory_not_two() {
        let (t, config, state) = home();
        leave(&config, 1, "in config", 1_000);
        fs::create_dir_all(state.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink("../../.config/mynawatch", &state).unwrap();
        let h = t.path().to_str().unwrap().to_string();
        let s = state.to_str().unwrap().to_string();
        let loc = resolve(None, env(&[("HOME", &h), ("STATE_DIRECTORY", &s)])).unwrap();
        assert_eq!(loc.others, std::slice::from_ref(&config));
        assert_eq!(carry_over(&loc).unwrap(), Outcome::Nothing);
        assert_eq!(names(&config), ["salt", "state.json"]);
    }

    #[test]
    fn the_command_line_directory_is_used_as_it_is() {
        let (t, config, state) = home();
        leave(&state, 1, "x", 1_000);
        let loc = resolve(
            Some(config.clone()),
            env(&[("HOME", t.path().to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(carry_over(&loc).unwrap(), Outcome::Nothing);
        assert!(!config.exists());
    }

    #[test]
    fn state_file_names_do_not_clash_with_the_config_file() {
        // systemd 252 puts the state directory where config.toml lives.
        for name in [store::STATE_FILE, store::SALT_FILE] {
            assert_ne!(name, "config.toml");
            assert!(!name.starts_with("config"), "{name}");
        }
    }
}
