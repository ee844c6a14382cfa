//! Building and queueing the consumer emails (render now, send later from the outbox).

use crate::db::DbConn;
use crate::error::AppError;
use crate::mail::outbox::enqueue;
use crate::mail::EmailMessage;
use crate::state::AppState;
use crate::templates::Templates;
use chrono::NaiveDateTime;
use serde_json::Value;

/// Queues `template` to the person (or their agent) about `request_id`, written in the
/// language the request was filed in: callers fill `data` with words from the same
/// templates (`AppState::words` of the request's `language`).
pub fn queue(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    template: &str,
    to: &str,
    data: Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let language = crate::db::models::requests::language_of(conn, request_id)?;
    let words = state.words(language.as_deref());
    queue_in(state, conn, request_id, words, template, to, data, now)
}

/// `queue` for a caller that holds the request's row, and so its language's `words`
/// (`AppState::words(row.language)`), already: no lookup.
#[allow(clippy::too_many_arguments)]
pub fn queue_in(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    words: &Templates,
    template: &str,
    to: &str,
    data: Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let message = render(state, words, template, to, data)?;
    put_in_outbox(state, conn, request_id, template, &message, now)
}

/// Queues `template` to a staff member about `request_id`, in the staff's language
/// (the default), whatever language the request speaks.
pub fn queue_for_staff(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    template: &str,
    to: &str,
    data: Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let message = render(state, &state.templates, template, to, data)?;
    put_in_outbox(state, conn, request_id, template, &message, now)
}

fn put_in_outbox(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    template: &str,
    message: &EmailMessage,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    enqueue(
        conn,
        &state.cipher,
        Some(request_id),
        template,
        message,
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

/// Renders `template` for `to` in `words`' language as it will be sent, with the
/// organisation's facts added.
pub fn render(
    state: &AppState,
    words: &Templates,
    template: &str,
    to: &str,
    mut data: Value,
) -> Result<EmailMessage, AppError> {
    if let Value::Object(map) = &mut data {
        map.insert("org".into(), state.org_context());
        map.insert("portal_url".into(), Value::String(state.public_url.clone()));
    }
    EmailMessage::render(words, template, to, &data, &state.mail_domain).map_err(AppError::internal)
}
