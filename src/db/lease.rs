//! The one way a background job is claimed: a row of a queue table is taken with a
//! lease (a `claimed_until` time). The worker that holds the lease does the work; if it
//! dies, the lease lapses and the row is claimed again, so a crash delays a job but
//! never loses it. Emails, connector runs and DRP status callbacks all use this.
//!
//! A portal that stops while a thread still works on a job (`jobs::Worker::stop_by`)
//! releases that thread's lease (`release_last_claims`), so the next start takes the job
//! up at once rather than when the lease lapses. Each thread's last claim is remembered
//! for that; the release is guarded by the lease's own value, so a row the thread
//! finished, or that another instance has claimed since, is left as it is.
//!
//! The statement has one shape on both backends. PostgreSQL picks the row with
//! `FOR UPDATE SKIP LOCKED`, so several portal instances each take a different one;
//! SQLite (one instance, one writer) picks a row, then takes it with an update guarded
//! by the same condition, and looks again if another thread won the race.

use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::thread::ThreadId;

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

/// A lease this process took: which row, and the lease's value.
struct Claim {
    table: &'static str,
    key: &'static str,
    lease: &'static str,
    id: String,
    until: NaiveDateTime,
}

/// The last claim of each thread that claimed (a worker thread holds one job at a time).
static LAST_CLAIMS: Mutex<Option<HashMap<ThreadId, Claim>>> = Mutex::new(None);

fn remember(queue: &Queue, id: &str, until: NaiveDateTime) {
    let claim = Claim {
        table: queue.table,
        key: queue.key,
        lease: queue.lease,
        id: id.to_string(),
        until,
    };
    let mut last = LAST_CLAIMS.lock().unwrap_or_else(PoisonError::into_inner);
    last.get_or_insert_with(HashMap::new)
        .insert(std::thread::current().id(), claim);
}

/// Forgets the calling thread's last claim (a worker thread that ends).
pub fn forget_my_claims() {
    let mut last = LAST_CLAIMS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(map) = last.as_mut() {
        map.remove(&std::thread::current().id());
    }
}

/// Releases the last claim of each of `threads` (still busy while the portal stops) if
/// that row still holds the very lease they took; how many rows were released.
pub fn release_last_claims(conn: &mut DbConn, threads: &[ThreadId]) -> QueryResult<usize> {
    let claims: Vec<Claim> = {
        let mut last = LAST_CLAIMS.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(map) = last.as_mut() else {
            return Ok(0);
        };
        threads.iter().filter_map(|t| map.remove(t)).collect()
    };
    let mut released = 0;
    for c in claims {
        let sql = format!(
            "UPDATE {} SET {lease} = NULL WHERE {} = ? AND {lease} = ?",
            c.table,
            c.key,
            lease = c.lease
        );
        let query = |sql: &str| {
            diesel::sql_query(sql.to_string())
                .bind::<Text, _>(c.id.clone())
                .bind::<Timestamp, _>(c.until)
        };
        released += match conn {
            DbConn::Pg(pg) => query(&numbered(&sql)).execute(pg)?,
            DbConn::Sqlite(lite) => query(&sql).execute(lite)?,
        };
    }
    Ok(released)
}

/// Takes the next due row of `queue` until `until`; its key, or None when nothing is due.
/// The calling thread's claim is remembered for `release_last_claims`.
pub fn claim_next(
    conn: &mut DbConn,
    queue: &Queue,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let claimed = take_next(conn, queue, now, until)?;
    if let Some(id) = &claimed {
        remember(queue, id, until);
    }
    Ok(claimed)
}

fn take_next(
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

    /// A busy thread's claim is released; one that has since changed hands is not.
    #[test]
    fn a_thread_s_last_claim_is_released_only_while_its_lease_is_unchanged() {
        use super::{claim_next, release_last_claims};
        use crate::db::DbConn;
        use chrono::{Duration, NaiveDateTime};
        use diesel::connection::SimpleConnection;
        use diesel::prelude::*;
        let dir = tempfile::tempdir().expect("temp dir");
        let pool = crate::db::build_pool(&dir.path().join("lease.sqlite3").to_string_lossy(), 2)
            .expect("pool");
        let mut conn = pool.get().expect("conn");
        conn.batch_execute(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, attempts INTEGER \
             NOT NULL DEFAULT 0, next_at TIMESTAMP, claimed_until TIMESTAMP); \
             INSERT INTO jobs (id, status) VALUES ('a', 'pending'), ('b', 'pending');",
        )
        .expect("table");
        let lease_of = |conn: &mut DbConn, id: &str| -> Option<NaiveDateTime> {
            let DbConn::Sqlite(lite) = conn else {
                unreachable!()
            };
            #[derive(QueryableByName)]
            struct Lease {
                #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
                claimed_until: Option<NaiveDateTime>,
            }
            diesel::sql_query("SELECT claimed_until FROM jobs WHERE id = ?")
                .bind::<diesel::sql_types::Text, _>(id)
                .get_result::<Lease>(lite)
                .expect("lease")
                .claimed_until
        };
        let now = crate::clock::now();
        let me = std::thread::current().id();

        let first = claim_next(&mut conn, &SAMPLE, now, now + Duration::minutes(5)).expect("claim");
        assert!(first.is_some());
        assert_eq!(release_last_claims(&mut conn, &[me]).expect("release"), 1);
        assert_eq!(
            lease_of(&mut conn, first.as_deref().unwrap_or_default()),
            None
        );

        // Claimed again, then taken over by someone else's lease: left alone.
        let again = claim_next(&mut conn, &SAMPLE, now, now + Duration::minutes(5))
            .expect("claim")
            .expect("a row");
        let theirs = now + Duration::minutes(9);
        let DbConn::Sqlite(lite) = &mut *conn else {
            unreachable!()
        };
        diesel::sql_query("UPDATE jobs SET claimed_until = ? WHERE id = ?")
            .bind::<diesel::sql_types::Timestamp, _>(theirs)
            .bind::<diesel::sql_types::Text, _>(&again)
            .execute(lite)
            .expect("taken over");
        assert_eq!(release_last_claims(&mut conn, &[me]).expect("release"), 0);
        assert_eq!(lease_of(&mut conn, &again), Some(theirs));
    }

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
