//! SQLite WAL checkpoints off the request path.
//!
//! By default SQLite checkpoints inside whichever commit pushes the WAL past 1,000
//! pages, so one request in a few hundred pays for copying the whole WAL back into the
//! database. Connections open with automatic checkpoints off (`db::Manager`), and this
//! thread runs a PASSIVE checkpoint every second instead: it never waits for readers or
//! the writer, and the WAL is truncated to `journal_size_limit` once it has been copied.
//!
//! The thread ends when its handle (held by `AppState`) is dropped.

use super::{Backend, DbPool};
use diesel::connection::SimpleConnection;
use std::sync::mpsc;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(1);

pub struct Checkpointer {
    _stop: Option<mpsc::Sender<()>>,
}

impl Checkpointer {
    /// Starts the thread for SQLite; PostgreSQL needs nothing (a no-op handle).
    pub fn start(pool: DbPool, backend: Backend) -> std::io::Result<Checkpointer> {
        if backend != Backend::Sqlite {
            return Ok(Checkpointer { _stop: None });
        }
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    checkpoint(&pool);
                }
                // The portal is stopping: leave the WAL copied back for backups and tools.
                checkpoint(&pool);
            })?;
        Ok(Checkpointer { _stop: Some(stop) })
    }
}

fn checkpoint(pool: &DbPool) {
    // An unavailable database is retried on the next tick.
    if let Ok(mut conn) = pool.get() {
        if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
            tracing::debug!(error = %e, "WAL checkpoint skipped");
        }
    }
}
