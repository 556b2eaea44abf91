//! A virtual My Number Card: answers the JPKI commands like a real card (filler after the
//! certificate DER, `6B 00` past the end of a file, `69 82` for the signature certificate, `63 Cx` /
//! `69 84` retry counters) and can inject faults. Used in-process as a [`Transport`] by unit tests and
//! served to a real pcscd by [`super::vpcd`]. It refuses and counts any VERIFY that carries PIN data.

use std::str::FromStr;
use std::time::Duration;

use tracing::{trace, warn};

use super::apdu::*;
use super::{Response, Transport, TransportError};

/// The label of a My Number Card's JPKI token.
pub const MY_NUMBER_CARD_LABEL: &str = "JPKIAPICCTOKEN2";
/// The contact ATR of a My Number Card.
pub const DEFAULT_ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];
/// Size of the certificate files: the DER is followed by filler up to here.
const CERT_FILE_LEN: usize = 2048;

/// A fault the virtual card can inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `6F 00` to the first command after power-up.
    First6F00,
    /// EF 000A holds a DER header followed by garbage.
    GarbageCert,
    /// EF 000A ends halfway through the certificate (no filler).
    TruncatedCert,
    /// EF 000A starts with a DER length of 64 KiB.
    HugeLength,
    /// The token label is not a JPKI one.
    WrongLabel,
    /// No JPKI applet (SELECT answers `6A 82`).
    NoApplet,
    /// Every reply is delayed by this long.
    Slow(Duration),
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "first-6f00" => Fault::First6F00,
            "garbage-cert" => Fault::GarbageCert,
            "truncated-cert" => Fault::TruncatedCert,
            "huge-length" => Fault::HugeLength,
            "wrong-label" => Fault::WrongLabel,
            "no-applet" => Fault::NoApplet,
            _ => match s.strip_prefix("slow=").map(str::parse::<u64>) {
                Some(Ok(ms)) => Fault::Slow(Duration::from_millis(ms)),
                _ => {
                    return Err(format!(
                    "unknown fault {s:?} (first-6f00, garbage-cert, truncated-cert, huge-length, \
                         wrong-label, no-applet, slow=MS)"
                ))
                }
            },
        })
    }
}

/// Everything that makes one virtual card.
#[derive(Clone, Debug)]
pub struct SimSpec {
    /// The user-authentication certificate, DER.
    pub cert: Vec<u8>,
    /// Its CA certificate (EF 000B), DER, if any.
    pub ca: Option<Vec<u8>>,
    /// Token label in EF 0006.
    pub label: String,
    pub auth_tries: u8,
    pub sign_tries: u8,
    pub card_info_tries: u8,
    pub faults: Vec<Fault>,
    /// The card is pulled after answering this many APDUs.
    pub remove_after_apdus: Option<u64>,
}

impl SimSpec {
    /// A healthy My Number Card holding `cert`, all PINs at their full counters.
    pub fn new(cert: Vec<u8>) -> Self {
        SimSpec {
            cert,
            ca: None,
            label: MY_NUMBER_CARD_LABEL.into(),
            auth_tries: 3,
            sign_tries: 5,
            card_info_tries: 3,
            faults: Vec::new(),
            remove_after_apdus: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum App {
    None,
    Jpki,
    CardInfo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pin {
    Auth,
    Sign,
    CardInfo,
}

/// The card's state: files, counters, what is selected, what it has seen.
#[derive(Debug)]
pub struct VirtualCard {
    token_info: Vec<u8>,
    auth_cert: Vec<u8>,
    auth_ca: Option<Vec<u8>>,
    no_applet: bool,
    first_6f00: bool,
    slow: Option<Duration>,
    remove_after: Option<u64>,
    tries: [u8; 3],
    app: App,
    ef: Option<u16>,
    fresh: bool,
    apdus: u64,
    pin_data_refused: u64,
}

fn pad(mut v: Vec<u8>, len: usize, filler: u8) -> Vec<u8> {
    if v.len() < len {
        v.resize(len, filler);
    }
    v
}

impl VirtualCard {
    pub fn new(spec: &SimSpec) -> Self {
        let has = |f: Fault| spec.faults.contains(&f);
        let label = if has(Fault::WrongLabel) {
            "NOTAJPKITOKEN"
        } else {
            &spec.label
        };
        let mut token_info = pad(label.as_bytes().to_vec(), usize::from(LABEL_LEN), b' ');
        token_info.truncate(usize::from(LABEL_LEN));
        token_info.extend_from_slice(&[0x00; 16]);
        let auth_cert = if has(Fault::GarbageCert) {
            let junk = (0..1300u32).map(|i| (i.wrapping_mul(151) ^ 0x5A) as u8);
            pad(
                [0x30, 0x82, 0x05, 0x10].into_iter().chain(junk).collect(),
                CERT_FILE_LEN,
                0xFF,
            )
        } else if has(Fault::TruncatedCert) {
            spec.cert[..spec.cert.len() / 2].to_vec()
        } else if has(Fault::HugeLength) {
            let mut v = spec.cert.clone();
            if v.len() >= 4 {
                v[..4].copy_from_slice(&[0x30, 0x82, 0xFF, 0xFF]);
            }
            pad(v, CERT_FILE_LEN, 0xFF)
        } else {
            pad(spec.cert.clone(), CERT_FILE_LEN, 0xFF)
        };
        VirtualCard {
            token_info,
            auth_cert,
            auth_ca: spec.ca.clone().map(|c| pad(c, CERT_FILE_LEN, 0xFF)),
            no_applet: has(Fault::NoApplet),
            first_6f00: has(Fault::First6F00),
            slow: spec.faults.iter().find_map(|f| match f {
                Fault::Slow(d) => Some(*d),
                _ => None,
            }),
            remove_after: spec.remove_after_apdus,
            tries: [spec.auth_tries, spec.sign_tries, spec.card_info_tries],
            app: App::None,
            ef: None,
            fresh: true,
            apdus: 0,
            pin_data_refused: 0,
        }
    }

    /// Power-up or reset: nothing selected, and the first command may get `6F 00`.
    pub fn power_on(&mut self) {
        self.app = App::None;
        self.ef = None;
        self.fresh = true;
    }

    /// APDUs answered so far.
    pub fn apdu_count(&self) -> u64 {
        self.apdus
    }

    /// VERIFY commands with PIN data that the card refused (a correct reader never sends one).
    pub fn pin_data_refused(&self) -> u64 {
        self.pin_data_refused
    }

    /// Answer one command APDU (data ‖ SW1 SW2), or `None` once the card has been pulled.
    pub fn respond(&mut self, apdu: &[u8]) -> Option<Vec<u8>> {
        if self.remove_after.is_some_and(|n| self.apdus >= n) {
            return None;
        }
        self.apdus += 1;
        trace!(
            apdu = hex::encode(&apdu[..apdu.len().min(5)]),
            "virtual card command"
        );
        if let Some(d) = self.slow {
            std::thread::sleep(d);
        }
        let (data, sw) = if std::mem::take(&mut self.fresh) && self.first_6f00 {
            (Vec::new(), SW_NO_DIAGNOSIS)
        } else {
            self.execute(apdu)
        };
        let mut out = data;
        out.extend_from_slice(&sw.to_be_bytes());
        Some(out)
    }

    fn execute(&mut self, apdu: &[u8]) -> (Vec<u8>, u16) {
        let err = |sw| (Vec::new(), sw);
        let [cla, ins, p1, p2, ..] = *apdu else {
            return err(SW_WRONG_LENGTH);
        };
        if cla != 0x00 {
            return err(SW_CLA_NOT_SUPPORTED);
        }
        match ins {
            0xA4 => err(self.select(p1, p2, apdu)),
            0xB0 => self.read_binary(p1, p2, apdu),
            0x20 => err(self.verify(p1, p2, apdu)),
            _ => err(SW_INS_NOT_SUPPORTED),
        }
    }

    /// The command data of a case-3 APDU, if its Lc matches.
    fn lc_data(apdu: &[u8]) -> Option<&[u8]> {
        let lc = usize::from(*apdu.get(4)?);
        match apdu.len() {
            n if n == 5 + lc || n == 6 + lc => Some(&apdu[5..5 + lc]),
            _ => None,
        }
    }

    fn select(&mut self, p1: u8, p2: u8, apdu: &[u8]) -> u16 {
        let Some(data) = Self::lc_data(apdu) else {
            return SW_WRONG_LENGTH;
        };
        if p2 & 0x0C != 0x0C && p2 != 0x00 {
            return SW_INCORRECT_P1P2;
        }
        match p1 {
            0x04 => {
                let app = if data == AID_JPKI && !self.no_applet {
                    App::Jpki
                } else if data == AID_CARD_INFO {
                    App::CardInfo
                } else {
                    return SW_FILE_NOT_FOUND;
                };
                self.app = app;
                self.ef = None;
                SW_OK
            }
            0x02 => {
                let [hi, lo] = data else {
                    return SW_WRONG_LENGTH;
                };
                let ef = u16::from_be_bytes([*hi, *lo]);
                let exists = match self.app {
                    App::Jpki => {
                        matches!(
                            ef,
                            EF_TOKEN_INFO
                                | EF_SIGN_CERT
                                | EF_SIGN_CA
                                | EF_AUTH_CERT
                                | EF_AUTH_PIN
                                | EF_SIGN_PIN
                        ) || (ef == EF_AUTH_CA && self.auth_ca.is_some())
                    }
                    App::CardInfo => ef == EF_CARD_INFO_PIN,
                    App::None => false,
                };
                if !exists {
                    return SW_FILE_NOT_FOUND;
                }
                self.ef = Some(ef);
                SW_OK
            }
            _ => SW_INCORRECT_P1P2,
        }
    }

    fn file(&self) -> Result<&[u8], u16> {
        match (self.app, self.ef) {
            (App::Jpki, Some(EF_TOKEN_INFO)) => Ok(&self.token_info),
            (App::Jpki, Some(EF_AUTH_CERT)) => Ok(&self.auth_cert),
            (App::Jpki, Some(EF_AUTH_CA)) => self.auth_ca.as_deref().ok_or(SW_FILE_NOT_FOUND),
            // The signature certificate and its CA need the signature PIN on a real card.
            (App::Jpki, Some(EF_SIGN_CERT | EF_SIGN_CA)) => Err(SW_SECURITY_NOT_SATISFIED),
            (_, Some(_)) => Err(SW_NO_CURRENT_EF),
            (_, None) => Err(SW_NO_CURRENT_EF),
        }
    }

    fn read_binary(&mut self, p1: u8, p2: u8, apdu: &[u8]) -> (Vec<u8>, u16) {
        if apdu.len() != 5 {
            return (Vec::new(), SW_WRONG_LENGTH);
        }
        if p1 & 0x80 != 0 {
            return (Vec::new(), SW_FUNC_NOT_SUPPORTED);
        }
        let file = match self.file() {
            Ok(f) => f,
            Err(sw) => return (Vec::new(), sw),
        };
        let offset = usize::from(u16::from_be_bytes([p1, p2]));
        let le = match apdu[4] {
            0 => 256,
            n => usize::from(n),
        };
        if offset >= file.len() {
            return (Vec::new(), SW_WRONG_P1P2);
        }
        let end = (offset + le).min(file.len());
        let sw = if end - offset < le {
            SW_END_OF_FILE
        } else {
            SW_OK
        };
        (file[offset..end].to_vec(), sw)
    }

    fn verify(&mut self, p1: u8, p2: u8, apdu: &[u8]) -> u16 {
        if apdu.len() > 5 {
            // A reader that only wants counters never gets here; a PIN is never checked by this card.
            self.pin_data_refused += 1;
            warn!("refusing VERIFY with PIN data");
            return SW_SECURITY_NOT_SATISFIED;
        }
        if apdu.len() == 5 {
            return SW_WRONG_LENGTH;
        }
        if p1 != 0x00 || p2 != 0x80 {
            return SW_INCORRECT_P1P2;
        }
        let pin = match (self.app, self.ef) {
            (App::Jpki, Some(EF_AUTH_PIN)) => Pin::Auth,
            (App::Jpki, Some(EF_SIGN_PIN)) => Pin::Sign,
            (App::CardInfo, Some(EF_CARD_INFO_PIN)) => Pin::CardInfo,
            _ => return SW_NO_CURRENT_EF,
        };
        match self.tries[pin as usize] {
            0 => SW_REF_DATA_UNUSABLE,
            n => 0x63C0 | u16::from(n.min(15)),
        }
    }
}

impl Transport for VirtualCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
        let raw = self.respond(apdu).ok_or(TransportError::Removed)?;
        let (data, sw) = split_response(&raw).ok_or(TransportError::Removed)?;
        Ok(Response {
            data: data.to_vec(),
            sw,
        })
    }
}
