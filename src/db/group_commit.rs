//! Group commit for intake: the requests that arrive while a commit is under way wait for
//! a writer thread, which runs them together in a single transaction, each in its own
//! savepoint, and commits once.
//!
//! Why: run one per transaction, the commit (PostgreSQL's WAL flush, SQLite's lock
//! handover between threads) dominates; run together, it is paid once per batch.
//!
//! The audit chain: a batch's events are kept in memory while its jobs run
//! (`audit::Deferred`) and chained in one statement just before the commit, so the
//! `audit_head` lock is the batch's last lock and is held only for that write and the
//! commit. On PostgreSQL several writers therefore run batches side by side on their own
//! connections, and only the chaining is one at a time; on SQLite, which has one write
//! lock, there is one writer. Jobs carrying the same key (a submission key) always go to
//! the same writer, so a retried submission runs after the first one, sees it and is
//! answered with it instead of racing it into the unique index.
//!
//! What a caller is promised is unchanged: it is answered only after its work committed,
//! with its own result. A job that fails rolls back to its savepoint (its audit events
//! are forgotten with it) and leaves the rest of the batch alone; a failed commit fails
//! every job of the batch, and none of them is told it succeeded. A job that panics
//! aborts its batch, and the connection is thrown away (its transaction is left open,
//! which the pool treats as broken).

use super::models::audit::{self, Deferred};
use super::{write_tx, Backend, DbConn, DbPool};
use crate::error::AppError;
use diesel::Connection;
use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// At most this many jobs share one transaction, so the first of them waits for at most
/// this many others.
const MAX_BATCH: usize = 32;

/// PostgreSQL writers at most: beyond this the chaining, one at a time, is the limit.
const MAX_PG_WRITERS: u32 = 4;

/// Runs after the batch's commit with its outcome.
type Deliver = Box<dyn FnOnce(Result<(), AppError>) + Send>;
/// Runs the job on the batch's connection (None: no connection could be had); says
/// whether its savepoint was kept.
type Job = Box<dyn FnOnce(Option<&mut DbConn>) -> (bool, Deliver) + Send>;

/// The handle to the writer threads; cheap to share.
pub struct GroupWriter {
    writers: Vec<mpsc::Sender<Job>>,
    /// For jobs without a key: the next writer in turn.
    turn: AtomicUsize,
}

impl GroupWriter {
    /// Starts the writer threads: one on SQLite; on PostgreSQL one per four pooled
    /// connections, at least one and at most `MAX_PG_WRITERS`, so that reads keep most
    /// of the pool. They end when the handle is dropped.
    pub fn start(pool: DbPool, backend: Backend) -> std::io::Result<GroupWriter> {
        let count = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => (pool.max_size() / 4).clamp(1, MAX_PG_WRITERS),
        };
        let mut writers = Vec::new();
        for n in 0..count {
            let (jobs, queue) = mpsc::channel::<Job>();
            let pool = pool.clone();
            std::thread::Builder::new()
                .name(format!("group-commit-{n}"))
                .spawn(move || writer_loop(&pool, backend, &queue))?;
            writers.push(jobs);
        }
        Ok(GroupWriter {
            writers,
            turn: AtomicUsize::new(0),
        })
    }

    /// Runs `f` in a batch's transaction and returns its result once the batch has
    /// committed. Jobs with the same `key` run on the same writer, one after the other.
    pub async fn run<T, F>(&self, key: Option<&str>, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, AppError>>();
        let job: Job = Box::new(move |conn| {
            let Some(conn) = conn else {
                return (
                    false,
                    Box::new(move |_| {
                        let _ = reply.send(Err(AppError::Unavailable));
                    }),
                );
            };
            // A nested transaction is a savepoint: a failure undoes this job alone.
            let outcome = conn.transaction(f);
            (
                outcome.is_ok(),
                Box::new(move |committed| {
                    let _ = reply.send(committed.and(outcome));
                }),
            )
        });
        let writer = match key {
            Some(key) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                key.hash(&mut h);
                (h.finish() % self.writers.len() as u64) as usize
            }
            None => self.turn.fetch_add(1, Ordering::Relaxed) % self.writers.len(),
        };
        self.writers[writer]
            .send(job)
            .map_err(|_| AppError::internal(anyhow::anyhow!("the group-commit writer stopped")))?;
        answer.await.map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "a job in the same commit batch failed unexpectedly"
            ))
        })?
    }
}

fn writer_loop(pool: &DbPool, backend: Backend, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(pool, backend, batch);
    }
}

/// The batch's transaction. SQLite: `write_tx`, a writer from its first statement (one
/// write lock, held by this one writer anyway). PostgreSQL: a plain transaction; the
/// audit lock comes last, in `audit::chain`.
fn batch_tx(
    conn: &mut DbConn,
    backend: Backend,
    f: impl FnOnce(&mut DbConn) -> Result<(), AppError>,
) -> Result<(), AppError> {
    match backend {
        Backend::Sqlite => write_tx(conn, f),
        Backend::Postgres => conn.transaction(f),
    }
}

fn run_batch(pool: &DbPool, backend: Backend, batch: Vec<Job>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(_) => {
            for job in batch {
                job(None).1(Err(AppError::Unavailable));
            }
            return;
        }
    };
    let mut delivers: Vec<Deliver> = Vec::with_capacity(batch.len());
    let ran = catch_unwind(AssertUnwindSafe(|| {
        batch_tx(&mut conn, backend, |c| {
            let deferred = Deferred::start();
            for job in batch {
                let mark = deferred.mark();
                let (kept, deliver) = job(Some(c));
                if !kept {
                    deferred.undo_to(mark);
                }
                delivers.push(deliver);
            }
            audit::chain(c, deferred.take())?;
            Ok(())
        })
    }));
    let committed = match ran {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            tracing::error!("a job panicked inside a commit batch; the batch was abandoned");
            Err(AppError::internal(anyhow::anyhow!(
                "commit batch abandoned"
            )))
        }
    };
    for deliver in delivers {
        deliver(match &committed {
            Ok(()) => Ok(()),
            Err(AppError::Unavailable) => Err(AppError::Unavailable),
            Err(_) => Err(AppError::internal(anyhow::anyhow!(
                "the commit of this request's batch failed"
            ))),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{build_pool, run_migrations};
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::BigInt;
    use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
    use std::time::Duration;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn setup() -> (tempfile::TempDir, DbPool) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("db.sqlite3").display().to_string();
        let pool = build_pool(&url, 4).expect("pool");
        let mut conn = pool.get().expect("conn");
        run_migrations(&mut conn).expect("migrations");
        conn.batch_execute("CREATE TABLE scratch (v INTEGER NOT NULL UNIQUE)")
            .expect("table");
        (dir, pool)
    }

    fn insert(conn: &mut DbConn, v: i64) -> Result<i64, AppError> {
        diesel::sql_query(format!("INSERT INTO scratch (v) VALUES ({v})")).execute(conn)?;
        Ok(v)
    }

    fn stored(pool: &DbPool, v: i64) -> bool {
        let mut conn = pool.get().expect("conn");
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM scratch WHERE v = {v}"))
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
            == 1
    }

    /// Holds the writer busy so that the jobs sent meanwhile share the next batch.
    async fn hold_writer(writer: &GroupWriter) {
        writer
            .run(None, |_| {
                std::thread::sleep(Duration::from_millis(200));
                Ok(())
            })
            .await
            .expect("hold");
    }

    /// Sends the jobs once the writer has taken up the holding job.
    async fn after_hold<F: std::future::Future>(jobs: impl Iterator<Item = F>) -> Vec<F::Output> {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        futures_util::future::join_all(jobs).await
    }

    #[actix_web::test]
    async fn a_failing_job_is_undone_alone_and_the_rest_of_its_batch_commits() {
        let (_dir, pool) = setup();
        let writer = GroupWriter::start(pool.clone(), crate::db::Backend::Sqlite).expect("writer");
        let hold = hold_writer(&writer);
        let jobs = (1..=10).map(|v| {
            writer.run(None, move |conn| {
                insert(conn, v)?;
                if v == 5 {
                    // Its own insert happened; the savepoint must undo it.
                    return Err(AppError::BadRequest(crate::i18n::msg(
                        "errors.unknown_action",
                    )));
                }
                Ok(v)
            })
        });
        let (_, results) = futures_util::future::join(hold, after_hold(jobs)).await;
        for (v, result) in (1..=10).zip(results) {
            if v == 5 {
                assert!(
                    matches!(result, Err(AppError::BadRequest(_))),
                    "{v}: {result:?}"
                );
                assert!(!stored(&pool, v), "the failed job's write was kept");
            } else {
                assert_eq!(result.expect("committed"), v);
                assert!(stored(&pool, v), "{v} was answered but not stored");
            }
        }
    }

    #[actix_web::test]
    async fn a_failing_jobs_audit_events_are_forgotten_and_the_rest_are_chained_in_order() {
        let (_dir, pool) = setup();
        let writer = GroupWriter::start(pool.clone(), crate::db::Backend::Sqlite).expect("writer");
        let hold = hold_writer(&writer);
        let jobs = (1..=6).map(|v| {
            writer.run(None, move |conn| {
                let event = |n: i64| serde_json::json!({ "job": v, "n": n });
                let now = crate::clock::now();
                audit::append_portal_event(conn, "system", "test_event", event(1), now)?;
                // Through a nested write_tx too, as the flows do.
                write_tx(conn, |c| {
                    audit::append_portal_event(c, "system", "test_event", event(2), now)
                })?;
                if v == 4 {
                    return Err(AppError::Conflict(crate::i18n::msg(
                        "errors.unknown_action",
                    )));
                }
                Ok(v)
            })
        });
        let (_, results) = futures_util::future::join(hold, after_hold(jobs)).await;
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
        let mut conn = pool.get().expect("conn");
        let details: Vec<String> = crate::db::schema::audit_events::table
            .order(crate::db::schema::audit_events::seq.asc())
            .select(crate::db::schema::audit_events::detail)
            .load(&mut conn)
            .expect("events");
        let expected: Vec<String> = [1, 2, 3, 5, 6]
            .iter()
            .flat_map(|v| [1, 2].map(|n| serde_json::json!({ "job": v, "n": n }).to_string()))
            .collect();
        assert_eq!(
            details, expected,
            "the failed job's events were kept, or the order moved"
        );
        assert_eq!(audit::verify_chain(&mut conn).expect("walk"), Ok(10));
        // Deferring ended with the batch: an event outside one is written at once.
        assert!(!audit::deferring());
    }

    #[actix_web::test]
    async fn a_panicking_job_fails_its_whole_batch_and_the_writer_goes_on() {
        let (_dir, pool) = setup();
        let writer = GroupWriter::start(pool.clone(), crate::db::Backend::Sqlite).expect("writer");
        let hold = hold_writer(&writer);
        let jobs = (1..=4).map(|v| {
            writer.run(None, move |conn| {
                insert(conn, v)?;
                if v == 3 {
                    panic!("a bug in one job");
                }
                Ok(v)
            })
        });
        let (_, results) = futures_util::future::join(hold, after_hold(jobs)).await;
        for (v, result) in (1..=4).zip(results) {
            // Nothing of the abandoned batch is committed, so no one may be told otherwise.
            assert!(result.is_err(), "{v} was told it committed: {result:?}");
            assert!(!stored(&pool, v), "{v} was stored from an abandoned batch");
        }
        assert_eq!(
            writer
                .run(None, |conn| insert(conn, 99))
                .await
                .expect("after"),
            99
        );
        assert!(stored(&pool, 99));
    }

    #[actix_web::test]
    async fn with_no_database_every_job_is_told_unavailable() {
        let (_dir, pool) = setup();
        let writer = GroupWriter::start(pool.clone(), crate::db::Backend::Sqlite).expect("writer");
        // Every pooled connection taken: the writer cannot get one within the timeout.
        let _taken: Vec<_> = (0..4).map(|_| pool.get().expect("conn")).collect();
        let result = writer.run(None, |conn| insert(conn, 1)).await;
        assert!(matches!(result, Err(AppError::Unavailable)), "{result:?}");
    }
}
