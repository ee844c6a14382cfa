//! The ID token's claims the portal reads once the crate has verified the token: the
//! email address (from `email_claim`), whether the provider verified it, and the groups
//! (from `role_claim`). Read from the verified claims as JSON, so a claim the standard
//! names (`email`) and one it does not (`groups`, Entra's `upn`) are found alike.

use crate::domain::sign_in::{groups_in, login_of};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The ID token's claims beyond the standard ones, kept as they came.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl openidconnect::AdditionalClaims for OtherClaims {}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The email address as the portal compares logins (trimmed, lower-cased).
    pub login: String,
    pub groups: Vec<String>,
}

/// Why the claims cannot sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimsRefusal {
    /// No email address in the configured claim.
    NoEmail,
    /// The provider sent `email_verified` and it is not true.
    EmailUnverified,
}

impl ClaimsRefusal {
    /// The code written in the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            ClaimsRefusal::NoEmail => "no_email",
            ClaimsRefusal::EmailUnverified => "email_unverified",
        }
    }
}

/// The identity in `claims` (the verified ID token's claims as JSON).
pub fn identity(
    claims: &Value,
    email_claim: &str,
    role_claim: Option<&str>,
) -> Result<Identity, ClaimsRefusal> {
    let email = claims
        .get(email_claim)
        .and_then(Value::as_str)
        .map(login_of)
        .filter(|e| e.contains('@'))
        .ok_or(ClaimsRefusal::NoEmail)?;
    // A provider that says whether it verified the address must say yes; one that never
    // sends the claim (Entra ID) vouches for its directory's addresses.
    if claims
        .get("email_verified")
        .is_some_and(|v| v != &Value::Bool(true))
    {
        return Err(ClaimsRefusal::EmailUnverified);
    }
    let groups = role_claim
        .map(|c| groups_in(claims.get(c)))
        .unwrap_or_default();
    Ok(Identity {
        login: email,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_email_is_read_from_the_configured_claim_and_normalised() {
        let claims = json!({"sub": "1", "email": " Ann@Corp.example ", "upn": "ann@corp.example",
                            "groups": ["a", "b"]});
        let id = identity(&claims, "email", Some("groups")).expect("identity");
        assert_eq!(id.login, "ann@corp.example");
        assert_eq!(id.groups, ["a", "b"]);
        let id = identity(&claims, "upn", None).expect("identity");
        assert!(id.groups.is_empty());
        assert_eq!(
            identity(&claims, "preferred_username", None),
            Err(ClaimsRefusal::NoEmail)
        );
    }

    #[test]
    fn an_address_the_provider_did_not_verify_is_refused() {
        let unverified = json!({"email": "a@x.example", "email_verified": false});
        assert_eq!(
            identity(&unverified, "email", None),
            Err(ClaimsRefusal::EmailUnverified)
        );
        let verified = json!({"email": "a@x.example", "email_verified": true});
        assert!(identity(&verified, "email", None).is_ok());
        let silent = json!({"email": "a@x.example"});
        assert!(identity(&silent, "email", None).is_ok());
    }
}
