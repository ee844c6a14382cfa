//! Closing requests whose email was never confirmed (run by the worker).

use super::actors;
use super::emails;
use crate::db::models::audit::{self, NewEvent};
use crate::db::models::documents;
use crate::db::models::requests;
use crate::db::models::tokens::{self as token_rows, Purpose};
use crate::db::{write_tx, DbConn};
use crate::domain::state::{Event, Status};
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
            let request = requests::find(conn, &candidate.id)?;
            let from = Status::parse(&request.status).ok_or(AppError::NotFound)?;
            let Ok(next) = from.transition(Event::VerificationExpired) else {
                return Ok(false);
            };
            if !requests::set_status(conn, &request.id, request.version, next.as_str(), true, now)?
            {
                return Ok(false);
            }
            token_rows::retire_all(conn, &request.id, Purpose::VerifyEmail, now)?;
            // Nobody proved anything: an agent's document goes with the request instead
            // of waiting out the retention period.
            let documents_deleted = documents::delete_contents(conn, &request.id, now)?;
            audit::append(
                conn,
                NewEvent {
                    request_id: Some(&request.id),
                    actor: actors::SYSTEM,
                    action: "closed_unverified",
                    from_status: Some(from.as_str()),
                    to_status: Some(next.as_str()),
                    detail: json!({
                        "after_days": state.settings.verification.close_unverified_after_days,
                        "documents_deleted": documents_deleted,
                    }),
                    consumer_visible: true,
                },
                now,
            )?;
            let to = emails::requester_email(state, conn, &request.id)?;
            emails::queue(
                state,
                conn,
                &request.id,
                "request_closed_unverified",
                &to,
                json!({"reference": request.reference, "new_request_url": format!("{}/requests/new", state.public_url)}),
                now,
            )?;
            Ok(true)
        })?;
        closed += usize::from(done);
    }
    Ok(closed)
}
