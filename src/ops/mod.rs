//! Operator tasks run from the command line: backups, data-key rotation, the CCPA
//! §7101 record export, a `sql` connector's draft dataset, and the benchmarks' fill.

pub mod backup;
pub mod bench_fill;
pub mod dataset_draft;
pub mod key_rotation;
pub mod records;

use crate::db::models::audit;
use crate::db::{self, DbConn};

/// Audits an operator task (a key rotation, a records export) as the command line's,
/// with no request: its detail holds key ids, ranges and counts, never a value.
fn audit_operator_task(
    conn: &mut DbConn,
    action: &str,
    detail: serde_json::Value,
    now: chrono::NaiveDateTime,
) -> anyhow::Result<()> {
    db::write_tx(conn, |c| {
        audit::append_portal_event(c, crate::flows::actors::CLI, action, detail, now)
    })?;
    Ok(())
}
