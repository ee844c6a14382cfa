//! Deadline reminders and the daily digest for staff.
//!
//! Each email is recorded in `reminders` under a key naming what it is about (request,
//! due date, kind of reminder; or staff member and day for the digest) in the same
//! transaction that queues it: after a restart, or with several instances, the insert
//! of an existing key fails and nothing is sent twice.

use crate::db::models::requests::RequestRow;
use crate::db::models::staff::{self, hears_about, StaffRow};
use crate::db::schema::{reminders, requests as r};
use crate::db::{write_tx, DbConn};
use crate::domain::deadlines;
use crate::error::AppError;
use crate::flows::emails;
use crate::state::AppState;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

/// Inserts the key; false when it was there already (this reminder went out before).
fn claim_key(
    conn: &mut DbConn,
    key: &str,
    request_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let exists: bool =
        diesel::select(diesel::dsl::exists(reminders::table.find(key))).get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(reminders::table)
        .values((
            reminders::key.eq(key),
            reminders::request_id.eq(request_id),
            reminders::sent_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Sends due-soon and overdue reminders; returns how many emails were queued.
pub fn send_reminders(
    state: &AppState,
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let today = now.date();
    let days = &state.settings.staff.reminder_days;
    let soon: Vec<_> = days.iter().map(|d| today + Duration::days(*d)).collect();
    let candidates: Vec<RequestRow> = r::table
        .filter(r::closed_at.is_null())
        .filter(r::due_on.eq_any(soon).or(r::due_on.lt(today)))
        .order((r::due_on.asc(), r::id.asc()))
        .limit(500)
        .select(RequestRow::as_select())
        .load(conn)?;
    let mut queued = 0;
    for row in candidates {
        let left = deadlines::days_left(row.due_on, today);
        let kind = if left < 0 {
            "overdue".to_string()
        } else {
            format!("due{left}")
        };
        let key = format!("{kind}:{}:{}", row.id, row.due_on);
        queued += write_tx(conn, |conn| -> Result<usize, AppError> {
            if !claim_key(conn, &key, Some(&row.id), now)? {
                return Ok(0);
            }
            let label = state.templates.label(row.kind.label_key());
            let mut n = 0;
            for person in hears_about(conn, &row)? {
                emails::queue_for_staff(
                    state,
                    conn,
                    &row.id,
                    "staff_reminder",
                    &person.email,
                    json!({
                    "reference": row.reference, "kind_label": label, "due_on": row.due_on.to_string(),
                    "days_left": left, "overdue": left < 0,
                    "request_url": format!("{}/staff/requests/{}", state.public_url, row.id)}),
                    now,
                )?;
                n += 1;
            }
            Ok(n)
        })?;
    }
    Ok(queued)
}

/// One digest a day to each staff member who opted in: open requests due within two
/// weeks or overdue.
pub fn send_digests(
    state: &AppState,
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let today = now.date();
    let people: Vec<StaffRow> = staff::list(conn)?
        .into_iter()
        .filter(|s| s.digest_opt_in && !s.disabled)
        .collect();
    if people.is_empty() {
        return Ok(0);
    }
    let rows: Vec<RequestRow> = r::table
        .filter(r::closed_at.is_null())
        .filter(r::due_on.le(today + Duration::days(14)))
        .order((r::due_on.asc(), r::id.asc()))
        .limit(100)
        .select(RequestRow::as_select())
        .load(conn)?;
    let list: Vec<_> = rows
        .iter()
        .map(|row| {
            let left = deadlines::days_left(row.due_on, today);
            json!({"reference": row.reference,
                   "kind_label": state.templates.label(row.kind.label_key()),
                   "status_label": state.templates.label(row.status.label_key()), "due_on": row.due_on.to_string(), "days_left": left,
                   "overdue": left < 0,
                   "request_url": format!("{}/staff/requests/{}", state.public_url, row.id)})
        })
        .collect();
    let mut sent = 0;
    for person in people {
        let key = format!("digest:{}:{today}", person.id);
        sent += write_tx(conn, |conn| -> Result<usize, AppError> {
            if !claim_key(conn, &key, None, now)? {
                return Ok(0);
            }
            let data = json!({"date": today.to_string(), "count": list.len(), "rows": list});
            let message = crate::mail::EmailMessage::render(
                &state.templates,
                "staff_digest",
                &person.email,
                &with_org(state, data),
                &state.mail_domain,
            )
            .map_err(AppError::internal)?;
            crate::mail::outbox::enqueue(conn, &state.cipher, None, "staff_digest", &message, now)?;
            Ok(1)
        })?;
    }
    Ok(sent)
}

fn with_org(state: &AppState, mut data: serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::Object(map) = &mut data {
        map.insert("org".into(), state.org_context());
        map.insert("portal_url".into(), state.public_url.clone().into());
    }
    data
}
