//! Sent messages keep only what the audit needs. The rendered body holds live links
//! (verify, status, download) and the address; once the message is sent (or after
//! `mail.keep_sent_bodies_days`) it is replaced by a stub: the masked recipient and the
//! message id. The row's template and `sent_at` stay as they are.

use crate::crypto::FieldCipher;
use crate::db::models::outbox::MESSAGE_CONTEXT;
use crate::db::schema::outbox;
use crate::db::DbConn;
use crate::mail::EmailMessage;
use crate::sensitive::mask_email;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// Replaces one sent message's body by its stub.
pub fn clear(
    conn: &mut DbConn,
    cipher: &FieldCipher,
    id: &str,
    message: &EmailMessage,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let stub = json!({"to_masked": mask_email(&message.to), "message_id": message.message_id});
    diesel::update(outbox::table.find(id))
        .filter(outbox::status.eq("sent"))
        .set((
            outbox::message_enc.eq(cipher.encrypt(MESSAGE_CONTEXT, &stub.to_string())),
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
