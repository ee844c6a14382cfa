//! `outbox`: emails waiting to be sent. Written in the same transaction as the change
//! that causes them, so a committed change always has its email, and sent by the worker
//! with retries. The rendered message is stored encrypted (it holds the address).

use crate::db::lease::{self, Queue};
use crate::db::schema::outbox;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const MESSAGE_CONTEXT: &str = "outbox.message";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub request_id: Option<String>,
    pub template: String,
    pub message_enc: String,
    /// "pending", "sent" or "failed" (gave up after the configured attempts).
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    /// Lease: a worker owns the row until then, so two workers never send it twice.
    pub claimed_until: Option<NaiveDateTime>,
    /// Error class only (no addresses, no server replies quoting them).
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &OutboxRow) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The outbox as a job queue: pending messages, in the order they fell due.
pub const QUEUE: Queue = Queue {
    table: "outbox",
    key: "id",
    lease: "claimed_until",
    due: "next_attempt_at",
    waiting: "status = 'pending'",
    on_claim: "",
    order_by: "next_attempt_at",
};

/// Takes the lease on the next due message; None when none is due or all are held.
pub fn claim_next(
    conn: &mut DbConn,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<OutboxRow>> {
    let Some(id) = lease::claim_next(conn, &QUEUE, now, until)? else {
        return Ok(None);
    };
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

pub fn mark_sent(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    mark_sent_with_body(conn, id, now, None)
}

/// Marks a message sent; with `cleared_body`, its body is replaced by that (the stub
/// of `mail::sent_bodies`) in the same statement.
pub fn mark_sent_with_body(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    cleared_body: Option<&str>,
) -> QueryResult<()> {
    let sent = (
        outbox::status.eq("sent"),
        outbox::sent_at.eq(now),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::last_error.eq(None::<String>),
    );
    let row = diesel::update(outbox::table.find(id));
    match cleared_body {
        None => row.set(sent).execute(conn),
        Some(body) => row
            .set((
                sent,
                outbox::message_enc.eq(body),
                outbox::body_cleared_at.eq(now),
            ))
            .execute(conn),
    }
    .map(|_| ())
}

pub fn mark_failed_attempt(
    conn: &mut DbConn,
    id: &str,
    error: &str,
    next_attempt_at: NaiveDateTime,
    give_up: bool,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(if give_up { "failed" } else { "pending" }),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::next_attempt_at.eq(next_attempt_at),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn count_by_status(conn: &mut DbConn, status: &str) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::status.eq(status))
        .count()
        .get_result(conn)
}
