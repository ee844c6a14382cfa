//! SQLite WAL checkpoints off the request path, and a WAL file that stays small.
//!
//! By default SQLite checkpoints inside whichever commit pushes the WAL past 1,000
//! pages, so one request in a few hundred pays for copying the whole WAL back into the
//! database. Connections open with automatic checkpoints off (`db::Manager`), and this
//! thread runs a PASSIVE checkpoint every second instead: it never waits for readers or
//! the writer.
//!
//! A PASSIVE checkpoint copies pages back but never starts the WAL over, and the next
//! writer starts it over only when no reader still reads from it. Under sustained load
//! some reader always does, so the file grew without end (2.23 GB beside a 759 MB
//! database after 108,000 intakes); `journal_size_limit` did not help, as it acts only
//! when the WAL starts over. So when the file passes `RESET_AT` this thread runs a
//! TRUNCATE checkpoint while it holds the in-process writer queue (`db::queued_write`):
//! no writer of ours appends meanwhile, the readers still using the WAL finish their
//! short reads, readers that start meanwhile read the database file (the WAL is all
//! copied back), and the file is cut to 0 bytes. A PASSIVE pass just before does the
//! copying without holding anyone up, so the writers wait only for the rest. Its busy
//! wait is short (`RESET_WAIT_MS`): a long reader (a backup) makes it give up and try
//! again later rather than hold every writer.
//!
//! `stop` (after the HTTP server and the workers have stopped) ends the thread with the
//! same TRUNCATE checkpoint, so a stopped portal leaves an empty `-wal` file.

use super::{queued_write, Backend, DbConn, DbPool, BUSY_TIMEOUT_MS};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the WAL file's size is looked at (a `stat`, nothing more).
const TICK: Duration = Duration::from_millis(100);
/// How often a PASSIVE checkpoint runs.
const PASSIVE_EVERY: Duration = Duration::from_secs(1);
/// A WAL file larger than this is checkpointed and truncated. Intake at full speed
/// writes about 40 MB of WAL a second, so the file stays below the 64 MiB of
/// `journal_size_limit` with room for a tick and the truncation itself.
pub const RESET_AT: u64 = 16 * 1024 * 1024;
/// How long a truncation waits for readers still on the WAL, our writers held meanwhile.
const RESET_WAIT_MS: u32 = 250;
/// After a truncation that found a reader it could not wait for, the next try waits this.
const RESET_RETRY: Duration = Duration::from_secs(1);
/// At stop nobody is served any more: the last truncation may wait longer.
const FINAL_WAIT_MS: u32 = 1_000;

pub struct Checkpointer {
    running: Mutex<Option<(mpsc::Sender<()>, JoinHandle<()>)>>,
}

impl Checkpointer {
    /// Starts the thread for SQLite; PostgreSQL needs nothing (a no-op handle).
    pub fn start(pool: DbPool, backend: Backend) -> std::io::Result<Checkpointer> {
        if backend != Backend::Sqlite {
            return Ok(Checkpointer {
                running: Mutex::new(None),
            });
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || run(&pool, &stopped))?;
        Ok(Checkpointer {
            running: Mutex::new(Some((stop, thread))),
        })
    }

    /// Ends the thread after a last TRUNCATE checkpoint and waits for it. For the end of
    /// the process, once nothing writes any more; a second call does nothing.
    pub fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some((stop, thread)) = running {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }
}

fn run(pool: &DbPool, stopped: &mpsc::Receiver<()>) {
    let wal = wal_file(pool);
    let mut last_passive = Instant::now();
    let mut next_reset = Instant::now();
    // Ends on `stop` or when the handle is dropped.
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
        let now = Instant::now();
        if now >= next_reset && wal.as_deref().map_or(0, file_size) > RESET_AT {
            if !reset(pool, RESET_WAIT_MS) {
                next_reset = now + RESET_RETRY;
            }
            last_passive = Instant::now();
        } else if now.duration_since(last_passive) >= PASSIVE_EVERY {
            passive(pool);
            last_passive = Instant::now();
        }
    }
    // The portal is stopping: leave the WAL copied back and empty, for backups and tools.
    if !reset(pool, FINAL_WAIT_MS) {
        tracing::warn!("the WAL could not be emptied at stop; the next start copies it back");
    }
}

/// The database's `-wal` file, from the connection itself (None for `:memory:`).
fn wal_file(pool: &DbPool) -> Option<PathBuf> {
    #[derive(QueryableByName)]
    struct Attached {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        file: String,
    }
    let mut conn = pool.get().ok()?;
    let DbConn::Sqlite(lite) = &mut *conn else {
        return None;
    };
    let attached = diesel::sql_query("PRAGMA database_list")
        .load::<Attached>(lite)
        .ok()?;
    let main = attached.into_iter().find(|a| a.name == "main")?;
    (!main.file.is_empty()).then(|| PathBuf::from(format!("{}-wal", main.file)))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn passive(pool: &DbPool) {
    // An unavailable database is retried on the next tick.
    if let Ok(mut conn) = pool.get() {
        if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
            tracing::debug!(error = %e, "WAL checkpoint skipped");
        }
    }
}

/// Copies the WAL back and truncates it to 0 bytes, waiting at most `wait_ms` for readers
/// still on it while our writers queue; whether it got there.
fn reset(pool: &DbPool, wait_ms: u32) -> bool {
    let Ok(mut conn) = pool.get() else {
        return false;
    };
    // Copy what is there without holding anyone up; the truncation then has little left.
    if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
        tracing::debug!(error = %e, "WAL checkpoint skipped");
        return false;
    }
    let asked = Instant::now();
    let mut queued_ms = 0;
    let outcome = queued_write(&mut conn, |c| {
        // From here until the end of this closure our writers wait.
        let held = Instant::now();
        queued_ms = held.duration_since(asked).as_millis();
        let done = truncate(c, wait_ms);
        let held_ms = held.elapsed().as_millis();
        (done, held_ms)
    });
    match outcome {
        (Ok(done), held_ms) => {
            tracing::debug!(
                done,
                queued_ms = queued_ms as u64,
                writers_held_ms = held_ms as u64,
                "WAL truncation"
            );
            done
        }
        (Err(e), _) => {
            tracing::debug!(error = %e, "WAL truncation failed");
            false
        }
    }
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` with a busy wait of `wait_ms`; whether it completed.
fn truncate(conn: &mut DbConn, wait_ms: u32) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Checkpointed {
        #[diesel(sql_type = Integer)]
        busy: i32,
    }
    let DbConn::Sqlite(lite) = conn else {
        return Ok(true);
    };
    lite.batch_execute(&format!("PRAGMA busy_timeout = {wait_ms};"))?;
    let outcome =
        diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result::<Checkpointed>(lite);
    // The pooled connection goes back with the wait every other statement expects.
    lite.batch_execute(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};"))?;
    outcome.map(|c| c.busy == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Sustained writes with a reader that keeps read transactions open on and off:
    /// PASSIVE checkpoints alone let the file grow past everything written (80 MiB) and
    /// keep it that size; the truncations bring it back under `RESET_AT`.
    #[test]
    fn the_wal_file_is_brought_back_under_the_bound_while_a_reader_comes_and_goes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("wal.sqlite3");
        let url = path.to_string_lossy().to_string();
        let pool = crate::db::build_pool(&url, 4).expect("pool");
        pool.get()
            .expect("conn")
            .batch_execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL);")
            .expect("table");
        let checkpointer = Checkpointer::start(pool.clone(), Backend::Sqlite).expect("start");
        let wal = PathBuf::from(format!("{url}-wal"));

        let writing = Arc::new(AtomicBool::new(true));
        let reader = {
            let (pool, writing) = (pool.clone(), writing.clone());
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("reader");
                while writing.load(Ordering::SeqCst) {
                    conn.batch_execute("BEGIN; SELECT count(*) FROM blobs;")
                        .expect("read");
                    std::thread::sleep(Duration::from_millis(30));
                    conn.batch_execute("COMMIT;").expect("end read");
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        let mut conn = pool.get().expect("writer");
        let body = vec![7u8; 64 * 1024];
        for _ in 0..1280 {
            queued_write(&mut conn, |c| {
                let DbConn::Sqlite(lite) = c else {
                    unreachable!()
                };
                diesel::sql_query("INSERT INTO blobs (body) VALUES (?)")
                    .bind::<diesel::sql_types::Binary, _>(&body)
                    .execute(lite)
            })
            .expect("insert");
        }
        writing.store(false, Ordering::SeqCst);
        reader.join().expect("reader ends");

        let deadline = Instant::now() + Duration::from_secs(30);
        while file_size(&wal) > RESET_AT {
            assert!(
                Instant::now() < deadline,
                "the WAL stayed at {} bytes",
                file_size(&wal)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let rows: i64 = {
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let DbConn::Sqlite(lite) = &mut *conn else {
                unreachable!()
            };
            diesel::sql_query("SELECT count(*) AS n FROM blobs")
                .get_result::<Count>(lite)
                .expect("count")
                .n
        };
        assert_eq!(rows, 1280, "nothing written was lost");

        drop(conn);
        checkpointer.stop();
        assert_eq!(file_size(&wal), 0, "stopped: the WAL is empty");
    }
}
