//! The catalogue test: every language has every message, every message is used, and every action
//! and headline renders in every language with every shape of its arguments, without a Fluent error.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use fluent_bundle::FluentValue;

use super::rules::{headline_args, message};
use super::*;
use crate::rules::{
    Action, CardExpirySource, Fix, Headline, NewCardWhen, PinKind, Policy, RenewPhase,
};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Every action id with every shape of its arguments.
pub(crate) fn every_action() -> Vec<Action> {
    let (a, b) = (d("2026-06-25"), d("2026-09-24"));
    let mut out = Vec::new();
    for unknown in [false, true] {
        out.push(Action::RenewLater {
            renewal_opens: a,
            expires: b,
            birthdays: 6,
            card_face_unknown: unknown,
        });
        for phase in [RenewPhase::Open, RenewPhase::Expired, RenewPhase::Lapsed] {
            out.push(Action::RenewCertificate {
                phase,
                expires: a,
                grace_end: b,
                birthdays: 6,
                card_face_unknown: unknown,
            });
        }
    }
    for source in [CardExpirySource::User, CardExpirySource::CertificateSpan] {
        out.push(Action::NewCardLater {
            card_expires: b,
            applications_open: a,
            source,
        });
        let mut whens = vec![NewCardWhen::Expired];
        for from in [None, Some(a)] {
            for by in [None, Some(b)] {
                whens.push(NewCardWhen::Ahead { from, by });
            }
        }
        for when in whens {
            out.push(Action::ApplyNewCard {
                card_expires: b,
                when,
                source,
            });
        }
    }
    for grace_end in [None, Some(b)] {
        out.push(Action::NewCardInsurance { grace_end });
        out.push(Action::AskInsurer { by: grace_end });
    }
    for after in [None, Some(Fix::Renew), Some(Fix::NewCard)] {
        out.push(Action::RegisterInsurance { after });
        out.push(Action::CheckRegistration { after });
    }
    for after in [Fix::Renew, Fix::NewCard] {
        out.push(Action::ReRegisterInsurance { after });
    }
    for pin in PinKind::ALL {
        for certs_valid in [false, true] {
            out.push(Action::ResetPin { pin, certs_valid });
        }
    }
    // Every non-empty subset of the PINs, in the rule core's stable order.
    for mask in 1..8u8 {
        let pins = PinKind::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, p)| p)
            .collect();
        out.push(Action::PinLastTry { pins });
    }
    out.extend([
        Action::GetMyNumberCard,
        Action::UsePhysicalCard,
        Action::UnknownCard,
        Action::IssueCertificate,
    ]);
    for m in Policy::default().measures {
        out.push(Action::Measure {
            id: m.id,
            ja: None,
            en: None,
        });
    }
    out
}

fn every_headline() -> Vec<Headline> {
    let until = d("2026-12-31");
    let mut out = Vec::new();
    for days in [0, 1, 2, 80] {
        out.extend([
            Headline::Valid { days },
            Headline::ValidNewCardNext { days },
            Headline::RenewalOpen { days },
            Headline::NewCardDue { days },
            Headline::Expired { days, until },
            Headline::CardExpired { days, until },
        ]);
    }
    out.extend([
        Headline::Lapsed,
        Headline::LapsedNewCard,
        Headline::LapsedUnregistered,
        Headline::NoCertificate,
        Headline::NotAMyNumberCard,
    ]);
    out
}

/// The message ids (not terms) of one catalogue, the terms it defines, and the terms and messages
/// its messages reference (`{ -term }`, `{ message }`).
fn ids_of(source: &str) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let (mut messages, mut terms, mut used) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for line in source.lines() {
        if let Some((head, _)) = line.split_once(" =") {
            if !head.starts_with([' ', '#']) && !head.is_empty() {
                match head.strip_prefix('-') {
                    Some(term) => terms.insert(term.to_owned()),
                    None => messages.insert(head.to_owned()),
                };
            }
        }
        for (i, _) in line.match_indices("{ ") {
            let rest = line[i + 2..].trim_start_matches('-');
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(rest.len());
            if end > 0 && rest[..1].chars().all(|c| c.is_ascii_lowercase()) {
                used.insert(rest[..end].to_owned());
            }
        }
    }
    (messages, terms, used)
}

/// The string literals in the crate's and the tray's sources that look like message ids.
fn literals_in_sources() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for lit in text.split('"').skip(1).step_by(2) {
                    if !lit.is_empty()
                        && lit
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    {
                        out.insert(lit.to_owned());
                    }
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = BTreeSet::new();
    walk(&root.join("src"), &mut out);
    walk(&root.join("tray/src"), &mut out);
    out
}

#[test]
fn every_catalogue_parses_and_has_the_same_messages_as_the_japanese_one() {
    let (reference, _, _) = ids_of(CATALOGUES[0].1);
    assert!(reference.len() > 30, "{reference:?}");
    for (lang, source) in CATALOGUES {
        load(lang).unwrap();
        let (messages, terms, used_terms) = ids_of(source);
        let missing: Vec<_> = reference.difference(&messages).collect();
        let extra: Vec<_> = messages.difference(&reference).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{lang} has messages Japanese lacks: {extra:?}"
        );
        let unused: Vec<_> = terms.difference(&used_terms).collect();
        assert!(unused.is_empty(), "{lang}: terms never used: {unused:?}");
    }
}

#[test]
fn every_message_is_used_by_the_code() {
    let (messages, _, referenced) = ids_of(CATALOGUES[0].1);
    let literals = literals_in_sources();
    let rendered: BTreeSet<String> = every_action()
        .iter()
        .map(|a| a.id().to_owned())
        .chain(every_headline().iter().map(|h| h.id().to_owned()))
        .collect();
    let unused: Vec<_> = messages
        .iter()
        .filter(|m| !literals.contains(*m) && !rendered.contains(*m) && !referenced.contains(*m))
        .collect();
    assert!(unused.is_empty(), "messages no code uses: {unused:?}");
}

#[test]
fn every_action_and_headline_renders_in_every_language() {
    for lang in Lang::ALL {
        for a in every_action() {
            let (id, args) = message(&a, lang);
            let text = try_tr(lang, id, &args).unwrap_or_else(|e| panic!("{a:?}: {e:?}"));
            assert!(!text.trim().is_empty(), "{a:?} in {lang}");
            assert!(
                !text.contains(['\u{2068}', '\u{2069}']),
                "isolation marks: {text}"
            );
            assert!(
                !text.contains('\n'),
                "{a:?} in {lang} has a line break: {text}"
            );
            assert_eq!(text.trim(), text, "{a:?} in {lang}: spaces at an end");
            assert!(
                !text.contains("  "),
                "{a:?} in {lang}: double space: {text}"
            );
        }
        for h in every_headline() {
            let text = try_tr(lang, h.id(), &headline_args(h, lang))
                .unwrap_or_else(|e| panic!("{h:?}: {e:?}"));
            assert!(!text.is_empty() && !text.contains('\n'), "{h:?} in {lang}");
        }
    }
}

#[test]
fn an_unknown_id_or_a_missing_variable_is_an_error_not_a_panic() {
    assert!(try_tr(Lang::En, "no-such-message", &[]).is_err());
    assert!(try_tr(Lang::En, "headline-valid", &[]).is_err());
    let caught = std::panic::catch_unwind(|| tr(Lang::En, "no-such-message", &[]));
    assert!(caught.is_err(), "tests panic on a catalogue error");
}

#[test]
fn dates_days_and_ordinals() {
    assert_eq!(date(d("2026-06-05"), Lang::Ja), "2026年6月5日");
    assert_eq!(date(d("2026-06-05"), Lang::En), "2026-06-05");
    let valid = |days: i64, lang| tr(lang, "headline-valid", &[("days", days.into())]);
    assert_eq!(
        valid(0, Lang::Ja),
        "電子証明書は有効です（有効期限まで今日まで）"
    );
    assert_eq!(
        valid(5, Lang::Ja),
        "電子証明書は有効です（有効期限まであと5日）"
    );
    assert_eq!(
        valid(0, Lang::En),
        "Your certificate is valid (today is the last day)"
    );
    assert_eq!(valid(1, Lang::En), "Your certificate is valid (1 day left)");
    assert_eq!(
        valid(21, Lang::En),
        "Your certificate is valid (21 days left)"
    );
    let later = |n: u32| {
        action(
            &Action::RenewLater {
                renewal_opens: d("2026-06-25"),
                expires: d("2026-09-24"),
                birthdays: n,
                card_face_unknown: false,
            },
            Lang::En,
        )
    };
    for (n, word) in [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (6, "6th"),
        (11, "11th"),
        (12, "12th"),
        (22, "22nd"),
    ] {
        assert!(
            later(n).contains(&format!("your {word} birthday")),
            "{}",
            later(n)
        );
    }
    let _: FluentValue = 1.into();
}

#[test]
fn a_configured_measure_speaks_its_own_words() {
    let m = |ja: Option<&str>, en: Option<&str>| Action::Measure {
        id: "measure-x".into(),
        ja: ja.map(Into::into),
        en: en.map(Into::into),
    };
    assert_eq!(action(&m(Some("あ"), Some("a")), Lang::Ja), "あ");
    assert_eq!(action(&m(Some("あ"), Some("a")), Lang::En), "a");
    assert_eq!(action(&m(Some("あ"), None), Lang::En), "あ");
}

#[test]
fn the_language_comes_from_the_flag_then_the_config_then_the_locale() {
    assert_eq!(choose(Some(Lang::En), Some(Lang::Ja)), Lang::En);
    assert_eq!(choose(None, Some(Lang::En)), Lang::En);
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(from_env(env(&[])), Lang::Ja);
    assert_eq!(from_env(env(&[("LANG", "en_US.UTF-8")])), Lang::En);
    assert_eq!(
        from_env(env(&[
            ("LC_ALL", ""),
            ("LC_MESSAGES", "C.UTF-8"),
            ("LANG", "ja_JP.UTF-8")
        ])),
        Lang::En
    );
    assert_eq!(
        from_env(env(&[("LC_ALL", "ja_JP.UTF-8"), ("LANG", "en_US")])),
        Lang::Ja
    );
    assert_eq!(
        from_env(env(&[
            ("LC_ALL", ""),
            ("LC_MESSAGES", "C"),
            ("LANG", "ja_JP")
        ])),
        Lang::En
    );
    assert_eq!(Lang::from_locale("POSIX"), Lang::En);
    assert_eq!(Lang::from_locale("de_DE"), Lang::Ja);
    assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
    assert!("fr".parse::<Lang>().unwrap_err().contains("ja, en"));
}

#[test]
fn every_status_word_and_day_count_renders_in_every_language() {
    for lang in Lang::ALL {
        let words: BTreeSet<String> = crate::rules::Status::ALL
            .into_iter()
            .map(|s| tr(lang, "status-word", &[("status", s.as_str().into())]))
            .collect();
        assert_eq!(words.len(), 5, "one word per status in {lang}: {words:?}");
        for id in [
            "days-to-expiry",
            "days-to-grace-end",
            "days-since-grace-end",
        ] {
            for days in [0i64, 1, 2, 80] {
                assert!(tr(lang, id, &[("days", days.into())]).contains(&days.to_string()));
            }
        }
    }
    assert_eq!(
        tr(Lang::En, "days-to-expiry", &[("days", 1.into())]),
        "1 day left until the certificate expires"
    );
}
