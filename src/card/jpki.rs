//! The JPKI read sequence over a [`Transport`]: select the applet, confirm the token label, read the
//! user-authentication certificate up to its DER length, query PIN retry counters with the 4-byte
//! VERIFY. Every command is a short APDU; no PIN is ever sent.

use tracing::debug;

use super::apdu::{self, *};
use super::{cert, CardError, CertRead, Response, Transport};
use crate::rules::{PinCounters, PinState, TokenKind};

/// One read sequence on a card. The first command after power-up may get `6F 00` from some cards:
/// it is retried once.
pub(crate) struct Session<'a> {
    t: &'a mut dyn Transport,
    first: bool,
}

impl<'a> Session<'a> {
    pub(crate) fn new(t: &'a mut dyn Transport) -> Self {
        Session { t, first: true }
    }

    fn send(&mut self, apdu: &[u8]) -> Result<Response, CardError> {
        let r = self.t.transmit(apdu)?;
        if std::mem::take(&mut self.first) && r.sw == SW_NO_DIAGNOSIS {
            debug!("card answered 6F00 to its first command; retrying once");
            return Ok(self.t.transmit(apdu)?);
        }
        Ok(r)
    }

    fn select_jpki(&mut self) -> Result<(), CardError> {
        let r = self.send(&apdu::select_applet(&AID_JPKI))?;
        match r.sw {
            SW_OK => Ok(()),
            SW_FILE_NOT_FOUND
            | SW_INCORRECT_P1P2
            | SW_FUNC_NOT_SUPPORTED
            | SW_INS_NOT_SUPPORTED
            | SW_CLA_NOT_SUPPORTED => Err(CardError::NoJpkiApplet),
            sw => Err(CardError::Status {
                command: "SELECT JPKI applet",
                sw,
            }),
        }
    }

    fn select_file(&mut self, ef: u16, command: &'static str) -> Result<(), CardError> {
        match self.send(&apdu::select_ef(ef))?.sw {
            SW_OK => Ok(()),
            sw => Err(CardError::Status { command, sw }),
        }
    }

    /// READ BINARY of at most `len` bytes; `Ok(None)` when the card says the offset is past the end.
    fn read(&mut self, offset: usize, len: usize) -> Result<Option<Vec<u8>>, CardError> {
        let (Ok(off), Ok(n)) = (u16::try_from(offset), u16::try_from(len)) else {
            return Err(CardError::CertTooLarge(offset + len));
        };
        let r = self.send(&apdu::read_binary(off, n))?;
        match r.sw {
            SW_OK | SW_END_OF_FILE => {}
            SW_WRONG_P1P2 => return Ok(None),
            sw => {
                return Err(CardError::Status {
                    command: "READ BINARY",
                    sw,
                })
            }
        }
        if r.data.len() > len {
            return Err(CardError::Malformed {
                command: "READ BINARY",
                detail: "more data than asked for",
            });
        }
        if r.data.is_empty() {
            return Ok(None);
        }
        Ok(Some(r.data))
    }

    /// The token label (EF 0006) → what kind of JPKI token this is.
    fn token(&mut self) -> Result<TokenKind, CardError> {
        self.select_file(EF_TOKEN_INFO, "SELECT token info (EF 0006)")?;
        let data = self
            .read(0, usize::from(LABEL_LEN))?
            .ok_or(CardError::Malformed {
                command: "READ BINARY token info",
                detail: "no data",
            })?;
        let label = String::from_utf8_lossy(&data);
        let label = label.trim_end_matches([' ', '\0']);
        let kind = TokenKind::from_label(label);
        debug!(token = kind.as_str(), "token label read");
        Ok(kind)
    }

    /// The user-authentication certificate, read in 256-byte chunks from offset 0 up to its DER
    /// length (never past it: the file is padded after the certificate).
    fn certificate(&mut self) -> Result<Vec<u8>, CardError> {
        self.select_file(EF_AUTH_CERT, "SELECT certificate (EF 000A)")
            .map_err(|e| match e {
                CardError::Status {
                    sw: SW_FILE_NOT_FOUND,
                    ..
                } => CardError::NoCertificate,
                e => e,
            })?;
        let mut der: Vec<u8> = Vec::with_capacity(2048);
        let mut total: Option<usize> = None;
        loop {
            let want = match total {
                Some(t) if der.len() >= t => break,
                Some(t) => (t - der.len()).min(256),
                None => 256,
            };
            let Some(chunk) = self.read(der.len(), want)? else {
                return Err(match total {
                    Some(expected) => CardError::CertTruncated {
                        expected,
                        got: der.len(),
                    },
                    None => CardError::CertInvalid("certificate file is empty".into()),
                });
            };
            der.extend_from_slice(&chunk);
            if total.is_none() {
                total = cert::der_total_len(&der)?;
            }
        }
        // The first chunk may hold filler past a short certificate.
        der.truncate(total.unwrap_or(0));
        debug!(bytes = der.len(), "certificate read");
        Ok(der)
    }

    /// Retry counter of the PIN in `ef` of the current applet; `None` if the card won't tell.
    fn pin(&mut self, ef: u16, name: &'static str) -> Result<Option<PinState>, CardError> {
        let sel = self.send(&apdu::select_ef(ef))?;
        if sel.sw != SW_OK {
            debug!(
                pin = name,
                sw = format!("{:04X}", sel.sw),
                "PIN file not selectable"
            );
            return Ok(None);
        }
        let r = self.send(&VERIFY_STATUS)?;
        let state = pin_state(r.sw);
        if state.is_none() {
            debug!(
                pin = name,
                sw = format!("{:04X}", r.sw),
                "PIN counter unknown"
            );
        }
        Ok(state)
    }

    /// The three counters. `jpki_selected`: the JPKI applet is already the current one.
    fn counters(&mut self, jpki_selected: bool) -> Result<PinCounters, CardError> {
        if !jpki_selected {
            self.select_jpki()?;
        }
        let auth = self.pin(EF_AUTH_PIN, "auth")?;
        let sign = self.pin(EF_SIGN_PIN, "sign")?;
        let card_info = match self.send(&apdu::select_applet(&AID_CARD_INFO))?.sw {
            SW_OK => self.pin(EF_CARD_INFO_PIN, "card-info")?,
            sw => {
                debug!(sw = format!("{sw:04X}"), "card-info applet not selectable");
                None
            }
        };
        Ok(PinCounters {
            auth,
            sign,
            card_info,
        })
    }

    pub(crate) fn read_certificate(&mut self) -> Result<CertRead, CardError> {
        self.select_jpki()?;
        let token = self.token()?;
        if token != TokenKind::MyNumberCard {
            return Err(CardError::NotMyNumberCard(token));
        }
        let der = self.certificate()?;
        let (validity, identity) = cert::parse(&der)?;
        Ok(CertRead {
            token,
            validity,
            identity,
        })
    }

    /// Counters right after [`Self::read_certificate`] (JPKI applet still selected).
    pub(crate) fn read_pin_counters_after_cert(&mut self) -> Result<PinCounters, CardError> {
        self.counters(true)
    }

    pub(crate) fn read_pin_counters(&mut self) -> Result<PinCounters, CardError> {
        self.counters(false)
    }
}

/// Status word of a data-less VERIFY → PIN state.
fn pin_state(sw: u16) -> Option<PinState> {
    match sw {
        0x63C0 | SW_AUTH_BLOCKED | SW_REF_DATA_UNUSABLE => Some(PinState::Blocked),
        0x63C1..=0x63CF => Some(PinState::Remaining((sw & 0x0F) as u8)),
        SW_OK => Some(PinState::Verified),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_status_words() {
        assert_eq!(pin_state(0x63C3), Some(PinState::Remaining(3)));
        assert_eq!(pin_state(0x63C1), Some(PinState::Remaining(1)));
        assert_eq!(pin_state(0x63C0), Some(PinState::Blocked));
        assert_eq!(pin_state(0x6983), Some(PinState::Blocked));
        assert_eq!(pin_state(0x6984), Some(PinState::Blocked));
        assert_eq!(pin_state(0x9000), Some(PinState::Verified));
        assert_eq!(pin_state(0x6700), None);
        assert_eq!(pin_state(0x6A82), None);
    }
}
