//! The presentation's words: every sentence mynawatch shows, in every language, comes from the
//! catalogue in `i18n/<lang>/mynawatch.ftl` (Fluent, embedded in the binary). The rule core returns
//! ids and typed arguments ([`Action`], [`Headline`]); this module renders them, and the CLI,
//! notifications, D-Bus `Actions`, calendar and tray all ask it for their words. One language per
//! output, decided once by [`choose`]. Adding a language: docs/translating.md.

mod rules;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};

pub use rules::{action, action_texts, headline, ActionText};

#[cfg(doc)]
use crate::rules::{Action, Headline};

/// Output language. The names (`ja`, `en`) are the config file's `lang`, `--lang` and the
/// catalogue's directory.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

/// Each language's catalogue, embedded at build time.
const CATALOGUES: [(Lang, &str); 2] = [
    (Lang::Ja, include_str!("../../i18n/ja/mynawatch.ftl")),
    (Lang::En, include_str!("../../i18n/en/mynawatch.ftl")),
];

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    /// From a POSIX locale value such as `ja_JP.UTF-8` or `en_US`: the language it names when
    /// there is a catalogue for it, English for `C`/`POSIX`, else Japanese.
    pub fn from_locale(value: &str) -> Self {
        let code = value.split(['_', '.', '@', '-']).next().unwrap_or("");
        if let Some(lang) = Lang::ALL.into_iter().find(|l| l.as_str() == code) {
            return lang;
        }
        if code == "C" || code == "POSIX" {
            return Lang::En;
        }
        Lang::Ja
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    fn catalogue(self) -> &'static Bundle {
        &BUNDLES[Lang::ALL.iter().position(|l| *l == self).unwrap_or(0)]
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Lang::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Lang::ALL.iter().map(|l| l.as_str()).collect();
                format!("expected one of {}, got {s:?}", names.join(", "))
            })
    }
}

/// The one decision of the output language, for every command: `--lang` if given, else the
/// config file's `lang`, else the locale ([`from_env`]).
pub fn choose(flag: Option<Lang>, config: Option<Lang>) -> Lang {
    flag.or(config)
        .unwrap_or_else(|| from_env(|k| std::env::var(k).ok()))
}

/// The locale's language by POSIX precedence (LC_ALL, LC_MESSAGES, LANG; the first non-empty one),
/// Japanese when none is set.
pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .find_map(|k| get(k).filter(|v| !v.is_empty()))
        .map(|v| Lang::from_locale(&v))
        .unwrap_or_default()
}

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<Vec<Bundle>> = LazyLock::new(|| {
    Lang::ALL
        .into_iter()
        .map(|lang| load(lang).unwrap_or_else(|e| panic!("{e}")))
        .collect()
});

/// Parse one embedded catalogue. Its tests make sure this never fails in a build.
fn load(lang: Lang) -> Result<Bundle, String> {
    let source = CATALOGUES
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, s)| *s)
        .ok_or_else(|| format!("no catalogue for {lang}"))?;
    let resource = FluentResource::try_new(source.to_owned())
        .map_err(|(_, e)| format!("i18n/{lang}/mynawatch.ftl does not parse: {e:?}"))?;
    let id = lang
        .as_str()
        .parse()
        .map_err(|e| format!("language id {lang}: {e}"))?;
    let mut bundle = Bundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around placeables: the text goes to terminals, notifications,
    // D-Bus strings and calendars, which do not want U+2068/U+2069 in it.
    bundle.set_use_isolating(false);
    bundle
        .add_builtins()
        .map_err(|e| format!("Fluent built-ins: {e:?}"))?;
    bundle
        .add_resource(resource)
        .map_err(|e| format!("i18n/{lang}/mynawatch.ftl: {e:?}"))?;
    Ok(bundle)
}

/// A message's variables: name and value (a string, or a number for plurals and `NUMBER`).
pub type Args<'a> = [(&'a str, FluentValue<'a>)];

/// Message `id` in `lang` with these variables, or the errors Fluent reported (an unknown id, a
/// missing variable, an unknown term).
pub(crate) fn try_tr(lang: Lang, id: &str, args: &Args<'_>) -> Result<String, Vec<String>> {
    let bundle = lang.catalogue();
    let pattern = bundle
        .get_message(id)
        .and_then(|m| m.value())
        .ok_or_else(|| vec![format!("no message {id:?} in {lang}")])?;
    let mut fargs = FluentArgs::new();
    for (name, value) in args {
        fargs.set(*name, value.clone());
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
    if errors.is_empty() {
        Ok(text.into_owned())
    } else {
        Err(errors
            .iter()
            .map(|e| format!("{id} in {lang}: {e}"))
            .collect())
    }
}

/// Message `id` in `lang`. The catalogue tests render every message with every argument shape in
/// every language, so this does not fail in a build; if it did, the id is shown (never a panic in
/// the product). Under `cfg(test)` it panics, so every unit test that renders words checks them.
pub fn tr(lang: Lang, id: &str, args: &Args<'_>) -> String {
    try_tr(lang, id, args).unwrap_or_else(|errors| fallback(id, &errors))
}

fn fallback(id: &str, errors: &[String]) -> String {
    if cfg!(test) {
        panic!("catalogue: {}", errors.join("; "));
    }
    tracing::warn!("catalogue: {}", errors.join("; "));
    id.to_owned()
}

/// A date for people: "2026年6月25日" in Japanese, ISO "2026-06-25" in English.
pub fn date(d: NaiveDate, lang: Lang) -> String {
    tr(
        lang,
        "date",
        &[
            ("year", d.year().into()),
            ("month", d.month().into()),
            ("day", d.day().into()),
            ("iso", d.format("%Y-%m-%d").to_string().into()),
        ],
    )
}
