//! Checking what a person typed into the request form (or sent to the intake API).
//!
//! Raw input arrives as plain strings, every field optional so that a missing field is
//! a message, not a rejected body. `validate` turns it into `ValidIntake`, built from
//! newtypes that can only hold acceptable values, or into per-field messages.

use super::kinds::{Jurisdiction, RequestKind};
use crate::i18n::{msg, Message};
use crate::sensitive::Sensitive;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use validator::{ValidateEmail, ValidateLength};

pub const MAX_NAME: u64 = 200;
pub const MAX_EMAIL: u64 = 254;
pub const MAX_IDENTIFIER: u64 = 200;
pub const MAX_DETAILS: u64 = 5000;
pub const MAX_CORRECTION: u64 = 2000;

/// What the form or API sent, before any checks.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RawIntake {
    pub kind: String,
    pub jurisdiction: String,
    pub name: String,
    pub email: String,
    pub identifiers: BTreeMap<String, String>,
    pub details: String,
    pub correction_current: String,
    pub correction_requested: String,
    pub direct_marketing: bool,
}

/// A declared optional identifier (from config), e.g. an account id.
#[derive(Debug, Clone)]
pub struct IdentifierRule {
    pub name: String,
    pub label: String,
    pub required: bool,
}

/// An email address: valid syntax, at most 254 characters, a domain mail can be
/// delivered to (`email_domain::check`), kept as typed (trimmed) for sending, with a normalised form (lower case) for the blind index.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, Message> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(msg("intake.email_missing"));
        }
        if !s.validate_length(None, Some(MAX_EMAIL), None) {
            return Err(msg("intake.email_too_long").with("max", MAX_EMAIL));
        }
        if has_control(s) || !s.validate_email() {
            return Err(msg("intake.email_invalid"));
        }
        let domain = s.rsplit_once('@').map_or("", |(_, d)| d);
        super::email_domain::check(domain)?;
        // What the mailer builds from it must be an address too (lettre checks the
        // local part by its own rules): accepted here means deliverable there.
        if s.parse::<lettre::Address>().is_err() {
            return Err(msg("intake.email_invalid"));
        }
        Ok(EmailAddress(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn normalised(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::sensitive::mask_email(&self.0))
    }
}

/// A person's name: one line, 1–200 characters.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PersonName(Sensitive<String>);

impl PersonName {
    pub fn parse(raw: &str) -> Result<PersonName, Message> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(msg("intake.name_missing"));
        }
        if !s.validate_length(None, Some(MAX_NAME), None) {
            return Err(msg("intake.name_too_long").with("max", MAX_NAME));
        }
        if has_control(s) {
            return Err(msg("intake.name_control"));
        }
        Ok(PersonName(Sensitive(s.to_string())))
    }
    pub fn as_str(&self) -> &str {
        self.0.expose()
    }
}

/// Free text of bounded length (details, correction fields). Line breaks are allowed.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct FreeText(Sensitive<String>);

impl FreeText {
    pub fn parse(raw: &str, max: u64) -> Result<FreeText, Message> {
        let s = raw.trim();
        if !s.validate_length(None, Some(max), None) {
            return Err(msg("intake.text_too_long").with("max", max));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(msg("intake.text_control"));
        }
        Ok(FreeText(Sensitive(s.replace("\r\n", "\n"))))
    }
    pub fn as_str(&self) -> &str {
        self.0.expose()
    }
    pub fn is_empty(&self) -> bool {
        self.0.expose().is_empty()
    }
}

/// The request details stored encrypted with the request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequestDetails {
    pub details: String,
    pub correction_current: String,
    pub correction_requested: String,
    pub direct_marketing: bool,
}

#[derive(Debug, Clone)]
pub struct ValidIntake {
    pub kind: RequestKind,
    pub jurisdiction: Jurisdiction,
    /// Optional only for opt-out of sale, which needs nothing but a way to reach the person.
    pub name: Option<PersonName>,
    pub email: EmailAddress,
    pub identifiers: Vec<(String, Sensitive<String>)>,
    pub details: RequestDetails,
}

/// Field name → messages, in form order for the error summary.
pub type FieldErrors = BTreeMap<String, Vec<Message>>;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

pub fn validate(
    raw: &RawIntake,
    served: &[Jurisdiction],
    rules: &[IdentifierRule],
) -> Result<ValidIntake, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut err = |field: &str, m: Message| errors.entry(field.to_string()).or_default().push(m);

    let jurisdiction = match Jurisdiction::parse(raw.jurisdiction.trim()) {
        Some(j) if served.contains(&j) => Some(j),
        _ => {
            err("jurisdiction", msg("intake.jurisdiction_missing"));
            None
        }
    };
    let kind = match RequestKind::parse(raw.kind.trim()) {
        Some(k) => match jurisdiction {
            Some(j) if !j.offers(k) => {
                err(
                    "kind",
                    msg("intake.kind_not_offered").with_label("place", j.label_key()),
                );
                None
            }
            _ => Some(k),
        },
        None => {
            err("kind", msg("intake.kind_missing"));
            None
        }
    };
    let name = if raw.name.trim().is_empty() && kind == Some(RequestKind::OptOut) {
        None
    } else {
        PersonName::parse(&raw.name)
            .map_err(|m| err("name", m))
            .ok()
    };
    let email = EmailAddress::parse(&raw.email)
        .map_err(|m| err("email", m))
        .ok();

    let mut identifiers = Vec::new();
    for key in raw.identifiers.keys() {
        if !rules.iter().any(|r| &r.name == key) {
            err(
                &format!("identifiers.{key}"),
                msg("intake.identifier_unexpected"),
            );
        }
    }
    for rule in rules {
        let value = raw
            .identifiers
            .get(&rule.name)
            .map(|v| v.trim())
            .unwrap_or("");
        let field = format!("identifiers.{}", rule.name);
        if value.is_empty() {
            if rule.required {
                err(
                    &field,
                    msg("intake.identifier_missing").with("label", &rule.label),
                );
            }
        } else if !value.validate_length(None, Some(MAX_IDENTIFIER), None) || has_control(value) {
            err(
                &field,
                msg("intake.identifier_invalid")
                    .with("label", &rule.label)
                    .with("max", MAX_IDENTIFIER),
            );
        } else {
            identifiers.push((rule.name.clone(), Sensitive(value.to_string())));
        }
    }

    let details = FreeText::parse(&raw.details, MAX_DETAILS)
        .map_err(|m| err("details", m))
        .unwrap_or_default();
    let current = FreeText::parse(&raw.correction_current, MAX_CORRECTION)
        .map_err(|m| err("correction_current", m))
        .unwrap_or_default();
    let requested = FreeText::parse(&raw.correction_requested, MAX_CORRECTION)
        .map_err(|m| err("correction_requested", m))
        .unwrap_or_default();
    if kind == Some(RequestKind::Correction) && requested.is_empty() && details.is_empty() {
        err("correction_requested", msg("intake.correction_missing"));
    }

    match (kind, jurisdiction, email) {
        (Some(kind), Some(jurisdiction), Some(email)) if errors.is_empty() => Ok(ValidIntake {
            kind,
            jurisdiction,
            name,
            email,
            identifiers,
            details: RequestDetails {
                details: details.as_str().to_string(),
                correction_current: current.as_str().to_string(),
                correction_requested: requested.as_str().to_string(),
                direct_marketing: raw.direct_marketing && kind == RequestKind::Objection,
            },
        }),
        _ => Err(errors),
    }
}

/// Joins the person's part of a filing with an agent's, when someone says they act
/// for the person. The agent's errors join the person's so that the form lists
/// everything at once, and an agent must name the person they act for.
pub fn with_agent_part<A>(
    person: Result<ValidIntake, FieldErrors>,
    agent: Option<Result<A, FieldErrors>>,
) -> Result<(ValidIntake, Option<A>), FieldErrors> {
    match (person, agent) {
        (Ok(p), None) => Ok((p, None)),
        (Ok(p), Some(Ok(_))) if p.name.is_none() => {
            let mut errors = FieldErrors::new();
            errors.insert(
                "name".into(),
                vec![msg("agent_filing.consumer_name_missing")],
            );
            Err(errors)
        }
        (Ok(p), Some(Ok(a))) => Ok((p, Some(a))),
        (Ok(_), Some(Err(agent_errors))) => Err(agent_errors),
        (Err(mut errors), Some(Err(agent_errors))) => {
            errors.extend(agent_errors);
            Err(errors)
        }
        (Err(errors), _) => Err(errors),
    }
}

/// A form's hidden submission id that can make a resubmit idempotent: long enough to
/// be unguessable, short and plain enough to store. Any other gets a fresh id (the
/// request is still taken, just without double-submit protection).
pub fn usable_submission_id(id: &str) -> bool {
    (16..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(kind: &str, jurisdiction: &str) -> RawIntake {
        RawIntake {
            kind: kind.into(),
            jurisdiction: jurisdiction.into(),
            name: "Jane Doe".into(),
            email: "Jane@Example.com".into(),
            ..Default::default()
        }
    }

    const ALL: [Jurisdiction; 5] = Jurisdiction::ALL;

    fn rules() -> Vec<IdentifierRule> {
        vec![IdentifierRule {
            name: "account_id".into(),
            label: "account ID".into(),
            required: false,
        }]
    }

    #[test]
    fn accepts_a_plain_access_request() {
        let ok = validate(&raw("access", "eu"), &ALL, &rules()).expect("valid");
        assert_eq!(ok.kind, RequestKind::Access);
        assert_eq!(ok.email.normalised(), "jane@example.com");
        assert_eq!(
            ok.name.map(|n| n.as_str().to_string()).as_deref(),
            Some("Jane Doe")
        );
    }

    #[test]
    fn every_problem_is_reported_on_its_field() {
        let bad = RawIntake {
            kind: "sell".into(),
            jurisdiction: "mars".into(),
            name: "x".repeat(201),
            email: "not-an-email".into(),
            ..Default::default()
        };
        let errors = validate(&bad, &ALL, &rules()).expect_err("invalid");
        for field in ["kind", "jurisdiction", "name", "email"] {
            assert!(errors.contains_key(field), "missing error for {field}");
        }
    }

    #[test]
    fn kind_must_exist_where_the_person_lives() {
        let errors = validate(&raw("opt_out", "eu"), &ALL, &rules()).expect_err("not in EU");
        assert!(errors["kind"][0].to_string().contains("not available"));
        assert!(validate(&raw("opt_out", "california"), &ALL, &rules()).is_ok());
        let errors =
            validate(&raw("access", "uk"), &[Jurisdiction::Eu], &rules()).expect_err("not served");
        assert!(errors.contains_key("jurisdiction"));
    }

    #[test]
    fn opt_out_needs_no_name_but_access_does() {
        let mut r = raw("opt_out", "california");
        r.name.clear();
        assert!(validate(&r, &ALL, &rules()).is_ok());
        r.kind = "access".into();
        assert!(validate(&r, &ALL, &rules())
            .expect_err("name")
            .contains_key("name"));
    }

    #[test]
    fn correction_needs_the_right_value() {
        let errors = validate(&raw("correction", "eu"), &ALL, &rules()).expect_err("missing");
        assert!(errors.contains_key("correction_requested"));
        let mut r = raw("correction", "eu");
        r.correction_requested = "Jane Smith".into();
        assert!(validate(&r, &ALL, &rules()).is_ok());
    }

    #[test]
    fn identifiers_are_checked_against_config() {
        let mut r = raw("access", "eu");
        r.identifiers.insert("account_id".into(), "A-123".into());
        let ok = validate(&r, &ALL, &rules()).expect("valid");
        assert_eq!(ok.identifiers[0].1.expose(), "A-123");
        r.identifiers.insert("ssn".into(), "123".into());
        let errors = validate(&r, &ALL, &rules()).expect_err("unknown");
        assert!(errors.contains_key("identifiers.ssn"));
    }

    #[test]
    fn control_characters_and_header_injection_are_refused() {
        let mut r = raw("access", "eu");
        r.name = "Jane\r\nBcc: evil@example.com".into();
        r.email = "jane@example.com\r\nBcc: x@y.z".into();
        let errors = validate(&r, &ALL, &rules()).expect_err("control chars");
        assert!(errors.contains_key("name") && errors.contains_key("email"));
    }

    #[test]
    fn direct_marketing_flag_only_for_objections() {
        let mut r = raw("access", "eu");
        r.direct_marketing = true;
        assert!(
            !validate(&r, &ALL, &rules())
                .expect("ok")
                .details
                .direct_marketing
        );
        r.kind = "objection".into();
        assert!(
            validate(&r, &ALL, &rules())
                .expect("ok")
                .details
                .direct_marketing
        );
    }

    fn person(name: Option<&str>) -> ValidIntake {
        // Only an opt-out may leave the name out.
        let raw = RawIntake {
            kind: "opt_out".into(),
            jurisdiction: "california".into(),
            name: name.unwrap_or_default().into(),
            email: "person@example.org".into(),
            ..RawIntake::default()
        };
        validate(&raw, &[Jurisdiction::California], &[]).expect("a valid filing")
    }

    fn errors_on(field: &str) -> FieldErrors {
        let mut e = FieldErrors::new();
        e.insert(field.into(), vec![msg("errors.form_unreadable")]);
        e
    }

    #[test]
    fn an_agent_part_joins_the_persons() {
        let (_, agent) = with_agent_part(Ok(person(Some("Ann"))), Some(Ok(1))).expect("valid");
        assert_eq!(agent, Some(1));
        let alone = with_agent_part::<u8>(Ok(person(None)), None).expect("valid");
        assert!(alone.1.is_none());
        let unnamed = with_agent_part(Ok(person(None)), Some(Ok(1))).expect_err("no name");
        assert!(unnamed.contains_key("name"));
        let both =
            with_agent_part::<u8>(Err(errors_on("email")), Some(Err(errors_on("agent_email"))))
                .expect_err("both wrong");
        assert!(both.contains_key("email") && both.contains_key("agent_email"));
        let agent_only =
            with_agent_part::<u8>(Ok(person(Some("Ann"))), Some(Err(errors_on("agent"))))
                .expect_err("agent wrong");
        assert_eq!(agent_only.keys().collect::<Vec<_>>(), ["agent"]);
    }

    #[test]
    fn a_submission_id_is_plain_and_long_enough() {
        assert!(usable_submission_id("abcdefghij-_1234"));
        assert!(!usable_submission_id("short"));
        assert!(!usable_submission_id("abcdefghij-_1234!"));
        assert!(!usable_submission_id(&"a".repeat(65)));
    }
}
