//! Who a request is about, as the agent vouches for them: the identity claims, their
//! limits and formats, and how staff read them.

use super::fields::{check_len, json_chars};
use super::{MAX_ADDRESS_JSON, MAX_EMAIL, MAX_STRING};
use crate::drp::envelope::EnvelopeError;
use crate::i18n::key;
use serde::Serialize;
use serde_json::{Map, Value};

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
    use crate::drp::messages::test_support::*;
    use crate::drp::messages::*;
    use serde_json::json;

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
}
