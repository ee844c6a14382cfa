//! The messages an authorized agent sends, read with field-level error messages.
//!
//! The `parse_*` functions read JSON already taken out of its envelope and check every
//! field; the `verify_*` functions do the whole job on an HTTP body in the order the
//! spec sets (see the module docs of `drp`). Request types implement `Serialize` only:
//! a derived `Deserialize` would be a way to read a message that skips these checks.

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::envelope::{self, EnvelopeError, Expected, Opened};
use crate::i18n::key;

/// The only protocol version this business speaks.
pub const DRP_VERSION: &str = "1.0";
/// Longest accepted string claim, in characters. Claims are stored and shown to staff;
/// nothing legitimate in them comes near this.
pub const MAX_STRING: usize = 1000;
/// Longest accepted structured address, as compact JSON.
pub const MAX_ADDRESS_JSON: usize = 4000;
pub const MAX_CALLBACK_URL: usize = 2048;
pub const MAX_REVOKE_REASON: usize = 2000;
/// RFC 5321's limit on a forward path, which is what an address has to fit in to be
/// mailed at all.
pub const MAX_EMAIL: usize = 254;
/// A consumer has a handful of relationships with one business; the cap only bounds
/// what one message can make us store.
pub const MAX_RELATIONSHIPS: usize = 100;

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

/// A postal address as an OpenID Connect address object, or as one line of text,
/// which some agents send instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Address {
    Structured(Map<String, Value>),
    Text(String),
}

impl Address {
    /// One line for display: `formatted` when the agent gave it, else the parts.
    pub fn display(&self) -> String {
        match self {
            Address::Text(s) => s.clone(),
            Address::Structured(m) => {
                let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::trim);
                if let Some(f) = text("formatted").filter(|f| !f.is_empty()) {
                    return f.replace(['\r', '\n'], ", ");
                }
                let parts: Vec<&str> = [
                    "street_address",
                    "locality",
                    "region",
                    "postal_code",
                    "country",
                ]
                .into_iter()
                .filter_map(text)
                .filter(|p| !p.is_empty())
                .collect();
                if parts.is_empty() {
                    Value::Object(m.clone()).to_string()
                } else {
                    parts.join(", ").replace(['\r', '\n'], ", ")
                }
            }
        }
    }
}

/// Who the request is about, as the agent vouches for them. `_verified` flags are the
/// agent's statement, not ours.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IdentityClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_of_attorney: Option<String>,
}

/// One identity claim, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentClaim {
    /// The claim's name in the protocol.
    pub key: &'static str,
    /// The catalogue key of its name as staff read it.
    pub label_key: &'static str,
    pub value: String,
    /// The agent's `_verified` flag, for the claims that have one.
    pub verified: Option<bool>,
}

impl IdentityClaims {
    /// Checks lengths and formats. Run by `parse_exercise`; run it again on claims
    /// built any other way before trusting them.
    pub fn validate(&self) -> Result<(), EnvelopeError> {
        if let Some(name) = &self.name {
            check_len("name", name, MAX_STRING)?;
            // A name ends up in email headers and on one line of a staff page.
            if name.chars().any(char::is_control) {
                return Err(EnvelopeError::field(
                    "name",
                    "must not contain line breaks or control characters",
                ));
            }
        }
        if let Some(email) = &self.email {
            check_len("email", email, MAX_EMAIL)?;
            if !is_plausible_email(email) {
                return Err(EnvelopeError::field("email", "not a valid email address"));
            }
        }
        if let Some(phone) = &self.phone_number {
            if !is_e164(phone) {
                return Err(EnvelopeError::field(
                    "phone_number",
                    "not an E.164 phone number (a + followed by 7 to 15 digits, e.g. +14155550123)",
                ));
            }
        }
        match &self.address {
            Some(Address::Text(s)) => check_len("address", s, MAX_STRING)?,
            Some(Address::Structured(m)) if json_chars(m) > MAX_ADDRESS_JSON => {
                return Err(EnvelopeError::field(
                    "address",
                    format!("too long: at most {MAX_ADDRESS_JSON} characters as JSON"),
                ));
            }
            Some(Address::Structured(_)) | None => {}
        }
        if let Some(poa) = &self.power_of_attorney {
            check_len("power_of_attorney", poa, MAX_STRING)?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.present().is_empty()
    }

    /// The claims the agent sent, in a fixed order, for staff to read.
    pub fn present(&self) -> Vec<PresentClaim> {
        let mut out = Vec::new();
        let mut push = |key, label_key, value: Option<String>, verified: Option<bool>| {
            if let Some(value) = value {
                out.push(PresentClaim {
                    key,
                    label_key,
                    value,
                    verified,
                });
            }
        };
        push("name", key("drp_claims.name"), self.name.clone(), None);
        push(
            "email",
            key("drp_claims.email"),
            self.email.clone(),
            self.email_verified,
        );
        push(
            "phone_number",
            key("drp_claims.phone_number"),
            self.phone_number.clone(),
            self.phone_number_verified,
        );
        push(
            "address",
            key("drp_claims.address"),
            self.address.as_ref().map(Address::display),
            self.address_verified,
        );
        push(
            "power_of_attorney",
            key("drp_claims.power_of_attorney"),
            self.power_of_attorney.clone(),
            None,
        );
        out
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

/// A message whose envelope and fields all passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<T> {
    pub message: T,
    pub opened: Opened,
}

impl<T> Verified<T> {
    /// See [`Opened::signature_hash`].
    pub fn signature_hash(&self) -> String {
        self.opened.signature_hash()
    }
}

/// Reads a pairing body that is already out of its envelope. Checks fields only; the
/// caller still owes [`envelope::check_claims`].
pub fn parse_pair(json: &[u8]) -> Result<PairRequest, EnvelopeError> {
    let map = parse_object(json)?;
    let f = Fields(&map);
    let common = common_from(&f)?;
    pair_from(&f, common)
}

/// Reads an exercise body that is already out of its envelope. Checks fields only; the
/// caller still owes [`envelope::check_claims`].
pub fn parse_exercise(json: &[u8]) -> Result<ExerciseRequest, EnvelopeError> {
    let map = parse_object(json)?;
    let f = Fields(&map);
    let common = common_from(&f)?;
    exercise_from(&f, common)
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

fn parse_object(json: &[u8]) -> Result<Map<String, Value>, EnvelopeError> {
    // The portal's one reader of JSON bodies: no value quoted, no key given twice.
    crate::json_body::parse_object(json).map_err(|p| match p {
        crate::json_body::Problem::NotAnObject => EnvelopeError::NotAnObject,
        crate::json_body::Problem::Json(problem) => EnvelopeError::NotJson(problem),
    })
}

const COMMON_KEYS: [&str; 4] = ["agent-id", "business-id", "issued-at", "expires-at"];

fn has_common(f: &Fields) -> bool {
    COMMON_KEYS.iter().any(|k| f.value(k).is_some())
}

fn common_from(f: &Fields) -> Result<CommonClaims, EnvelopeError> {
    Ok(CommonClaims {
        agent_id: f.req_str("agent-id", MAX_STRING)?.to_owned(),
        business_id: f.req_str("business-id", MAX_STRING)?.to_owned(),
        issued_at: f.req_time("issued-at")?,
        expires_at: f.req_time("expires-at")?,
    })
}

/// Reads each common claim just before checking it, so that the first failure in
/// the spec's order is the one reported even when later fields are also wrong.
fn checked_common(f: &Fields, expected: &Expected) -> Result<CommonClaims, EnvelopeError> {
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

fn pair_from(f: &Fields, common: CommonClaims) -> Result<PairRequest, EnvelopeError> {
    let drp_version =
        version(f)?.ok_or_else(|| EnvelopeError::field("drp.version", "is required"))?;
    Ok(PairRequest {
        common,
        drp_version,
    })
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

fn revoke_from(f: &Fields, common: Option<CommonClaims>) -> Result<RevokeRequest, EnvelopeError> {
    // Not required (the spec's example has none), but a wrong one is still refused:
    // it would mean the agent expects semantics we do not provide.
    version(f)?;
    Ok(RevokeRequest {
        reason: f.opt_str("reason", MAX_REVOKE_REASON)?.map(str::to_owned),
        common,
    })
}

fn version(f: &Fields) -> Result<Option<String>, EnvelopeError> {
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

/// Typed access to a message's members, turning each mistake into a field error.
/// JSON `null` counts as absent: JWT-style producers emit it for unset claims.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn value(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn req_str(&self, key: &'static str, max: usize) -> Result<&'a str, EnvelopeError> {
        match self.value(key) {
            None => Err(EnvelopeError::field(key, "is required")),
            Some(Value::String(s)) => {
                check_len(key, s, max)?;
                Ok(s)
            }
            Some(_) => Err(EnvelopeError::field(key, "must be a string")),
        }
    }

    /// An empty or blank optional string is taken as not given.
    fn opt_str(&self, key: &'static str, max: usize) -> Result<Option<&'a str>, EnvelopeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => {
                check_len(key, s, max)?;
                Ok(Some(s.trim()))
            }
            Some(_) => Err(EnvelopeError::field(key, "must be a string")),
        }
    }

    fn opt_bool(&self, key: &'static str) -> Result<Option<bool>, EnvelopeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(EnvelopeError::field(key, "must be true or false")),
        }
    }

    fn req_time(&self, key: &'static str) -> Result<DateTime<Utc>, EnvelopeError> {
        let s = self.req_str(key, MAX_STRING)?;
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                EnvelopeError::field(
                    key,
                    "not an ISO 8601 timestamp with a time zone, such as \"2026-11-27T13:00:00Z\"",
                )
            })
    }

    fn opt_str_list(
        &self,
        key: &'static str,
        max_items: usize,
    ) -> Result<Vec<String>, EnvelopeError> {
        let items = match self.value(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(EnvelopeError::field(key, "must be an array of strings")),
        };
        if items.len() > max_items {
            return Err(EnvelopeError::field(
                key,
                format!("too many entries: at most {max_items}"),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Value::String(s) = item else {
                return Err(EnvelopeError::field(key, "must be an array of strings"));
            };
            if s.chars().count() > MAX_STRING {
                return Err(EnvelopeError::field(
                    key,
                    format!(
                        "entry {} is too long: at most {MAX_STRING} characters",
                        i + 1
                    ),
                ));
            }
            if !s.trim().is_empty() {
                out.push(s.trim().to_owned());
            }
        }
        Ok(out)
    }
}

/// Size of a map as compact JSON. Serialising a map of JSON values cannot fail; if it
/// somehow did, counting it as too big is the safe answer.
fn json_chars(m: &Map<String, Value>) -> usize {
    serde_json::to_string(m).map_or(usize::MAX, |s| s.chars().count())
}

fn check_len(key: &'static str, s: &str, max: usize) -> Result<(), EnvelopeError> {
    if s.chars().count() > max {
        Err(EnvelopeError::field(
            key,
            format!("too long: at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

/// A value echoed in an error message: quoted and escaped so it cannot pass for our
/// own words, and cut short so an error body cannot be made to carry a payload.
fn quoted(s: &str) -> String {
    const SHOWN: usize = 40;
    if s.chars().count() > SHOWN {
        let head: String = s.chars().take(SHOWN).collect();
        format!("{head:?}…")
    } else {
        format!("{s:?}")
    }
}

/// Deliberately loose: the address is confirmed by mailing it, this only catches
/// values that cannot be an address at all.
fn is_plausible_email(s: &str) -> bool {
    if s.chars().count() > MAX_EMAIL || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// E.164: a plus, a country code that does not start with 0, at most 15 digits in
/// all. Seven is the shortest real number (small Pacific territories).
fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drp::envelope::testing::*;
    use serde_json::json;

    /// A valid exercise body, with `changes` applied; a `null` change removes the key.
    fn exercise_json(changes: Value) -> Value {
        let mut body = common();
        let base = json!({"drp.version": "1.0", "exercise": "access"});
        for (k, v) in base.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        if let (Some(obj), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
            for (k, v) in changes {
                if v.is_null() {
                    obj.remove(k);
                } else {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
        body
    }

    fn verify(changes: Value) -> Result<ExerciseRequest, EnvelopeError> {
        let body = seal(&exercise_json(changes));
        verify_exercise(&body, &signing_key().verifying_key(), &expected()).map(|v| v.message)
    }

    fn field_error(r: Result<ExerciseRequest, EnvelopeError>) -> (String, String) {
        match r {
            Err(EnvelopeError::Field { field, problem }) => (field.to_string(), problem),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

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
    fn address_as_plain_string() {
        let r = verify(json!({"address": "1 Main St, Oakland CA"})).expect("valid");
        assert_eq!(
            r.claims.address,
            Some(Address::Text("1 Main St, Oakland CA".into()))
        );
        let (f, _) = field_error(verify(json!({"address": 12})));
        assert_eq!(f, "address");
    }

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
    fn overlong_strings() {
        let long = "a".repeat(MAX_STRING + 1);
        for key in [
            "name",
            "regime",
            "agent-request-id",
            "power_of_attorney",
            "address",
        ] {
            let (f, p) = field_error(verify(json!({ key: long })));
            assert_eq!(f, key);
            assert_eq!(p, "too long: at most 1000 characters");
        }
        assert!(verify(json!({"name": "é".repeat(MAX_STRING)})).is_ok());
        let (f, _) = field_error(verify(json!({"relationships": [long]})));
        assert_eq!(f, "relationships");
        let many: Vec<String> = (0..=MAX_RELATIONSHIPS).map(|i| i.to_string()).collect();
        let (f, _) = field_error(verify(json!({"relationships": many})));
        assert_eq!(f, "relationships");
        let big_address = json!({"street_address": "a".repeat(MAX_ADDRESS_JSON)});
        let (f, p) = field_error(verify(json!({"address": big_address})));
        assert_eq!(f, "address");
        assert!(p.contains("4000"));
        let long_email = format!("{}@example.com", "a".repeat(250));
        let (f, _) = field_error(verify(json!({"email": long_email})));
        assert_eq!(f, "email");
    }

    #[test]
    fn bad_email_and_phone() {
        for bad in [
            "jane",
            "@example.com",
            "jane@",
            "jane@example",
            "a@b@c.com",
            "jane doe@x.com",
            "j@.com",
        ] {
            let (f, p) = field_error(verify(json!({"email": bad})));
            assert_eq!(
                (f.as_str(), p.as_str()),
                ("email", "not a valid email address"),
                "{bad}"
            );
        }
        for bad in [
            "4155550123",
            "+0155550123",
            "+1 415 555 0123",
            "+1234567890123456",
            "+12",
        ] {
            let (f, _) = field_error(verify(json!({"phone_number": bad})));
            assert_eq!(f, "phone_number", "{bad}");
        }
        let (f, _) = field_error(verify(json!({"email_verified": "yes"})));
        assert_eq!(f, "email_verified");
        let (f, _) = field_error(verify(json!({"name": "Jane\nBcc: x@y.z"})));
        assert_eq!(f, "name");
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
