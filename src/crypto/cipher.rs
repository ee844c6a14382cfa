//! AES-256-GCM for personal fields and HMAC-SHA256 blind indexes.
//!
//! Stored form: `v2.<key id>.` + base64url(nonce ‖ ciphertext), where the key id names
//! the data key that sealed it (see [`key_id`]), so that after a key rotation old and new
//! values can be told apart and read side by side. Values written before key ids existed
//! have the form `v1.` + base64url(…) and are tried against every known key. The
//! associated data names the column, so a value copied into another column fails to decrypt.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const LEGACY_PREFIX: &str = "v1.";
const PREFIX: &str = "v2.";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("stored value is not in the expected format")]
    Format,
    #[error("stored value failed authentication (wrong key or altered data)")]
    Authentication,
    #[error("stored value was sealed with a data key that is not loaded")]
    UnknownKey,
}

/// The public name of a data key: the first 64 bits of a SHA-256 over a label and the
/// key, as 16 hex digits. It tells keys apart without revealing anything about them.
pub fn key_id(key: &[u8; 32]) -> String {
    use sha2::Digest;
    let mut h = Sha256::new();
    h.update(b"dsar-portal data key id\0");
    h.update(key);
    hex_encode(&h.finalize()[..8])
}

#[derive(Clone)]
struct DataKey {
    id: String,
    cipher: Aes256Gcm,
}

impl DataKey {
    fn new(key: &[u8; 32]) -> Self {
        DataKey {
            id: key_id(key),
            cipher: Aes256Gcm::new(key.into()),
        }
    }
}

/// Seals with the current data key; opens with the current key or any previous one
/// still kept while a key rotation is re-encrypting the stored values.
#[derive(Clone)]
pub struct FieldCipher {
    current: DataKey,
    previous: Vec<DataKey>,
}

impl FieldCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self::with_previous(key, &[])
    }

    /// A cipher that writes with `current` and still reads values sealed with `previous`.
    pub fn with_previous(current: &[u8; 32], previous: &[[u8; 32]]) -> Self {
        FieldCipher {
            current: DataKey::new(current),
            previous: previous.iter().map(DataKey::new).collect(),
        }
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// The prefix every value sealed with the current key starts with.
    pub fn current_prefix(&self) -> String {
        format!("{PREFIX}{}.", self.current.id)
    }

    /// Encrypts `plain` for the column named by `context` (e.g. "request_identities.value").
    pub fn encrypt(&self, context: &str, plain: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .current
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
        format!("{}{}", self.current_prefix(), B64.encode(out))
    }

    pub fn decrypt(&self, context: &str, stored: &str) -> Result<String, CipherError> {
        if let Some(rest) = stored.strip_prefix(PREFIX) {
            let (id, body) = rest.split_once('.').ok_or(CipherError::Format)?;
            let key = self.keys().find(|k| k.id == id);
            return open(key.ok_or(CipherError::UnknownKey)?, context, body);
        }
        // A value from before key ids: whichever loaded key opens it is the right one
        // (AES-GCM authentication makes a wrong key fail, never give wrong text).
        let body = stored
            .strip_prefix(LEGACY_PREFIX)
            .ok_or(CipherError::Format)?;
        let mut last = CipherError::Authentication;
        for key in self.keys() {
            match open(key, context, body) {
                Ok(plain) => return Ok(plain),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn keys(&self) -> impl Iterator<Item = &DataKey> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }
}

fn open(key: &DataKey, context: &str, body: &str) -> Result<String, CipherError> {
    let raw = B64.decode(body).map_err(|_| CipherError::Format)?;
    if raw.len() < NONCE_LEN {
        return Err(CipherError::Format);
    }
    let (nonce, sealed) = raw.split_at(NONCE_LEN);
    let plain = key
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

    /// A value in the format written before key ids (`v1.` + base64url(nonce ‖ sealed)).
    fn legacy_seal(key: &[u8; 32], context: &str, plain: &str) -> String {
        let cipher = Aes256Gcm::new(key.into());
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("seal");
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&sealed);
        format!("v1.{}", B64.encode(raw))
    }

    #[test]
    fn values_name_their_key_and_old_keys_still_read() {
        let (old, new) = ([7u8; 32], [9u8; 32]);
        let before = cipher().encrypt("t.c", "under the old key");
        let legacy = legacy_seal(&old, "t.c", "from before key ids");
        assert!(before.starts_with(&format!("v2.{}.", key_id(&old))));
        let rotated = FieldCipher::with_previous(&new, &[old]);
        let after = rotated.encrypt("t.c", "under the new key");
        assert!(after.starts_with(&rotated.current_prefix()));
        assert_eq!(rotated.current_key_id(), key_id(&new));
        for (stored, plain) in [
            (&before, "under the old key"),
            (&legacy, "from before key ids"),
            (&after, "under the new key"),
        ] {
            assert_eq!(rotated.decrypt("t.c", stored).expect("reads"), plain);
        }
        // Once the old key is gone, its values are reported as such, not as tampering.
        let retired = FieldCipher::new(&new);
        assert!(matches!(
            retired.decrypt("t.c", &before),
            Err(CipherError::UnknownKey)
        ));
        assert!(matches!(
            retired.decrypt("t.c", &legacy),
            Err(CipherError::Authentication)
        ));
        assert_eq!(key_id(&old).len(), 16);
        assert_ne!(key_id(&old), key_id(&new));
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
