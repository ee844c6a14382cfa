//! `request_messages`: the conversation on a request. Staff write to the person (or the
//! agent who filed for them), ask for information, and the person answers from their
//! status page. The text is encrypted (it may say anything about the person); a message
//! may carry one document stored in `documents`.

use crate::db::schema::request_messages as m;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const BODY_CONTEXT: &str = "request_messages.body";

/// Who wrote a message (stored words; never change them).
pub mod author {
    /// The person the request is about, from the status page.
    pub const PERSON: &str = "person";
    /// The authorized agent who filed the request, from the status page they were sent.
    pub const AGENT: &str = "agent";
    /// A staff member (`staff_id` says who).
    pub const STAFF: &str = "staff";
}

/// What a message is for (stored words; never change them).
pub mod purpose {
    /// An ordinary message, either way.
    pub const MESSAGE: &str = "message";
    /// Staff asking for information (the request waits for the answer).
    pub const QUESTION: &str = "question";
    /// The person's answer to a question; it ended the wait.
    pub const ANSWER: &str = "answer";
}

/// The document purpose of a file sent with a message.
pub const DOCUMENT_PURPOSE: &str = "message_attachment";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = m)]
pub struct MessageRow {
    pub id: String,
    pub request_id: String,
    pub author: String,
    pub staff_id: Option<String>,
    pub purpose: String,
    pub body_enc: String,
    pub document_id: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &MessageRow) -> QueryResult<()> {
    diesel::insert_into(m::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The conversation, oldest first.
pub fn for_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<MessageRow>> {
    m::table
        .filter(m::request_id.eq(request_id))
        .order((m::created_at.asc(), m::id.asc()))
        .select(MessageRow::as_select())
        .load(conn)
}

/// The latest question staff asked, if any.
pub fn last_question(conn: &mut DbConn, request_id: &str) -> QueryResult<Option<MessageRow>> {
    m::table
        .filter(m::request_id.eq(request_id))
        .filter(m::purpose.eq(purpose::QUESTION))
        .order((m::created_at.desc(), m::id.desc()))
        .select(MessageRow::as_select())
        .first(conn)
        .optional()
}

/// Removes a request's conversation with its personal data (retention).
pub fn delete_for_request(conn: &mut DbConn, request_id: &str) -> QueryResult<usize> {
    diesel::delete(m::table.filter(m::request_id.eq(request_id))).execute(conn)
}
