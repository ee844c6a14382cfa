//! "Wrong address? Change it": the person who just filed a request gives the address
//! they meant, and the same request takes it. No second request is left behind: the
//! one reference carries on, the old confirmation link stops working, the email not yet
//! sent to the old address is dropped, and a fresh link goes to the new one.
//!
//! Only while the request is unconfirmed: once someone has proved they hold the address,
//! it is no longer a typo. Filed by an agent it is not offered (the agent's address is
//! the one confirmed, and an agent corrects through the privacy team). Who may ask is
//! decided by the caller (`web::public::change_address`: a one-time secret in the
//! browser's session).

use super::actors;
use super::intake::{identity_rows, summary, Submitted};
use super::request_change::{self as change, Entry, Refused};
use crate::db::models::identities;
use crate::db::models::requests;
use crate::db::models::tokens::{self as token_rows, Purpose};
use crate::db::schema::{outbox, request_agents, request_identities};
use crate::db::{write_tx, DbConn};
use crate::domain::intake::{EmailAddress, ValidIntake};
use crate::domain::state::Status;
use crate::error::AppError;
use crate::state::AppState;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

/// Gives request `request_id` the address `email`; Err(NotAllowed) once it is confirmed
/// (or closed, or an agent's).
pub fn replace(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    email: &EmailAddress,
    now: NaiveDateTime,
) -> Result<Result<Submitted, Refused>, AppError> {
    write_tx(conn, |conn| {
        let mut row = requests::find(conn, request_id)?;
        let agent: i64 = request_agents::table
            .filter(request_agents::request_id.eq(request_id))
            .count()
            .get_result(conn)?;
        if row.status != Status::Submitted || !row.kind.needs_verification() || agent > 0 {
            return Ok(Err(Refused::NotAllowed));
        }
        let voided = token_rows::retire_all(conn, request_id, Purpose::VerifyEmail, now)?;
        // Unsent mail to the old address (its confirmation link, now void) is dropped
        // with the address it holds; one a worker is sending this instant goes out.
        let dropped = diesel::delete(
            outbox::table
                .filter(outbox::request_id.eq(request_id))
                .filter(outbox::status.eq("pending"))
                .filter(
                    outbox::claimed_until
                        .is_null()
                        .or(outbox::claimed_until.lt(now)),
                ),
        )
        .execute(conn)?;
        replace_email_identity(state, conn, request_id, email, now)?;
        let detail = json!({"links_voided": voided, "emails_dropped": dropped});
        let entry = Entry::new(actors::CONSUMER, "email_address_changed", detail);
        if let Err(refused) = change::touch(state, conn, &mut row, entry, now) {
            return Ok(Err(refused));
        }
        super::verification::send_verification_link(state, conn, &row, email.as_str(), now)?;
        summary(&row, false).map(Ok)
    })
}

/// The request's email identity (value and blind index) becomes `email`.
fn replace_email_identity(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    email: &EmailAddress,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::delete(
        request_identities::table
            .filter(request_identities::request_id.eq(request_id))
            .filter(request_identities::kind.eq("email")),
    )
    .execute(conn)?;
    // Only the email row of what `intake` would store for this address.
    let only_email = ValidIntake {
        kind: crate::domain::kinds::RequestKind::Access,
        jurisdiction: crate::domain::kinds::Jurisdiction::Other,
        name: None,
        email: email.clone(),
        identifiers: Vec::new(),
        details: Default::default(),
    };
    identities::insert_all(conn, &identity_rows(state, request_id, &only_email, now))?;
    Ok(())
}
