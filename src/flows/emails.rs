//! Building and queueing the consumer emails (render now, send later from the outbox).

use crate::db::DbConn;
use crate::error::AppError;
use crate::mail::outbox::enqueue;
use crate::mail::EmailMessage;
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::Value;

pub fn queue(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    template: &str,
    to: &str,
    data: Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let message = render(state, template, to, data)?;
    enqueue(
        conn,
        &state.cipher,
        Some(request_id),
        template,
        &message,
        now,
    )?;
    Ok(())
}

/// The decrypted email address of a request's subject.
pub fn subject_email(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<String, AppError> {
    use crate::db::models::identities::{of_kind, VALUE_CONTEXT};
    let row = of_kind(conn, request_id, "email")?.ok_or(AppError::NotFound)?;
    state
        .cipher
        .decrypt(VALUE_CONTEXT, &row.value_enc)
        .map_err(AppError::internal)
}

/// Who filed the request and so receives its status notices: the web agent when an
/// agent filed it, otherwise the consumer. (DRP agents are told by status callbacks.)
pub fn requester_email(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<String, AppError> {
    match super::agents::web_agent_email(state, conn, request_id)? {
        Some(agent) => Ok(agent),
        None => subject_email(state, conn, request_id),
    }
}

/// Renders `template` for `to` as it will be sent, with the organisation's facts added.
pub fn render(
    state: &AppState,
    template: &str,
    to: &str,
    mut data: Value,
) -> Result<EmailMessage, AppError> {
    if let Value::Object(map) = &mut data {
        map.insert("org".into(), state.org_context());
        map.insert("portal_url".into(), Value::String(state.public_url.clone()));
    }
    EmailMessage::render(&state.templates, template, to, &data, &state.mail_domain)
        .map_err(AppError::internal)
}
