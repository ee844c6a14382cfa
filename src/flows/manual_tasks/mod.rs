//! Manual systems (`kind = "manual"` in `[[connectors]]`): for each verified access,
//! deletion or correction, a task per system for the staff account that owns it. The
//! owner uploads the exported file or confirms what they did with a note (`work.rs`);
//! a request that closes cancels its open tasks. Every step is audited on the request,
//! with ids and codes only: the note and the files are encrypted and never audited.

mod work;

pub use work::{add_file, finish, reassign, ExportUpload};

use super::request_change::{self as change, Entry};
use crate::config::ConnectorConfig;
use crate::db::models::manual_tasks::{self as tasks, TaskRow};
use crate::db::models::requests::RequestRow;
use crate::db::models::staff;
use crate::db::DbConn;
use crate::domain::manual_tasks::{due_on, TaskAction, TaskStatus};
use crate::error::AppError;
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::json;

/// The configured manual systems, in configuration order.
pub fn systems(state: &AppState) -> impl Iterator<Item = &ConnectorConfig> {
    state
        .settings
        .connectors
        .iter()
        .filter(|c| c.kind == "manual")
}

/// The configured manual system called `name`.
pub fn system<'a>(state: &'a AppState, name: &str) -> Option<&'a ConnectorConfig> {
    systems(state).find(|c| c.name == name)
}

/// Whether `row` is at a point where its manual systems have work: open, its identity
/// verified, and of a kind that gives tasks.
pub fn wanted(row: &RequestRow) -> bool {
    row.status.is_open()
        && row.verification_level.is_some()
        && TaskAction::for_kind(row.kind).is_some()
}

/// Creates, in the caller's transaction, the task each manual system lacks for `row`
/// (none while one is open or done for that system and action, so pressing "Create
/// tasks" twice, or after verification made them, adds nothing); returns how many.
pub fn create_missing(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    actor: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let Some(action) = TaskAction::for_kind(row.kind) else {
        return Ok(0);
    };
    if !wanted(row) {
        return Ok(0);
    }
    let existing = tasks::for_request(conn, &row.id)?;
    let mut created = 0;
    for cfg in systems(state) {
        let has = existing.iter().any(|t| {
            t.system == cfg.name && t.action == action && t.status != TaskStatus::Cancelled
        });
        if has {
            continue;
        }
        // The configured owner's active account; a missing or disabled one leaves the
        // task unassigned, which the request page and the tasks page show.
        let owner = match cfg.owner.as_deref() {
            Some(email) => staff::find_by_email(conn, email)?.filter(|s| !s.disabled),
            None => None,
        };
        let task = TaskRow {
            id: crate::clock::new_id(),
            request_id: row.id.clone(),
            system: cfg.name.clone(),
            action,
            owner_id: owner.map(|s| s.id),
            status: TaskStatus::Open,
            due_on: due_on(row.due_on, cfg.days_before_due, now.date()),
            note_enc: None,
            created_at: now,
            done_at: None,
            done_by: None,
            reminded_on: None,
            version: 1,
        };
        tasks::insert(conn, &task)?;
        let detail = json!({
            "task": task.id, "system": task.system, "action": action.as_str(),
            "due_on": task.due_on.to_string(), "owner": task.owner_id,
        });
        change::record(
            conn,
            &row.id,
            Entry::internal(actor, "manual_task_created", detail),
            now,
        )?;
        created += 1;
    }
    Ok(created)
}

/// Cancels the open tasks of a request that just closed (withdrawn, refused, expired,
/// answered): there is nothing left for their owners to do. Audited per task.
pub fn cancel_open(
    conn: &mut DbConn,
    request_id: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let ids = tasks::cancel_open(conn, request_id, now)?;
    for id in &ids {
        change::record(
            conn,
            request_id,
            Entry::internal(actor, "manual_task_cancelled", json!({"task": id})),
            now,
        )?;
    }
    Ok(ids.len())
}
