//! What the person's status page shows besides the request's facts and history: our
//! answer in full when there is one (what was and was not done, why, and where they can
//! turn), the question we are waiting on, and the conversation with its reply box.

use crate::db::models::documents;
use crate::db::models::messages::{self, author, purpose, BODY_CONTEXT};
use crate::db::models::requests::{self, RequestRow};
use crate::db::DbConn;
use crate::domain::complaint_rights::ComplaintRoute;
use crate::domain::decisions;
use crate::domain::documents::DocumentType;
use crate::domain::state::Status;
use crate::error::AppError;
use crate::flows::conversation::open_for_messages;
use crate::flows::handling::RESPONSE_CONTEXT;
use crate::i18n::key;
use crate::state::AppState;
use crate::templates::Templates;
use chrono::NaiveDateTime;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct StatusExtras {
    /// Our answer, once the request is fulfilled or refused.
    pub answer: Option<AnswerView>,
    /// The question we wait on, while the request waits for information.
    pub question: Option<QuestionView>,
    pub messages: Vec<MessageLine>,
    pub can_message: bool,
}

#[derive(Debug, Serialize)]
pub struct AnswerView {
    pub refused: bool,
    pub in_part: bool,
    /// The staff member's own words: what was and was not done, and why.
    pub response: String,
    /// The refusal's reason from the law's list (a catalogue key).
    pub reason_key: Option<&'static str>,
    /// Where the person can turn (a catalogue key with `{authority}`), when something
    /// was refused and the law gives a route.
    pub rights_key: Option<&'static str>,
    pub authority: String,
}

#[derive(Debug, Serialize)]
pub struct QuestionView {
    pub text: String,
    pub asked_on: String,
    /// GDPR (and a voluntary request) stops the clock while we wait; the CCPA and the
    /// US state laws never do.
    pub clock_paused: bool,
}

#[derive(Debug, Serialize)]
pub struct MessageLine {
    /// Written by us (staff), not by the person or their agent.
    pub from_us: bool,
    /// Who wrote it, a catalogue key.
    pub author_key: &'static str,
    pub at: NaiveDateTime,
    pub date: String,
    pub body: String,
    /// The attached document's format ("PDF"), if one came with it.
    pub document: Option<String>,
}

/// The extras of `request_id`'s status page, its dates written in `words`' language.
pub fn load(
    state: &AppState,
    words: &Templates,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<StatusExtras, AppError> {
    let row = requests::find(conn, request_id)?;
    let rows = messages::for_request(conn, request_id)?;
    let question = match row.status {
        Status::AwaitingInformation => rows
            .iter()
            .rev()
            .find(|m| m.purpose == purpose::QUESTION)
            .map(|m| {
                Ok::<_, AppError>(QuestionView {
                    text: decrypt(state, &m.body_enc)?,
                    asked_on: words.date(m.created_at.date()),
                    clock_paused: decisions::clock_pauses(row.regime),
                })
            })
            .transpose()?,
        _ => None,
    };
    let formats = document_formats(words, conn, request_id)?;
    let messages = rows
        .iter()
        // A question shows once, above its answer box, while it waits; afterwards it
        // is part of the conversation like any message.
        .filter(|m| {
            !(question.is_some() && m.purpose == purpose::QUESTION && is_last_question(&rows, m))
        })
        .map(|m| {
            Ok(MessageLine {
                from_us: m.author == author::STAFF,
                author_key: author_key(&m.author),
                at: m.created_at,
                date: words.date_time(m.created_at),
                body: decrypt(state, &m.body_enc)?,
                document: m
                    .document_id
                    .as_ref()
                    .and_then(|id| formats.iter().find(|(d, _)| d == id))
                    .map(|(_, f)| f.clone()),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(StatusExtras {
        answer: answer(state, words, &row)?,
        question,
        messages,
        can_message: open_for_messages(row.status) && row.purged_at.is_none(),
    })
}

fn is_last_question(rows: &[messages::MessageRow], m: &messages::MessageRow) -> bool {
    rows.iter()
        .rev()
        .find(|r| r.purpose == purpose::QUESTION)
        .is_some_and(|last| last.id == m.id)
}

fn answer(
    state: &AppState,
    words: &Templates,
    row: &RequestRow,
) -> Result<Option<AnswerView>, AppError> {
    let refused = row.status == Status::Denied;
    if !refused && row.status != Status::Fulfilled {
        return Ok(None);
    }
    let in_part = row.outcome == Some(decisions::Outcome::Part);
    let response = match &row.response_enc {
        Some(v) => state
            .cipher
            .decrypt(RESPONSE_CONTEXT, v)
            .map_err(AppError::internal)?,
        None => String::new(),
    };
    let rights_key = (refused || in_part)
        .then(|| ComplaintRoute::of(row.regime, row.kind).sentence_key())
        .flatten();
    Ok(Some(AnswerView {
        refused,
        in_part,
        response,
        reason_key: row
            .denial_code
            .as_deref()
            .filter(|_| refused)
            .and_then(|c| decisions::denial_reason(row.regime, c))
            .map(|r| r.label_key),
        rights_key,
        authority: state
            .settings
            .organisation
            .complaint_authority(row.jurisdiction.as_str(), words),
    }))
}

fn author_key(who: &str) -> &'static str {
    match who {
        author::STAFF => key("conversation.author_us"),
        author::AGENT => key("conversation.author_agent"),
        _ => key("conversation.author_you"),
    }
}

/// (document id, format in words) of the request's documents.
fn document_formats(
    words: &Templates,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(documents::for_request(conn, request_id)?
        .into_iter()
        .map(|d| {
            let format = DocumentType::from_media_type(&d.media_type)
                .map_or_else(|| d.media_type.clone(), |k| words.label(k.format_key()));
            (d.id, format)
        })
        .collect())
}

fn decrypt(state: &AppState, enc: &str) -> Result<String, AppError> {
    state
        .cipher
        .decrypt(BODY_CONTEXT, enc)
        .map_err(AppError::internal)
}
