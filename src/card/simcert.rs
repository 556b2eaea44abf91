//! Certificates for the virtual card: shaped like a real JPKI user-authentication certificate
//! (issuer, `C=JP, CN=<opaque id>` subject, RSA-2048 + sha256WithRSA, ~1.3 KB, notBefore 00:00 JST
//! on the issue day, notAfter 23:59:59 JST = 14:59:59Z on the expiry day). Test data only.

use chrono::{Months, NaiveDate, NaiveTime};
use rcgen::{
    CertificateParams, CrlDistributionPoint, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber, PKCS_RSA_SHA256,
};

/// A THROWAWAY RSA-2048 test key (generated with `openssl genpkey -algorithm RSA -pkeyopt
/// rsa_keygen_bits:2048` for this project) used to sign the virtual card's certificates, because
/// ring cannot generate RSA keys. It protects nothing; never use it for anything else.
const TEST_KEY_PEM: &str = include_str!("sim_test_key.pem");

/// The issuer on real user-authentication certificates (both OUs, in this order).
pub const ISSUER_OU: [&str; 2] = [
    "JPKI for user authentication",
    "Japan Agency for Local Authority Information Systems",
];

/// What to put in a generated certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CertSpec {
    /// Issue day (Japan time).
    pub issued: NaiveDate,
    /// Expiry day (Japan time): the holder's 5th birthday after issue on a real card.
    pub expires: NaiveDate,
    /// Makes distinct cards: different serial and subject, hence a different card identity.
    pub serial: u64,
}

impl CertSpec {
    /// A spec with a plausible issue day: about five years before the expiry.
    pub fn expiring(expires: NaiveDate, serial: u64) -> Self {
        let issued = expires
            .checked_sub_months(Months::new(60))
            .and_then(|d| d.checked_add_days(chrono::Days::new(30)))
            .unwrap_or(expires);
        CertSpec {
            issued,
            expires,
            serial,
        }
    }
}

/// The generated user-authentication certificate and its (self-signed) CA certificate, DER.
#[derive(Clone, Debug)]
pub struct SimCerts {
    pub cert: Vec<u8>,
    pub ca: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum SimCertError {
    #[error("certificate generation failed: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("date out of range for a certificate")]
    Date,
    #[error("the issue day {issued} is after the expiry day {expires}")]
    IssuedAfterExpiry {
        issued: NaiveDate,
        expires: NaiveDate,
    },
}

/// Mix a small serial into random-looking bits (splitmix64), so `--serial 1/2/3` look unrelated.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn instant(date: NaiveDate, h: u32, m: u32, s: u32) -> Result<time::OffsetDateTime, SimCertError> {
    let t = NaiveTime::from_hms_opt(h, m, s).ok_or(SimCertError::Date)?;
    let secs = date.and_time(t).and_utc().timestamp();
    time::OffsetDateTime::from_unix_timestamp(secs).map_err(|_| SimCertError::Date)
}

/// Minimal DER writer for the two extensions rcgen has no builder for.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    match n {
        0..=0x7F => v.push(n as u8),
        0x80..=0xFF => v.extend_from_slice(&[0x81, n as u8]),
        _ => v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
    }
    v.extend_from_slice(content);
    v
}

fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &arc in &arcs[2..] {
        let mut bytes = vec![(arc & 0x7F) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            bytes.push(0x80 | (rest & 0x7F) as u8);
            rest >>= 7;
        }
        body.extend(bytes.iter().rev());
    }
    tlv(0x06, &body)
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn issuer_dn() -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "JP");
    dn.push(DnType::OrganizationName, "JPKI");
    dn.push(DnType::OrganizationalUnitName, ISSUER_OU[0]);
    // rcgen keeps one value per attribute type; the second OU goes in under its raw OID (2.5.4.11),
    // which encodes exactly like a second OrganizationalUnitName.
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 11]), ISSUER_OU[1]);
    dn
}

/// Generate the virtual card's certificates.
pub fn generate(spec: &CertSpec) -> Result<SimCerts, SimCertError> {
    if spec.issued > spec.expires {
        return Err(SimCertError::IssuedAfterExpiry {
            issued: spec.issued,
            expires: spec.expires,
        });
    }
    let key = KeyPair::from_pem_and_sign_algo(TEST_KEY_PEM, &PKCS_RSA_SHA256)?;

    let mut ca = CertificateParams::default();
    ca.distinguished_name = issuer_dn();
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.serial_number = Some(SerialNumber::from(1u64));
    ca.not_before = instant(
        NaiveDate::from_ymd_opt(2014, 1, 1).ok_or(SimCertError::Date)?,
        0,
        0,
        0,
    )?;
    ca.not_after = instant(
        NaiveDate::from_ymd_opt(2040, 1, 1).ok_or(SimCertError::Date)?,
        0,
        0,
        0,
    )?;
    let ca_der = ca.self_signed(&key)?.der().to_vec();
    let issuer = Issuer::new(ca, &key);

    let bits = mix(spec.serial);
    let mut p = CertificateParams::default();
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CountryName, "JP");
    subject.push(
        DnType::CommonName,
        format!("{:016X}{:04X}", bits, spec.serial & 0xFFFF),
    );
    p.distinguished_name = subject;
    // Real serials are a few bytes; keep it positive and non-zero.
    p.serial_number = Some(SerialNumber::from(
        ((bits >> 33) | 1).to_be_bytes().to_vec(),
    ));
    // notBefore: 00:00:00 JST on the issue day; notAfter: 23:59:59 JST on the expiry day.
    let day_before = spec.issued.pred_opt().ok_or(SimCertError::Date)?;
    p.not_before = instant(day_before, 15, 0, 0)?;
    p.not_after = instant(spec.expires, 14, 59, 59)?;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    p.use_authority_key_identifier_extension = true;
    p.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![
            "http://crl.jpki.example.invalid/crl/auth/authcrl-sim.crl".into(),
            "ldap://crl.jpki.example.invalid/cn=CRLDP,ou=JPKI%20for%20user%20authentication,o=JPKI,c=JP?certificateRevocationList".into(),
        ],
    }];
    // certificatePolicies: one policy with a CPS pointer, as on real cards.
    let policies = seq(&[seq(&[
        oid(&[1, 2, 392, 200149, 8, 5, 1, 3, 30]),
        seq(&[seq(&[
            oid(&[1, 3, 6, 1, 5, 5, 7, 2, 1]),
            tlv(0x16, b"http://www.jpki.example.invalid/cps.html"),
        ])]),
    ])]);
    let mut policies = CustomExtension::from_oid_content(&[2, 5, 29, 32], policies);
    policies.set_criticality(true);
    // authorityInfoAccess: OCSP responder.
    let aia = seq(&[seq(&[
        oid(&[1, 3, 6, 1, 5, 5, 7, 48, 1]),
        tlv(0x86, b"http://ocsp.jpki.example.invalid/ocsp/auth"),
    ])]);
    p.custom_extensions = vec![
        policies,
        CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], aia),
    ];
    let cert = p.signed_by(&key, &issuer)?.der().to_vec();
    Ok(SimCerts { cert, ca: ca_der })
}

/// Load a certificate file, DER or PEM (the one file decoder, [`super::cert::decode_file`]). The
/// virtual card serves whatever certificate it is given, so this does not judge it.
pub fn load_cert_file(bytes: &[u8]) -> Result<Vec<u8>, String> {
    super::cert::decode_file(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    #[test]
    fn generated_certificate_looks_like_a_real_one() {
        let spec = CertSpec {
            issued: NaiveDate::from_ymd_opt(2022, 3, 1).unwrap(),
            expires: NaiveDate::from_ymd_opt(2027, 2, 14).unwrap(),
            serial: 7,
        };
        let certs = generate(&spec).unwrap();
        assert!(
            (1200..=1600).contains(&certs.cert.len()),
            "{} bytes",
            certs.cert.len()
        );
        let (_, c) = parse_x509_certificate(&certs.cert).unwrap();
        assert_eq!(
            c.issuer().to_string(),
            "C=JP, O=JPKI, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems"
        );
        assert!(c.subject().to_string().starts_with("C=JP, CN="));
        assert_eq!(
            c.validity().not_after.to_datetime().to_string(),
            "2027-02-14 14:59:59.0 +00:00:00"
        );
        assert_eq!(
            c.validity().not_before.to_datetime().to_string(),
            "2022-02-28 15:00:00.0 +00:00:00"
        );
        assert_eq!(
            c.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.113549.1.1.11"
        );
        let other = generate(&CertSpec { serial: 8, ..spec }).unwrap();
        let (_, o) = parse_x509_certificate(&other.cert).unwrap();
        assert_ne!(o.raw_serial(), c.raw_serial());
    }
}
