//! A request withdrawn: by the consumer from its status page, by a DRP agent revoking
//! it, or by the consumer refusing an agent.

use super::emails;
use super::handling::{conflict, not_allowed};
use super::request_change::{self as change, Entry};
use crate::db::models::{pauses, requests};
use crate::db::{write_tx, DbConn};
use crate::domain::state::Event;
use crate::error::AppError;
use crate::i18n::key;
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::json;

/// The consumer withdraws their request from its status page.
pub fn withdraw(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        withdraw_as(state, conn, request_id, "consumer", now)
    })
}

/// Withdrawal inside the caller's transaction, by `actor`.
pub fn withdraw_as(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mut row = requests::find(conn, request_id)?;
    let entry = Entry::new(actor, "withdrawn", json!({}));
    change::step(state, conn, &mut row, Event::Withdrawn, entry, now)
        .map_err(|r| r.answer(|| not_allowed(key("errors.actions.withdraw")), conflict))?;
    pauses::close(conn, &row.id, now)?;
    let to = emails::requester_email(state, conn, &row.id)?;
    let data = json!({
        "reference": row.reference,
        "kind_label": state.words(row.language.as_deref()).label(row.kind.label_key()),
    });
    emails::queue(state, conn, &row.id, "withdrawn", &to, data, now)
}
