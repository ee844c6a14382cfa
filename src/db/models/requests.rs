//! The `requests` table: one row per data-subject request.

use crate::db::schema::requests;
use crate::db::DbConn;
use crate::domain::deadlines::Regime;
use crate::domain::decisions::{Outcome, VerificationLevel};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::domain::source::Source;
use crate::domain::state::Status;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = requests)]
pub struct RequestRow {
    pub id: String,
    pub reference: String,
    pub kind: RequestKind,
    pub jurisdiction: Jurisdiction,
    pub regime: Regime,
    pub status: Status,
    pub source: Source,
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
    pub verification_level: Option<VerificationLevel>,
    /// JSON: method and the names (never the values) of the data points matched.
    pub verification_detail: Option<String>,
    pub extension_reason_enc: Option<String>,
    /// For fulfilled requests (CCPA §7102 counts both outcomes).
    pub outcome: Option<Outcome>,
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
    /// The language it was filed in (a code the portal offered then): every email about
    /// it is written in it. `None`: the organisation's default language.
    pub language: Option<String>,
}

/// Encryption context of `details_enc`.
pub const DETAILS_CONTEXT: &str = "requests.details";

/// What a new request starts from; everything else starts empty.
pub struct NewRequest {
    pub reference: String,
    pub kind: RequestKind,
    /// Its law (`regime`) follows from where the person lives.
    pub jurisdiction: Jurisdiction,
    pub status: Status,
    pub source: Source,
    pub received_at: NaiveDateTime,
    pub due_on: NaiveDate,
    pub acknowledge_by: Option<NaiveDate>,
    pub details_enc: String,
    pub submission_key: String,
    /// The language the person used (`None`: the default language).
    pub language: Option<String>,
}

impl RequestRow {
    /// A request received now, with a fresh id, nothing decided yet.
    pub fn new(new: NewRequest, now: NaiveDateTime) -> RequestRow {
        RequestRow {
            id: crate::clock::new_id(),
            reference: new.reference,
            kind: new.kind,
            jurisdiction: new.jurisdiction,
            regime: new.jurisdiction.regime(),
            status: new.status,
            source: new.source,
            gpc: false,
            received_at: new.received_at,
            due_on: new.due_on,
            acknowledge_by: new.acknowledge_by,
            paused_days: 0,
            extended: false,
            details_enc: Some(new.details_enc),
            submission_key: new.submission_key,
            verified_at: None,
            closed_at: None,
            version: 0,
            updated_at: now,
            assignee_id: None,
            acknowledged_at: None,
            verification_level: None,
            verification_detail: None,
            extension_reason_enc: None,
            outcome: None,
            denial_code: None,
            response_enc: None,
            responded_at: None,
            appeal_of: None,
            purged_at: None,
            submission_body: None,
            language: new.language,
        }
    }
}

pub fn insert(conn: &mut DbConn, row: &RequestRow) -> QueryResult<()> {
    diesel::insert_into(requests::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Inserts `row` unless one with its id, reference or submission key is stored (or being
/// stored by a concurrent transaction, which PostgreSQL waits for); false then.
pub fn insert_new(conn: &mut DbConn, row: &RequestRow) -> QueryResult<bool> {
    let insert = diesel::insert_into(requests::table).values(row);
    // (diesel's multi-backend connection has no ON CONFLICT: one per backend.)
    let inserted = match conn {
        DbConn::Pg(pg) => insert.on_conflict_do_nothing().execute(pg)?,
        DbConn::Sqlite(sqlite) => insert.on_conflict_do_nothing().execute(sqlite)?,
    };
    Ok(inserted == 1)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<RequestRow> {
    requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
}

/// The language `id` was filed in (`None`: the default language).
pub fn language_of(conn: &mut DbConn, id: &str) -> QueryResult<Option<String>> {
    requests::table
        .find(id)
        .select(requests::language)
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

/// Moves a request to `to` if nobody changed it since `version` was read (only
/// `flows::request_change` calls this). Returns false when the row moved on.
pub fn set_status(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    to: Status,
    closed_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(current(id, version))
        .set((
            requests::status.eq(to),
            requests::version.eq(version + 1),
            requests::updated_at.eq(now),
            requests::closed_at.eq(closed_at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Records that the request changed (its version moves on) if nobody changed it since
/// `version` was read. Returns false when the row moved on.
pub fn bump_version(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(current(id, version))
        .set((
            requests::version.eq(version + 1),
            requests::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// The row `id` while it is still at `version`.
type Current<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<requests::table, diesel::dsl::Eq<requests::id, &'a str>>,
    diesel::dsl::Eq<requests::version, i64>,
>;

fn current(id: &str, version: i64) -> Current<'_> {
    requests::table
        .filter(requests::id.eq(id))
        .filter(requests::version.eq(version))
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
        .filter(requests::status.eq_any([Status::Submitted, Status::AwaitingConsumer]))
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
