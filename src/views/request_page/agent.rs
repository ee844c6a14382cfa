//! The request page's part about an authorized agent: the agent, the consumer's
//! confirmation, the identity the agent claims (DRP) and the agent's documents, which
//! staff open and review from the page.

use super::DomainView;
use crate::db::models::documents::{self, DocumentInfo};
use crate::db::models::request_agents::confirmation;
use crate::db::models::{drp, staff};
use crate::db::DbConn;
use crate::domain::authority::Authority;
use crate::domain::documents::DocumentType;
use crate::domain::email_domain;
use crate::drp::{Address, IdentityClaims};
use crate::error::AppError;
use crate::flows::agents::{self, AgentView};
use crate::state::AppState;
use crate::templates::Templates;
use serde::Serialize;
use serde_json::Value;

/// Everything the page shows about the agent; empty for a request filed by the
/// person.
pub(super) struct AgentPart {
    pub panel: Option<AgentPanel>,
    /// The verification link went to the agent: the verified address is theirs.
    pub verified_by_agent: bool,
    pub claims: Vec<ClaimLine>,
    pub documents: Vec<DocumentLine>,
}

/// The agent as the page shows them. `confirmation` is a code the template turns into
/// words (kept there so the wording is in one place with the rest of the page).
#[derive(Serialize)]
pub(super) struct AgentPanel {
    authority_label: String,
    name: String,
    /// A DRP agent has no email of its own on the request (stored empty).
    email: Option<String>,
    email_domain: Option<DomainView>,
    organisation: Option<String>,
    registration_number: Option<String>,
    confirmation: &'static str,
    confirmation_raw: String,
    confirmed_at: Option<String>,
    drp_agent_id: Option<String>,
}

#[derive(Serialize)]
pub(super) struct ClaimLine {
    label: String,
    value: String,
    verified: bool,
}

#[derive(Serialize)]
pub(super) struct DocumentLine {
    id: String,
    media_type: String,
    size: String,
    uploaded_at: String,
    removed: bool,
    review_outcome: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<String>,
}

pub(super) fn load(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<AgentPart, AppError> {
    let view = agents::view(state, conn, request_id)?;
    let mut documents = Vec::new();
    for d in documents::for_request(conn, request_id)? {
        // The review is recorded by actor (`staff:<id>`); people know each other by email.
        let reviewer = match d
            .reviewed_by
            .as_deref()
            .and_then(|by| by.strip_prefix("staff:"))
        {
            Some(staff_id) => staff::find(conn, staff_id)?.map(|s| s.email),
            None => None,
        };
        documents.push(document_line(&state.templates, &d, reviewer));
    }
    Ok(AgentPart {
        verified_by_agent: view.as_ref().is_some_and(AgentView::consumer_not_asked),
        panel: view.map(agent_panel),
        claims: drp_claims(state, conn, request_id)?,
        documents,
    })
}

fn agent_panel(a: AgentView) -> AgentPanel {
    let confirmation = match a.consumer_confirmation.as_str() {
        _ if a.authority == Authority::Drp => "drp",
        confirmation::PENDING => "pending",
        confirmation::CONFIRMED => "confirmed",
        confirmation::REFUSED => "refused",
        confirmation::NOT_REQUIRED if a.authority == Authority::PowerOfAttorney => {
            "power_of_attorney"
        }
        _ => "other",
    };
    AgentPanel {
        email_domain: email_domain::shown(&a.email).map(DomainView::from),
        email: Some(a.email).filter(|e| !e.is_empty()),
        authority_label: a.authority_label,
        name: a.name,
        organisation: a.organisation,
        registration_number: a.registration_number,
        confirmation,
        confirmation_raw: a.consumer_confirmation,
        confirmed_at: a.confirmed_at.map(|t| t.format("%Y-%m-%d").to_string()),
        drp_agent_id: a.drp_agent_id,
    }
}

/// The identity a DRP agent claims for the consumer, with the agent's own `_verified`
/// flag per claim; empty for a request that did not come through DRP.
fn drp_claims(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<Vec<ClaimLine>, AppError> {
    let Some(row) = drp::find_request(conn, request_id)? else {
        return Ok(Vec::new());
    };
    let text = state
        .cipher
        .decrypt(drp::CLAIMS_CONTEXT, &row.claims_enc)
        .map_err(AppError::internal)?;
    let stored: Value = serde_json::from_str(&text).map_err(AppError::internal)?;
    Ok(claims_from_stored(&stored)
        .present()
        .into_iter()
        .map(|c| ClaimLine {
            label: state.templates.label(c.label_key),
            value: c.value,
            verified: c.verified == Some(true),
        })
        .collect())
}

/// Rebuilds the claims from the JSON they were stored as (`IdentityClaims` is only
/// serialised, and `present` is what turns it into lines to show). A field of the
/// wrong type is left out rather than failing the page.
fn claims_from_stored(v: &Value) -> IdentityClaims {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let flag = |k: &str| v.get(k).and_then(Value::as_bool);
    IdentityClaims {
        name: text("name"),
        email: text("email"),
        email_verified: flag("email_verified"),
        phone_number: text("phone_number"),
        phone_number_verified: flag("phone_number_verified"),
        address: match v.get("address") {
            Some(Value::Object(m)) => Some(Address::Structured(m.clone())),
            Some(Value::String(s)) => Some(Address::Text(s.clone())),
            _ => None,
        },
        address_verified: flag("address_verified"),
        power_of_attorney: text("power_of_attorney"),
    }
}

fn document_line(t: &Templates, d: &DocumentInfo, reviewer_email: Option<String>) -> DocumentLine {
    let size = match d.size_bytes {
        n if n < 1024 => t.phrase("sizes.bytes", &[("n", &n.to_string())]),
        n if n < 1024 * 1024 => {
            t.phrase("sizes.kilobytes", &[("n", &t.decimal(n as f64 / 1024.0))])
        }
        n => t.phrase(
            "sizes.megabytes",
            &[("n", &t.decimal(n as f64 / (1024.0 * 1024.0)))],
        ),
    };
    DocumentLine {
        id: d.id.clone(),
        media_type: DocumentType::from_media_type(&d.media_type)
            .map_or_else(|| d.media_type.clone(), |k| t.label(k.format_key())),
        size,
        uploaded_at: t.timestamp(d.uploaded_at),
        removed: d.deleted_at.is_some(),
        review_outcome: d.review_outcome.clone(),
        reviewed_by: reviewer_email.or_else(|| d.reviewed_by.clone()),
        reviewed_at: d.reviewed_at.map(|at| t.timestamp(at)),
    }
}
