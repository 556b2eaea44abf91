//! What the daemon knows about each smart-card reader, as published in the Manager's `ReaderStates`
//! property: a state id and, when a card could not be used, a reason id, with the words `status`
//! shows for them (from the catalogue, i18n/). Pure: the daemon loop decides, this module names and describes.
//!
//! The ids are API (docs/dbus-api.md): only ever add to them.

use std::fmt;
use std::str::FromStr;

use crate::card::{CardError, TransportError};
use crate::l10n::{self, Lang};
use crate::rules::TokenKind;

/// Where a reader stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReaderState {
    /// No card in the reader.
    Empty,
    /// A card is being read.
    Reading,
    /// The card was read; its Card object carries the verdict.
    Read,
    /// The last read failed (the reason says why); the daemon tries again while the card stays.
    Retrying,
    /// Reads kept failing; the daemon stopped trying (Refresh or re-inserting tries again).
    Failed,
    /// The card answered, but it is not a usable My Number Card (the reason says what it is).
    NotAMyNumberCard,
}

/// Why a card in a reader could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadProblem {
    /// The card left the reader during the read (pulled or re-seated).
    RemovedDuringRead,
    /// Another program holds the card exclusively.
    InUse,
    /// The reader cannot talk to this card (e.g. a T=1 card in a T=0-only reader).
    UnsupportedProtocol,
    /// The card stopped answering (no reply before the read's deadline).
    NoAnswer,
    /// The reader or pcscd reported an error.
    ReaderError,
    /// The card answered with an error or nonsense.
    CardError,
    /// The old Basic Resident Register card (住基カード).
    JukiCard,
    /// A smartphone's JPKI token (スマホ用電子証明書), not the card itself.
    Smartphone,
    /// No JPKI applet: some other card.
    NoJpkiApplet,
    /// A JPKI token without a readable user-authentication certificate.
    NoCertificate,
    /// The certificate on the card is damaged or not a JPKI user-authentication certificate.
    BadCertificate,
}

impl ReaderState {
    pub const ALL: [ReaderState; 6] = [
        ReaderState::Empty,
        ReaderState::Reading,
        ReaderState::Read,
        ReaderState::Retrying,
        ReaderState::Failed,
        ReaderState::NotAMyNumberCard,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReaderState::Empty => "empty",
            ReaderState::Reading => "reading",
            ReaderState::Read => "read",
            ReaderState::Retrying => "retrying",
            ReaderState::Failed => "failed",
            ReaderState::NotAMyNumberCard => "not-a-my-number-card",
        }
    }

    /// A short description for `status`.
    pub fn describe(self, lang: Lang) -> String {
        let id = match self {
            ReaderState::Empty => "reader-empty",
            ReaderState::Reading => "reader-reading",
            ReaderState::Read => "reader-read",
            ReaderState::Retrying => "reader-retrying",
            ReaderState::Failed => "reader-failed",
            ReaderState::NotAMyNumberCard => "reader-not-a-my-number-card",
        };
        l10n::tr(lang, id, &[])
    }
}

impl ReadProblem {
    pub const ALL: [ReadProblem; 11] = [
        ReadProblem::RemovedDuringRead,
        ReadProblem::InUse,
        ReadProblem::UnsupportedProtocol,
        ReadProblem::NoAnswer,
        ReadProblem::ReaderError,
        ReadProblem::CardError,
        ReadProblem::JukiCard,
        ReadProblem::Smartphone,
        ReadProblem::NoJpkiApplet,
        ReadProblem::NoCertificate,
        ReadProblem::BadCertificate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReadProblem::RemovedDuringRead => "removed-during-read",
            ReadProblem::InUse => "in-use",
            ReadProblem::UnsupportedProtocol => "unsupported-protocol",
            ReadProblem::NoAnswer => "no-answer",
            ReadProblem::ReaderError => "reader-error",
            ReadProblem::CardError => "card-error",
            ReadProblem::JukiCard => "juki-card",
            ReadProblem::Smartphone => "smartphone",
            ReadProblem::NoJpkiApplet => "no-jpki-applet",
            ReadProblem::NoCertificate => "no-certificate",
            ReadProblem::BadCertificate => "bad-certificate",
        }
    }

    /// Is this a property of the card itself (reading again gives the same answer)?
    pub fn is_about_the_card(self) -> bool {
        match self {
            ReadProblem::JukiCard
            | ReadProblem::Smartphone
            | ReadProblem::NoJpkiApplet
            | ReadProblem::NoCertificate
            | ReadProblem::BadCertificate => true,
            ReadProblem::RemovedDuringRead
            | ReadProblem::InUse
            | ReadProblem::UnsupportedProtocol
            | ReadProblem::NoAnswer
            | ReadProblem::ReaderError
            | ReadProblem::CardError => false,
        }
    }

    /// What happened and what the user can do, for `status`.
    pub fn describe(self, lang: Lang) -> String {
        let id = match self {
            ReadProblem::RemovedDuringRead => "read-problem-removed-during-read",
            ReadProblem::InUse => "read-problem-in-use",
            ReadProblem::UnsupportedProtocol => "read-problem-unsupported-protocol",
            ReadProblem::NoAnswer => "read-problem-no-answer",
            ReadProblem::ReaderError => "read-problem-reader-error",
            ReadProblem::CardError => "read-problem-card-error",
            ReadProblem::JukiCard => "read-problem-juki-card",
            ReadProblem::Smartphone => "read-problem-smartphone",
            ReadProblem::NoJpkiApplet => "read-problem-no-jpki-applet",
            ReadProblem::NoCertificate => "read-problem-no-certificate",
            ReadProblem::BadCertificate => "read-problem-bad-certificate",
        };
        l10n::tr(lang, id, &[])
    }

    /// Why a read failed, in these terms; `None` when there is nothing wrong with the reader or the
    /// card (pcscd down, the reader gone, no card: the reader list says that already).
    pub fn of(e: &CardError) -> Option<ReadProblem> {
        Some(match e {
            CardError::Transport(t) => match t {
                TransportError::Removed => ReadProblem::RemovedDuringRead,
                TransportError::InUse => ReadProblem::InUse,
                TransportError::UnsupportedProtocol => ReadProblem::UnsupportedProtocol,
                TransportError::NoAnswer => ReadProblem::NoAnswer,
                TransportError::Reader(_) => ReadProblem::ReaderError,
            },
            CardError::NoJpkiApplet => ReadProblem::NoJpkiApplet,
            CardError::NotMyNumberCard(kind) => match kind {
                TokenKind::JukiCard => ReadProblem::JukiCard,
                TokenKind::SmartphoneAndroid | TokenKind::SmartphoneIos => ReadProblem::Smartphone,
                TokenKind::MyNumberCard | TokenKind::Unknown => ReadProblem::NoJpkiApplet,
            },
            CardError::Status { .. } | CardError::Malformed { .. } => ReadProblem::CardError,
            CardError::NoCertificate => ReadProblem::NoCertificate,
            // A certificate, but not a JPKI user-authentication one: not a My Number Card to us.
            CardError::NotUserAuth(_) => ReadProblem::NoJpkiApplet,
            CardError::CertTooLarge(_)
            | CardError::CertTruncated { .. }
            | CardError::CertInvalid(_) => ReadProblem::BadCertificate,
            CardError::ServiceUnavailable | CardError::ReaderNotFound(_) | CardError::NoCard => {
                return None
            }
        })
    }
}

macro_rules! id_traits {
    ($t:ty, $what:literal) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL
                    .into_iter()
                    .find(|x| x.as_str() == s)
                    .ok_or_else(|| format!(concat!("unknown ", $what, " {:?}"), s))
            }
        }
    };
}
id_traits!(ReaderState, "reader state");
id_traits!(ReadProblem, "read problem");

/// One reader as `ReaderStates` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderStatus {
    pub reader: String,
    pub state: ReaderState,
    pub problem: Option<ReadProblem>,
}

impl ReaderStatus {
    /// The D-Bus shape `(sss)`: reader name, state id, reason id ("" when none).
    pub fn to_wire(&self) -> (String, String, String) {
        (
            self.reader.clone(),
            self.state.as_str().to_string(),
            self.problem
                .map(ReadProblem::as_str)
                .unwrap_or("")
                .to_string(),
        )
    }

    /// Back from the D-Bus shape; unknown ids (a newer daemon) are an error the caller can show.
    pub fn from_wire((reader, state, problem): (String, String, String)) -> Result<Self, String> {
        Ok(ReaderStatus {
            reader,
            state: state.parse()?,
            problem: match problem.as_str() {
                "" => None,
                p => Some(p.parse()?),
            },
        })
    }

    /// One line for `status`: "reader: state (reason)".
    pub fn describe(&self, lang: Lang) -> String {
        let state = self.state.describe(lang);
        let reader = || ("reader", self.reader.as_str().into());
        match self.problem {
            None => l10n::tr(lang, "reader-line", &[reader(), ("state", state.into())]),
            Some(p) => l10n::tr(
                lang,
                "reader-line-problem",
                &[
                    reader(),
                    ("state", state.into()),
                    ("problem", p.describe(lang).into()),
                ],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_distinct() {
        let mut seen = std::collections::BTreeSet::new();
        for s in ReaderState::ALL {
            assert_eq!(s.as_str().parse::<ReaderState>().unwrap(), s);
            assert!(seen.insert(s.as_str()));
        }
        for p in ReadProblem::ALL {
            assert_eq!(p.as_str().parse::<ReadProblem>().unwrap(), p);
            assert!(seen.insert(p.as_str()));
        }
        // Every state with and without every reason renders (a catalogue error panics in tests).
        for lang in Lang::ALL {
            for state in ReaderState::ALL {
                for problem in std::iter::once(None).chain(ReadProblem::ALL.map(Some)) {
                    let line = ReaderStatus {
                        reader: "R".into(),
                        state,
                        problem,
                    }
                    .describe(lang);
                    assert!(line.starts_with("R: ") && line.len() > 4, "{line}");
                }
            }
        }
        assert!("nonsense".parse::<ReaderState>().is_err());
    }

    #[test]
    fn wire_shape_round_trips() {
        let s = ReaderStatus {
            reader: "Sony PaSoRi 00 00".into(),
            state: ReaderState::Retrying,
            problem: Some(ReadProblem::InUse),
        };
        assert_eq!(
            s.to_wire(),
            (
                "Sony PaSoRi 00 00".into(),
                "retrying".into(),
                "in-use".into()
            )
        );
        assert_eq!(ReaderStatus::from_wire(s.to_wire()).unwrap(), s);
        assert!(s.describe(Lang::En).contains("another program"));
        assert!(s.describe(Lang::Ja).contains("ほかのアプリ"));
    }

    #[test]
    fn cards_that_are_not_my_number_cards_are_named() {
        assert_eq!(
            ReadProblem::of(&CardError::NotMyNumberCard(TokenKind::JukiCard)),
            Some(ReadProblem::JukiCard)
        );
        assert_eq!(
            ReadProblem::of(&CardError::NotMyNumberCard(TokenKind::SmartphoneIos)),
            Some(ReadProblem::Smartphone)
        );
        assert_eq!(
            ReadProblem::of(&CardError::Transport(TransportError::InUse)),
            Some(ReadProblem::InUse)
        );
        assert_eq!(ReadProblem::of(&CardError::NoCard), None);
        assert!(ReadProblem::NoCertificate.is_about_the_card());
        assert!(!ReadProblem::InUse.is_about_the_card());
    }
}
