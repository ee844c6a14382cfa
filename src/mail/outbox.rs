//! Queueing an email in the same transaction as the change that causes it.

use crate::crypto::FieldCipher;
use crate::db::models::outbox::{self, OutboxRow, MESSAGE_CONTEXT};
use crate::db::DbConn;
use crate::mail::EmailMessage;
use chrono::NaiveDateTime;
use diesel::QueryResult;

pub fn enqueue(
    conn: &mut DbConn,
    cipher: &FieldCipher,
    request_id: Option<&str>,
    template: &str,
    message: &EmailMessage,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let json = serde_json::to_string(message)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    outbox::insert(
        conn,
        &OutboxRow {
            id: crate::clock::new_id(),
            request_id: request_id.map(str::to_string),
            template: template.to_string(),
            message_enc: cipher.encrypt(MESSAGE_CONTEXT, &json),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            claimed_until: None,
            last_error: None,
            sent_at: None,
            created_at: now,
        },
    )
}

pub fn decode(cipher: &FieldCipher, row: &OutboxRow) -> anyhow::Result<EmailMessage> {
    let json = cipher.decrypt(MESSAGE_CONTEXT, &row.message_enc)?;
    Ok(serde_json::from_str(&json)?)
}
