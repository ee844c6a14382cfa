//! Storing a checked document with a request: encrypted, with its hash and size for the
//! record, inside the caller's transaction. An agent's proof of authority and a file a
//! person sends with a message are stored the same way.

use crate::db::models::documents::{self, DocumentInfo, DocumentRow, CONTENT_CONTEXT};
use crate::db::DbConn;
use crate::domain::agent_filing::Document;
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use base64::Engine;
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

/// What the audit trail records of a stored document: ids, type, size and hash only.
pub struct Stored {
    pub id: String,
    pub sha256: String,
    pub size_bytes: i64,
}

/// Stores `doc` for request `request_id` under `purpose`. A request nobody has verified
/// yet counts against `uploads.unverified_total_mb`, so floods of unverified uploads
/// cannot fill the disk (the caller's transaction rolls back, nothing stays).
pub fn store(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    purpose: &str,
    doc: &Document,
    verified: bool,
    now: NaiveDateTime,
) -> Result<Stored, AppError> {
    let size = i64::try_from(doc.bytes.len()).unwrap_or(i64::MAX);
    if !verified {
        let held = documents::unverified_bytes(conn)?;
        if held.saturating_add(size) > state.settings.uploads.unverified_total_bytes() {
            tracing::warn!(
                held_bytes = held,
                "a document was refused: uploads.unverified_total_mb is reached"
            );
            return Err(AppError::StorageFull(msg("errors.uploads_full")));
        }
    }
    let sha256 = hex::encode(Sha256::digest(&doc.bytes));
    let id = crate::clock::new_id();
    documents::insert(
        conn,
        &DocumentRow {
            info: DocumentInfo {
                id: id.clone(),
                request_id: request_id.to_string(),
                purpose: purpose.into(),
                media_type: doc.kind.media_type().into(),
                size_bytes: size,
                sha256: sha256.clone(),
                uploaded_at: now,
                reviewed_at: None,
                reviewed_by: None,
                review_outcome: None,
                deleted_at: None,
            },
            content_enc: Some(state.cipher.encrypt(
                CONTENT_CONTEXT,
                &base64::engine::general_purpose::STANDARD.encode(&doc.bytes),
            )),
        },
    )?;
    Ok(Stored {
        id,
        sha256,
        size_bytes: size,
    })
}
