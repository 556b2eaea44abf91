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

/// What the issuer of a user-authentication certificate says (J-LIS, `C=JP, O=JPKI, OU=JPKI for
/// user authentication, OU=Japan Agency for Local Authority Information Systems`). The signature
/// certificate's CA says `OU=JPKI for digital signature` instead.
const ISSUER_COUNTRY: &str = "JP";
const ISSUER_ORG: &str = "JPKI";
const ISSUER_USER_AUTH_OU: &str = "JPKI for user authentication";

/// Why a well-formed X.509 certificate is not the user-authentication certificate of a My Number
/// Card. The messages name no personal data (no subject, no serial, no dates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotUserAuth {
    #[error(
        "it is a CA certificate (a certificate authority's own), not a card holder's certificate"
    )]
    Ca,
    #[error("its issuer is not the J-LIS user-authentication CA (O=JPKI, OU=JPKI for user authentication)")]
    Issuer,
    #[error("its key usage does not allow digital signatures (digitalSignature), as a user-authentication certificate's does")]
    KeyUsage,
}

fn has_value<'a>(
    mut values: impl Iterator<Item = &'a AttributeTypeAndValue<'a>>,
    wanted: &str,
) -> bool {
    values.any(|a| a.as_str().is_ok_and(|v| v == wanted))
}

/// The shape checks (no chain check: the card read is offline and the CA is not needed for dates).
fn check_user_auth(cert: &X509Certificate<'_>) -> Result<(), CardError> {
    let not = |why| Err(CardError::NotUserAuth(why));
    let constraints = cert
        .basic_constraints()
        .map_err(|e| CardError::CertInvalid(format!("basicConstraints: {e}")))?;
    let key_usage = cert
        .key_usage()
        .map_err(|e| CardError::CertInvalid(format!("keyUsage: {e}")))?;
    if constraints.is_some_and(|c| c.value.ca)
        || key_usage.as_ref().is_some_and(|k| k.value.key_cert_sign())
    {
        return not(NotUserAuth::Ca);
    }
    let issuer = cert.issuer();
    let from_jlis = has_value(issuer.iter_country(), ISSUER_COUNTRY)
        && has_value(issuer.iter_organization(), ISSUER_ORG)
        && has_value(issuer.iter_organizational_unit(), ISSUER_USER_AUTH_OU);
    if !from_jlis {
        return not(NotUserAuth::Issuer);
    }
    if !key_usage.is_some_and(|k| k.value.digital_signature()) {
        return not(NotUserAuth::KeyUsage);
    }
    Ok(())
}

/// Validity (as Japan-time dates) and identity (issuer + serial) of a DER certificate that looks like
/// a JPKI user-authentication certificate. The one certificate parser: the card read, `check --cert`
/// and the virtual card's file loader all come through here (or [`decode_file`] first).
pub fn parse(der: &[u8]) -> Result<(CertValidity, CardIdentity), CardError> {
    // x509-parser does not check the outer tag's class (a first byte of 0x90 instead of 0x30
    // parses), so the framing the card read relies on is checked here: one DER SEQUENCE, whole.
    match der_total_len(der)? {
        Some(n) if n == der.len() => {}
        Some(n) => {
            return Err(CardError::CertInvalid(format!(
                "the DER header says {n} bytes, {} were given",
                der.len()
            )))
        }
        None => return Err(CardError::CertInvalid("too short for a certificate".into())),
    }
    // The framing check above leaves nothing after the SEQUENCE, so `rest` is always empty.
    let (_, cert) =
        parse_x509_certificate(der).map_err(|e| CardError::CertInvalid(e.to_string()))?;
    check_user_auth(&cert)?;
    let validity = cert.validity();
    let instant = |t: &ASN1Time| {
        DateTime::from_timestamp(t.timestamp(), 0)
            .ok_or_else(|| CardError::CertInvalid("validity date out of range".into()))
    };
    let (not_before, not_after) = (
        instant(&validity.not_before)?,
        instant(&validity.not_after)?,
    );
    // A certificate that expires before it is issued is broken or hostile: the rule core would
    // compute deadlines from nonsense, so it is rejected here rather than judged.
    if not_before > not_after {
        return Err(CardError::CertInvalid("notBefore is after notAfter".into()));
    }
    let validity = CertValidity::from_instants(not_before, not_after);
    let tbs = &cert.tbs_certificate;
    let identity = CardIdentity::new(tbs.issuer.as_raw(), tbs.raw_serial());
    Ok((validity, identity))
}

/// Why a certificate file's bytes are not one certificate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than a certificate can be ({0} bytes)")]
    TooLarge(usize),
    #[error("{0}")]
    NotCertificate(String),
    #[error(
        "the file holds more than one certificate; give only the user-authentication certificate"
    )]
    Several,
}

/// A certificate file is never this big (PEM of an 8 KiB DER is about 11 KiB).
pub const MAX_FILE_LEN: usize = 64 * 1024;

/// The DER bytes of the one certificate in a file, PEM (`-----BEGIN CERTIFICATE-----`) or DER.
/// Does not judge the certificate: [`parse`] does.
pub fn decode_file(bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    if bytes.len() > MAX_FILE_LEN {
        return Err(FileError::TooLarge(bytes.len()));
    }
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() {
        return Err(FileError::Empty);
    }
    let one_line = |e: &dyn std::fmt::Display| e.to_string().replace('\n', " ");
    // PEM may follow explanatory text (as `openssl x509 -text` writes it); DER is taken as is.
    if !trimmed.windows(10).any(|w| w == b"-----BEGIN") {
        return Ok(bytes.to_vec());
    }
    let mut blocks = x509_parser::pem::Pem::iter_from_buffer(trimmed);
    let first = match blocks.next() {
        Some(Ok(pem)) => pem,
        Some(Err(e)) => {
            return Err(FileError::NotCertificate(format!(
                "bad PEM: {}",
                one_line(&e)
            )))
        }
        None => return Err(FileError::NotCertificate("no PEM block".into())),
    };
    if first.label != "CERTIFICATE" {
        return Err(FileError::NotCertificate(format!(
            "the PEM block is {:?}, not CERTIFICATE",
            first.label
        )));
    }
    if blocks.any(|b| b.is_ok_and(|b| b.label == "CERTIFICATE")) {
        return Err(FileError::Several);
    }
    Ok(first.contents)
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

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/jpki/{name}", env!("CARGO_MANIFEST_DIR"));
        decode_file(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn the_real_jlis_ca_certificates_are_not_user_auth_certificates() {
        for name in ["auth_ca_2015.pem", "auth_ca_2023.pem", "sign_ca_2023.pem"] {
            assert_eq!(
                parse(&fixture(name)).unwrap_err(),
                CardError::NotUserAuth(NotUserAuth::Ca),
                "{name}"
            );
        }
        assert_eq!(
            parse(&fixture("non-jpki-leaf.pem")).unwrap_err(),
            CardError::NotUserAuth(NotUserAuth::Issuer)
        );
    }

    #[test]
    fn the_virtual_cards_certificate_passes_and_its_ca_does_not() {
        let spec = super::super::simcert::CertSpec::expiring(
            chrono::NaiveDate::from_ymd_opt(2027, 2, 14).unwrap(),
            1,
        );
        let certs = super::super::simcert::generate(&spec).unwrap();
        let (validity, _) = parse(&certs.cert).unwrap();
        assert_eq!(validity.not_after, spec.expires);
        assert_eq!(
            parse(&certs.ca).unwrap_err(),
            CardError::NotUserAuth(NotUserAuth::Ca)
        );
    }

    /// A leaf from the right issuer but without digitalSignature, and a JPKI signature certificate
    /// (issuer `OU=JPKI for digital signature`), are refused.
    #[test]
    fn issuer_and_key_usage_are_both_required() {
        use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, KeyUsagePurpose};
        let make = |ou: &str, usages: Vec<KeyUsagePurpose>| {
            let key = KeyPair::generate().unwrap();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CountryName, "JP");
            dn.push(DnType::OrganizationName, "JPKI");
            dn.push(DnType::OrganizationalUnitName, ou);
            let mut ca = CertificateParams::default();
            ca.distinguished_name = dn;
            ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            let issuer = rcgen::Issuer::new(ca, &key);
            let mut leaf = CertificateParams::default();
            leaf.key_usages = usages;
            leaf.signed_by(&key, &issuer).unwrap().der().to_vec()
        };
        let ok = make(ISSUER_USER_AUTH_OU, vec![KeyUsagePurpose::DigitalSignature]);
        assert!(parse(&ok).is_ok());
        assert_eq!(
            parse(&make(
                ISSUER_USER_AUTH_OU,
                vec![KeyUsagePurpose::KeyEncipherment]
            ))
            .unwrap_err(),
            CardError::NotUserAuth(NotUserAuth::KeyUsage)
        );
        assert_eq!(
            parse(&make(ISSUER_USER_AUTH_OU, vec![])).unwrap_err(),
            CardError::NotUserAuth(NotUserAuth::KeyUsage)
        );
        assert_eq!(
            parse(&make(
                "JPKI for digital signature",
                vec![KeyUsagePurpose::DigitalSignature]
            ))
            .unwrap_err(),
            CardError::NotUserAuth(NotUserAuth::Issuer)
        );
    }

    #[test]
    fn a_file_holds_exactly_one_certificate() {
        let pem = std::fs::read(format!(
            "{}/tests/fixtures/jpki/auth_ca_2023.pem",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let two = [&pem[..], &pem[..]].concat();
        assert_eq!(decode_file(&two), Err(FileError::Several));
        let with_text = [&b"Certificate:\n    Data: ...\n"[..], &pem[..]].concat();
        assert_eq!(decode_file(&with_text), decode_file(&pem));
        assert_eq!(decode_file(b"  \n"), Err(FileError::Empty));
        let key = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            decode_file(key),
            Err(FileError::NotCertificate(_))
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
