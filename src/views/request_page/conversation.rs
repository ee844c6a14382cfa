//! The request page's conversation panel: the messages between staff and the requester
//! (questions, answers with their documents, and ordinary messages), and whether a new
//! one can be written.

use crate::db::models::documents;
use crate::db::models::messages::{self, author, purpose, BODY_CONTEXT};
use crate::db::models::requests::RequestRow;
use crate::db::models::staff;
use crate::db::DbConn;
use crate::domain::documents::DocumentType;
use crate::error::AppError;
use crate::flows::conversation::{open_for_messages, MAX_MESSAGE_CHARS};
use crate::i18n::key;
use crate::state::AppState;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
pub(super) struct ConversationPanel {
    messages: Vec<MessageLine>,
    can_write: bool,
    max_chars: usize,
}

#[derive(Serialize)]
struct MessageLine {
    /// The staff member's email, or who the requester is, in words.
    author: String,
    from_staff: bool,
    /// "Question" / "Answer", for the messages that asked for or gave information.
    purpose_key: Option<&'static str>,
    at: String,
    body: String,
    /// The attached document (opened through the request's document route).
    document: Option<AttachedDocument>,
}

#[derive(Serialize)]
struct AttachedDocument {
    id: String,
    format: String,
    removed: bool,
}

pub(super) fn load(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
) -> Result<ConversationPanel, AppError> {
    let t = &state.templates;
    let docs: HashMap<String, documents::DocumentInfo> = documents::for_request(conn, &row.id)?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    let mut emails: HashMap<String, String> = HashMap::new();
    let mut messages = Vec::new();
    for m in messages::for_request(conn, &row.id)? {
        let author_words = match (m.author.as_str(), &m.staff_id) {
            (author::STAFF, Some(id)) => match emails.get(id) {
                Some(e) => e.clone(),
                None => {
                    let email = staff::find(conn, id)?.map_or_else(|| id.clone(), |s| s.email);
                    emails.insert(id.clone(), email.clone());
                    email
                }
            },
            (author::STAFF, None) => t.label(key("staff_conversation.author_staff")),
            (author::AGENT, _) => t.label(key("staff_conversation.author_agent")),
            _ => t.label(key("staff_conversation.author_person")),
        };
        let document =
            m.document_id
                .as_ref()
                .and_then(|id| docs.get(id))
                .map(|d| AttachedDocument {
                    id: d.id.clone(),
                    format: DocumentType::from_media_type(&d.media_type)
                        .map_or_else(|| d.media_type.clone(), |k| t.label(k.format_key())),
                    removed: d.deleted_at.is_some(),
                });
        messages.push(MessageLine {
            author: author_words,
            from_staff: m.author == author::STAFF,
            purpose_key: match m.purpose.as_str() {
                purpose::QUESTION => Some(key("staff_conversation.question")),
                purpose::ANSWER => Some(key("staff_conversation.answer")),
                _ => None,
            },
            at: t.timestamp(m.created_at),
            body: state
                .cipher
                .decrypt(BODY_CONTEXT, &m.body_enc)
                .map_err(AppError::internal)?,
            document,
        });
    }
    Ok(ConversationPanel {
        messages,
        can_write: open_for_messages(row.status) && row.purged_at.is_none(),
        max_chars: MAX_MESSAGE_CHARS,
    })
}
