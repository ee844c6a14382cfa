//! Working a request: the staff actions, one small function each.
//!
//! Every action runs in one write transaction that first checks the version the person
//! acting saw (two staff on one request: the second is told to reload, never a lost
//! update); the change itself goes through `flows::request_change`, which takes the
//! step, writes the row, appends the audit event and queues the notice.

mod answers;
mod desk;
mod preview;
mod progress;
mod searches;

use crate::db::models::pauses;
use crate::db::models::requests::{self, RequestRow};
use crate::db::{write_tx, DbConn};
use crate::domain::deadlines::{self, Deadlines};
use crate::domain::pauses::{clock_start, ClockStart};
use crate::domain::state::Status;
use crate::error::AppError;
use crate::flows::request_change::Refused;
use crate::i18n::{key, msg};
use crate::state::AppState;
use chrono::NaiveDateTime;

pub use super::appeal::appeal;
pub use super::withdrawal::{withdraw, withdraw_as};
pub use answers::Decision;
pub use preview::{preview, Preview};

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

/// What an applied action did, for the page's message: a `staff_flash` key and the
/// values it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub flash: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Applied {
    fn said(flash: &'static str) -> Applied {
        Applied {
            flash,
            args: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: String) -> Applied {
        self.args.push((name, value));
        self
    }
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
) -> Result<Applied, AppError> {
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
        let t = &state.templates;
        if let Some(decision) = answers::decide(state, conn, row, &action)? {
            let flash = match (decision.to, decision.in_part) {
                (Status::Denied, _) => key("staff_flash.denied"),
                (_, true) => key("staff_flash.fulfilled_part"),
                _ => key("staff_flash.fulfilled"),
            };
            answers::answer(&by, conn, row, decision)?;
            return Ok(Applied::said(flash));
        }
        let applied = match action {
            Action::Acknowledge => {
                progress::acknowledge(&by, conn, row)?;
                Applied::said(key("staff_flash.acknowledged")).with("due_on", t.date(row.due_on))
            }
            Action::VerifyIdentity {
                method,
                points,
                declaration,
            } => {
                let (level, searching) =
                    progress::verify_identity(&by, conn, row, &method, points, declaration)?;
                let flash = match searching {
                    0 => Applied::said(key("staff_flash.verified")),
                    n => Applied::said(key("staff_flash.verified_searching"))
                        .with("count", n.to_string()),
                };
                flash.with("level", t.label(level.label_key()))
            }
            Action::RequestInformation { message } => {
                match progress::request_information(&by, conn, row, &message)? {
                    true => Applied::said(key("staff_flash.info_requested")),
                    false => Applied::said(key("staff_flash.info_requested_clock_runs")),
                }
            }
            Action::InformationReceived => {
                progress::information_received(&by, conn, row)?;
                let due = requests::find(conn, &row.id)?.due_on;
                Applied::said(key("staff_flash.info_received")).with("due_on", t.date(due))
            }
            Action::Extend { reason } => {
                let due = progress::extend(&by, conn, row, &reason)?;
                Applied::said(key("staff_flash.extended")).with("due_on", t.date(due))
            }
            // Decided above; kept here so that a new action cannot be forgotten.
            Action::Deny { .. } | Action::Fulfil { .. } => {
                return Err(AppError::BadRequest(msg("errors.unknown_action")))
            }
            Action::Assign { staff_id } => match desk::assign(&by, conn, row, staff_id)? {
                Some(email) => Applied::said(key("staff_flash.assigned")).with("name", email),
                None => Applied::said(key("staff_flash.unassigned")),
            },
            Action::Note { body } => {
                desk::note(&by, conn, row, &body)?;
                Applied::said(key("staff_flash.note"))
            }
        };
        Ok(applied)
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
