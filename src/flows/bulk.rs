//! Bulk actions on rows selected in the staff queue: assign to a named person, close
//! as unverified, send the person a reminder.
//!
//! Each row is its own write transaction that first checks the version the staff
//! member saw in the queue: a row someone changed since is skipped ("changed since
//! you loaded the queue"), never overwritten. Every change goes through
//! `flows::request_change` (audited, noticed) like its one-request counterpart.

use super::handling::{self, Action};
use super::request_change::{self as change, Entry};
use super::{emails, expiry, notices, verification};
use crate::db::models::requests::{self, RequestRow};
use crate::db::models::staff;
use crate::db::models::tokens::{self as token_rows, Purpose};
use crate::db::{write_tx, DbConn};
use crate::domain::roles::Role;
use crate::domain::state::Status;
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use chrono::NaiveDateTime;
use diesel::OptionalExtension;
use serde_json::json;

/// At most this many rows in one bulk action (two pages of the queue).
pub const MAX_ROWS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    /// To this staff member (an id of an active account that may work requests).
    Assign(String),
    CloseUnverified,
    Remind,
}

/// A row as the queue showed it: its id and the version the staff member saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub id: String,
    pub version: i64,
}

impl Selected {
    /// `id:version` as the queue's checkbox carries it.
    pub fn parse(s: &str) -> Option<Selected> {
        let (id, version) = s.split_once(':')?;
        let version = version.parse().ok()?;
        (!id.is_empty() && id.len() <= 64).then(|| Selected {
            id: id.to_string(),
            version,
        })
    }
}

/// Why a selected row was left as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// No such request (a forged or stale form).
    Unknown,
    /// Someone changed it after the queue was read.
    Changed,
    Closed,
    /// Close as unverified: the email is confirmed already.
    Confirmed,
    /// Assign: it is that person's already.
    AlreadyAssigned,
    /// Remind: nothing is waiting on the person.
    NotWaiting,
}

/// What a bulk action did: the references it changed and those it skipped, with why.
#[derive(Debug, Default)]
pub struct Outcome {
    pub done: Vec<String>,
    pub skipped: Vec<(String, Skip)>,
}

/// Applies `action` by `actor` to each of `rows`.
pub fn apply(
    state: &AppState,
    conn: &mut DbConn,
    rows: &[Selected],
    actor: &str,
    action: &BulkAction,
    now: NaiveDateTime,
) -> Result<Outcome, AppError> {
    if let BulkAction::Assign(to) = action {
        let ok = staff::find(conn, to)?.is_some_and(|s| !s.disabled && s.role != Role::Auditor);
        if !ok {
            return Err(AppError::BadRequest(msg("errors.choose_assignee")));
        }
    }
    let mut outcome = Outcome::default();
    for selected in rows.iter().take(MAX_ROWS) {
        let result = one(state, conn, selected, actor, action, now)?;
        match result {
            Ok(reference) => outcome.done.push(reference),
            Err(skip) => outcome.skipped.push(skip),
        }
    }
    Ok(outcome)
}

type RowResult = Result<String, (String, Skip)>;

fn one(
    state: &AppState,
    conn: &mut DbConn,
    selected: &Selected,
    actor: &str,
    action: &BulkAction,
    now: NaiveDateTime,
) -> Result<RowResult, AppError> {
    let change: RowChange = match action {
        BulkAction::Assign(to) => return assign(state, conn, selected, actor, to, now),
        BulkAction::CloseUnverified => close,
        BulkAction::Remind => remind,
    };
    write_tx(conn, |conn| -> Result<RowResult, AppError> {
        let Some(mut row) = requests::find(conn, &selected.id).optional()? else {
            return Ok(Err((selected.id.clone(), Skip::Unknown)));
        };
        if let Some(skip) = common_skip(&row, selected) {
            return Ok(Err((row.reference, skip)));
        }
        Ok(match change(state, conn, &mut row, actor, now)? {
            None => Ok(row.reference),
            Some(skip) => Err((row.reference, skip)),
        })
    })
}

/// A change to one row inside its transaction: `Some(skip)` when it does not apply.
type RowChange = fn(
    &AppState,
    &mut DbConn,
    &mut RequestRow,
    &str,
    NaiveDateTime,
) -> Result<Option<Skip>, AppError>;

fn common_skip(row: &RequestRow, selected: &Selected) -> Option<Skip> {
    if !row.status.is_open() {
        Some(Skip::Closed)
    } else if row.version != selected.version {
        Some(Skip::Changed)
    } else {
        None
    }
}

/// Through the request page's own action, which checks the version again in its
/// transaction, so an edit between this read and that write is still refused.
fn assign(
    state: &AppState,
    conn: &mut DbConn,
    selected: &Selected,
    actor: &str,
    to: &str,
    now: NaiveDateTime,
) -> Result<RowResult, AppError> {
    let Some(row) = requests::find(conn, &selected.id).optional()? else {
        return Ok(Err((selected.id.clone(), Skip::Unknown)));
    };
    if let Some(skip) = common_skip(&row, selected) {
        return Ok(Err((row.reference, skip)));
    }
    if row.assignee_id.as_deref() == Some(to) {
        return Ok(Err((row.reference, Skip::AlreadyAssigned)));
    }
    let assign = Action::Assign {
        staff_id: Some(to.to_string()),
    };
    match handling::apply(state, conn, &row.id, row.version, actor, assign, now) {
        Ok(_) => Ok(Ok(row.reference)),
        Err(AppError::Conflict(_)) => Ok(Err((row.reference, Skip::Changed))),
        Err(e) => Err(e),
    }
}

/// Closes a request still unconfirmed, with the notice the expiry would send.
fn close(
    state: &AppState,
    conn: &mut DbConn,
    row: &mut RequestRow,
    actor: &str,
    now: NaiveDateTime,
) -> Result<Option<Skip>, AppError> {
    if row.status != Status::Submitted {
        return Ok(Some(Skip::Confirmed));
    }
    expiry::close_one(state, conn, row, actor, json!({"bulk": true}), now)?;
    Ok(None)
}

/// Reminds the person of what the request waits for: a fresh confirmation link while
/// their email is unconfirmed, the question while staff wait for their information.
fn remind(
    state: &AppState,
    conn: &mut DbConn,
    row: &mut RequestRow,
    actor: &str,
    now: NaiveDateTime,
) -> Result<Option<Skip>, AppError> {
    let purpose = match row.status {
        Status::Submitted => {
            // The earlier links stop working: only the newest one confirms.
            token_rows::retire_all(conn, &row.id, Purpose::VerifyEmail, now)?;
            let to = emails::requester_email(state, conn, &row.id)?;
            verification::send_verification_link(state, conn, row, &to, now)?;
            "verify_email"
        }
        Status::AwaitingInformation => {
            notices::notify(state, conn, row, "info_reminder", json!({}), now)?;
            "information"
        }
        _ => return Ok(Some(Skip::NotWaiting)),
    };
    let entry = Entry::internal(
        actor,
        "reminder_sent",
        json!({"purpose": purpose, "bulk": true}),
    );
    change::record(conn, &row.id, entry, now)?;
    Ok(None)
}
