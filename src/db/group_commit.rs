//! Group commit for intake: the requests that arrive while a commit is under way wait for
//! one writer thread, which runs them together in a single write transaction, each in its
//! own savepoint, and commits once.
//!
//! Why: every audited change takes the `audit_head` lock (and on SQLite the database's
//! single write lock) for the whole of its transaction, so intakes run one at a time.
//! Run one per transaction, the commit (PostgreSQL's WAL flush, SQLite's lock handover
//! between threads) dominates; run together, it is paid once per batch.
//!
//! What a caller is promised is unchanged: it is answered only after its work committed,
//! with its own result. A job that fails rolls back to its savepoint and leaves the rest
//! of the batch alone; a failed commit fails every job of the batch, and none of them is
//! told it succeeded. A job that panics aborts its batch, and the connection is thrown
//! away (its transaction is left open, which the pool treats as broken).

use super::{write_tx, DbConn, DbPool};
use crate::error::AppError;
use diesel::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// At most this many jobs share one transaction, so the first of them waits for at most
/// this many others.
const MAX_BATCH: usize = 32;

/// Runs after the batch's commit with its outcome.
type Deliver = Box<dyn FnOnce(Result<(), AppError>) + Send>;
/// Runs the job on the batch's connection (None: no connection could be had).
type Job = Box<dyn FnOnce(Option<&mut DbConn>) -> Deliver + Send>;

/// The handle to the writer thread; cheap to share.
pub struct GroupWriter {
    jobs: mpsc::Sender<Job>,
}

impl GroupWriter {
    /// Starts the writer thread. It ends when the last handle is dropped.
    pub fn start(pool: DbPool) -> std::io::Result<GroupWriter> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("group-commit".into())
            .spawn(move || writer_loop(&pool, &queue))?;
        Ok(GroupWriter { jobs })
    }

    /// Runs `f` in the next batch's transaction (inside `write_tx`, so it holds the audit
    /// lock) and returns its result once the batch has committed.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Result<T, AppError>>();
        let job: Job = Box::new(move |conn| {
            let Some(conn) = conn else {
                return Box::new(move |_| {
                    let _ = reply.send(Err(AppError::Unavailable));
                });
            };
            // A nested transaction is a savepoint: a failure undoes this job alone.
            let outcome = conn.transaction(f);
            Box::new(move |committed| {
                let _ = reply.send(committed.and(outcome));
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::internal(anyhow::anyhow!("the group-commit writer stopped")))?;
        answer.await.map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "a job in the same commit batch failed unexpectedly"
            ))
        })?
    }
}

fn writer_loop(pool: &DbPool, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(pool, batch);
    }
}

fn run_batch(pool: &DbPool, batch: Vec<Job>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(_) => {
            for job in batch {
                job(None)(Err(AppError::Unavailable));
            }
            return;
        }
    };
    let mut delivers: Vec<Deliver> = Vec::with_capacity(batch.len());
    let ran = catch_unwind(AssertUnwindSafe(|| {
        write_tx(&mut conn, |c| {
            for job in batch {
                delivers.push(job(Some(c)));
            }
            Ok::<(), AppError>(())
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
    use diesel::RunQueryDsl;
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
            .run(|_| {
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
        let writer = GroupWriter::start(pool.clone()).expect("writer");
        let hold = hold_writer(&writer);
        let jobs = (1..=10).map(|v| {
            writer.run(move |conn| {
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
    async fn a_panicking_job_fails_its_whole_batch_and_the_writer_goes_on() {
        let (_dir, pool) = setup();
        let writer = GroupWriter::start(pool.clone()).expect("writer");
        let hold = hold_writer(&writer);
        let jobs = (1..=4).map(|v| {
            writer.run(move |conn| {
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
            writer.run(|conn| insert(conn, 99)).await.expect("after"),
            99
        );
        assert!(stored(&pool, 99));
    }

    #[actix_web::test]
    async fn with_no_database_every_job_is_told_unavailable() {
        let (_dir, pool) = setup();
        let writer = GroupWriter::start(pool.clone()).expect("writer");
        // Every pooled connection taken: the writer cannot get one within the timeout.
        let _taken: Vec<_> = (0..4).map(|_| pool.get().expect("conn")).collect();
        let result = writer.run(|conn| insert(conn, 1)).await;
        assert!(matches!(result, Err(AppError::Unavailable)), "{result:?}");
    }
}
