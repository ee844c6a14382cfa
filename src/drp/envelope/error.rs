//! Why a DRP message was refused, and how each refusal is answered: its HTTP status,
//! whether it is fatal, and the protocol's error body.

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
        crate::drp::status::error_body(self.status(), &self.to_string(), self.fatal())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
