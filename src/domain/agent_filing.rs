//! An authorized agent filing for a consumer through the web form (CCPA §7063): who the
//! agent is, by what authority they act, and the document that proves it.

use super::authority::Authority;
use super::documents::{check_upload, DocumentType};
use super::intake::{EmailAddress, FieldErrors, FreeText, PersonName};
use crate::i18n::{msg, Message};

/// Registration numbers and organisation names are short reference strings.
const MAX_ORGANISATION: u64 = 200;

/// The agent's part of the form, as typed.
#[derive(Debug, Clone, Default)]
pub struct RawAgent {
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub registration_number: String,
    /// "signed_permission" or "power_of_attorney".
    pub authority: String,
}

#[derive(Debug, Clone)]
pub struct ValidAgent {
    pub name: PersonName,
    pub email: EmailAddress,
    pub organisation: Option<FreeText>,
    pub registration_number: Option<FreeText>,
    pub authority: Authority,
}

/// A document that passed the content check.
#[derive(Clone)]
pub struct Document {
    pub kind: DocumentType,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Document({:?}, {} bytes)", self.kind, self.bytes.len())
    }
}

/// The whole agent filing: the agent and their proof of authority.
#[derive(Debug, Clone)]
pub struct AgentFiling {
    pub agent: ValidAgent,
    pub document: Document,
}

/// Checks the agent's fields and the uploaded document. `consumer_email` is the email
/// given for the consumer: an agent may not name themselves as the consumer, or the
/// consumer's own confirmation would be the agent's.
pub fn validate(
    raw: &RawAgent,
    upload: Option<(&str, &[u8])>,
    consumer_email: Option<&EmailAddress>,
) -> Result<AgentFiling, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut err = |field: &str, m: Message| errors.entry(field.to_string()).or_default().push(m);

    let name = PersonName::parse(&raw.name)
        .map_err(|_| err("agent_name", msg("agent_filing.name_missing")))
        .ok();
    let email = EmailAddress::parse(&raw.email)
        .map_err(|m| err("agent_email", m))
        .ok();
    if let (Some(agent), Some(consumer)) = (&email, consumer_email) {
        if agent.normalised() == consumer.normalised() {
            err("agent_email", msg("agent_filing.email_is_consumers"));
        }
    }
    let optional = |value: &str, field: &str, errs: &mut dyn FnMut(&str, Message)| {
        if value.trim().is_empty() {
            return None;
        }
        match FreeText::parse(value, MAX_ORGANISATION) {
            Ok(t) if !t.as_str().contains('\n') => Some(t),
            Ok(_) => {
                errs(field, msg("agent_filing.one_line"));
                None
            }
            Err(m) => {
                errs(field, m);
                None
            }
        }
    };
    let organisation = optional(&raw.organisation, "agent_organisation", &mut err);
    let registration_number = optional(
        &raw.registration_number,
        "agent_registration_number",
        &mut err,
    );
    let authority = match Authority::parse(raw.authority.trim()) {
        Some(a @ (Authority::SignedPermission | Authority::PowerOfAttorney)) => Some(a),
        _ => {
            err("agent_authority", msg("agent_filing.authority_missing"));
            None
        }
    };
    let document = match upload {
        None => {
            err("agent_document", msg("agent_filing.document_missing"));
            None
        }
        Some((filename, bytes)) => match check_upload(filename, bytes) {
            Ok(kind) => Some(Document {
                kind,
                bytes: bytes.to_vec(),
            }),
            Err(problem) => {
                err("agent_document", problem.message());
                None
            }
        },
    };
    match (name, email, authority, document) {
        (Some(name), Some(email), Some(authority), Some(document)) if errors.is_empty() => {
            Ok(AgentFiling {
                agent: ValidAgent {
                    name,
                    email,
                    organisation,
                    registration_number,
                    authority,
                },
                document,
            })
        }
        _ => Err(errors),
    }
}
