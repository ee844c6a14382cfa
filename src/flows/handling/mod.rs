//! Working a request: the staff actions, one small function each.
//!
//! Every action runs in one write transaction that first checks the version the person
//! acting saw (two staff on one request: the second is told to reload, never a lost
//! update); the change itself goes through `flows::request_change`, which takes the
//! step, writes the row, appends the audit event and queues the notice.

mod answers;
mod desk;
mod progress;

use crate::db::models::pauses;
use crate::db::models::requests::{self, RequestRow};
use crate::db::{write_tx, DbConn};
use crate::domain::deadlines::{self, Deadlines};
use crate::domain::pauses::{clock_start, ClockStart};
use crate::error::AppError;
use crate::flows::request_change::Refused;
use crate::i18n::{key, msg};
use crate::state::AppState;
use chrono::NaiveDateTime;

pub use super::appeal::appeal;
pub use super::withdrawal::{withdraw, withdraw_as};

pub const EXTENSION_CONTEXT: &str = "requests.extension_reason";
pub const RESPONSE_CONTEXT: &str = "requests.response";

/// One staff action, as submitted from the request page.
#[derive(Debug, Clone)]
pub enum Action {
    Acknowledge,
    VerifyIdentity {
        method: String,
        points: Vec<String>,
        declaration: bool,
    },
    RequestInformation {
        message: String,
    },
    InformationReceived,
    Extend {
        reason: String,
    },
    Deny {
        code: String,
        message: String,
    },
    Fulfil {
        in_part: bool,
        message: String,
    },
    Assign {
        staff_id: Option<String>,
    },
    Note {
        body: String,
    },
}

/// Who acts, on which request, when: what every action function receives.
pub(super) struct Acting<'a> {
    pub state: &'a AppState,
    pub actor: &'a str,
    pub now: NaiveDateTime,
}

/// Applies `action` by `actor` to request `id`, which the actor saw at `version`.
pub fn apply(
    state: &AppState,
    conn: &mut DbConn,
    id: &str,
    version: i64,
    actor: &str,
    action: Action,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let mut row = requests::find(conn, id)?;
        if row.version != version {
            return Err(conflict());
        }
        if !row.status.is_open() && !matches!(action, Action::Note { .. }) {
            return Err(not_allowed(key("errors.actions.change_closed")));
        }
        let by = Acting { state, actor, now };
        let row = &mut row;
        match action {
            Action::Acknowledge => progress::acknowledge(&by, conn, row),
            Action::VerifyIdentity {
                method,
                points,
                declaration,
            } => progress::verify_identity(&by, conn, row, &method, points, declaration),
            Action::RequestInformation { message } => {
                progress::request_information(&by, conn, row, &message)
            }
            Action::InformationReceived => progress::information_received(&by, conn, row),
            Action::Extend { reason } => progress::extend(&by, conn, row, &reason),
            Action::Deny { code, message } => answers::deny(&by, conn, row, &code, &message),
            Action::Fulfil { in_part, message } => {
                answers::fulfil(&by, conn, row, in_part, &message)
            }
            Action::Assign { staff_id } => desk::assign(&by, conn, row, staff_id),
            Action::Note { body } => desk::note(&by, conn, row, &body),
        }
    })
}

/// The person's answer to a question reached us (from their status page): the pause
/// closes and the period runs again, as when staff record a reply. Inside the caller's
/// transaction, on the row it just read.
pub(crate) fn answer_received(
    state: &AppState,
    conn: &mut DbConn,
    row: &mut RequestRow,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    progress::information_received(&Acting { state, actor, now }, conn, row)
}

/// The deadlines of a stored request, derived from its receipt date and its recorded
/// pauses (never from an earlier due date).
pub fn deadlines_of(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
) -> Result<Deadlines, AppError> {
    let clock = clock_of(conn, row)?;
    Ok(deadlines_from(state, row, clock))
}

/// The deadlines of `row` once its pauses are known.
fn deadlines_from(state: &AppState, row: &RequestRow, clock: ClockStart) -> Deadlines {
    deadlines::compute(
        row.regime,
        row.kind.track(),
        clock.runs_from,
        clock.paused_days,
        &state.holidays,
    )
}

/// Where the request's response period runs from, after its recorded pauses.
fn clock_of(conn: &mut DbConn, row: &RequestRow) -> Result<ClockStart, AppError> {
    Ok(clock_start(
        row.received_at.date(),
        &pauses::for_request(conn, &row.id)?,
    ))
}

pub(crate) fn conflict() -> AppError {
    AppError::Conflict(msg("errors.request_changed_reload"))
}

/// `action` is an `errors.actions` key: what the staff member tried, in words.
pub(crate) fn not_allowed(action: &'static str) -> AppError {
    AppError::Conflict(msg("errors.not_possible_now").with_label("action", action))
}

/// A refused change, in the words of `action` (an `errors.actions` key).
pub(super) fn refused(action: &'static str) -> impl FnOnce(Refused) -> AppError {
    move |r| r.answer(|| not_allowed(action), conflict)
}

/// A refused change that leaves the status as it is: only a concurrent change can
/// refuse it.
pub(super) fn stale(r: Refused) -> AppError {
    r.answer(conflict, conflict)
}

/// `what` is an `errors.what` key: the text that was asked for, in words.
pub(crate) fn required(text: &str, what: &'static str, max: usize) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::BadRequest(
            msg("errors.text_required").with_label("what", what),
        ));
    }
    if t.chars().count() > max {
        return Err(AppError::BadRequest(
            msg("errors.text_too_long")
                .with_label("what", what)
                .with("max", max),
        ));
    }
    Ok(t.to_string())
}
