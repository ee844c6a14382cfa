//! The search a verified request implies: once identity is verified for a request
//! whose answer comes from the connected systems (an access, a copy to take away, a
//! deletion), every usable system is searched at once rather than one button at a
//! time. A search only reads and shows staff the matches; exports and erasures still
//! wait for a staff member who has looked at them.

use super::Acting;
use crate::db::models::connector_runs as runs;
use crate::db::models::requests::RequestRow;
use crate::db::DbConn;
use crate::domain::kinds::RequestKind;
use crate::domain::runs::{RunAction, RunStatus};
use crate::error::AppError;
use crate::flows::connector_runs;

/// Queues a search on every usable system not already searched or busy for `row`;
/// returns how many were queued.
pub(super) fn start(by: &Acting, conn: &mut DbConn, row: &RequestRow) -> Result<usize, AppError> {
    let answered_by_systems = matches!(
        row.kind,
        RequestKind::Access | RequestKind::Portability | RequestKind::Deletion
    );
    if !answered_by_systems || !connector_runs::allowed(row.kind, row.status, RunAction::Find) {
        return Ok(0);
    }
    let existing = runs::for_request(conn, &row.id)?;
    let mut started = 0;
    for (name, built) in &by.state.connectors {
        let searched_or_busy = existing.iter().any(|r| {
            &r.connector == name
                && (r.status.is_active()
                    || (r.action == RunAction::Find && r.status == RunStatus::Done))
        });
        if built.is_err() || searched_or_busy {
            continue;
        }
        connector_runs::queue(by.state, conn, &row.id, name, "find", by.actor, by.now)?;
        started += 1;
    }
    Ok(started)
}
