//! Keys, clock and sealed bodies for the tests of DRP messages.

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
