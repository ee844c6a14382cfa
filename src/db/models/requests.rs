//! The `requests` table: one row per data-subject request.

use crate::db::schema::requests;
use crate::db::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = requests)]
pub struct RequestRow {
    pub id: String,
    pub reference: String,
    pub kind: String,
    pub jurisdiction: String,
    pub regime: String,
    pub status: String,
    pub source: String,
    pub gpc: bool,
    /// Immutable: every due date is derived from it.
    pub received_at: NaiveDateTime,
    /// Cached effective due date (recomputed from received_at, pauses and extension)
    /// so the queue can sort and filter on an index.
    pub due_on: NaiveDate,
    pub acknowledge_by: Option<NaiveDate>,
    pub paused_days: i64,
    pub extended: bool,
    pub details_enc: Option<String>,
    pub submission_key: String,
    pub verified_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// Optimistic-locking counter: bumped by every change.
    pub version: i64,
    pub updated_at: NaiveDateTime,
    pub assignee_id: Option<String>,
    pub acknowledged_at: Option<NaiveDateTime>,
    /// "email", "reasonable" (2 data points) or "reasonably_high" (3 + declaration).
    pub verification_level: Option<String>,
    /// JSON: method and the names (never the values) of the data points matched.
    pub verification_detail: Option<String>,
    pub extension_reason_enc: Option<String>,
    /// For fulfilled requests: "whole" or "part" (CCPA §7102 counts both).
    pub outcome: Option<String>,
    pub denial_code: Option<String>,
    /// The text sent to the person with the decision (encrypted: it may name them).
    pub response_enc: Option<String>,
    pub responded_at: Option<NaiveDateTime>,
    /// For appeals: the refused request this one appeals.
    pub appeal_of: Option<String>,
    /// Set when retention removed the personal data; the record fields remain (§7101).
    pub purged_at: Option<NaiveDateTime>,
    /// Keyed digest of the canonical body a client's `Idempotency-Key` came with (JSON
    /// API only): the same key with another body is refused, not answered with this.
    pub submission_body: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &RequestRow) -> QueryResult<()> {
    diesel::insert_into(requests::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<RequestRow> {
    requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
}

pub fn find_by_submission_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<RequestRow>> {
    requests::table
        .filter(requests::submission_key.eq(key))
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn reference_exists(conn: &mut DbConn, reference: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        requests::table.filter(requests::reference.eq(reference)),
    ))
    .get_result(conn)
}

/// Moves a request from `from` to `to` if nobody changed it since `version` was read.
/// Returns false when the row moved on (the caller reports a conflict).
pub fn set_status(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    to: &str,
    closed: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = requests::table
        .filter(requests::id.eq(id))
        .filter(requests::version.eq(version));
    let n = diesel::update(target)
        .set((
            requests::status.eq(to),
            requests::version.eq(version + 1),
            requests::updated_at.eq(now),
            requests::closed_at.eq(closed.then_some(now)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn mark_verified(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(requests::table.find(id))
        .set(requests::verified_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Records that the request's receipt was acknowledged; false when it already was, so
/// a request is acknowledged once however many paths reach it.
pub fn mark_acknowledged(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        requests::table
            .find(id)
            .filter(requests::acknowledged_at.is_null()),
    )
    .set(requests::acknowledged_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Requests still waiting for email confirmation that were received before `cutoff`.
pub fn unverified_before(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    requests::table
        // An agent's request whose consumer never answered closes the same way.
        .filter(requests::status.eq_any(["submitted", "awaiting_consumer"]))
        .filter(requests::received_at.lt(cutoff))
        // A request staff entered late (received by letter weeks ago) had its link sent
        // at entry: the person gets the full period from then.
        .filter(requests::updated_at.lt(cutoff))
        .order(requests::received_at.asc())
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)
}

pub fn has_appeal(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        requests::table.filter(requests::appeal_of.eq(id)),
    ))
    .get_result(conn)
}
