//! Pairing (`POST /v1/agent/{agent-id}`): the agent's key setup, and the token it gets.

use super::common::{checked_common, common_from, parse_object, version};
use super::fields::Fields;
use super::{CommonClaims, Verified};
use crate::drp::envelope::{self, EnvelopeError, Expected};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

/// Body of `POST /v1/agent/{agent-id}`, the pair-wise key setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairRequest {
    #[serde(flatten)]
    pub common: CommonClaims,
    #[serde(rename = "drp.version")]
    pub drp_version: String,
}

/// Answer to a successful pairing: the bearer token the agent uses from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairResponse {
    #[serde(rename = "agent-id")]
    pub agent_id: String,
    pub token: String,
}

/// Reads a pairing body that is already out of its envelope. Checks fields only; the
/// caller still owes [`envelope::check_claims`].
pub fn parse_pair(json: &[u8]) -> Result<PairRequest, EnvelopeError> {
    let map = parse_object(json)?;
    let f = Fields(&map);
    let common = common_from(&f)?;
    pair_from(&f, common)
}

/// The whole of a pairing call, in the spec's order. Failures here are answered with
/// 403 and an empty body; the error is for the log.
pub fn verify_pair(
    body: &[u8],
    key: &VerifyingKey,
    expected: &Expected,
) -> Result<Verified<PairRequest>, EnvelopeError> {
    let opened = envelope::open(body, key)?;
    let map = parse_object(opened.json())?;
    let f = Fields(&map);
    let common = checked_common(&f, expected)?;
    let message = pair_from(&f, common)?;
    Ok(Verified { message, opened })
}

fn pair_from(f: &Fields, common: CommonClaims) -> Result<PairRequest, EnvelopeError> {
    let drp_version =
        version(f)?.ok_or_else(|| EnvelopeError::field("drp.version", "is required"))?;
    Ok(PairRequest {
        common,
        drp_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drp::envelope::testing::*;
    use serde_json::json;

    #[test]
    fn pair_request() {
        let mut body = common();
        body["drp.version"] = json!("1.0");
        let key = signing_key().verifying_key();
        let ok = verify_pair(&seal(&body), &key, &expected()).expect("valid");
        assert_eq!(ok.message.common.agent_id, AGENT);
        assert_eq!(ok.signature_hash().len(), 64);
        let wrong_path = Expected {
            agent_id: "another-agent",
            ..expected()
        };
        assert_eq!(
            verify_pair(&seal(&body), &key, &wrong_path),
            Err(EnvelopeError::AgentMismatch)
        );
        body["drp.version"] = json!("0.9");
        assert!(matches!(
            verify_pair(&seal(&body), &key, &expected()),
            Err(EnvelopeError::UnsupportedVersion(_))
        ));
        if let Some(obj) = body.as_object_mut() {
            obj.remove("drp.version");
        }
        assert!(matches!(
            parse_pair(body.to_string().as_bytes()),
            Err(EnvelopeError::Field {
                field: "drp.version",
                ..
            })
        ));
        let response = PairResponse {
            agent_id: AGENT.into(),
            token: "t0k3n".into(),
        };
        assert_eq!(
            serde_json::to_value(&response).ok(),
            Some(json!({"agent-id": AGENT, "token": "t0k3n"}))
        );
    }
}
