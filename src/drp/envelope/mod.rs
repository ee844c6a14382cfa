//! The signed envelope every DRP message travels in, and the checks on its common
//! claims.
//!
//! The HTTP body is `base64(signature || json)`: libsodium's "combined mode", where the
//! 64-byte Ed25519 signature over the JSON bytes comes first. Nothing in the JSON is
//! looked at before the signature verifies, so an unauthenticated sender cannot make
//! us parse (or log) anything of theirs.
//!
//! This file opens the envelope (steps 1 and 2: base64, then the signature);
//! `claims.rs` checks who sent it and when, `error.rs` words each refusal.

mod claims;
mod error;
#[cfg(test)]
pub(crate) mod testing;

pub(crate) use claims::{check_agent, check_business, check_expires, check_issued};
pub use claims::{
    check_claims, Expected, CLOCK_SKEW, DEFAULT_MAX_VALIDITY, MAX_VALIDITY_RANGE_MINUTES,
};
pub use error::EnvelopeError;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey, SIGNATURE_LENGTH};
use sha2::{Digest, Sha256};

/// A verify key that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the verify key is not standard base64 text")]
    NotBase64,
    #[error("the verify key must be 32 bytes long, not {0}")]
    WrongLength(usize),
    #[error("the verify key is not a valid Ed25519 public key")]
    Invalid,
    #[error("the verify key is a weak (small-order) Ed25519 key, which any signature could match")]
    Weak,
}

/// Reads an agent's verify key as published: 32 bytes in standard base64.
pub fn parse_verify_key(base64: &str) -> Result<VerifyingKey, KeyError> {
    let bytes = STANDARD
        .decode(base64.trim())
        .map_err(|_| KeyError::NotBase64)?;
    let bytes: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeyError::WrongLength(bytes.len()))?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::Invalid)?;
    // verify_strict would refuse every message under such a key anyway; saying so
    // when the key is registered is kinder than a stream of "bad signature" later.
    if key.is_weak() {
        return Err(KeyError::Weak);
    }
    Ok(key)
}

/// A body whose signature verified: the JSON it carried, not yet parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    json: Vec<u8>,
    signature: [u8; SIGNATURE_LENGTH],
}

impl Opened {
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    pub fn signature(&self) -> &[u8; SIGNATURE_LENGTH] {
        &self.signature
    }

    pub fn into_json(self) -> Vec<u8> {
        self.json
    }

    /// Hex SHA-256 of the signature: the same for the same body, and different for
    /// any other, because `verify_strict` refuses the non-canonical variants of a
    /// signature, so a captured body cannot be re-sent under a different one. Hashing
    /// keeps the value fixed-size and useless as a signature. The replay register keys
    /// on it together with the operation (`drp::replay`).
    pub fn signature_hash(&self) -> String {
        hex::encode(Sha256::digest(self.signature))
    }
}

/// Steps 1 and 2: decodes the body and verifies the signature over the JSON bytes.
pub fn open(body: &[u8], key: &VerifyingKey) -> Result<Opened, EnvelopeError> {
    let text = body.trim_ascii();
    let decoded = STANDARD
        .decode(text)
        .map_err(|_| EnvelopeError::NotBase64)?;
    // A signature with nothing after it signs the empty message, which no DRP
    // message is.
    if decoded.len() <= SIGNATURE_LENGTH {
        return Err(EnvelopeError::TooShort);
    }
    let (sig, json) = decoded.split_at(SIGNATURE_LENGTH);
    let signature: [u8; SIGNATURE_LENGTH] = sig.try_into().map_err(|_| EnvelopeError::TooShort)?;
    // Strict: refuses weak keys and malleable (non-canonical) signatures, which the
    // replay table depends on.
    key.verify_strict(json, &Signature::from_bytes(&signature))
        .map_err(|_| EnvelopeError::BadSignature)?;
    Ok(Opened {
        json: json.to_vec(),
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn key() -> VerifyingKey {
        signing_key().verifying_key()
    }

    #[test]
    fn verify_key_round_trip_and_refusals() {
        let published = STANDARD.encode(key().to_bytes());
        assert_eq!(parse_verify_key(&format!(" {published}\n")), Ok(key()));
        assert_eq!(parse_verify_key("not base64!"), Err(KeyError::NotBase64));
        assert_eq!(
            parse_verify_key(&STANDARD.encode([1u8; 31])),
            Err(KeyError::WrongLength(31))
        );
        // The identity point: valid encoding, small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            parse_verify_key(&STANDARD.encode(identity)),
            Err(KeyError::Weak)
        );
    }

    #[test]
    fn opens_a_good_body_with_surrounding_whitespace() {
        let json = br#"{"hello":"world"}"#;
        let mut body = b"\r\n  ".to_vec();
        body.extend(seal_with(&signing_key(), json));
        body.extend_from_slice(b"\n");
        let opened = open(&body, &key()).expect("opens");
        assert_eq!(opened.json(), json);
        assert_eq!(opened.signature_hash().len(), 64);
        assert_eq!(
            opened.signature_hash(),
            hex::encode(Sha256::digest(opened.signature()))
        );
    }

    #[test]
    fn same_body_same_signature_hash_other_body_other_hash() {
        let a = open(&seal_with(&signing_key(), b"{\"a\":1}"), &key()).expect("opens");
        let a2 = open(&seal_with(&signing_key(), b"{\"a\":1}"), &key()).expect("opens");
        let b = open(&seal_with(&signing_key(), b"{\"a\":2}"), &key()).expect("opens");
        assert_eq!(a.signature_hash(), a2.signature_hash());
        assert_ne!(a.signature_hash(), b.signature_hash());
    }

    #[test]
    fn step_1_malformed_base64() {
        assert_eq!(
            open(b"%%% not base64 %%%", &key()),
            Err(EnvelopeError::NotBase64)
        );
        // Unpadded standard base64 is refused: the spec says padded. 67 bytes encode
        // to 90 characters and two `=`.
        let body = seal_with(&signing_key(), b"{}x");
        assert!(body.ends_with(b"=="));
        let unpadded = &body[..body.len() - 2];
        assert_eq!(open(unpadded, &key()), Err(EnvelopeError::NotBase64));
        // URL-safe alphabet is not standard base64.
        let url_safe: Vec<u8> = body
            .iter()
            .map(|&b| match b {
                b'+' => b'-',
                b'/' => b'_',
                b => b,
            })
            .collect();
        if url_safe != body {
            assert_eq!(open(&url_safe, &key()), Err(EnvelopeError::NotBase64));
        }
    }

    #[test]
    fn step_1_too_short() {
        assert_eq!(open(b"", &key()), Err(EnvelopeError::TooShort));
        let only_sig = STANDARD.encode([0u8; 64]);
        assert_eq!(
            open(only_sig.as_bytes(), &key()),
            Err(EnvelopeError::TooShort)
        );
        assert_eq!(
            open(STANDARD.encode([0u8; 10]).as_bytes(), &key()),
            Err(EnvelopeError::TooShort)
        );
    }

    #[test]
    fn step_2_signature_from_another_key() {
        let body = seal_with(&other_key(), b"{\"agent-id\":\"aa-id\"}");
        assert_eq!(open(&body, &key()), Err(EnvelopeError::BadSignature));
    }

    #[test]
    fn step_2_flipped_byte_in_json() {
        let body = seal_with(&signing_key(), b"{\"agent-id\":\"aa-id\"}");
        let mut raw = STANDARD.decode(&body).expect("our own base64");
        let last = raw.len() - 3;
        raw[last] ^= 0x01;
        let tampered = STANDARD.encode(raw);
        assert_eq!(
            open(tampered.as_bytes(), &key()),
            Err(EnvelopeError::BadSignature)
        );
    }

    #[test]
    fn step_2_flipped_byte_in_signature() {
        let body = seal_with(&signing_key(), b"{}");
        let mut raw = STANDARD.decode(&body).expect("our own base64");
        raw[5] ^= 0x80;
        assert_eq!(
            open(STANDARD.encode(raw).as_bytes(), &key()),
            Err(EnvelopeError::BadSignature)
        );
    }
}
