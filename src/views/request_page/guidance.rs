//! What the request page says beyond the request itself: the next step, and a refused
//! form shown again with what was typed.

use super::systems::{self, SystemPanel};
use crate::db::models::{audit, requests};
use crate::db::DbConn;
use crate::domain::staff_actions::NextStep;
use crate::domain::staff_actions::{self, WorkFacts};
use crate::error::AppError;
use crate::state::AppState;
use serde::Serialize;
use std::collections::BTreeMap;

/// The page's textareas, by id: each has an entry in `drafts` (empty unless text is
/// kept), since `lookup` in a strict template fails on a missing key.
pub const DRAFTED: [&str; 6] = [
    "info-message",
    "extend-reason",
    "fulfil-message",
    "deny-message",
    "note-body",
    "message-body",
];

/// A form's error shown on the page again: `form` names the form (`deny`, `fulfil`…),
/// empty when there is none.
#[derive(Serialize, Default)]
pub struct FormError {
    pub form: String,
    pub message: String,
    /// The request changed under the staff member's edit.
    pub conflict: bool,
}

#[derive(Serialize)]
pub(super) struct NextStepView {
    pub text: String,
    pub anchor: &'static str,
}

/// Every textarea's draft, empty.
pub(super) fn empty_drafts() -> BTreeMap<String, String> {
    DRAFTED
        .iter()
        .map(|id| (id.to_string(), String::new()))
        .collect()
}

/// The section a next step is taken in; the hint itself when there is nothing to do.
fn anchor_of(next: Option<NextStep>) -> &'static str {
    next.map_or("next-step", NextStep::anchor)
}

/// The audit action of an access package sent: the step after it is the decision.
pub(super) const PACKAGE_SENT: &str = "package_sent";

/// The one thing to do next on `row`, from its status, its systems' runs and whether
/// its package went out.
pub(super) fn next_step_of(
    row: &requests::RequestRow,
    systems: &[SystemPanel],
    package_sent: bool,
) -> Option<NextStep> {
    let work = WorkFacts {
        systems_to_search: systems.iter().any(SystemPanel::to_search),
        systems_busy: systems.iter().any(SystemPanel::busy),
        systems_to_act: systems.iter().any(SystemPanel::to_act),
        package_due: crate::flows::package::can_send(row) && !package_sent,
    };
    staff_actions::next_step(row.status, work)
}

/// The section of request `id`'s page where its next step is taken, worked out without
/// building the page: where the redirect after an action lands.
pub fn next_anchor(
    state: &AppState,
    conn: &mut DbConn,
    id: &str,
) -> Result<&'static str, AppError> {
    let row = requests::find(conn, id)?;
    let systems = systems::load(state, conn, &row.id, row.kind, row.status)?;
    let package_sent = audit::for_request(conn, &row.id, false)?
        .iter()
        .any(|e| e.action == PACKAGE_SENT);
    Ok(anchor_of(next_step_of(&row, &systems, package_sent)))
}
