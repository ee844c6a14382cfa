//! The one place a request changes. Every flow that moves a request's status, changes
//! its row, or records an event about it comes through here, inside its own write
//! transaction:
//!
//! - [`step`]: check the version the caller read, take the step through
//!   `domain::state`, write the status (and `closed_at` when it closes), bump the
//!   version, append the audit event and queue the notice;
//! - [`touch`]: the same for a change that leaves the status as it is (acknowledged,
//!   extended, assigned, a note);
//! - [`record`]: an audit event about the request that changes nothing on its row (a
//!   link resent, a document viewed, a connector run's progress).
//!
//! The caller keeps its row current: `step` and `touch` update it in memory.

use super::notices;
use crate::db::models::audit::{self, NewEvent};
use crate::db::models::requests::{self, RequestRow};
use crate::db::DbConn;
use crate::domain::state::{Event, Status};
use crate::error::AppError;
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::Value;

/// What the audit trail says about a change, and what the person is told of it.
pub struct Entry<'a> {
    /// Who acted (`flows::actors`, or `staff:<id>`): never a name or an address.
    pub actor: &'a str,
    /// The audit action code (`domain::labels::audit_action_key`).
    pub action: &'static str,
    /// Ids, codes and dates only: no personal data.
    pub detail: Value,
    pub consumer_visible: bool,
    /// A notice for the requester with a fresh status link (`notices::notify`).
    pub notice: Option<(&'static str, Value)>,
}

impl<'a> Entry<'a> {
    /// An event the person sees on their status page.
    pub fn new(actor: &'a str, action: &'static str, detail: Value) -> Entry<'a> {
        Entry {
            actor,
            action,
            detail,
            consumer_visible: true,
            notice: None,
        }
    }

    /// An event only staff see.
    pub fn internal(actor: &'a str, action: &'static str, detail: Value) -> Entry<'a> {
        Entry {
            consumer_visible: false,
            ..Entry::new(actor, action, detail)
        }
    }

    /// Also tells the requester, by `template` with `data`, with a fresh status link.
    pub fn notify(self, template: &'static str, data: Value) -> Entry<'a> {
        Entry {
            notice: Some((template, data)),
            ..self
        }
    }
}

/// Why a change did not happen.
#[derive(Debug)]
pub enum Refused {
    /// The request's status does not allow the step.
    NotAllowed,
    /// Someone changed the request since the caller read it.
    Stale,
    Failed(AppError),
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        Refused::Failed(e)
    }
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Refused::Failed(e.into())
    }
}

impl Refused {
    /// The caller's own answer to each refusal.
    pub fn answer(
        self,
        not_allowed: impl FnOnce() -> AppError,
        stale: impl FnOnce() -> AppError,
    ) -> AppError {
        match self {
            Refused::NotAllowed => not_allowed(),
            Refused::Stale => stale(),
            Refused::Failed(e) => e,
        }
    }

    /// For steps the caller has just made possible itself: a refusal is a bug.
    pub fn unexpected(self) -> AppError {
        self.answer(
            || {
                AppError::internal(anyhow::anyhow!(
                    "a step the request just allowed was refused"
                ))
            },
            || {
                AppError::internal(anyhow::anyhow!(
                    "a request changed under its own transaction"
                ))
            },
        )
    }
}

/// Takes `event` on `row`; returns the status it left.
pub fn step(
    state: &AppState,
    conn: &mut DbConn,
    row: &mut RequestRow,
    event: Event,
    entry: Entry<'_>,
    now: NaiveDateTime,
) -> Result<Status, Refused> {
    let from = row.status;
    let to = from.transition(event).map_err(|_| Refused::NotAllowed)?;
    let closed_at = (!to.is_open()).then_some(now);
    if !requests::set_status(conn, &row.id, row.version, to, closed_at, now)? {
        return Err(Refused::Stale);
    }
    row.status = to;
    row.closed_at = closed_at;
    row.version += 1;
    row.updated_at = now;
    let actor = entry.actor;
    write_entry(state, conn, row, (Some(from), Some(to)), entry, now)?;
    if !to.is_open() {
        // A closed request leaves its manual systems' owners nothing to do.
        super::manual_tasks::cancel_open(conn, &row.id, actor, now)?;
    }
    Ok(from)
}

/// A change to `row` that leaves its status as it is (the caller writes its fields).
pub fn touch(
    state: &AppState,
    conn: &mut DbConn,
    row: &mut RequestRow,
    entry: Entry<'_>,
    now: NaiveDateTime,
) -> Result<(), Refused> {
    if !requests::bump_version(conn, &row.id, row.version, now)? {
        return Err(Refused::Stale);
    }
    row.version += 1;
    row.updated_at = now;
    write_entry(state, conn, row, (None, None), entry, now)?;
    Ok(())
}

/// The first event of a request just inserted (its status is where it starts).
pub fn opened(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    entry: Entry<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_entry(state, conn, row, (None, Some(row.status)), entry, now)
}

/// An event about request `request_id` that changes nothing on its row.
pub fn record(
    conn: &mut DbConn,
    request_id: &str,
    entry: Entry<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    append(conn, request_id, (None, None), &entry, now)
}

fn write_entry(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    moved: (Option<Status>, Option<Status>),
    entry: Entry<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    append(conn, &row.id, moved, &entry, now)?;
    if let Some((template, data)) = entry.notice {
        notices::notify(state, conn, row, template, data, now)?;
    }
    Ok(())
}

fn append(
    conn: &mut DbConn,
    request_id: &str,
    (from, to): (Option<Status>, Option<Status>),
    entry: &Entry<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    audit::append(
        conn,
        NewEvent {
            request_id: Some(request_id),
            actor: entry.actor,
            action: entry.action,
            from_status: from.map(Status::as_str),
            to_status: to.map(Status::as_str),
            detail: entry.detail.clone(),
            consumer_visible: entry.consumer_visible,
        },
        now,
    )?;
    Ok(())
}
