//! Closing requests whose email was never confirmed (run by the worker).

use super::actors;
use super::emails;
use super::request_change::{self as change, Entry, Refused};
use crate::db::models::documents;
use crate::db::models::requests;
use crate::db::models::tokens::{self as token_rows, Purpose};
use crate::db::{write_tx, DbConn};
use crate::domain::state::Event;
use crate::error::AppError;
use crate::state::AppState;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

/// Closes up to `batch` unverified requests older than the configured limit; returns
/// how many were closed.
pub fn close_unverified(
    state: &AppState,
    conn: &mut DbConn,
    now: NaiveDateTime,
    batch: i64,
) -> Result<usize, AppError> {
    let cutoff = now - Duration::days(state.settings.verification.close_unverified_after_days);
    let candidates = requests::unverified_before(conn, cutoff, batch)?;
    let mut closed = 0;
    for candidate in candidates {
        let done = write_tx(conn, |conn| -> Result<bool, AppError> {
            // Re-read inside the transaction: the person may have just clicked the link.
            let mut request = requests::find(conn, &candidate.id)?;
            if request
                .status
                .transition(Event::VerificationExpired)
                .is_err()
            {
                return Ok(false);
            }
            let after_days = state.settings.verification.close_unverified_after_days;
            close_one(
                state,
                conn,
                &mut request,
                actors::SYSTEM,
                json!({"after_days": after_days}),
                now,
            )?;
            Ok(true)
        })?;
        closed += usize::from(done);
    }
    Ok(closed)
}

/// Closes `request` as unverified (the caller has checked it still is unconfirmed, in
/// this write transaction) by `actor`, with `detail` in the audit event, and sends the
/// person the notice that says so and how to ask again.
pub fn close_one(
    state: &AppState,
    conn: &mut DbConn,
    request: &mut requests::RequestRow,
    actor: &str,
    mut detail: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    token_rows::retire_all(conn, &request.id, Purpose::VerifyEmail, now)?;
    // Nobody proved anything: an agent's document goes with the request instead
    // of waiting out the retention period.
    let documents_deleted = documents::delete_contents(conn, &request.id, now)?;
    if let serde_json::Value::Object(map) = &mut detail {
        map.insert("documents_deleted".into(), documents_deleted.into());
    }
    let entry = Entry::new(actor, "closed_unverified", detail);
    // Read in this transaction, which holds the write lock: the step stands.
    change::step(state, conn, request, Event::VerificationExpired, entry, now)
        .map_err(Refused::unexpected)?;
    let to = emails::requester_email(state, conn, &request.id)?;
    emails::queue(
        state,
        conn,
        &request.id,
        "request_closed_unverified",
        &to,
        json!({"reference": request.reference, "new_request_url": format!("{}/requests/new", state.public_url)}),
        now,
    )
}
