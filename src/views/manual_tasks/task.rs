//! The page of one manual task (`/staff/tasks/{id}`): what to do and by when, the
//! files uploaded so far, and the forms its owner (or anyone who works requests)
//! uses: upload an export, mark it done with a note, hand it to someone else.

use super::{lines, TaskLine};
use crate::db::models::manual_tasks::{self as tasks, FILE_NAME_CONTEXT, NOTE_CONTEXT};
use crate::db::models::staff;
use crate::db::DbConn;
use crate::domain::manual_tasks::{may_act, may_reassign, TaskStatus};
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::state::AppState;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Serialize)]
struct FileLine {
    name: String,
    size_kb: i64,
    uploaded_at: String,
}

#[derive(Serialize)]
struct OwnerOption {
    id: String,
    email: String,
    selected: bool,
}

/// The context of `pages/staff/task`.
#[derive(Serialize)]
pub struct TaskPage {
    title: String,
    task: TaskLine,
    version: i64,
    files: Vec<FileLine>,
    /// The note: as stored once done, or as typed when a form is shown again.
    pub note: String,
    done_at: Option<String>,
    can_act: bool,
    can_reassign: bool,
    needs_note: bool,
    takes_files: bool,
    owners: Vec<OwnerOption>,
    /// Why the last form was not accepted.
    pub error: Option<String>,
}

/// Task `id` as `me` (with `role`) sees it on `today`.
pub fn task_page(
    state: &AppState,
    conn: &mut DbConn,
    id: &str,
    me: &str,
    role: Role,
    today: NaiveDate,
) -> Result<TaskPage, AppError> {
    let t = &state.templates;
    let row = tasks::find(conn, id)?.ok_or(AppError::NotFound)?;
    let open = row.status == TaskStatus::Open;
    let (version, action, owner_id) = (row.version, row.action, row.owner_id.clone());
    let note = match &row.note_enc {
        Some(sealed) => state
            .cipher
            .decrypt(NOTE_CONTEXT, sealed)
            .map_err(AppError::internal)?,
        None => String::new(),
    };
    let done_at = row.done_at.map(|d| t.timestamp(d));
    let files = tasks::files_of_request(conn, &row.request_id)?
        .into_iter()
        .filter(|f| f.task_id == row.id)
        .map(|f| {
            Ok(FileLine {
                name: state
                    .cipher
                    .decrypt(FILE_NAME_CONTEXT, &f.name_enc)
                    .map_err(AppError::internal)?,
                size_kb: (f.size_bytes + 1023) / 1024,
                uploaded_at: t.timestamp(f.uploaded_at),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let is_owner = owner_id.as_deref() == Some(me);
    let task = lines(state, conn, vec![row], me, today)?
        .pop()
        .ok_or(AppError::NotFound)?;
    let owners = staff::list(conn)?
        .into_iter()
        .filter(|s| !s.disabled)
        .map(|s| OwnerOption {
            selected: owner_id.as_deref() == Some(s.id.as_str()),
            id: s.id,
            email: s.email,
        })
        .collect();
    Ok(TaskPage {
        title: t.phrase(
            "titles.staff_task",
            &[("reference", &task.reference), ("system", &task.system)],
        ),
        task,
        version,
        files,
        note,
        done_at,
        can_act: open && may_act(role, is_owner),
        can_reassign: open && may_reassign(role),
        needs_note: action.needs_note(),
        takes_files: action.takes_files(),
        owners,
        error: None,
    })
}
