//! The card layer: JPKI over a small `Transport` (one short APDU at a time) → what the rule core needs.
//! Reads only public data: token label, user-authentication certificate validity, PIN retry counters.
//! Never sends a PIN.

mod identity;

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
    let _ = t;
    todo!("card layer: issue 4")
}

/// Query the three PIN retry counters without sending any PIN. A counter that can't be read is `None`.
pub fn read_pin_counters(t: &mut dyn Transport) -> Result<PinCounters, CardError> {
    let _ = t;
    todo!("card layer: issue 4")
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
    let cert = read_certificate(t)?;
    on_cert(&cert);
    let pins = read_pin_counters(t);
    Ok(CardReport { cert, pins })
}
