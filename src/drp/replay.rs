//! What the replay register remembers: a signed body accepted for one operation.
//!
//! Ed25519 signatures are deterministic, so the same JSON signed by the same key is the
//! same bytes every time. A revoke body need carry nothing but a `reason` (§2.04), and
//! the reference agent, OSIRAA, revokes every request with the same fixed reason: every
//! revoke it sends is byte-identical. Keyed on the signature alone, the register would
//! take its second revoke (of another request) for a replay of the first. So the key
//! binds the signature to the operation it was accepted for — method, path and agent —
//! and a captured body still cannot be used twice for the same operation, while the
//! same body for another request is a new operation.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::envelope::Opened;

/// A dated body is remembered this long past its `expires-at`: after that the expiry
/// check refuses a replay on its own, and the margin covers our clock being behind.
pub const REPLAY_MARGIN: Duration = Duration::minutes(60);
/// A revoke body without common claims has no expiry of its own. The request it
/// revoked is final (withdrawn never reopens), so a replay would be refused by its
/// state anyway; the row keeps the clearer answer for as long as the request's record
/// is normally kept (the CCPA's 24 months, with a margin).
pub const UNDATED_REPLAY: Duration = Duration::days(800);

/// A DRP call that takes a signed body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation<'a> {
    /// `POST /v1/agent/{agent-id}`.
    Pair,
    /// `POST /v1/data-rights-request` (with or without the old trailing slash: one
    /// operation, so a body cannot be replayed by adding the slash).
    Exercise,
    /// `DELETE /v1/data-rights-request/{request_id}`, with the stored request id, so
    /// that another spelling of the path is not another operation.
    Revoke { request_id: &'a str },
}

impl Operation<'_> {
    fn method_and_path(&self, agent_id: &str) -> (&'static str, String) {
        match self {
            Operation::Pair => ("POST", format!("/v1/agent/{agent_id}")),
            Operation::Exercise => ("POST", "/v1/data-rights-request".to_owned()),
            Operation::Revoke { request_id } => {
                ("DELETE", format!("/v1/data-rights-request/{request_id}"))
            }
        }
    }
}

/// Hex SHA-256 over the method, path, agent and signature, each length-prefixed so
/// that no two different tuples can run together into the same input.
pub fn replay_key(operation: Operation, agent_id: &str, opened: &Opened) -> String {
    let (method, path) = operation.method_and_path(agent_id);
    let mut hash = Sha256::new();
    for part in [
        method.as_bytes(),
        path.as_bytes(),
        agent_id.as_bytes(),
        opened.signature().as_slice(),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

/// How long to remember an accepted body: past its `expires-at` by the margin, or,
/// for a body without one, [`UNDATED_REPLAY`] from now.
pub fn remember_until(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    match expires_at {
        Some(t) => t + REPLAY_MARGIN,
        None => now + UNDATED_REPLAY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drp::envelope::open;
    use crate::drp::envelope::testing::*;

    fn opened(json: &[u8]) -> Opened {
        open(
            &seal_with(&signing_key(), json),
            &signing_key().verifying_key(),
        )
        .expect("opens")
    }

    #[test]
    fn the_same_body_is_a_replay_only_for_the_same_operation() {
        let revoke = br#"{"reason": "I don't want my account deleted."}"#;
        let (a, b) = (opened(revoke), opened(revoke));
        assert_eq!(a, b, "Ed25519 signs deterministically");
        let first = Operation::Revoke { request_id: "r-1" };
        let second = Operation::Revoke { request_id: "r-2" };
        assert_eq!(replay_key(first, AGENT, &a), replay_key(first, AGENT, &b));
        assert_ne!(replay_key(first, AGENT, &a), replay_key(second, AGENT, &a));
        assert_ne!(
            replay_key(first, AGENT, &a),
            replay_key(first, "another-agent", &a)
        );
        assert_ne!(
            replay_key(Operation::Pair, AGENT, &a),
            replay_key(Operation::Exercise, AGENT, &a)
        );
        let other = opened(br#"{"reason": "changed my mind"}"#);
        assert_ne!(
            replay_key(first, AGENT, &a),
            replay_key(first, AGENT, &other)
        );
        assert_eq!(replay_key(first, AGENT, &a).len(), 64);
    }

    #[test]
    fn parts_cannot_run_together() {
        // Without length prefixes, agent "a" with request "x/y" and agent "a" with
        // request "x" followed by more would share bytes; with them, they never do.
        let body = opened(b"{}");
        let one = Operation::Revoke { request_id: "x" };
        let two = Operation::Revoke { request_id: "xa" };
        assert_ne!(replay_key(one, "ab", &body), replay_key(two, "b", &body));
    }

    #[test]
    fn dated_bodies_are_kept_past_expiry_and_undated_ones_long() {
        let expires: DateTime<Utc> = "2026-11-27T13:05:00Z".parse().expect("time");
        assert_eq!(
            remember_until(Some(expires), now()),
            "2026-11-27T14:05:00Z"
                .parse::<DateTime<Utc>>()
                .expect("time")
        );
        assert_eq!(remember_until(None, now()), now() + Duration::days(800));
    }
}
