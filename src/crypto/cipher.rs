//! AES-256-GCM for personal fields and HMAC-SHA256 blind indexes.
//!
//! Stored form: `v1.` + base64url(nonce ‖ ciphertext). The associated data names the
//! column, so a value copied into another column fails to decrypt.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("stored value is not in the expected format")]
    Format,
    #[error("stored value failed authentication (wrong key or altered data)")]
    Authentication,
}

#[derive(Clone)]
pub struct FieldCipher {
    cipher: Aes256Gcm,
}

impl FieldCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        FieldCipher {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Encrypts `plain` for the column named by `context` (e.g. "request_identities.value").
    pub fn encrypt(&self, context: &str, plain: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // AES-GCM encryption only fails for inputs beyond 64 GiB, far above any field.
            .expect("AES-GCM encryption of a bounded field");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", B64.encode(out))
    }

    pub fn decrypt(&self, context: &str, stored: &str) -> Result<String, CipherError> {
        let body = stored.strip_prefix(PREFIX).ok_or(CipherError::Format)?;
        let raw = B64.decode(body).map_err(|_| CipherError::Format)?;
        if raw.len() < NONCE_LEN {
            return Err(CipherError::Format);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Authentication)?;
        String::from_utf8(plain).map_err(|_| CipherError::Format)
    }
}

/// Deterministic keyed hash of a normalised value: equal inputs give equal indexes, so
/// staff can find a person's requests by email, while the database alone reveals nothing.
#[derive(Clone)]
pub struct BlindIndexer {
    key: [u8; 32],
}

impl BlindIndexer {
    pub fn new(key: &[u8; 32]) -> Self {
        BlindIndexer { key: *key }
    }

    /// `kind` separates namespaces so an account id equal to an email never collides.
    pub fn index(&self, kind: &str, normalised: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        hex_encode(&mac.finalize().into_bytes())
    }
}

pub fn hex_encode(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> FieldCipher {
        FieldCipher::new(&[7u8; 32])
    }

    #[test]
    fn round_trip_and_no_plaintext() {
        let c = cipher();
        let sealed = c.encrypt("t.c", "jane@example.com");
        assert!(!sealed.contains("jane"));
        assert_eq!(
            c.decrypt("t.c", &sealed).expect("decrypts"),
            "jane@example.com"
        );
        // Random nonces: the same value never encrypts to the same text twice.
        assert_ne!(sealed, c.encrypt("t.c", "jane@example.com"));
    }

    #[test]
    fn wrong_context_or_tampering_fails() {
        let c = cipher();
        let sealed = c.encrypt("a.b", "secret");
        assert!(matches!(
            c.decrypt("x.y", &sealed),
            Err(CipherError::Authentication)
        ));
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ascii");
        assert!(c.decrypt("a.b", &altered).is_err());
        assert!(matches!(
            c.decrypt("a.b", "plain"),
            Err(CipherError::Format)
        ));
        let other = FieldCipher::new(&[8u8; 32]);
        assert!(other.decrypt("a.b", &sealed).is_err());
    }

    #[test]
    fn blind_index_is_keyed_and_namespaced() {
        let a = BlindIndexer::new(&[1u8; 32]);
        let b = BlindIndexer::new(&[2u8; 32]);
        assert_eq!(a.index("email", "x@y.z"), a.index("email", "x@y.z"));
        assert_ne!(a.index("email", "x@y.z"), b.index("email", "x@y.z"));
        assert_ne!(a.index("email", "x@y.z"), a.index("account_id", "x@y.z"));
        assert_eq!(a.index("email", "x@y.z").len(), 64);
    }
}
