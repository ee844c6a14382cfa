//! The claims every signed message carries (who sends it, to whom, and when), read
//! and checked in the spec's order, and the version every message may name.

use super::fields::{quoted, Fields};
use super::{DRP_VERSION, MAX_STRING};
use crate::drp::envelope::{self, EnvelopeError, Expected};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The claims every signed message carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonClaims {
    #[serde(rename = "agent-id")]
    pub agent_id: String,
    #[serde(rename = "business-id")]
    pub business_id: String,
    #[serde(rename = "issued-at")]
    pub issued_at: DateTime<Utc>,
    #[serde(rename = "expires-at")]
    pub expires_at: DateTime<Utc>,
}

pub(super) fn parse_object(json: &[u8]) -> Result<Map<String, Value>, EnvelopeError> {
    // The portal's one reader of JSON bodies: no value quoted, no key given twice.
    crate::json_body::parse_object(json).map_err(|p| match p {
        crate::json_body::Problem::NotAnObject => EnvelopeError::NotAnObject,
        crate::json_body::Problem::Json(problem) => EnvelopeError::NotJson(problem),
    })
}

const COMMON_KEYS: [&str; 4] = ["agent-id", "business-id", "issued-at", "expires-at"];

pub(super) fn has_common(f: &Fields) -> bool {
    COMMON_KEYS.iter().any(|k| f.value(k).is_some())
}

pub(super) fn common_from(f: &Fields) -> Result<CommonClaims, EnvelopeError> {
    Ok(CommonClaims {
        agent_id: f.req_str("agent-id", MAX_STRING)?.to_owned(),
        business_id: f.req_str("business-id", MAX_STRING)?.to_owned(),
        issued_at: f.req_time("issued-at")?,
        expires_at: f.req_time("expires-at")?,
    })
}

/// Reads each common claim just before checking it, so that the first failure in
/// the spec's order is the one reported even when later fields are also wrong.
pub(super) fn checked_common(
    f: &Fields,
    expected: &Expected,
) -> Result<CommonClaims, EnvelopeError> {
    let agent_id = f.req_str("agent-id", MAX_STRING)?;
    envelope::check_agent(agent_id, expected.agent_id)?;
    let business_id = f.req_str("business-id", MAX_STRING)?;
    envelope::check_business(business_id, expected.business_id)?;
    let issued_at = f.req_time("issued-at")?;
    envelope::check_issued(issued_at, expected.now)?;
    let expires_at = f.req_time("expires-at")?;
    envelope::check_expires(issued_at, expires_at, expected)?;
    Ok(CommonClaims {
        agent_id: agent_id.to_owned(),
        business_id: business_id.to_owned(),
        issued_at,
        expires_at,
    })
}

pub(super) fn version(f: &Fields) -> Result<Option<String>, EnvelopeError> {
    match f.value("drp.version") {
        None => Ok(None),
        Some(Value::String(s)) if s == DRP_VERSION => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(EnvelopeError::UnsupportedVersion(quoted(s))),
        Some(_) => Err(EnvelopeError::field(
            "drp.version",
            "must be a string such as \"1.0\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drp::envelope;
    use crate::drp::envelope::testing::*;
    use crate::drp::messages::test_support::*;
    use crate::drp::messages::*;
    use serde_json::json;

    #[test]
    fn envelope_failures_come_before_field_failures() {
        // Wrong agent and a bad exercise: the agent is reported (step 3 before fields).
        let r = verify(json!({"agent-id": "intruder", "exercise": "foo"}));
        assert_eq!(r, Err(EnvelopeError::AgentMismatch));
        let r = verify(json!({"business-id": "elsewhere", "email": "nope"}));
        assert_eq!(r, Err(EnvelopeError::BusinessMismatch));
        let r = verify(json!({
            "issued-at": "2026-11-27T12:00:00Z", "expires-at": "2026-11-27T12:05:00Z",
            "drp.version": "0.9"
        }));
        assert_eq!(r, Err(EnvelopeError::Expired));
        // Wrong agent and a missing business-id: still the agent.
        let r = verify(json!({"agent-id": "intruder", "business-id": null}));
        assert_eq!(r, Err(EnvelopeError::AgentMismatch));
    }

    #[test]
    fn signature_checked_before_json() {
        let body = seal_with(&other_key(), b"not json at all");
        assert_eq!(
            verify_exercise(&body, &signing_key().verifying_key(), &expected()),
            Err(EnvelopeError::BadSignature)
        );
        let body = seal_with(&signing_key(), b"not json at all");
        assert!(matches!(
            verify_exercise(&body, &signing_key().verifying_key(), &expected()),
            Err(EnvelopeError::NotJson(_))
        ));
        let body = seal_with(&signing_key(), b"[1,2]");
        assert_eq!(
            verify_exercise(&body, &signing_key().verifying_key(), &expected()),
            Err(EnvelopeError::NotAnObject)
        );
    }

    #[test]
    fn time_failures_through_the_full_path() {
        assert_eq!(
            verify(
                json!({"issued-at": "2026-11-27T13:02:00Z", "expires-at": "2026-11-27T13:05:00Z"})
            ),
            Err(EnvelopeError::NotYetValid)
        );
        assert_eq!(
            verify(
                json!({"issued-at": "2026-11-27T12:59:00Z", "expires-at": "2026-11-27T13:30:00Z"})
            ),
            Err(EnvelopeError::ValidityTooLong { max_minutes: 15 })
        );
        let (f, p) = field_error(verify(json!({"issued-at": "2026-11-27T12:59:00"})));
        assert_eq!(f, "issued-at");
        assert!(p.contains("time zone"), "{p}");
        let r = verify(json!({"issued-at": "2026-11-27T12:59:30.123456+00:00"}));
        assert!(r.is_ok(), "{r:?}");
    }

    #[test]
    fn wrong_drp_version() {
        let r = verify(json!({"drp.version": "0.9"}));
        assert_eq!(r, Err(EnvelopeError::UnsupportedVersion("\"0.9\"".into())));
        let msg = EnvelopeError::UnsupportedVersion("\"0.9\"".into()).to_string();
        assert!(msg.contains("1.0"), "{msg}");
        let (f, _) = field_error(verify(json!({"drp.version": 1.0})));
        assert_eq!(f, "drp.version");
    }

    #[test]
    fn parse_functions_leave_claims_to_the_caller() {
        // parse_* only reads; a mismatched agent is for check_claims to find.
        let json = exercise_json(json!({"agent-id": "someone"}));
        let r = parse_exercise(json.to_string().as_bytes()).expect("reads");
        assert_eq!(
            envelope::check_claims(&r.common, &expected()),
            Err(EnvelopeError::AgentMismatch)
        );
        let r = parse_revoke(br#"{"reason":"x"}"#).expect("reads");
        assert_eq!(r.common, None);
    }
}
