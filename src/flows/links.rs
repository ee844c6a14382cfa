//! Secret links sent to people: a token row (only its hash is stored) and the URL.
//!
//! A status link lives as long as its request: its validity is derived from the
//! request (open, or closed less than `status_link_days_after_close` ago), not from a
//! date stored with the token. A stored date would have to be moved by every
//! extension, pause, appeal and closure, and one missed path would lock a person out
//! of a request still being answered; the request's own status and `closed_at` are
//! already kept right by `request_change`, so links that were emailed long ago follow
//! them with nothing to update.

use crate::config::VerificationSettings;
use crate::crypto::tokens;
use crate::db::models::requests::RequestRow;
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

/// Whether a status link of `request` opens at `now`: always while the request is
/// open (an answer due on day 45, or day 90 after an extension, comes before the link
/// stops), and for `status_link_days_after_close` days after it closes, to read the
/// answer, fetch a package or appeal.
pub fn status_link_opens(
    settings: &VerificationSettings,
    request: &RequestRow,
    now: NaiveDateTime,
) -> bool {
    match status_link_closes_at(settings, request) {
        None => true,
        Some(until) => now < until,
    }
}

/// When a status link of `request` stops opening: None while the request is open.
pub fn status_link_closes_at(
    settings: &VerificationSettings,
    request: &RequestRow,
) -> Option<NaiveDateTime> {
    if request.status.is_open() {
        return None;
    }
    // `closed_at` is written with every closure; an old row without it counts from
    // its last change.
    let closed = request.closed_at.unwrap_or(request.updated_at);
    Some(closed + Duration::days(settings.status_link_days_after_close))
}

/// A fresh status link and its URL. The token's stored expiry is only a record (the
/// latest the link could last if the request closed on its due date); whether it
/// opens is `status_link_opens`.
pub fn status_link(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<(String, String), AppError> {
    let request = crate::db::models::requests::find(conn, request_id)?;
    let settings = &state.settings.verification;
    let due_end = request
        .due_on
        .and_hms_opt(0, 0, 0)
        .map(|d| d + Duration::days(1))
        .unwrap_or(now)
        .max(now);
    let recorded = status_link_closes_at(settings, &request)
        .unwrap_or(due_end + Duration::days(settings.status_link_days_after_close));
    let secret = issue_token(conn, request_id, Purpose::Status, recorded, now)?;
    let url = format!("{}/status/{secret}", state.public_url);
    Ok((secret, url))
}
