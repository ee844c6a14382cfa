//! Secret link tokens: 32 random bytes shown once (base64url in the link); only the
//! SHA-256 hash is stored, so a database leak yields no working link.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::cipher::hex_encode;

pub const TOKEN_BYTES: usize = 32;

/// A freshly generated token: `secret` goes in the email link, `hash` in the database.
pub struct NewToken {
    pub secret: String,
    pub hash: String,
}

pub fn generate() -> NewToken {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = B64.encode(bytes);
    let hash = hash(&secret);
    NewToken { secret, hash }
}

/// Hash of a presented token, or None when it cannot be one of ours (wrong length or
/// alphabet), so junk never reaches the database.
pub fn hash_presented(presented: &str) -> Option<String> {
    let decoded = B64.decode(presented.as_bytes()).ok()?;
    (decoded.len() == TOKEN_BYTES).then(|| hash(presented))
}

pub fn hash(secret: &str) -> String {
    hex_encode(&Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality for secrets fetched by index (defence in depth: the lookup
/// is by hash already, so timing reveals nothing about the secret itself).
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A random opaque identifier of `n` bytes in base64url (form submission keys, CSRF).
pub fn random_id(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    B64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_and_hash_matches() {
        let t = generate();
        assert_eq!(B64.decode(&t.secret).expect("b64").len(), 32);
        assert_eq!(hash_presented(&t.secret).as_deref(), Some(t.hash.as_str()));
        assert_ne!(generate().secret, t.secret);
    }

    #[test]
    fn junk_is_rejected_before_lookup() {
        assert!(hash_presented("short").is_none());
        assert!(hash_presented("!!!!").is_none());
        assert!(hash_presented(&"A".repeat(500)).is_none());
    }
}
