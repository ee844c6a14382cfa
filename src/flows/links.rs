//! Secret links sent to people: a token row (only its hash is stored) and the URL.

use crate::crypto::tokens;
use crate::db::models::tokens::{self as token_rows, Purpose, TokenRow};
use crate::db::DbConn;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Duration, NaiveDateTime};

/// Creates a token row and returns the secret for the link (never stored).
pub fn issue_token(
    conn: &mut DbConn,
    request_id: &str,
    purpose: Purpose,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let token = tokens::generate();
    token_rows::insert(
        conn,
        &TokenRow {
            id: crate::clock::new_id(),
            request_id: request_id.to_string(),
            purpose: purpose.as_str().into(),
            token_hash: token.hash,
            expires_at,
            used_at: None,
            created_at: now,
        },
    )?;
    Ok(token.secret)
}

/// A fresh status link (valid `status_link_days`): its secret and its URL.
pub fn status_link(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<(String, String), AppError> {
    let secret = issue_token(
        conn,
        request_id,
        Purpose::Status,
        now + Duration::days(state.settings.verification.status_link_days),
        now,
    )?;
    let url = format!("{}/status/{secret}", state.public_url);
    Ok((secret, url))
}
