//! The user's settings from `$XDG_CONFIG_HOME/mynawatch/config.toml`: language, notifications on/off
//! and overrides of the rule policy (`[policy]`). A missing file means defaults; a bad file is an
//! error that names the file and the line, so the user can fix it.

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::l10n::Lang;
use crate::rules::Policy;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Output language; `None` = from the locale.
    pub lang: Option<Lang>,
    /// Show desktop notifications (the D-Bus service runs either way).
    pub notifications: bool,
    /// Rule parameters, e.g. `reminder_days_before_expiry = [60, 30, 7]`.
    pub policy: Policy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lang: None,
            notifications: true,
            policy: Policy::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// `line`/`column` are 1-based.
    #[error("{} line {line}, column {column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// An error the parser could not place in the file.
    #[error("{}: {message}", path.display())]
    InvalidFile { path: PathBuf, message: String },
}

impl Config {
    /// `$XDG_CONFIG_HOME/mynawatch/config.toml` (default `~/.config/mynawatch/config.toml`).
    pub fn default_path() -> Option<PathBuf> {
        let base = directories::BaseDirs::new()?;
        Some(base.config_dir().join("mynawatch").join("config.toml"))
    }

    /// Load `path`; a file that does not exist gives the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        Self::parse(path, &bytes)
    }

    /// Parse file contents; `path` is only used in error messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Config, ConfigError> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let (line, column) = line_col(bytes, e.valid_up_to());
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    line,
                    column,
                    message: "not valid UTF-8".into(),
                });
            }
        };
        toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => {
                let (line, column) = line_col(text.as_bytes(), span.start);
                ConfigError::Invalid {
                    path: path.to_path_buf(),
                    line,
                    column,
                    message: e.message().trim_end().to_string(),
                }
            }
            None => ConfigError::InvalidFile {
                path: path.to_path_buf(),
                message: e.message().trim_end().to_string(),
            },
        })
    }

    /// The language to use: the config's, else the locale's, else Japanese (a command's
    /// `--lang` comes first: `l10n::choose`).
    pub fn lang(&self) -> Lang {
        crate::l10n::choose(None, self.lang)
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(
            Path::new("/home/u/.config/mynawatch/config.toml"),
            text.as_bytes(),
        )
    }

    #[test]
    fn full_file_with_policy_override() {
        let c = parse(
            "# mine\nlang = \"en\"\nnotifications = false\n\n[policy]\nreminder_days_before_expiry = [60, 7]\n",
        )
        .unwrap();
        assert_eq!(c.lang, Some(Lang::En));
        assert!(!c.notifications);
        assert_eq!(c.policy.reminder_days_before_expiry, vec![60, 7]);
        // Unset policy values keep their defaults.
        assert_eq!(
            c.policy.reminder_days_before_grace_end,
            Policy::default().reminder_days_before_grace_end
        );
        assert_eq!(c.lang(), Lang::En);
    }

    #[test]
    fn empty_and_missing_files_give_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
        assert_eq!(parse("# nothing\n\n").unwrap(), Config::default());
        let tmp = tempfile::tempdir().unwrap();
        let c = Config::load(&tmp.path().join("nope/config.toml")).unwrap();
        assert_eq!(c, Config::default());
        assert!(c.notifications);
    }

    #[test]
    fn load_reads_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("config.toml");
        std::fs::write(&path, "lang = \"ja\"\n").unwrap();
        assert_eq!(Config::load(&path).unwrap().lang, Some(Lang::Ja));
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let err = parse("notifications = true\n\nlangg = \"en\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("/home/u/.config/mynawatch/config.toml line 3, column 1: "),
            "{msg}"
        );
        assert!(msg.contains("unknown field `langg`"), "{msg}");
        assert!(msg.contains("lang"), "{msg}");
    }

    #[test]
    fn bad_values_name_their_line() {
        let cases = [
            ("lang = \"fr\"\n", 1, "fr"),
            ("lang = \"en\"\nnotifications = \"yes\"\n", 2, ""),
            ("[policy]\nreminder_days_before_expiry = [30, -1]\n", 2, ""),
            (
                "[policy]\nrenewal_window_monthz = 2\n",
                2,
                "renewal_window_monthz",
            ),
            ("lang = \"en\"\nthis is not toml\n", 2, ""),
            ("lang = \"en\"\nlang = \"ja\"\n", 2, ""),
            // Absurd policy values (they published dates like -6307-10-15): out of range.
            (
                "[policy]\nrenewal_window_months = 100000\n",
                2,
                "100000 is out of range: expected 1 to 24",
            ),
            (
                "[policy]\n\ninsurance_grace_months_after_expiry_month = 4000000000\n",
                3,
                "out of range",
            ),
            ("[policy]\nrenewal_window_months = 0\n", 2, "out of range"),
            (
                "[policy]\ncert_validity_birthdays = 1000\n",
                2,
                "out of range",
            ),
            ("[policy]\nnew_card_lead_days = 100000\n", 2, "out of range"),
            (
                "[policy]\nreminder_days_before_expiry = [90, 3000000000]\n",
                2,
                "3000000000 days is out of range: expected 0 to 730",
            ),
            (
                "[policy]\nreminder_days_before_grace_end = [731]\n",
                2,
                "out of range",
            ),
        ];
        for (text, want_line, needle) in cases {
            match parse(text) {
                Err(ConfigError::Invalid { line, message, .. }) => {
                    assert_eq!(line, want_line, "{text:?}: {message}");
                    assert!(message.contains(needle), "{text:?}: {message}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn non_utf8_names_the_line() {
        let err = Config::parse(Path::new("c.toml"), b"lang = \"en\"\n# \xff\n").unwrap_err();
        assert_eq!(err.to_string(), "c.toml line 2, column 3: not valid UTF-8");
    }

    #[test]
    fn unreadable_path_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        // A directory is not readable as a file, even for root.
        let err = Config::load(tmp.path()).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
        assert!(err.to_string().contains(&tmp.path().display().to_string()));
    }

    #[test]
    fn the_config_language_is_the_configs() {
        // The config wins over the locale (the whole precedence: l10n::choose and its tests).
        let c = Config {
            lang: Some(Lang::Ja),
            ..Config::default()
        };
        assert_eq!(c.lang(), Lang::Ja);
    }
}
