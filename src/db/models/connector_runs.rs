//! `connector_runs`: queued and finished connector work, claimed by the worker.
//!
//! Claiming is the shared lease of `db::lease`: each run goes to exactly one of several
//! portal instances, and a run whose worker died is claimed again once the lease
//! lapses, which is what makes runs resume after a crash (connector actions are
//! idempotent).

use crate::db::lease::{self, Queue};
use crate::db::schema::connector_runs as cr;
use crate::db::DbConn;
use crate::domain::runs::{RunAction, RunStatus};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const RESULT_CONTEXT: &str = "connector_runs.result";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cr)]
pub struct RunRow {
    pub id: String,
    pub request_id: String,
    pub connector: String,
    pub action: RunAction,
    pub status: RunStatus,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    /// For export and erase: the find run whose matches staff saw and approved.
    pub based_on: Option<String>,
    pub result_enc: Option<String>,
    /// Counts per table as JSON, safe to show and to audit (no personal data).
    pub summary: Option<String>,
    pub error: Option<String>,
    pub requested_by: String,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// The call id a system that answers later (status "waiting") will name.
    pub external_id: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &RunRow) -> QueryResult<()> {
    diesel::insert_into(cr::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<RunRow> {
    cr::table.find(id).select(RunRow::as_select()).first(conn)
}

pub fn for_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<RunRow>> {
    cr::table
        .filter(cr::request_id.eq(request_id))
        .order(cr::created_at.asc())
        .select(RunRow::as_select())
        .load(conn)
}

/// Connector runs as a job queue. A run being worked on is "running" under a lease;
/// one whose lease lapsed (its worker died) waits for work again like a pending one.
pub const QUEUE: Queue = Queue {
    table: "connector_runs",
    key: "id",
    lease: "claimed_until",
    due: "next_attempt_at",
    waiting: "status IN ('pending', 'running')",
    on_claim: "status = 'running', attempts = attempts + 1",
    order_by: "next_attempt_at",
};

/// Claims one due run (pending and due, or running with a lapsed lease) until `until`,
/// counting the attempt.
pub fn claim_next(
    conn: &mut DbConn,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<RunRow>> {
    match lease::claim_next(conn, &QUEUE, now, until)? {
        Some(id) => find(conn, &id).map(Some),
        None => Ok(None),
    }
}

pub fn finish(
    conn: &mut DbConn,
    id: &str,
    result_enc: Option<String>,
    summary: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(cr::table.find(id))
        .set((
            cr::status.eq("done"),
            cr::result_enc.eq(result_enc),
            cr::summary.eq(summary),
            cr::error.eq(None::<String>),
            cr::claimed_until.eq(None::<NaiveDateTime>),
            cr::finished_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn fail(
    conn: &mut DbConn,
    id: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let (status, next) = match retry_at {
        Some(t) => ("pending", t),
        None => ("failed", now),
    };
    diesel::update(cr::table.find(id))
        .set((
            cr::status.eq(status),
            cr::next_attempt_at.eq(next),
            cr::error.eq(error),
            cr::claimed_until.eq(None::<NaiveDateTime>),
            cr::finished_at.eq((status == "failed").then_some(now)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The system accepted the call and will answer by callback naming `call_id`.
pub fn wait(conn: &mut DbConn, id: &str, call_id: &str) -> QueryResult<()> {
    diesel::update(cr::table.find(id))
        .set((
            cr::status.eq("waiting"),
            cr::external_id.eq(call_id),
            cr::claimed_until.eq(None::<NaiveDateTime>),
            cr::error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The run of `connector` waiting for the callback `call_id`, if any.
pub fn waiting_for(
    conn: &mut DbConn,
    connector: &str,
    call_id: &str,
) -> QueryResult<Option<RunRow>> {
    cr::table
        .filter(cr::connector.eq(connector))
        .filter(cr::external_id.eq(call_id))
        .filter(cr::status.eq("waiting"))
        .select(RunRow::as_select())
        .first(conn)
        .optional()
}
