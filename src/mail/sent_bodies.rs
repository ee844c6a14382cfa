//! Sent messages keep only what the audit needs. The rendered body holds live links
//! (verify, status, download) and the address; once the message is sent (or after
//! `mail.keep_sent_bodies_days`) it is replaced by a stub: the masked recipient and the
//! message id. The row's template, request and times stay as they are.
//!
//! The space the body took is not in the row any more: SQLite keeps the freed pages in
//! the file for later inserts (`db::free_pages` hands them back), PostgreSQL the old value
//! in the table's TOAST until a vacuum (migration 000063).

use crate::crypto::FieldCipher;
use crate::db::models::outbox::MESSAGE_CONTEXT;
use crate::db::schema::outbox;
use crate::db::DbConn;
use crate::mail::EmailMessage;
use crate::sensitive::mask_email;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// The encrypted stub that replaces a sent message's body.
fn stub(cipher: &FieldCipher, message: &EmailMessage) -> String {
    let stub = json!({"to_masked": mask_email(&message.to), "message_id": message.message_id});
    cipher.encrypt(MESSAGE_CONTEXT, &stub.to_string())
}

/// Marks a message sent and replaces its body by the stub in one statement, so no
/// reader ever sees a message marked sent that still holds its links and address, and
/// (on PostgreSQL) one row version is left behind instead of two.
pub fn mark_sent_and_clear(
    conn: &mut DbConn,
    cipher: &FieldCipher,
    id: &str,
    message: &EmailMessage,
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::db::models::outbox::mark_sent_with_body(conn, id, now, Some(&stub(cipher, message)))
}

/// Replaces one sent message's body by its stub.
pub fn clear(
    conn: &mut DbConn,
    cipher: &FieldCipher,
    id: &str,
    message: &EmailMessage,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .filter(outbox::status.eq("sent"))
        .set((
            outbox::message_enc.eq(stub(cipher, message)),
            outbox::body_cleared_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Clears up to `batch` bodies of messages sent before `cutoff`; returns how many.
pub fn clear_sent_before(
    conn: &mut DbConn,
    cipher: &FieldCipher,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
    batch: i64,
) -> anyhow::Result<usize> {
    let rows: Vec<(String, String)> = outbox::table
        .filter(outbox::status.eq("sent"))
        .filter(outbox::body_cleared_at.is_null())
        .filter(outbox::sent_at.le(cutoff))
        .select((outbox::id, outbox::message_enc))
        .limit(batch)
        .load(conn)?;
    let mut cleared = 0;
    for (id, enc) in rows {
        // A body that no longer decodes (a key rotated away) is cleared all the same.
        let message: EmailMessage = cipher
            .decrypt(MESSAGE_CONTEXT, &enc)
            .ok()
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_else(|| EmailMessage {
                to: String::new(),
                subject: String::new(),
                text: String::new(),
                html: String::new(),
                message_id: String::new(),
            });
        clear(conn, cipher, &id, &message, now)?;
        cleared += 1;
    }
    Ok(cleared)
}
