//! The conversation on a request: staff and the person (or the agent who filed for
//! them) write to each other, and the person answers a question from their status page.
//!
//! Every message is stored encrypted, audited (ids only, never the text) and announced
//! to the other side by email. Email is not a safe channel for personal data, so the
//! announcement carries no message text: the person gets a fresh link to their status
//! page, where they read and answer; staff get the reference and a link to the request
//! page. An answer to a question also ends the wait (`InformationReceived`), which
//! closes the pause on the legal clock where the law pauses it.

use super::actors;
use super::request_change::{self as change, Entry};
use super::stored_documents;
use crate::db::models::messages::{self, author, purpose, MessageRow, BODY_CONTEXT};
use crate::db::models::requests::{self, RequestRow};
use crate::db::{write_tx, DbConn};
use crate::domain::agent_filing::Document;
use crate::domain::state::Status;
use crate::error::AppError;
use crate::i18n::{key, msg};
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::json;

/// Longest message, either way (the same as a question or a refusal's explanation).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Whether messages can still be written on a request in `status`: while it is open,
/// and after it was answered (the person may ask about the answer). Not once it was
/// withdrawn or closed unconfirmed: nobody is there to answer.
pub fn open_for_messages(status: Status) -> bool {
    status.is_open() || matches!(status, Status::Fulfilled | Status::Denied)
}

/// Keeps the question staff asked (inside the caller's transaction; the caller audits
/// and notifies it as `information_requested`).
pub fn record_question(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    actor: &str,
    question: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let staff_id = actor.strip_prefix("staff:").map(str::to_string);
    insert(
        state,
        conn,
        request_id,
        (author::STAFF, staff_id),
        purpose::QUESTION,
        question,
        None,
        now,
    )?;
    Ok(())
}

/// A staff member writes to the requester.
pub fn from_staff(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    staff_id: &str,
    body: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let body = message_text(body, false)?;
    write_tx(conn, |conn| {
        let row = requests::find(conn, request_id)?;
        if !open_for_messages(row.status) || row.purged_at.is_some() {
            return Err(AppError::Conflict(msg("errors.messages_closed")));
        }
        let actor = format!("staff:{staff_id}");
        let id = insert(
            state,
            conn,
            &row.id,
            (author::STAFF, Some(staff_id.to_string())),
            purpose::MESSAGE,
            &body,
            None,
            now,
        )?;
        let entry = Entry::new(&actor, "message_sent", json!({"message": id}));
        change::record(conn, &row.id, entry, now)?;
        // The requester (the agent, when one filed) follows the request by its status
        // link: the notice brings a fresh one, and no message text.
        super::notices::notify(state, conn, &row, "new_message", json!({}), now)
    })
}

/// The requester writes from the status page, with an optional checked document. While
/// the request waits for information, this is the answer: the wait ends.
pub fn from_requester(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    body: &str,
    document: Option<Document>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let body = message_text(body, document.is_some())?;
    write_tx(conn, |conn| {
        let mut row = requests::find(conn, request_id)?;
        if !open_for_messages(row.status) || row.purged_at.is_some() {
            return Err(AppError::Conflict(msg("errors.messages_closed")));
        }
        let (who, actor) = if super::agents::web_agent_filed(conn, &row.id)? {
            (author::AGENT, actors::AGENT)
        } else {
            (author::PERSON, actors::CONSUMER)
        };
        let answers = row.status == Status::AwaitingInformation;
        let what = if answers {
            purpose::ANSWER
        } else {
            purpose::MESSAGE
        };
        let stored = document
            .map(|doc| {
                let verified = row.verified_at.is_some();
                stored_documents::store(
                    state,
                    conn,
                    &row.id,
                    messages::DOCUMENT_PURPOSE,
                    &doc,
                    verified,
                    now,
                )
                .map(|s| (s, doc.kind.media_type()))
            })
            .transpose()?;
        let document_id = stored.as_ref().map(|(s, _)| s.id.clone());
        let id = insert(
            state,
            conn,
            &row.id,
            (who, None),
            what,
            &body,
            document_id,
            now,
        )?;
        let detail = json!({
            "message": id, "author": who, "purpose": what,
            "document": stored.as_ref().map(|(s, _)| &s.id),
            "media_type": stored.as_ref().map(|(_, t)| t),
            "size_bytes": stored.as_ref().map(|(s, _)| s.size_bytes),
            "sha256": stored.as_ref().map(|(s, _)| &s.sha256),
        });
        change::record(
            conn,
            &row.id,
            Entry::new(actor, "message_received", detail),
            now,
        )?;
        if answers {
            crate::flows::handling::answer_received(state, conn, &mut row, actor, now)?;
        }
        tell_staff(state, conn, &row, answers, now)
    })
}

/// Staff hear of a message without its content: the assignee, or when nobody is
/// assigned, every active handler (as deadline reminders are sent).
fn tell_staff(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    answers: bool,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let data = json!({
        "reference": row.reference,
        "answers": answers,
        "request_url": format!("{}/staff/requests/{}", state.public_url, row.id),
    });
    for person in crate::db::models::staff::hears_about(conn, row)? {
        super::emails::queue(
            state,
            conn,
            &row.id,
            "staff_message",
            &person.email,
            data.clone(),
            now,
        )?;
    }
    Ok(())
}

/// The text of a message, trimmed and within its limit. A file may come alone.
fn message_text(body: &str, has_document: bool) -> Result<String, AppError> {
    if has_document && body.trim().is_empty() {
        return Ok(String::new());
    }
    crate::flows::handling::required(body, key("errors.what.message"), MAX_MESSAGE_CHARS)
}

#[allow(clippy::too_many_arguments)]
fn insert(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    (who, staff_id): (&str, Option<String>),
    what: &str,
    body: &str,
    document_id: Option<String>,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let id = crate::clock::new_id();
    messages::insert(
        conn,
        &MessageRow {
            id: id.clone(),
            request_id: request_id.to_string(),
            author: who.to_string(),
            staff_id,
            purpose: what.to_string(),
            body_enc: state.cipher.encrypt(BODY_CONTEXT, body),
            document_id,
            created_at: now,
        },
    )?;
    Ok(id)
}
