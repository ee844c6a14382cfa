//! Data Rights Protocol tables: the agent directory, pairing tokens, requests that
//! arrived through DRP with their callback state, and the replay register.

use crate::db::lease::{self, Queue};
use crate::db::schema::{
    drp_agents as ag, drp_replays as rp, drp_requests as dr, drp_tokens as tk,
};
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const CLAIMS_CONTEXT: &str = "drp_requests.claims";
pub const RESULTS_CONTEXT: &str = "drp_requests.results_url";
pub const VERIFICATION_URL_CONTEXT: &str = "drp_requests.verification_url";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ag)]
pub struct AgentRow {
    pub id: String,
    pub name: String,
    pub verify_key: String,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
}

pub fn insert_agent(conn: &mut DbConn, row: &AgentRow) -> QueryResult<()> {
    diesel::insert_into(ag::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_agent(conn: &mut DbConn, id: &str) -> QueryResult<Option<AgentRow>> {
    ag::table
        .find(id)
        .select(AgentRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_agents(conn: &mut DbConn) -> QueryResult<Vec<AgentRow>> {
    ag::table
        .order(ag::id.asc())
        .select(AgentRow::as_select())
        .load(conn)
}

/// Disables an agent and revokes its tokens; false when it was not active.
pub fn disable_agent(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(ag::table.find(id).filter(ag::disabled_at.is_null()))
        .set(ag::disabled_at.eq(now))
        .execute(conn)?;
    diesel::delete(tk::table.filter(tk::agent_id.eq(id))).execute(conn)?;
    Ok(n == 1)
}

pub fn enable_agent(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    let n = diesel::update(ag::table.find(id).filter(ag::disabled_at.is_not_null()))
        .set(ag::disabled_at.eq(None::<NaiveDateTime>))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn insert_token(
    conn: &mut DbConn,
    token_hash: &str,
    agent_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(tk::table)
        .values((
            tk::token_hash.eq(token_hash),
            tk::agent_id.eq(agent_id),
            tk::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The active agent a bearer token (by hash) belongs to.
pub fn agent_for_token(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<AgentRow>> {
    tk::table
        .inner_join(ag::table)
        .filter(tk::token_hash.eq(token_hash))
        .filter(ag::disabled_at.is_null())
        .select(AgentRow::as_select())
        .first(conn)
        .optional()
}

pub fn touch_token(conn: &mut DbConn, token_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(tk::table.find(token_hash))
        .set(tk::last_used_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Registers a signed body for one operation (`drp::replay::replay_key`); false when
/// it had been accepted for that operation before (a replay).
pub fn register_replay(
    conn: &mut DbConn,
    replay_key: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<bool> {
    let exists = rp::table.find(replay_key).count().get_result::<i64>(conn)? > 0;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(rp::table)
        .values((rp::replay_key.eq(replay_key), rp::expires_at.eq(expires_at)))
        .execute(conn)?;
    Ok(true)
}

/// Forgets bodies remembered past their time (`drp::replay::remember_until`): a replay
/// of them fails the expiry check, or the state of the request it revoked, anyway.
pub fn forget_replays_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rp::table.filter(rp::expires_at.lt(before))).execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = dr)]
pub struct DrpRequestRow {
    pub request_id: String,
    pub agent_id: String,
    pub agent_request_id: Option<String>,
    pub exercise: String,
    pub claims_enc: String,
    pub status_callback: Option<String>,
    pub revoked: bool,
    pub results_url_enc: Option<String>,
    pub notified_state: Option<String>,
    pub callback_attempts: i64,
    pub callback_next_at: Option<NaiveDateTime>,
    pub callback_claimed_until: Option<NaiveDateTime>,
    pub callback_error: Option<String>,
    pub created_at: NaiveDateTime,
    /// `user_verification_url`, encrypted under [`VERIFICATION_URL_CONTEXT`].
    pub verification_url_enc: Option<String>,
}

pub fn insert_request(conn: &mut DbConn, row: &DrpRequestRow) -> QueryResult<()> {
    diesel::insert_into(dr::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Option<DrpRequestRow>> {
    dr::table
        .find(request_id)
        .select(DrpRequestRow::as_select())
        .first(conn)
        .optional()
}

/// An earlier exercise by the same agent with the same agent-request-id, so a retried
/// POST returns the request it created instead of filing a second one.
pub fn find_by_agent_request_id(
    conn: &mut DbConn,
    agent_id: &str,
    agent_request_id: &str,
) -> QueryResult<Option<DrpRequestRow>> {
    dr::table
        .filter(dr::agent_id.eq(agent_id))
        .filter(dr::agent_request_id.eq(agent_request_id))
        .select(DrpRequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn mark_revoked(conn: &mut DbConn, request_id: &str) -> QueryResult<()> {
    diesel::update(dr::table.find(request_id))
        .set(dr::revoked.eq(true))
        .execute(conn)
        .map(|_| ())
}

pub fn set_results_url(conn: &mut DbConn, request_id: &str, enc: &str) -> QueryResult<()> {
    diesel::update(dr::table.find(request_id))
        .set(dr::results_url_enc.eq(enc))
        .execute(conn)
        .map(|_| ())
}

pub fn set_verification_url(conn: &mut DbConn, request_id: &str, enc: &str) -> QueryResult<()> {
    diesel::update(dr::table.find(request_id))
        .set(dr::verification_url_enc.eq(enc))
        .execute(conn)
        .map(|_| ())
}

/// What a callback reports changes with: the status and the due date (an extension).
/// `CALLBACK_QUEUE` below must build the same string in SQL.
pub fn notified_state(status: crate::domain::state::Status, due_on: chrono::NaiveDate) -> String {
    format!("{status}:{}", due_on.format("%Y-%m-%d"))
}

/// Status callbacks as a job queue: requests whose agent has not yet been told their
/// current state and that have a callback URL. `CAST(date AS TEXT)` is 'YYYY-MM-DD' in
/// both SQLite (dates are stored as that text) and PostgreSQL (ISO DateStyle), matching
/// `notified_state`.
pub const CALLBACK_QUEUE: Queue = Queue {
    table: "drp_requests",
    key: "request_id",
    lease: "callback_claimed_until",
    due: "callback_next_at",
    waiting: "drp_requests.status_callback IS NOT NULL AND EXISTS (SELECT 1 FROM requests \
              WHERE requests.id = drp_requests.request_id AND (drp_requests.notified_state IS NULL \
              OR drp_requests.notified_state <> (requests.status || ':' || CAST(requests.due_on AS TEXT))))",
    on_claim: "",
    order_by: "created_at",
};

/// Takes the lease on the next request whose agent is owed a callback, if any is due.
pub fn claim_next_callback(
    conn: &mut DbConn,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<DrpRequestRow>> {
    match lease::claim_next(conn, &CALLBACK_QUEUE, now, until)? {
        Some(id) => find_request(conn, &id),
        None => Ok(None),
    }
}

pub fn callback_delivered(conn: &mut DbConn, request_id: &str, state: &str) -> QueryResult<()> {
    diesel::update(dr::table.find(request_id))
        .set((
            dr::notified_state.eq(state),
            dr::callback_attempts.eq(0),
            dr::callback_next_at.eq(None::<NaiveDateTime>),
            dr::callback_claimed_until.eq(None::<NaiveDateTime>),
            dr::callback_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn callback_failed(
    conn: &mut DbConn,
    request_id: &str,
    error: &str,
    next_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(dr::table.find(request_id))
        .set((
            dr::callback_attempts.eq(dr::callback_attempts + 1),
            dr::callback_next_at.eq(next_at),
            dr::callback_claimed_until.eq(None::<NaiveDateTime>),
            dr::callback_error.eq(error),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn release_callback(conn: &mut DbConn, request_id: &str) -> QueryResult<()> {
    diesel::update(dr::table.find(request_id))
        .set(dr::callback_claimed_until.eq(None::<NaiveDateTime>))
        .execute(conn)
        .map(|_| ())
}
