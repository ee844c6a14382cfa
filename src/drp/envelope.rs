//! The signed envelope every DRP message travels in, and the checks on its common
//! claims.
//!
//! The HTTP body is `base64(signature || json)`: libsodium's "combined mode", where the
//! 64-byte Ed25519 signature over the JSON bytes comes first. Nothing in the JSON is
//! looked at before the signature verifies, so an unauthenticated sender cannot make
//! us parse (or log) anything of theirs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{Signature, VerifyingKey, SIGNATURE_LENGTH};
use sha2::{Digest, Sha256};

use super::messages::CommonClaims;

/// How far in the future `issued-at` may be. Agents stamp messages with their own
/// clock, and a message sent by a machine a few seconds ahead of ours is not an
/// attack; a minute absorbs ordinary NTP drift while keeping the window in which a
/// message is valid short (it still cannot outlive its own `expires-at`).
pub const CLOCK_SKEW: Duration = Duration::seconds(60);

/// The longest validity accepted between `issued-at` and `expires-at` unless the
/// operator sets `drp.max_validity_minutes`. The spec only *recommends* at most ten
/// minutes (§2.01), and the reference agent, OSIRAA, signs fifteen-minute windows, so
/// ten would refuse it. A captured body is only worth replaying inside its window, and
/// replays inside the window are refused by the replay register (see `drp::replay`).
pub const DEFAULT_MAX_VALIDITY: Duration = Duration::minutes(15);
/// Bounds of `drp.max_validity_minutes`: a window shorter than a minute leaves no room
/// for the agent's network and our queue, and one longer than an hour keeps captured
/// bodies usable for longer than any agent needs.
pub const MAX_VALIDITY_RANGE_MINUTES: std::ops::RangeInclusive<i64> = 1..=60;

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

/// Why a DRP message was refused. The text of each variant is written for the agent's
/// developer: it goes back in the error body.
///
/// | variant | HTTP | fatal |
/// |---|---|---|
/// | `NotBase64`, `TooShort`, `NotJson`, `NotAnObject`, `Field`, `UnsupportedVersion` | 400 | no |
/// | `BadSignature`, `AgentMismatch`, `BusinessMismatch`, `Replayed` | 403 | no |
/// | `NotYetValid`, `Expired`, `ValidityTooLong` | 400 | only `Expired` |
///
/// 403 is kept for "you are not who you claim to be, or not talking to us"; the
/// time checks are 400 because the sender is authenticated and the message is merely
/// stale or badly stamped, which a developer fixes in their code, not their keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("the body is not standard base64 text")]
    NotBase64,
    #[error(
        "the body is too short: it must hold a 64-byte signature followed by the JSON message"
    )]
    TooShort,
    #[error("the signature does not match the verify key of this agent")]
    BadSignature,
    #[error("the signed message is not valid JSON: {0}")]
    NotJson(String),
    #[error("the signed message must be a JSON object")]
    NotAnObject,
    #[error("{field}: {problem}")]
    Field {
        field: &'static str,
        problem: String,
    },
    #[error("drp.version: unsupported version {0}; this business speaks DRP 1.0")]
    UnsupportedVersion(String),
    #[error("agent-id does not match the agent whose key signed this message")]
    AgentMismatch,
    #[error("business-id does not name this business")]
    BusinessMismatch,
    #[error("issued-at is more than 60 seconds in the future; check the agent's clock")]
    NotYetValid,
    #[error("the message has expired (now is past expires-at); sign a new one")]
    Expired,
    #[error("expires-at must be at most {max_minutes} minutes after issued-at")]
    ValidityTooLong { max_minutes: i64 },
    #[error("this signed message was already received; sign a new one for each call")]
    Replayed,
}

impl EnvelopeError {
    pub(crate) fn field(field: &'static str, problem: impl Into<String>) -> EnvelopeError {
        EnvelopeError::Field {
            field,
            problem: problem.into(),
        }
    }

    /// The HTTP status to answer with (see the table on the type).
    pub fn status(&self) -> u16 {
        match self {
            EnvelopeError::NotBase64
            | EnvelopeError::TooShort
            | EnvelopeError::NotJson(_)
            | EnvelopeError::NotAnObject
            | EnvelopeError::Field { .. }
            | EnvelopeError::UnsupportedVersion(_)
            | EnvelopeError::NotYetValid
            | EnvelopeError::Expired
            | EnvelopeError::ValidityTooLong { .. } => 400,
            EnvelopeError::BadSignature
            | EnvelopeError::AgentMismatch
            | EnvelopeError::BusinessMismatch
            | EnvelopeError::Replayed => 403,
        }
    }

    /// The spec's `fatal` (§3.06): true only "if the request will move to a
    /// `denied`/`other` state"; anything else "shall be assumed to be retryable". No
    /// refusal here touches a request that exists, so only one is fatal: §2.01 asks
    /// that a request arriving after its `expires-at` be discarded "and respond with a
    /// `fatal` Error State". The match is exhaustive so a new variant has to decide.
    pub fn fatal(&self) -> bool {
        match self {
            EnvelopeError::Expired => true,
            EnvelopeError::NotBase64
            | EnvelopeError::TooShort
            | EnvelopeError::BadSignature
            | EnvelopeError::NotJson(_)
            | EnvelopeError::NotAnObject
            | EnvelopeError::Field { .. }
            | EnvelopeError::UnsupportedVersion(_)
            | EnvelopeError::AgentMismatch
            | EnvelopeError::BusinessMismatch
            | EnvelopeError::NotYetValid
            | EnvelopeError::ValidityTooLong { .. }
            | EnvelopeError::Replayed => false,
        }
    }

    /// The DRP error body `{"code","message","fatal"}`. Not for the pairing endpoint,
    /// which answers failures with 403 and an empty body.
    pub fn body(&self) -> serde_json::Value {
        super::status::error_body(self.status(), &self.to_string(), self.fatal())
    }
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

/// Who we expect a message from, to whom, when it arrived, and the longest validity
/// window accepted.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The agent the bearer token (or, when pairing, the path) belongs to.
    pub agent_id: &'a str,
    pub business_id: &'a str,
    pub now: DateTime<Utc>,
    /// `drp.max_validity_minutes`, [`DEFAULT_MAX_VALIDITY`] unless configured.
    pub max_validity: Duration,
}

/// Steps 3 to 6 on claims already parsed, then the validity bound.
pub fn check_claims(claims: &CommonClaims, expected: &Expected) -> Result<(), EnvelopeError> {
    check_agent(&claims.agent_id, expected.agent_id)?;
    check_business(&claims.business_id, expected.business_id)?;
    check_issued(claims.issued_at, expected.now)?;
    check_expires(claims.issued_at, claims.expires_at, expected)
}

pub(crate) fn check_agent(claimed: &str, expected: &str) -> Result<(), EnvelopeError> {
    if claimed == expected {
        Ok(())
    } else {
        Err(EnvelopeError::AgentMismatch)
    }
}

pub(crate) fn check_business(claimed: &str, expected: &str) -> Result<(), EnvelopeError> {
    if claimed == expected {
        Ok(())
    } else {
        Err(EnvelopeError::BusinessMismatch)
    }
}

pub(crate) fn check_issued(
    issued_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), EnvelopeError> {
    if now + CLOCK_SKEW >= issued_at {
        Ok(())
    } else {
        Err(EnvelopeError::NotYetValid)
    }
}

/// Steps 6 and the validity bound. The bound is checked last so that a plain stale
/// message reports "expired", the more useful of the two.
pub(crate) fn check_expires(
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    expected: &Expected,
) -> Result<(), EnvelopeError> {
    if expected.now >= expires_at {
        return Err(EnvelopeError::Expired);
    }
    if expires_at - issued_at > expected.max_validity {
        return Err(EnvelopeError::ValidityTooLong {
            max_minutes: expected.max_validity.num_minutes(),
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod testing {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use chrono::{DateTime, Utc};
    use ed25519_dalek::{Signer, SigningKey};

    pub const AGENT: &str = "aa-id";
    pub const BUSINESS: &str = "cb-id";

    pub fn signing_key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    pub fn other_key() -> SigningKey {
        SigningKey::from_bytes(&[9u8; 32])
    }

    pub fn now() -> DateTime<Utc> {
        "2026-11-27T13:00:00Z".parse().expect("fixed timestamp")
    }

    /// From [`AGENT`] to [`BUSINESS`] at [`now`], with the default window.
    pub fn expected() -> super::Expected<'static> {
        super::Expected {
            agent_id: AGENT,
            business_id: BUSINESS,
            now: now(),
            max_validity: super::DEFAULT_MAX_VALIDITY,
        }
    }

    pub fn seal_with(key: &SigningKey, json: &[u8]) -> Vec<u8> {
        let mut combined = key.sign(json).to_bytes().to_vec();
        combined.extend_from_slice(json);
        STANDARD.encode(combined).into_bytes()
    }

    pub fn seal(json: &serde_json::Value) -> Vec<u8> {
        seal_with(&signing_key(), json.to_string().as_bytes())
    }

    /// Common claims valid at [`now`], issued 30 s before and valid for 5 minutes.
    pub fn common() -> serde_json::Value {
        serde_json::json!({
            "agent-id": AGENT,
            "business-id": BUSINESS,
            "issued-at": "2026-11-27T12:59:30Z",
            "expires-at": "2026-11-27T13:04:30Z",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn key() -> VerifyingKey {
        signing_key().verifying_key()
    }

    fn claims(issued: &str, expires: &str) -> CommonClaims {
        CommonClaims {
            agent_id: AGENT.into(),
            business_id: BUSINESS.into(),
            issued_at: issued.parse().expect("test timestamp"),
            expires_at: expires.parse().expect("test timestamp"),
        }
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

    #[test]
    fn claims_happy_path() {
        let c = claims("2026-11-27T12:59:30Z", "2026-11-27T13:04:30Z");
        assert_eq!(check_claims(&c, &expected()), Ok(()));
    }

    #[test]
    fn step_3_wrong_agent() {
        let c = claims("2026-11-27T12:59:30Z", "2026-11-27T13:04:30Z");
        assert_eq!(
            check_claims(
                &c,
                &Expected {
                    agent_id: "someone-else",
                    ..expected()
                }
            ),
            Err(EnvelopeError::AgentMismatch)
        );
    }

    #[test]
    fn step_4_wrong_business() {
        let c = claims("2026-11-27T12:59:30Z", "2026-11-27T13:04:30Z");
        assert_eq!(
            check_claims(
                &c,
                &Expected {
                    business_id: "another-business",
                    ..expected()
                }
            ),
            Err(EnvelopeError::BusinessMismatch)
        );
    }

    #[test]
    fn steps_are_checked_in_order() {
        // Wrong agent, wrong business and expired: the agent is reported.
        let c = claims("2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z");
        assert_eq!(
            check_claims(
                &c,
                &Expected {
                    agent_id: "x",
                    business_id: "y",
                    ..expected()
                }
            ),
            Err(EnvelopeError::AgentMismatch)
        );
        assert_eq!(
            check_claims(
                &c,
                &Expected {
                    business_id: "y",
                    ..expected()
                }
            ),
            Err(EnvelopeError::BusinessMismatch)
        );
        // In the future beyond skew and with too long a validity: the future wins.
        let c = claims("2026-11-27T13:05:00Z", "2026-11-27T14:00:00Z");
        assert_eq!(
            check_claims(&c, &expected()),
            Err(EnvelopeError::NotYetValid)
        );
    }

    #[test]
    fn step_5_issued_in_the_future() {
        let within_skew = claims("2026-11-27T13:00:59Z", "2026-11-27T13:05:00Z");
        assert_eq!(check_claims(&within_skew, &expected()), Ok(()));
        let at_skew = claims("2026-11-27T13:01:00Z", "2026-11-27T13:05:00Z");
        assert_eq!(check_claims(&at_skew, &expected()), Ok(()));
        let beyond = claims("2026-11-27T13:01:01Z", "2026-11-27T13:05:00Z");
        assert_eq!(
            check_claims(&beyond, &expected()),
            Err(EnvelopeError::NotYetValid)
        );
    }

    #[test]
    fn step_6_expired() {
        let at_expiry = claims("2026-11-27T12:55:00Z", "2026-11-27T13:00:00Z");
        assert_eq!(
            check_claims(&at_expiry, &expected()),
            Err(EnvelopeError::Expired)
        );
        let just_before = claims("2026-11-27T12:55:00Z", "2026-11-27T13:00:00.001Z");
        assert_eq!(check_claims(&just_before, &expected()), Ok(()));
        // expires-at before issued-at can never be valid.
        let backwards = claims("2026-11-27T12:59:00Z", "2026-11-27T12:58:00Z");
        assert_eq!(
            check_claims(&backwards, &expected()),
            Err(EnvelopeError::Expired)
        );
    }

    #[test]
    fn validity_up_to_the_configured_maximum() {
        // OSIRAA's fifteen minutes pass the default.
        let fifteen = claims("2026-11-27T12:59:00Z", "2026-11-27T13:14:00Z");
        assert_eq!(check_claims(&fifteen, &expected()), Ok(()));
        let sixteen = claims("2026-11-27T12:59:00Z", "2026-11-27T13:15:00Z");
        assert_eq!(
            check_claims(&sixteen, &expected()),
            Err(EnvelopeError::ValidityTooLong { max_minutes: 15 })
        );
        // A configured maximum moves the bound both ways.
        let ten = Expected {
            max_validity: Duration::minutes(10),
            ..expected()
        };
        let eleven = claims("2026-11-27T12:59:00Z", "2026-11-27T13:10:00Z");
        assert_eq!(
            check_claims(&eleven, &ten),
            Err(EnvelopeError::ValidityTooLong { max_minutes: 10 })
        );
        let thirty = Expected {
            max_validity: Duration::minutes(30),
            ..expected()
        };
        assert_eq!(check_claims(&sixteen, &thirty), Ok(()));
        assert!(EnvelopeError::ValidityTooLong { max_minutes: 30 }
            .to_string()
            .contains("30 minutes"));
    }

    #[test]
    fn offsets_are_compared_as_instants() {
        let c = claims("2026-11-27T14:59:30+02:00", "2026-11-27T08:04:30-05:00");
        assert_eq!(check_claims(&c, &expected()), Ok(()));
    }

    #[test]
    fn statuses_and_bodies() {
        assert_eq!(EnvelopeError::NotBase64.status(), 400);
        assert_eq!(EnvelopeError::BadSignature.status(), 403);
        assert_eq!(EnvelopeError::AgentMismatch.status(), 403);
        assert_eq!(EnvelopeError::BusinessMismatch.status(), 403);
        assert_eq!(EnvelopeError::Expired.status(), 400);
        // §3.06: fatal means the request goes to a final state; §2.01 discards an
        // expired request with a fatal error. Nothing else here ends a request.
        assert!(EnvelopeError::Expired.fatal());
        assert!(!EnvelopeError::BadSignature.fatal());
        assert!(!EnvelopeError::Replayed.fatal());
        assert!(!EnvelopeError::NotYetValid.fatal());
        let body = EnvelopeError::field("email", "not a valid email address").body();
        assert_eq!(
            body,
            serde_json::json!({
                "code": "400",
                "message": "email: not a valid email address",
                "fatal": false
            })
        );
    }
}
