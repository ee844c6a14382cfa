//! Reminders to the owners of manual systems' tasks: from two days before a task is
//! due, and every day while it is overdue, at most once a day (`reminded_on`, set in
//! the transaction that queues the email, so a restart or a second instance sends
//! nothing twice). The email names the request's reference, the system and the date,
//! and links to the task: never anything about the person.

use crate::db::models::manual_tasks as tasks;
use crate::db::models::{requests, staff};
use crate::db::{write_tx, DbConn};
use crate::domain::deadlines;
use crate::domain::manual_tasks::{remind_today, REMIND_DAYS_BEFORE};
use crate::error::AppError;
use crate::flows::emails;
use crate::state::AppState;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

/// Queues today's task reminders; returns how many emails were queued.
pub fn send(state: &AppState, conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, AppError> {
    let today = now.date();
    let until = today + Duration::days(REMIND_DAYS_BEFORE);
    let due = tasks::to_remind(conn, until, today, 500)?;
    let mut queued = 0;
    for task in due {
        if !remind_today(task.due_on, task.reminded_on, today) {
            continue;
        }
        queued += write_tx(conn, |conn| -> Result<usize, AppError> {
            if !tasks::mark_reminded(conn, &task.id, today)? {
                return Ok(0);
            }
            let owner = match task.owner_id.as_deref() {
                Some(id) => staff::find(conn, id)?.filter(|s| !s.disabled),
                None => None,
            };
            let Some(owner) = owner else {
                return Ok(0);
            };
            let row = requests::find(conn, &task.request_id)?;
            let left = deadlines::days_left(task.due_on, today);
            let t = &state.templates;
            emails::queue_for_staff(
                state,
                conn,
                &row.id,
                "staff_task_reminder",
                &owner.email,
                json!({
                    "reference": row.reference, "system": task.system,
                    "action_label": t.label(task.action.label_key()),
                    "due_on": t.date(task.due_on), "days_left": left, "overdue": left < 0,
                    "task_url": format!("{}/staff/tasks/{}", state.public_url, task.id),
                }),
                now,
            )?;
            Ok(1)
        })?;
    }
    Ok(queued)
}
