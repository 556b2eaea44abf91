//! Card identity without personal data: the certificate's issuer+serial never leave this type
//! except as a salted hash (`CardKey`), which is what state files and D-Bus object paths use.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The identifying bytes of a card's certificate (issuer and serial). Deliberately has no
/// `Serialize` and a redacted `Debug`, so it cannot end up in a log or a file by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct CardIdentity(Vec<u8>);

impl CardIdentity {
    pub fn new(issuer_der: &[u8], serial: &[u8]) -> Self {
        let mut v = Vec::with_capacity(issuer_der.len() + serial.len() + 8);
        // Length-prefix the issuer so (issuer, serial) pairs can't collide by shifting bytes.
        v.extend_from_slice(&(issuer_der.len() as u64).to_be_bytes());
        v.extend_from_slice(issuer_der);
        v.extend_from_slice(serial);
        CardIdentity(v)
    }

    /// The salted key: hex of SHA-256(salt ‖ identity), first 16 bytes. The salt is per installation,
    /// so the key can't be matched against another machine's or a list of serials.
    pub fn key(&self, salt: &[u8]) -> CardKey {
        let mut h = Sha256::new();
        h.update(salt);
        h.update(&self.0);
        let digest = h.finalize();
        CardKey(hex::encode(&digest[..16]))
    }
}

impl fmt::Debug for CardIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardIdentity(<redacted>)")
    }
}

/// A card's stable, non-identifying key: 32 lowercase hex characters (valid in a D-Bus object path).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardKey(String);

impl CardKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fresh random key, for a card typed in by hand (it has no serial to hash). 128 random bits
    /// in the same shape as a hashed key, so nothing tells the two apart but the record's origin.
    pub fn random() -> Result<CardKey, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(CardKey(hex::encode(bytes)))
    }
}

impl TryFrom<String> for CardKey {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(CardKey(s))
        } else {
            Err(format!("not a card key: {s:?}"))
        }
    }
}

impl From<CardKey> for String {
    fn from(k: CardKey) -> String {
        k.0
    }
}

impl fmt::Display for CardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_salt_and_identity_and_hides_both() {
        let id = CardIdentity::new(b"issuer", &[1, 2, 3]);
        let k1 = id.key(b"salt-a");
        assert_eq!(k1.as_str().len(), 32);
        assert_ne!(k1, id.key(b"salt-b"));
        assert_ne!(k1, CardIdentity::new(b"issuer", &[1, 2, 4]).key(b"salt-a"));
        assert_eq!(k1, id.key(b"salt-a"));
        assert_eq!(format!("{id:?}"), "CardIdentity(<redacted>)");
    }

    #[test]
    fn random_keys_are_valid_and_differ() {
        let (a, b) = (CardKey::random().unwrap(), CardKey::random().unwrap());
        assert_ne!(a, b);
        assert_eq!(CardKey::try_from(a.to_string()).unwrap(), a);
    }

    #[test]
    fn key_round_trips_and_rejects_garbage() {
        let k = CardIdentity::new(b"i", b"s").key(b"x");
        let s: String = k.clone().into();
        assert_eq!(CardKey::try_from(s).unwrap(), k);
        assert!(CardKey::try_from("../etc".to_string()).is_err());
        assert!(CardKey::try_from("A".repeat(32)).is_err());
    }
}
