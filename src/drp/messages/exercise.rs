//! Exercising a right (`POST /v1/data-rights-request`): which right, for whom, and
//! where to report back.

use super::common::{checked_common, common_from, parse_object, version};
use super::fields::{check_len, quoted, Fields};
use super::identity::{Address, IdentityClaims};
use super::{CommonClaims, Verified, MAX_CALLBACK_URL, MAX_RELATIONSHIPS, MAX_STRING};
use crate::drp::envelope::{self, EnvelopeError, Expected};
use crate::i18n::key;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The right being exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exercise {
    Access,
    Deletion,
    SaleOptOut,
    SaleOptIn,
    AccessCategories,
    AccessSpecific,
}

impl Exercise {
    pub const ALL: [Exercise; 6] = [
        Exercise::Access,
        Exercise::Deletion,
        Exercise::SaleOptOut,
        Exercise::SaleOptIn,
        Exercise::AccessCategories,
        Exercise::AccessSpecific,
    ];

    /// The spec's spelling, the one we send back and store.
    pub fn as_str(self) -> &'static str {
        match self {
            Exercise::Access => "access",
            Exercise::Deletion => "deletion",
            Exercise::SaleOptOut => "sale:opt-out",
            Exercise::SaleOptIn => "sale:opt-in",
            Exercise::AccessCategories => "access:categories",
            Exercise::AccessSpecific => "access:specific",
        }
    }

    /// The catalogue key of its name as staff read it.
    pub fn label_key(self) -> &'static str {
        match self {
            Exercise::Access => key("drp_exercises.access"),
            Exercise::Deletion => key("drp_exercises.deletion"),
            Exercise::SaleOptOut => key("drp_exercises.sale_opt_out"),
            Exercise::SaleOptIn => key("drp_exercises.sale_opt_in"),
            Exercise::AccessCategories => key("drp_exercises.access_categories"),
            Exercise::AccessSpecific => key("drp_exercises.access_specific"),
        }
    }

    /// Also takes `sale:opt_out` and `sale:opt_in`: an older table in the spec spelled
    /// them that way and agents built from it still do.
    pub fn parse(s: &str) -> Option<Exercise> {
        match s {
            "sale:opt_out" => Some(Exercise::SaleOptOut),
            "sale:opt_in" => Some(Exercise::SaleOptIn),
            _ => Exercise::ALL.into_iter().find(|e| e.as_str() == s),
        }
    }

    fn expected_list() -> String {
        Exercise::ALL.map(Exercise::as_str).join(", ")
    }
}

impl std::fmt::Display for Exercise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Exercise {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Exercise {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Exercise, D::Error> {
        let s = String::deserialize(d)?;
        Exercise::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unsupported exercise {}; expected one of {}",
                quoted(&s),
                Exercise::expected_list()
            ))
        })
    }
}

/// Body of `POST /v1/data-rights-request`. Optional strings arrive trimmed, and blank
/// ones as absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExerciseRequest {
    #[serde(flatten)]
    pub common: CommonClaims,
    #[serde(rename = "agent-request-id", skip_serializing_if = "Option::is_none")]
    pub agent_request_id: Option<String>,
    #[serde(rename = "drp.version")]
    pub drp_version: String,
    pub exercise: Exercise,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regime: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<String>,
    /// Normalised absolute http(s) URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    #[serde(flatten)]
    pub claims: IdentityClaims,
}

/// Reads an exercise body that is already out of its envelope. Checks fields only; the
/// caller still owes [`envelope::check_claims`].
pub fn parse_exercise(json: &[u8]) -> Result<ExerciseRequest, EnvelopeError> {
    let map = parse_object(json)?;
    let f = Fields(&map);
    let common = common_from(&f)?;
    exercise_from(&f, common)
}

/// The whole of an exercise call, in the spec's order: envelope, then who and when,
/// then the request's own fields.
pub fn verify_exercise(
    body: &[u8],
    key: &VerifyingKey,
    expected: &Expected,
) -> Result<Verified<ExerciseRequest>, EnvelopeError> {
    let opened = envelope::open(body, key)?;
    let map = parse_object(opened.json())?;
    let f = Fields(&map);
    let common = checked_common(&f, expected)?;
    let message = exercise_from(&f, common)?;
    Ok(Verified { message, opened })
}

fn exercise_from(f: &Fields, common: CommonClaims) -> Result<ExerciseRequest, EnvelopeError> {
    let drp_version =
        version(f)?.ok_or_else(|| EnvelopeError::field("drp.version", "is required"))?;
    let exercise = match f.value("exercise") {
        None => return Err(EnvelopeError::field("exercise", "is required")),
        Some(Value::String(s)) => Exercise::parse(s).ok_or_else(|| {
            EnvelopeError::field(
                "exercise",
                format!(
                    "unsupported value {}; expected one of {}",
                    quoted(s),
                    Exercise::expected_list()
                ),
            )
        })?,
        Some(_) => return Err(EnvelopeError::field("exercise", "must be a string")),
    };
    let agent_request_id = f
        .opt_str("agent-request-id", MAX_STRING)?
        .map(str::to_owned);
    let regime = f.opt_str("regime", MAX_STRING)?.map(str::to_owned);
    let relationships = f.opt_str_list("relationships", MAX_RELATIONSHIPS)?;
    let status_callback = f
        .opt_str("status_callback", MAX_CALLBACK_URL)?
        .map(callback_url)
        .transpose()?;
    let address = match f.value("address") {
        None => None,
        Some(Value::Object(m)) => Some(Address::Structured(m.clone())),
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(Address::Text(s.trim().to_owned())),
        Some(_) => {
            return Err(EnvelopeError::field(
                "address",
                "must be an OpenID Connect address object or a string",
            ))
        }
    };
    // Identity strings get their limits from `validate`, which also serves claims
    // built elsewhere; the readers here only check types.
    let claims = IdentityClaims {
        name: f.opt_str("name", usize::MAX)?.map(str::to_owned),
        email: f.opt_str("email", usize::MAX)?.map(str::to_owned),
        email_verified: f.opt_bool("email_verified")?,
        phone_number: f.opt_str("phone_number", usize::MAX)?.map(str::to_owned),
        phone_number_verified: f.opt_bool("phone_number_verified")?,
        address,
        address_verified: f.opt_bool("address_verified")?,
        power_of_attorney: f
            .opt_str("power_of_attorney", usize::MAX)?
            .map(str::to_owned),
    };
    claims.validate()?;
    Ok(ExerciseRequest {
        common,
        agent_request_id,
        drp_version,
        exercise,
        regime,
        relationships,
        status_callback,
        claims,
    })
}

/// Only absolute http(s) URLs: we will later make requests to this address, and any
/// other scheme (file:, javascript:, data:) is either meaningless or dangerous there.
fn callback_url(s: &str) -> Result<String, EnvelopeError> {
    let bad = || EnvelopeError::field("status_callback", "must be an absolute http or https URL");
    let url = reqwest::Url::parse(s).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    // The parser quietly drops tabs and line breaks; store what it understood rather
    // than what was sent, so that what we store is what we will call.
    let normalised = String::from(url);
    check_len("status_callback", &normalised, MAX_CALLBACK_URL)?;
    Ok(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drp::envelope::testing::*;
    use crate::drp::messages::test_support::*;
    use serde_json::json;

    #[test]
    fn full_exercise_happy_path() {
        let r = verify(json!({
            "agent-request-id": "req-42",
            "exercise": "sale:opt-out",
            "regime": "ccpa",
            "relationships": ["customer", "marketing"],
            "status_callback": "https://agent.example/cb?x=1",
            "name": "Jane Doe",
            "email": "jane@example.com",
            "email_verified": true,
            "phone_number": "+14155550123",
            "phone_number_verified": false,
            "address": {"street_address": "1 Main St", "locality": "Oakland", "region": "CA",
                        "postal_code": "94601", "country": "US"},
            "address_verified": true,
            "power_of_attorney": "https://agent.example/poa/1",
            "some-future-claim": {"ignored": true},
        }))
        .expect("valid");
        assert_eq!(r.exercise, Exercise::SaleOptOut);
        assert_eq!(r.agent_request_id.as_deref(), Some("req-42"));
        assert_eq!(r.regime.as_deref(), Some("ccpa"));
        assert_eq!(r.relationships, ["customer", "marketing"]);
        assert_eq!(
            r.status_callback.as_deref(),
            Some("https://agent.example/cb?x=1")
        );
        assert_eq!(r.common.agent_id, AGENT);
        assert_eq!(r.claims.email_verified, Some(true));
        let present = r.claims.present();
        let keys: Vec<_> = present.iter().map(|c| c.key).collect();
        assert_eq!(
            keys,
            [
                "name",
                "email",
                "phone_number",
                "address",
                "power_of_attorney"
            ]
        );
        assert_eq!(present[3].value, "1 Main St, Oakland, CA, 94601, US");
        assert_eq!(present[3].verified, Some(true));
        assert_eq!(present[2].verified, Some(false));
    }

    #[test]
    fn minimal_exercise_and_round_trip_through_serialize() {
        let r = verify(json!({})).expect("valid");
        assert!(r.claims.is_empty());
        assert!(r.relationships.is_empty());
        // What we serialise is a body we would accept again, with absent fields absent.
        let v = serde_json::to_value(&r).expect("serialises");
        assert!(v.get("regime").is_none() && v.get("email").is_none());
        assert_eq!(v["drp.version"], "1.0");
        let again = parse_exercise(v.to_string().as_bytes()).expect("parses");
        assert_eq!(again, r);
    }

    #[test]
    fn unknown_exercise() {
        let (f, p) = field_error(verify(json!({"exercise": "foo"})));
        assert_eq!(f, "exercise");
        assert_eq!(
            p,
            "unsupported value \"foo\"; expected one of access, deletion, sale:opt-out, \
             sale:opt-in, access:categories, access:specific"
        );
        let (_, p) = field_error(verify(json!({"exercise": "x".repeat(500)})));
        assert!(p.len() < 200, "echoed value is cut short: {p}");
    }

    #[test]
    fn underscore_exercise_spellings_accepted() {
        assert_eq!(
            verify(json!({"exercise": "sale:opt_out"})).map(|r| r.exercise),
            Ok(Exercise::SaleOptOut)
        );
        assert_eq!(
            verify(json!({"exercise": "sale:opt_in"})).map(|r| r.exercise),
            Ok(Exercise::SaleOptIn)
        );
        assert_eq!(Exercise::SaleOptIn.as_str(), "sale:opt-in");
        for e in Exercise::ALL {
            assert_eq!(Exercise::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).ok(), Some(json!(e.as_str())));
        }
    }

    #[test]
    fn missing_required_fields() {
        for key in [
            "agent-id",
            "business-id",
            "issued-at",
            "expires-at",
            "drp.version",
            "exercise",
        ] {
            let (f, p) = field_error(verify(json!({ key: null })));
            assert_eq!((f.as_str(), p.as_str()), (key, "is required"));
        }
        let (f, p) = field_error(verify(json!({"agent-id": 5})));
        assert_eq!((f.as_str(), p.as_str()), ("agent-id", "must be a string"));
    }

    #[test]
    fn status_callback_must_be_http_or_https() {
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "javascript:",
            "data:text/plain,hi",
            "ftp://agent.example/cb",
            "/relative/cb",
            "https://",
            "not a url",
        ] {
            let (f, p) = field_error(verify(json!({"status_callback": bad})));
            assert_eq!(f, "status_callback", "{bad}");
            assert_eq!(p, "must be an absolute http or https URL", "{bad}");
        }
        let long = format!("https://agent.example/{}", "a".repeat(MAX_CALLBACK_URL));
        let (f, _) = field_error(verify(json!({"status_callback": long})));
        assert_eq!(f, "status_callback");
        assert_eq!(
            verify(json!({"status_callback": "http://agent.example:8080/cb"}))
                .map(|r| r.status_callback),
            Ok(Some("http://agent.example:8080/cb".to_string()))
        );
    }
}
