//! Revoking a request (`DELETE /v1/data-rights-request/{id}`): a reason, and the
//! common claims only when the agent sends them.

use super::common::{checked_common, common_from, has_common, parse_object, version};
use super::fields::Fields;
use super::{CommonClaims, Verified, MAX_REVOKE_REASON};
use crate::drp::envelope::{self, EnvelopeError, Expected};
use ed25519_dalek::VerifyingKey;
use serde::Serialize;

/// Body of `DELETE /v1/data-rights-request/{id}`. The spec's example carries only
/// `reason`, so the common claims are optional; when any is present all are required
/// and checked, since half an envelope (an agent-id with no expiry) would be a body
/// that can be replayed for ever while looking bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevokeRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub common: Option<CommonClaims>,
}

/// Reads a revoke body that is already out of its envelope. Checks fields only; the
/// caller still owes [`envelope::check_claims`] when `common` is present.
pub fn parse_revoke(json: &[u8]) -> Result<RevokeRequest, EnvelopeError> {
    let map = parse_object(json)?;
    let f = Fields(&map);
    let common = if has_common(&f) {
        Some(common_from(&f)?)
    } else {
        None
    };
    revoke_from(&f, common)
}

/// The whole of a revoke call, in the spec's order.
pub fn verify_revoke(
    body: &[u8],
    key: &VerifyingKey,
    expected: &Expected,
) -> Result<Verified<RevokeRequest>, EnvelopeError> {
    let opened = envelope::open(body, key)?;
    let map = parse_object(opened.json())?;
    let f = Fields(&map);
    let common = if has_common(&f) {
        Some(checked_common(&f, expected)?)
    } else {
        None
    };
    let message = revoke_from(&f, common)?;
    Ok(Verified { message, opened })
}

fn revoke_from(f: &Fields, common: Option<CommonClaims>) -> Result<RevokeRequest, EnvelopeError> {
    // Not required (the spec's example has none), but a wrong one is still refused:
    // it would mean the agent expects semantics we do not provide.
    version(f)?;
    Ok(RevokeRequest {
        reason: f.opt_str("reason", MAX_REVOKE_REASON)?.map(str::to_owned),
        common,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drp::envelope::testing::*;
    use serde_json::json;

    #[test]
    fn revoke_with_only_a_reason() {
        let key = signing_key().verifying_key();
        let body = seal(&json!({"reason": "The consumer changed their mind."}));
        let r = verify_revoke(&body, &key, &expected()).expect("valid");
        assert_eq!(
            r.message.reason.as_deref(),
            Some("The consumer changed their mind.")
        );
        assert_eq!(r.message.common, None);
        let r = verify_revoke(&seal(&json!({})), &key, &expected()).expect("valid");
        assert_eq!(r.message.reason, None);
    }

    #[test]
    fn revoke_with_claims_checks_them() {
        let key = signing_key().verifying_key();
        let mut body = common();
        body["reason"] = json!("done");
        let r = verify_revoke(&seal(&body), &key, &expected()).expect("valid");
        assert_eq!(
            r.message.common.map(|c| c.agent_id),
            Some(AGENT.to_string())
        );
        body["business-id"] = json!("elsewhere");
        assert_eq!(
            verify_revoke(&seal(&body), &key, &expected()),
            Err(EnvelopeError::BusinessMismatch)
        );
        // Half an envelope is refused, not ignored.
        let partial = json!({"agent-id": AGENT, "reason": "x"});
        assert!(matches!(
            verify_revoke(&seal(&partial), &key, &expected()),
            Err(EnvelopeError::Field {
                field: "business-id",
                ..
            })
        ));
        let long = json!({"reason": "r".repeat(MAX_REVOKE_REASON + 1)});
        assert!(matches!(
            verify_revoke(&seal(&long), &key, &expected()),
            Err(EnvelopeError::Field {
                field: "reason",
                ..
            })
        ));
        assert!(verify_revoke(
            &seal(&json!({"reason": "r".repeat(MAX_REVOKE_REASON)})),
            &key,
            &expected()
        )
        .is_ok());
        assert!(matches!(
            verify_revoke(&seal(&json!({"drp.version": "2.0"})), &key, &expected()),
            Err(EnvelopeError::UnsupportedVersion(_))
        ));
        let from_other = seal_with(&other_key(), br#"{"reason":"x"}"#);
        assert_eq!(
            verify_revoke(&from_other, &key, &expected()),
            Err(EnvelopeError::BadSignature)
        );
    }
}
