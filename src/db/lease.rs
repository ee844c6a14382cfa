//! The one way a background job is claimed: a row of a queue table is taken with a
//! lease (a `claimed_until` time). The worker that holds the lease does the work; if it
//! dies, the lease lapses and the row is claimed again, so a crash delays a job but
//! never loses it. Emails, connector runs and DRP status callbacks all use this.
//!
//! The statement has one shape on both backends. PostgreSQL picks the row with
//! `FOR UPDATE SKIP LOCKED`, so several portal instances each take a different one;
//! SQLite (one instance, one writer) picks a row, then takes it with an update guarded
//! by the same condition, and looks again if another thread won the race.

use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

/// A table used as a job queue: which rows wait for work, and what taking one changes.
/// Every name here is a constant of the code, never a value from outside.
pub struct Queue {
    pub table: &'static str,
    pub key: &'static str,
    /// The lease: the row belongs to a worker until then.
    pub lease: &'static str,
    /// When the row is next due (NULL: due now).
    pub due: &'static str,
    /// SQL condition, without parameters, of a row that waits for work.
    pub waiting: &'static str,
    /// Assignments made by taking the row, besides the lease (e.g. counting the attempt).
    pub on_claim: &'static str,
    pub order_by: &'static str,
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    id: String,
}

impl Queue {
    /// Waits for work, is due, and no worker holds it (the two parameters: now, now).
    fn claimable(&self) -> String {
        let Queue {
            waiting,
            due,
            lease,
            ..
        } = self;
        format!(
            "({waiting}) AND ({due} IS NULL OR {due} <= ?) AND ({lease} IS NULL OR {lease} < ?)"
        )
    }

    fn set(&self) -> String {
        let extra = if self.on_claim.is_empty() {
            String::new()
        } else {
            format!(", {}", self.on_claim)
        };
        format!("UPDATE {} SET {} = ?{extra}", self.table, self.lease)
    }

    fn next_key(&self) -> String {
        let Queue {
            table,
            key,
            order_by,
            ..
        } = self;
        format!(
            "SELECT {key} AS id FROM {table} WHERE {} ORDER BY {order_by} LIMIT 1",
            self.claimable()
        )
    }
}

/// PostgreSQL numbers its parameters; the statements are written with `?`.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Takes the next due row of `queue` until `until`; its key, or None when nothing is due.
pub fn claim_next(
    conn: &mut DbConn,
    queue: &Queue,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<String>> {
    match conn {
        DbConn::Pg(pg) => {
            let sql = format!(
                "{} WHERE {} = ({} FOR UPDATE SKIP LOCKED) RETURNING {} AS id",
                queue.set(),
                queue.key,
                queue.next_key(),
                queue.key
            );
            diesel::sql_query(numbered(&sql))
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .get_result::<Claimed>(pg)
                .optional()
                .map(|c| c.map(|c| c.id))
        }
        DbConn::Sqlite(lite) => loop {
            let candidate = diesel::sql_query(queue.next_key())
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .get_result::<Claimed>(lite)
                .optional()?;
            let Some(Claimed { id }) = candidate else {
                return Ok(None);
            };
            let guarded = format!(
                "{} WHERE {} = ? AND {}",
                queue.set(),
                queue.key,
                queue.claimable()
            );
            let taken = diesel::sql_query(guarded)
                .bind::<Timestamp, _>(until)
                .bind::<Text, _>(&id)
                .bind::<Timestamp, _>(now)
                .bind::<Timestamp, _>(now)
                .execute(lite)?;
            if taken == 1 {
                return Ok(Some(id));
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{numbered, Queue};

    const SAMPLE: Queue = Queue {
        table: "jobs",
        key: "id",
        lease: "claimed_until",
        due: "next_at",
        waiting: "status = 'pending'",
        on_claim: "attempts = attempts + 1",
        order_by: "next_at",
    };

    #[test]
    fn every_queue_is_claimed_by_the_same_statement() {
        assert_eq!(
            SAMPLE.next_key(),
            "SELECT id AS id FROM jobs WHERE (status = 'pending') AND (next_at IS NULL OR \
             next_at <= ?) AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY next_at LIMIT 1"
        );
        assert_eq!(
            SAMPLE.set(),
            "UPDATE jobs SET claimed_until = ?, attempts = attempts + 1"
        );
        assert_eq!(numbered("a = ? AND b < ?"), "a = $1 AND b < $2");
    }
}
