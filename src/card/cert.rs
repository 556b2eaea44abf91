//! The user-authentication certificate: DER length from the first bytes, then validity and identity
//! with x509-parser. Hostile input gives a typed error, never a panic or an out-of-bounds read.

use chrono::DateTime;
use x509_parser::prelude::*;

use super::{CardError, CardIdentity};
use crate::rules::CertValidity;

/// A real JPKI certificate is ~1.2–1.6 KB; anything above this is a broken or hostile card.
pub const MAX_CERT_LEN: usize = 8 * 1024;

/// Total length (header + content) of the DER SEQUENCE starting at `head`, or `Ok(None)` if `head`
/// is too short to tell yet. Rejects non-SEQUENCE data and lengths over [`MAX_CERT_LEN`].
pub fn der_total_len(head: &[u8]) -> Result<Option<usize>, CardError> {
    let (Some(&tag), Some(&first)) = (head.first(), head.get(1)) else {
        return Ok(None);
    };
    if tag != 0x30 {
        return Err(CardError::CertInvalid(format!(
            "does not start with a DER SEQUENCE (tag {tag:02X})"
        )));
    }
    let (header, content) = match first {
        0x00..=0x7F => (2, usize::from(first)),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7F);
            let Some(bytes) = head.get(2..2 + n) else {
                return Ok(None);
            };
            let len = bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (2 + n, len)
        }
        _ => {
            return Err(CardError::CertInvalid(format!(
                "unsupported DER length byte {first:02X}"
            )))
        }
    };
    let total = header + content;
    if total > MAX_CERT_LEN {
        return Err(CardError::CertTooLarge(total));
    }
    Ok(Some(total))
}

/// Validity (as Japan-time dates) and identity (issuer + serial) of a DER certificate.
pub fn parse(der: &[u8]) -> Result<(CertValidity, CardIdentity), CardError> {
    let (rest, cert) =
        parse_x509_certificate(der).map_err(|e| CardError::CertInvalid(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CardError::CertInvalid(format!(
            "{} bytes after the certificate",
            rest.len()
        )));
    }
    let validity = cert.validity();
    let instant = |t: &ASN1Time| {
        DateTime::from_timestamp(t.timestamp(), 0)
            .ok_or_else(|| CardError::CertInvalid("validity date out of range".into()))
    };
    let validity = CertValidity::from_instants(
        instant(&validity.not_before)?,
        instant(&validity.not_after)?,
    );
    let tbs = &cert.tbs_certificate;
    let identity = CardIdentity::new(tbs.issuer.as_raw(), tbs.raw_serial());
    Ok((validity, identity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_length_forms() {
        assert_eq!(der_total_len(&[]).unwrap(), None);
        assert_eq!(der_total_len(&[0x30]).unwrap(), None);
        assert_eq!(der_total_len(&[0x30, 0x05]).unwrap(), Some(7));
        assert_eq!(der_total_len(&[0x30, 0x81, 0x90]).unwrap(), Some(0x93));
        assert_eq!(der_total_len(&[0x30, 0x82, 0x05]).unwrap(), None);
        assert_eq!(
            der_total_len(&[0x30, 0x82, 0x05, 0x10]).unwrap(),
            Some(0x514)
        );
        assert!(matches!(
            der_total_len(&[0x30, 0x82, 0xFF, 0xFF]),
            Err(CardError::CertTooLarge(0x10003))
        ));
        assert!(matches!(
            der_total_len(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(CardError::CertTooLarge(_))
        ));
        assert!(matches!(
            der_total_len(&[0x30, 0x80]),
            Err(CardError::CertInvalid(_))
        ));
        assert!(matches!(
            der_total_len(&[0x31, 0x05]),
            Err(CardError::CertInvalid(_))
        ));
        assert!(matches!(
            der_total_len(&[0xFF; 8]),
            Err(CardError::CertInvalid(_))
        ));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for len in 0..64 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert!(parse(&junk).is_err());
        }
    }
}
