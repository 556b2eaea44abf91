//! The card layer: JPKI over a small `Transport` (one short APDU at a time) → what the rule core needs.
//! Reads only public data: token label, user-authentication certificate validity, PIN retry counters.
//! Never sends a PIN.

pub mod apdu;
pub mod cert;
mod identity;
mod jpki;
// Test and demo equipment (the `sim` feature, see Cargo.toml); the unit tests use it too.
#[cfg(any(test, feature = "sim"))]
pub mod sim;
#[cfg(any(test, feature = "sim"))]
pub mod simcert;
#[cfg(any(test, feature = "sim"))]
pub mod vpcd;

pub use identity::{CardIdentity, CardKey};

use crate::rules::{CertValidity, PinCounters, TokenKind};

/// A response APDU: data and the status word (SW1 SW2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

/// How APDUs reach a card: in-process virtual card, PC/SC, ….
pub trait Transport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError>;
}

/// The transport failed (as opposed to the card answering with an error status).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TransportError {
    #[error("the card was removed")]
    Removed,
    /// Another program holds the card exclusively (PC/SC sharing violation).
    #[error("another program is using the card")]
    InUse,
    /// The reader and the card have no protocol in common (e.g. a T=1 card in a T=0-only reader).
    #[error("the reader cannot talk to this card (protocol not supported)")]
    UnsupportedProtocol,
    /// The card does not answer (PC/SC timeout, unresponsive card, or the read's deadline).
    #[error("the card does not answer")]
    NoAnswer,
    #[error("reader error: {0}")]
    Reader(String),
}

/// Why a card could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CardError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("no JPKI applet on this card (not a My Number Card)")]
    NoJpkiApplet,
    #[error("not a My Number Card (JPKI token: {})", .0.as_str())]
    NotMyNumberCard(TokenKind),
    #[error("the card answered {sw:04X} to {command}")]
    Status { command: &'static str, sw: u16 },
    #[error("malformed response to {command}: {detail}")]
    Malformed {
        command: &'static str,
        detail: &'static str,
    },
    #[error("the card has no user-authentication certificate")]
    NoCertificate,
    #[error("the certificate claims {0} bytes, more than a real one can be")]
    CertTooLarge(usize),
    #[error("the certificate file ends after {got} of {expected} bytes")]
    CertTruncated { expected: usize, got: usize },
    #[error("the certificate is not a valid X.509 certificate: {0}")]
    CertInvalid(String),
    #[error("the certificate is not the user-authentication certificate of a My Number Card: {0}")]
    NotUserAuth(cert::NotUserAuth),
    #[error("PC/SC service (pcscd) is not running")]
    ServiceUnavailable,
    #[error("no reader named {0:?}")]
    ReaderNotFound(String),
    #[error("no card in the reader")]
    NoCard,
}

impl CardError {
    /// The card was pulled (or lifted off a contactless pad) during the read: normal, not a fault.
    pub fn is_removed(&self) -> bool {
        matches!(self, CardError::Transport(TransportError::Removed))
    }
}

/// What the certificate read gave: available as soon as the certificate is parsed, before PIN counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertRead {
    pub token: TokenKind,
    pub validity: CertValidity,
    pub identity: CardIdentity,
}

/// Read the token label and the user-authentication certificate (no PIN).
pub fn read_certificate(t: &mut dyn Transport) -> Result<CertRead, CardError> {
    jpki::Session::new(t).read_certificate()
}

/// Query the three PIN retry counters without sending any PIN. A counter that can't be read is `None`.
pub fn read_pin_counters(t: &mut dyn Transport) -> Result<PinCounters, CardError> {
    jpki::Session::new(t).read_pin_counters()
}

/// A whole read: the certificate, then the PIN counters (which may fail on their own, e.g. card pulled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardReport {
    pub cert: CertRead,
    pub pins: Result<PinCounters, CardError>,
}

/// Read certificate then counters; `on_cert` is called as soon as the certificate is known, so a caller
/// can publish the status before the counters arrive.
pub fn read_card(
    t: &mut dyn Transport,
    on_cert: &mut dyn FnMut(&CertRead),
) -> Result<CardReport, CardError> {
    // One session: the JPKI applet stays selected after the certificate, saving a SELECT.
    let mut session = jpki::Session::new(t);
    let cert = session.read_certificate()?;
    on_cert(&cert);
    let pins = session.read_pin_counters_after_cert();
    Ok(CardReport { cert, pins })
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
