//! The JPKI command set as bytes: applet and file ids, short command APDUs and status words.
//! Only short APDUs (Lc/Le ≤ 256): many readers and cards refuse extended ones.

/// JPKI applet (公的個人認証AP).
pub const AID_JPKI: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// 券面事項入力補助AP (card-info input support applet): only its PIN counter is queried.
pub const AID_CARD_INFO: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];

/// Token info: the first 32 bytes are the ASCII token label, space padded.
pub const EF_TOKEN_INFO: u16 = 0x0006;
/// Signature certificate (needs the signature PIN: never read).
pub const EF_SIGN_CERT: u16 = 0x0001;
/// Signature CA certificate.
pub const EF_SIGN_CA: u16 = 0x0002;
/// User-authentication certificate: free to read, the one mynawatch needs.
pub const EF_AUTH_CERT: u16 = 0x000A;
/// User-authentication CA certificate.
pub const EF_AUTH_CA: u16 = 0x000B;
/// User-authentication PIN (in the JPKI applet).
pub const EF_AUTH_PIN: u16 = 0x0018;
/// Signature PIN (in the JPKI applet).
pub const EF_SIGN_PIN: u16 = 0x001B;
/// 券面事項入力補助 PIN (in the card-info applet).
pub const EF_CARD_INFO_PIN: u16 = 0x0011;

/// Length of the token label at the start of EF 0006.
pub const LABEL_LEN: u8 = 32;

pub const SW_OK: u16 = 0x9000;
/// End of file reached before Le bytes (data is still returned).
pub const SW_END_OF_FILE: u16 = 0x6282;
pub const SW_WRONG_LENGTH: u16 = 0x6700;
pub const SW_SECURITY_NOT_SATISFIED: u16 = 0x6982;
pub const SW_AUTH_BLOCKED: u16 = 0x6983;
pub const SW_REF_DATA_UNUSABLE: u16 = 0x6984;
pub const SW_NO_CURRENT_EF: u16 = 0x6986;
pub const SW_FUNC_NOT_SUPPORTED: u16 = 0x6A81;
pub const SW_FILE_NOT_FOUND: u16 = 0x6A82;
pub const SW_INCORRECT_P1P2: u16 = 0x6A86;
pub const SW_WRONG_P1P2: u16 = 0x6B00;
pub const SW_INS_NOT_SUPPORTED: u16 = 0x6D00;
pub const SW_CLA_NOT_SUPPORTED: u16 = 0x6E00;
/// "No precise diagnosis": some cards answer this to the first command after power-up.
pub const SW_NO_DIAGNOSIS: u16 = 0x6F00;

/// SELECT an applet by AID, no response data (P2 = 0C), no Le.
pub fn select_applet(aid: &[u8; 10]) -> Vec<u8> {
    let mut v = vec![0x00, 0xA4, 0x04, 0x0C, aid.len() as u8];
    v.extend_from_slice(aid);
    v
}

/// SELECT an elementary file of the current applet by its 2-byte id.
pub fn select_ef(ef: u16) -> Vec<u8> {
    let [hi, lo] = ef.to_be_bytes();
    vec![0x00, 0xA4, 0x02, 0x0C, 0x02, hi, lo]
}

/// READ BINARY of `len` (1..=256) bytes at `offset` (< 0x8000: bit 15 would mean a short file id).
pub fn read_binary(offset: u16, len: u16) -> Vec<u8> {
    debug_assert!(offset < 0x8000 && (1..=256).contains(&len));
    let [hi, lo] = offset.to_be_bytes();
    // Le 00 means 256 in a short APDU.
    vec![0x00, 0xB0, hi & 0x7F, lo, (len & 0xFF) as u8]
}

/// VERIFY with no data and no Le (ISO case 1): asks for the retry counter of the selected PIN
/// without presenting one. Exactly 4 bytes: with an Le byte cards answer `67 00`.
pub const VERIFY_STATUS: [u8; 4] = [0x00, 0x20, 0x00, 0x80];

/// Split a raw response (data ‖ SW1 SW2) into data and status word; `None` if shorter than 2 bytes.
pub fn split_response(raw: &[u8]) -> Option<(&[u8], u16)> {
    let n = raw.len().checked_sub(2)?;
    Some((&raw[..n], u16::from_be_bytes([raw[n], raw[n + 1]])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_short_apdus_as_documented() {
        assert_eq!(
            select_applet(&AID_JPKI),
            hex::decode("00A4040C0AD392F000260100000001").unwrap()
        );
        assert_eq!(
            select_ef(EF_AUTH_CERT),
            hex::decode("00A4020C02000A").unwrap()
        );
        assert_eq!(read_binary(0, 256), hex::decode("00B0000000").unwrap());
        assert_eq!(read_binary(0x0500, 20), hex::decode("00B0050014").unwrap());
        assert_eq!(VERIFY_STATUS.len(), 4);
    }

    #[test]
    fn split_response_needs_a_status_word() {
        assert_eq!(split_response(&[0x90, 0x00]), Some((&[][..], 0x9000)));
        assert_eq!(
            split_response(&[1, 2, 0x62, 0x82]),
            Some((&[1, 2][..], 0x6282))
        );
        assert_eq!(split_response(&[0x90]), None);
        assert_eq!(split_response(&[]), None);
    }
}
