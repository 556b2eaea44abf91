//! The rule core's actions and headlines in words.

use fluent_bundle::FluentValue;
use serde::Serialize;

use super::{date, tr, Args, Lang};
use crate::rules::{
    Action, Assessment, CardExpirySource, Fix, Headline, NewCardWhen, PinKind, RenewPhase,
};

fn yes_no<'a>(b: bool, yes: &'a str, no: &'a str) -> FluentValue<'a> {
    (if b { yes } else { no }).into()
}

fn source(s: CardExpirySource) -> FluentValue<'static> {
    match s {
        CardExpirySource::User => "user",
        CardExpirySource::CertificateSpan => "certificate-span",
    }
    .into()
}

fn after(f: Option<Fix>) -> FluentValue<'static> {
    match f {
        None => "none",
        Some(Fix::Renew) => "renew",
        Some(Fix::NewCard) => "new-card",
    }
    .into()
}

fn pin(p: PinKind) -> FluentValue<'static> {
    p.as_str().into()
}

/// The catalogue id and variables that render `a`; `None` for a measure with its own text.
pub(super) fn message<'a>(
    a: &'a Action,
    lang: Lang,
) -> (&'a str, Vec<(&'static str, FluentValue<'a>)>) {
    let d = |x| FluentValue::from(date(x, lang));
    // What both renewal actions say: the expiry, the birthday the renewed certificate runs to, and
    // whether the card face's own expiry is known.
    let renewal = |expires, birthdays: &u32, card_face_unknown: &bool| {
        [
            ("expires", d(expires)),
            ("birthdays", (*birthdays).into()),
            ("card-face", yes_no(*card_face_unknown, "unknown", "known")),
        ]
    };
    let args = match a {
        Action::RenewLater {
            renewal_opens,
            expires,
            birthdays,
            card_face_unknown,
        } => {
            let mut v = vec![("renewal-opens", d(*renewal_opens))];
            v.extend(renewal(*expires, birthdays, card_face_unknown));
            v
        }
        Action::NewCardLater {
            card_expires,
            applications_open,
            source: s,
        } => vec![
            ("card-expires", d(*card_expires)),
            ("applications-open", d(*applications_open)),
            ("source", source(*s)),
        ],
        Action::RenewCertificate {
            phase,
            expires,
            grace_end,
            birthdays,
            card_face_unknown,
        } => {
            let phase = match phase {
                RenewPhase::Open => "open",
                RenewPhase::Expired => "expired",
                RenewPhase::Lapsed => "lapsed",
            };
            let mut v = vec![("phase", phase.into()), ("grace-end", d(*grace_end))];
            v.extend(renewal(*expires, birthdays, card_face_unknown));
            v
        }
        Action::ApplyNewCard {
            card_expires,
            when,
            source: s,
        } => {
            let mut v = vec![("card-expires", d(*card_expires)), ("source", source(*s))];
            match when {
                NewCardWhen::Expired => v.push(("when", "expired".into())),
                NewCardWhen::Ahead { from, by } => {
                    v.push(("when", "ahead".into()));
                    v.push(("opens", yes_no(from.is_some(), "later", "now")));
                    v.extend(from.map(|x| ("applications-open", d(x))));
                    v.push(("deadline", yes_no(by.is_some(), "ahead", "passed")));
                    v.extend(by.map(|x| ("apply-by", d(x))));
                }
            }
            v
        }
        Action::NewCardInsurance { grace_end } | Action::AskInsurer { by: grace_end } => {
            let mut v = vec![("grace", yes_no(grace_end.is_some(), "open", "over"))];
            v.extend(grace_end.map(|x| ("grace-end", d(x))));
            v
        }
        Action::RegisterInsurance { after: f } | Action::CheckRegistration { after: f } => {
            vec![("after", after(*f))]
        }
        Action::ReRegisterInsurance { after: f } => vec![("after", after(Some(*f)))],
        Action::ResetPin { certs_valid, .. } => {
            vec![("certs", yes_no(*certs_valid, "valid", "expired"))]
        }
        Action::PinLastTry { pins } => {
            let and = tr(lang, "pin-last-try-and", &[]);
            let names: Vec<String> = pins
                .iter()
                .map(|p| tr(lang, "pin-last-try-name", &[("pin", pin(*p))]))
                .collect();
            vec![("pins", names.join(&and).into())]
        }
        Action::GetMyNumberCard
        | Action::UsePhysicalCard
        | Action::UnknownCard
        | Action::IssueCertificate
        | Action::Measure { .. } => Vec::new(),
    };
    (a.id(), args)
}

/// A measure's own text from the configuration, when it has one: that language's, else English,
/// else Japanese.
fn own_text(a: &Action, lang: Lang) -> Option<&str> {
    let Action::Measure { ja, en, .. } = a else {
        return None;
    };
    let first = match lang {
        Lang::Ja => ja,
        Lang::En => en,
    };
    first.as_deref().or(en.as_deref()).or(ja.as_deref())
}

/// The text of one next step.
pub fn action(a: &Action, lang: Lang) -> String {
    if let Some(text) = own_text(a, lang) {
        return text.to_owned();
    }
    let (id, args) = message(a, lang);
    tr(lang, id, &args)
}

/// An action as the D-Bus `Actions` property and the JSON outputs carry it: its id and its text
/// in Japanese and English (the property's type, `a(sss)`, is API).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionText {
    pub id: String,
    pub ja: String,
    pub en: String,
}

impl ActionText {
    /// The text in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

/// Every action of an assessment, in both API languages.
pub fn action_texts(actions: &[Action]) -> Vec<ActionText> {
    actions
        .iter()
        .map(|a| ActionText {
            id: a.id().to_owned(),
            ja: action(a, Lang::Ja),
            en: action(a, Lang::En),
        })
        .collect()
}

pub(super) fn headline_args(h: Headline, lang: Lang) -> Vec<(&'static str, FluentValue<'static>)> {
    match h {
        Headline::Valid { days }
        | Headline::ValidNewCardNext { days }
        | Headline::RenewalOpen { days }
        | Headline::NewCardDue { days } => vec![("days", days.into())],
        Headline::Expired { days, until } | Headline::CardExpired { days, until } => {
            vec![("days", days.into()), ("until", date(until, lang).into())]
        }
        Headline::Lapsed
        | Headline::LapsedNewCard
        | Headline::LapsedUnregistered
        | Headline::NoCertificate
        | Headline::NotAMyNumberCard => Vec::new(),
    }
}

/// One short sentence saying where the holder stands, e.g.
/// "電子証明書の更新手続きができます（あと80日）" / "You can renew your certificate now (80 days left)".
pub fn headline(a: &Assessment, lang: Lang) -> String {
    let h = a.headline();
    let args: Vec<_> = headline_args(h, lang);
    tr(lang, h.id(), &args as &Args<'_>)
}
