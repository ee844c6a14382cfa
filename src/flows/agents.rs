//! Authorized agents on the web (CCPA §7063): storing the agent and their document with
//! the request, asking the consumer to confirm directly, their answer, and the staff
//! review of the document.

use super::actors;
use super::emails;
use super::links::issue_token;
use super::request_change::{self as change, Entry, Refused};
use super::verification::{inspect, LinkState};
use crate::db::models::documents::{self, CONTENT_CONTEXT, PURPOSE_AGENT_AUTHORITY};
use crate::db::models::identities::{self, VALUE_CONTEXT};
use crate::db::models::request_agents::{self, confirmation, RequestAgentRow, AGENT_CONTEXT};
use crate::db::models::requests::{self, RequestRow};
use crate::db::models::tokens::{self as token_rows, Purpose};
use crate::db::{write_tx, DbConn};
use crate::domain::agent_filing::AgentFiling;
use crate::domain::authority::Authority;
use crate::domain::kinds::RequestKind;
use crate::domain::state::{Event, Status};
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

/// Stores the agent and their document with a new request (inside its transaction).
pub fn store_filing(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    filing: &AgentFiling,
    kind: RequestKind,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let agent = &filing.agent;
    let enc = |v: &str| state.cipher.encrypt(AGENT_CONTEXT, v);
    // A power of attorney lets the agent act without the consumer's confirmation, and
    // the law forbids asking for it then (§7063(b)). An opt-out needs the signed
    // permission but no confirmation: it takes effect without verification (§7026(j)).
    let answer = match (agent.authority, kind) {
        (Authority::PowerOfAttorney, _) | (_, RequestKind::OptOut) => confirmation::NOT_REQUIRED,
        _ => confirmation::PENDING,
    };
    request_agents::insert(
        conn,
        &RequestAgentRow {
            request_id: request_id.to_string(),
            authority: agent.authority,
            agent_name_enc: enc(agent.name.as_str()),
            agent_email_enc: enc(agent.email.as_str()),
            agent_email_index: Some(
                state
                    .indexer
                    .index("agent_email", &agent.email.normalised()),
            ),
            organisation_enc: agent.organisation.as_ref().map(|o| enc(o.as_str())),
            registration_number_enc: agent.registration_number.as_ref().map(|r| enc(r.as_str())),
            consumer_confirmation: answer.into(),
            confirmed_at: None,
            drp_agent_id: None,
            created_at: now,
        },
    )?;
    let doc = &filing.document;
    // Stored before anyone is verified: bounded by `uploads.unverified_total_mb`.
    let stored = super::stored_documents::store(
        state,
        conn,
        request_id,
        PURPOSE_AGENT_AUTHORITY,
        doc,
        false,
        now,
    )?;
    let (id, sha256) = (stored.id, stored.sha256);
    let detail = json!({"document": id, "media_type": doc.kind.media_type(),
                        "size_bytes": doc.bytes.len(), "sha256": sha256,
                        "authority": agent.authority});
    let entry = Entry::internal(actors::AGENT, "agent_document_received", detail);
    change::record(conn, request_id, entry, now)
}

/// True while an agent's signed permission waits for the consumer's own confirmation.
pub fn consumer_must_confirm(conn: &mut DbConn, request_id: &str) -> Result<bool, AppError> {
    Ok(request_agents::find(conn, request_id)?
        .is_some_and(|a| a.consumer_confirmation == confirmation::PENDING))
}

/// True when an agent filed this request through the web form (not DRP).
pub fn web_agent_filed(conn: &mut DbConn, request_id: &str) -> Result<bool, AppError> {
    Ok(request_agents::find(conn, request_id)?.is_some_and(|a| a.authority != Authority::Drp))
}

/// The web agent's email, when an agent filed this request through the form.
pub fn web_agent_email(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<Option<String>, AppError> {
    let Some(agent) = request_agents::find(conn, request_id)? else {
        return Ok(None);
    };
    if agent.authority == Authority::Drp {
        return Ok(None);
    }
    state
        .cipher
        .decrypt(AGENT_CONTEXT, &agent.agent_email_enc)
        .map(Some)
        .map_err(AppError::internal)
}

/// The agent as staff and the consumer see them (decrypted).
#[derive(Debug, Clone, serde::Serialize)]
pub struct AgentView {
    pub authority: Authority,
    pub authority_label: String,
    pub name: String,
    pub email: String,
    pub organisation: Option<String>,
    pub registration_number: Option<String>,
    pub consumer_confirmation: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub drp_agent_id: Option<String>,
}

impl AgentView {
    /// A web agent whose filing goes ahead without the consumer's confirmation.
    pub fn consumer_not_asked(&self) -> bool {
        consumer_not_asked(self.authority, &self.consumer_confirmation)
    }
}

/// The consumer is never asked to confirm a power of attorney or an opt-out (see
/// `store_filing`); DRP agents are registered with the business, not self-declared.
fn consumer_not_asked(authority: Authority, consumer_confirmation: &str) -> bool {
    authority != Authority::Drp && consumer_confirmation == confirmation::NOT_REQUIRED
}

pub fn view(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<Option<AgentView>, AppError> {
    let Some(a) = request_agents::find(conn, request_id)? else {
        return Ok(None);
    };
    let dec = |v: &str| {
        state
            .cipher
            .decrypt(AGENT_CONTEXT, v)
            .map_err(AppError::internal)
    };
    Ok(Some(AgentView {
        authority: a.authority,
        authority_label: state.templates.label(a.authority.label_key()),
        name: dec(&a.agent_name_enc)?,
        email: dec(&a.agent_email_enc)?,
        organisation: a.organisation_enc.as_deref().map(dec).transpose()?,
        registration_number: a.registration_number_enc.as_deref().map(dec).transpose()?,
        consumer_confirmation: a.consumer_confirmation,
        confirmed_at: a.confirmed_at,
        drp_agent_id: a.drp_agent_id,
    }))
}

/// Emails the consumer a link to confirm or refuse the agent (after the agent proved
/// their email). The link lives as long as an unverified request does.
pub fn ask_consumer(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let agent = view(state, conn, &request.id)?.ok_or(AppError::NotFound)?;
    let days = state.settings.verification.close_unverified_after_days;
    let secret = issue_token(
        conn,
        &request.id,
        Purpose::ConfirmAgent,
        now + Duration::days(days),
        now,
    )?;
    let extra = json!({
        "confirm_url": format!("{}/confirm-agent/{secret}", state.public_url),
        "days": days,
    });
    email_consumer_about(
        state,
        conn,
        request,
        &agent,
        "agent_confirmation",
        extra,
        now,
    )
}

/// Emails the consumer `template` about the agent who filed `request`: the reference,
/// the kind and who the agent is, plus the `extra` fields that template needs.
fn email_consumer_about(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    agent: &AgentView,
    template: &str,
    mut extra: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let consumer = emails::subject_email(state, conn, &request.id)?;
    if let serde_json::Value::Object(map) = &mut extra {
        map.insert("reference".into(), json!(request.reference));
        map.insert(
            "kind_label".into(),
            json!(state
                .words(request.language.as_deref())
                .label(request.kind.label_key())),
        );
        map.insert("agent_name".into(), json!(agent.name));
        map.insert("agent_organisation".into(), json!(agent.organisation));
    }
    emails::queue(state, conn, &request.id, template, &consumer, extra, now)
}

/// Tells the consumer that a web agent filed for them when nobody asks them to confirm
/// (a power of attorney, where the law forbids asking, or an opt-out): without this the
/// person would never hear of a request made in their name until its outcome. Called
/// where such a request becomes real; does nothing when the consumer is asked instead.
pub fn tell_consumer_if_not_asked(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let Some(row) = request_agents::find(conn, &request.id)? else {
        return Ok(());
    };
    if !consumer_not_asked(row.authority, &row.consumer_confirmation) {
        return Ok(());
    }
    let agent = view(state, conn, &request.id)?.ok_or(AppError::NotFound)?;
    let extra = json!({"authority_label": state
        .words(request.language.as_deref())
        .label(agent.authority.label_key())});
    email_consumer_about(
        state,
        conn,
        request,
        &agent,
        "agent_filed_notice",
        extra,
        now,
    )?;
    let detail = json!({"authority": row.authority, "method": "email"});
    let entry = Entry::internal(actors::SYSTEM, "consumer_told_of_agent", detail);
    change::record(conn, &request.id, entry, now)
}

/// What the consumer is shown before answering.
pub struct ConfirmationPage {
    pub reference: String,
    pub kind: RequestKind,
    pub agent: AgentView,
    pub consumer_name: Option<String>,
    /// The language the request was filed in.
    pub language: Option<String>,
}

pub enum ConfirmationLink {
    Open(Box<ConfirmationPage>),
    /// Already answered, expired, or the request moved on: nothing left to decide.
    Closed,
    Unknown,
}

pub fn inspect_confirmation(
    state: &AppState,
    conn: &mut DbConn,
    presented: &str,
    now: NaiveDateTime,
) -> Result<ConfirmationLink, AppError> {
    let request = match inspect(conn, Purpose::ConfirmAgent, presented, now)? {
        LinkState::Valid(_, r) => r,
        LinkState::Expired(_) | LinkState::Used(_) => return Ok(ConfirmationLink::Closed),
        LinkState::Unknown => return Ok(ConfirmationLink::Unknown),
    };
    if request.status != Status::AwaitingConsumer {
        return Ok(ConfirmationLink::Closed);
    }
    let agent = view(state, conn, &request.id)?.ok_or(AppError::NotFound)?;
    let consumer_name = identities::of_kind(conn, &request.id, "name")?
        .map(|row| state.cipher.decrypt(VALUE_CONTEXT, &row.value_enc))
        .transpose()
        .map_err(AppError::internal)?;
    Ok(ConfirmationLink::Open(Box::new(ConfirmationPage {
        reference: request.reference,
        kind: request.kind,
        agent,
        consumer_name,
        language: request.language,
    })))
}

/// The consumer's answer. `Ok(None)` when the link can no longer be used.
pub fn answer(
    state: &AppState,
    conn: &mut DbConn,
    presented: &str,
    confirms: bool,
    now: NaiveDateTime,
) -> Result<Option<(String, Option<String>)>, AppError> {
    write_tx(conn, |conn| {
        let (token, request) = match inspect(conn, Purpose::ConfirmAgent, presented, now)? {
            LinkState::Valid(t, r) => (t, r),
            _ => return Ok(None),
        };
        let mut request = request;
        let (event, action, answer) = if confirms {
            (
                Event::ConsumerConfirmed,
                "consumer_confirmed_agent",
                confirmation::CONFIRMED,
            )
        } else {
            (
                Event::ConsumerRefused,
                "consumer_refused_agent",
                confirmation::REFUSED,
            )
        };
        let link_just_used = || AppError::Conflict(msg("errors.link_just_used"));
        let entry = Entry::new(actors::CONSUMER, action, json!({"method": "email_link"}));
        match change::step(state, conn, &mut request, event, entry, now) {
            Ok(_) => {}
            Err(Refused::NotAllowed) => return Ok(None),
            Err(refused) => return Err(refused.answer(link_just_used, link_just_used)),
        }
        if !token_rows::mark_used(conn, &token.id, now)?
            || !request_agents::set_confirmation(conn, &request.id, answer, now)?
        {
            return Err(link_just_used());
        }
        if confirms {
            // The consumer has now shown they control the email on the request.
            requests::mark_verified(conn, &request.id, now)?;
        }
        let agent_email = emails::requester_email(state, conn, &request.id)?;
        let kind = request.kind;
        emails::queue(
            state,
            conn,
            &request.id,
            if confirms {
                "agent_confirmed"
            } else {
                "agent_refused"
            },
            &agent_email,
            json!({"reference": request.reference,
                   "kind_label": state.words(request.language.as_deref()).label(kind.label_key())}),
            now,
        )?;
        Ok(Some((request.reference, request.language)))
    })
}

/// An agent document's bytes, for staff to view (audited by the caller's handler).
pub fn open_document(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    document_id: &str,
    staff_id: &str,
    now: NaiveDateTime,
) -> Result<(String, Vec<u8>), AppError> {
    let row = documents::find(conn, request_id, document_id)?.ok_or(AppError::NotFound)?;
    let content = row.content_enc.as_deref().ok_or(AppError::NotFound)?;
    let b64 = state
        .cipher
        .decrypt(CONTENT_CONTEXT, content)
        .map_err(AppError::internal)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(AppError::internal)?;
    // Who looked at an identity document is part of the record.
    write_tx(conn, |conn| {
        let entry = Entry::internal(
            staff_id,
            "document_viewed",
            json!({"document": document_id}),
        );
        change::record(conn, request_id, entry, now)
    })?;
    Ok((row.info.media_type, bytes))
}

/// Refuses to go on with a web agent's request until staff accepted a document proving
/// the agent's authority. Requests without a web agent pass.
pub fn require_accepted_document(conn: &mut DbConn, request_id: &str) -> Result<(), AppError> {
    let Some(agent) = request_agents::find(conn, request_id)? else {
        return Ok(());
    };
    if agent.authority == Authority::Drp {
        return Ok(());
    }
    let accepted = documents::for_request(conn, request_id)?.iter().any(|d| {
        d.purpose == PURPOSE_AGENT_AUTHORITY && d.review_outcome.as_deref() == Some("accepted")
    });
    if accepted {
        Ok(())
    } else {
        Err(AppError::Conflict(msg(
            "errors.review_agent_document_first",
        )))
    }
}

/// Staff record whether the document proves the agent's authority.
pub fn review_document(
    conn: &mut DbConn,
    request_id: &str,
    document_id: &str,
    accepted: bool,
    staff_id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let outcome = if accepted { "accepted" } else { "rejected" };
    write_tx(conn, |conn| {
        if !documents::record_review(conn, request_id, document_id, outcome, staff_id, now)? {
            return Err(AppError::NotFound);
        }
        let detail = json!({"document": document_id, "outcome": outcome});
        let entry = Entry::internal(staff_id, "agent_document_reviewed", detail);
        change::record(conn, request_id, entry, now)
    })
}
