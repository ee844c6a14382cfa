//! Staff housekeeping on a request: who works it, and their notes.

use super::{required, stale, Acting};
use crate::db::models::notes;
use crate::db::models::requests::RequestRow;
use crate::db::schema::requests as r;
use crate::db::DbConn;
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::flows::request_change::{self as change, Entry};
use crate::i18n::{key, msg};
use diesel::prelude::*;
use serde_json::json;

pub(super) fn assign(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    staff_id: Option<String>,
) -> Result<Option<String>, AppError> {
    let mut name = None;
    if let Some(s) = &staff_id {
        let found = crate::db::models::staff::find(conn, s)?
            .filter(|st| !st.disabled && st.role != Role::Auditor)
            .ok_or_else(|| AppError::BadRequest(msg("errors.choose_assignee")))?;
        name = Some(found.email);
    }
    diesel::update(r::table.find(&row.id))
        .set(r::assignee_id.eq(&staff_id))
        .execute(conn)?;
    let entry = Entry::internal(by.actor, "assigned", json!({"assignee": staff_id}));
    change::touch(by.state, conn, row, entry, by.now).map_err(stale)?;
    Ok(name)
}

pub(super) fn note(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    body: &str,
) -> Result<(), AppError> {
    let body = required(body, key("errors.what.note"), 10_000)?;
    let staff_id = by.actor.strip_prefix("staff:").unwrap_or(by.actor);
    notes::insert(
        conn,
        &row.id,
        staff_id,
        &by.state.cipher.encrypt(notes::BODY_CONTEXT, &body),
        by.now,
    )?;
    let entry = Entry::internal(by.actor, "note_added", json!({}));
    change::touch(by.state, conn, row, entry, by.now).map_err(stale)
}
