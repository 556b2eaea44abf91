//! The PC/SC transport: one read of the card in a named reader, inside one transaction, connected
//! SHARED and left in the reader (LEAVE_CARD) so other programs using the card are not disturbed.
//! Blocking: call from a plain or `spawn_blocking` thread, never on the async runtime.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pcsc::{Card, Context, Disposition, Protocols, ReaderState, ShareMode, State};
use tracing::debug;

use crate::card::{
    apdu, read_card, read_certificate, CardError, CardReport, CertRead, Response, Transport,
    TransportError,
};

/// Map a PC/SC error met while talking to a card.
pub fn transport_error(e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard | pcsc::Error::ResetCard => {
            TransportError::Removed
        }
        pcsc::Error::SharingViolation => TransportError::InUse,
        pcsc::Error::ProtoMismatch
        | pcsc::Error::UnsupportedCard
        | pcsc::Error::CardUnsupported
        | pcsc::Error::ReaderUnsupported => TransportError::UnsupportedProtocol,
        pcsc::Error::Timeout | pcsc::Error::UnresponsiveCard | pcsc::Error::UnpoweredCard => {
            TransportError::NoAnswer
        }
        e => TransportError::Reader(e.to_string()),
    }
}

/// Map a PC/SC error met while reaching the reader (before any APDU).
pub fn reader_error(e: pcsc::Error, reader: &str) -> CardError {
    match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::NoReadersAvailable => {
            CardError::ServiceUnavailable
        }
        pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable => {
            CardError::ReaderNotFound(reader.to_owned())
        }
        pcsc::Error::NoSmartcard => CardError::NoCard,
        e => CardError::Transport(transport_error(e)),
    }
}

/// A connected card as a [`Transport`] (short APDUs: a 258-byte buffer is enough).
pub struct PcscTransport<'a> {
    card: &'a Card,
    stop: &'a AtomicBool,
}

impl<'a> PcscTransport<'a> {
    pub fn new(card: &'a Card) -> Self {
        static NEVER: AtomicBool = AtomicBool::new(false);
        PcscTransport { card, stop: &NEVER }
    }

    /// Like [`PcscTransport::new`], but every APDU after `stop` is set fails with `NoAnswer`: PC/SC
    /// cannot interrupt a transmit in flight, so a read given up on ends at the next APDU.
    pub fn with_stop(card: &'a Card, stop: &'a AtomicBool) -> Self {
        PcscTransport { card, stop }
    }
}

impl Transport for PcscTransport<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(TransportError::NoAnswer);
        }
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        let raw = self
            .card
            .transmit(apdu, &mut buf)
            .map_err(transport_error)?;
        let Some((data, sw)) = apdu::split_response(raw) else {
            // No status word at all means the card never answered: it left the reader (vpcd and
            // contactless readers report a pulled card this way before pcscd's next poll).
            debug!(len = raw.len(), "response without a status word: card gone");
            return Err(if raw.is_empty() {
                TransportError::Removed
            } else {
                TransportError::Reader("response shorter than a status word".into())
            });
        };
        Ok(Response {
            data: data.to_vec(),
            sw,
        })
    }
}

/// The readers that hold a card right now, in pcscd's order.
pub fn readers_with_card(ctx: &Context) -> Result<Vec<String>, CardError> {
    let readers = match ctx.list_readers_owned() {
        Ok(r) => r,
        Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
        Err(e) => return Err(reader_error(e, "")),
    };
    let mut states: Vec<ReaderState> = readers
        .into_iter()
        .map(|c| ReaderState::new(c, State::UNAWARE))
        .collect();
    if states.is_empty() {
        return Ok(Vec::new());
    }
    match ctx.get_status_change(Duration::ZERO, &mut states) {
        Ok(()) | Err(pcsc::Error::Timeout) => {}
        Err(e) => return Err(reader_error(e, "")),
    }
    Ok(states
        .iter()
        .filter(|s| s.event_state().contains(State::PRESENT))
        .map(|s| s.name().to_string_lossy().into_owned())
        .collect())
}

/// Read the card in `reader`: connect SHARED, one transaction (the read selects the applet afresh,
/// whatever another program selected), disconnect LEAVE_CARD. `on_cert` runs as soon as the
/// certificate is known.
pub fn read_reader(
    ctx: &Context,
    reader: &str,
    on_cert: &mut dyn FnMut(&CertRead),
) -> Result<CardReport, CardError> {
    static NEVER: AtomicBool = AtomicBool::new(false);
    read_reader_until(ctx, reader, &NEVER, on_cert)
}

/// [`read_reader`] that gives up (`NoAnswer`) at the next APDU once `stop` is set.
pub fn read_reader_until(
    ctx: &Context,
    reader: &str,
    stop: &AtomicBool,
    on_cert: &mut dyn FnMut(&CertRead),
) -> Result<CardReport, CardError> {
    with_card(ctx, reader, stop, &mut |t| read_card(t, on_cert))
}

/// Only the certificate of the card in `reader` (9 APDUs, no PIN counters): `read --cert-only`
/// and `doctor`.
pub fn read_reader_certificate(ctx: &Context, reader: &str) -> Result<CertRead, CardError> {
    static NEVER: AtomicBool = AtomicBool::new(false);
    with_card(ctx, reader, &NEVER, &mut |t| read_certificate(t))
}

/// Connect SHARED to the card in `reader`, run `f` inside one transaction, disconnect LEAVE_CARD.
fn with_card<T>(
    ctx: &Context,
    reader: &str,
    stop: &AtomicBool,
    f: &mut dyn FnMut(&mut dyn Transport) -> Result<T, CardError>,
) -> Result<T, CardError> {
    let name = CString::new(reader).map_err(|_| CardError::ReaderNotFound(reader.to_owned()))?;
    let mut card = ctx
        .connect(&name, ShareMode::Shared, Protocols::ANY)
        .map_err(|e| reader_error(e, reader))?;
    let outcome = match card.transaction() {
        Ok(tx) => {
            let result = f(&mut PcscTransport::with_stop(&tx, stop));
            if let Err((_, e)) = tx.end(Disposition::LeaveCard) {
                debug!(error = %e, "ending the transaction failed");
            }
            Ok(result)
        }
        Err(e) => Err(e),
    };
    let result = match outcome {
        Ok(result) => result,
        // A card pulled between connect and transaction shows up as odd transaction errors
        // (e.g. "non-existent transaction"): ask the card's status to tell removal apart.
        Err(e) => Err(CardError::Transport(match card.status2_owned() {
            Err(s) if transport_error(s) == TransportError::Removed => TransportError::Removed,
            _ => transport_error(e),
        })),
    };
    if let Err((_, e)) = card.disconnect(Disposition::LeaveCard) {
        debug!(error = %e, "disconnect failed");
    }
    result
}
