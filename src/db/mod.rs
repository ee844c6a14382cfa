//! Database access: one connection type for SQLite and PostgreSQL, the pool, migrations
//! and the write-transaction rule.
//!
//! Functions in `models` take `&mut DbConn` so the caller owns the transaction; handlers
//! run them inside `web::block` because diesel is blocking.

/// Multi-row INSERTs of the slice `rows` into `table`, `per_statement` rows at a time,
/// with `?` on each. Diesel's multi-backend connection has no multi-row INSERT, so each
/// backend's own connection is used (inside whatever transaction is open on it). The
/// rows' type needs `#[diesel(treat_none_as_default_value = false)]` for SQLite, which
/// has no DEFAULT keyword.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, $per_statement:expr) => {
        for part in $rows.chunks($per_statement) {
            match &mut *$conn {
                $crate::db::DbConn::Pg(c) => diesel::insert_into($table).values(part).execute(c)?,
                $crate::db::DbConn::Sqlite(c) => {
                    diesel::insert_into($table).values(part).execute(c)?
                }
            };
        }
    };
}
pub(crate) use insert_rows;

pub mod checkpointer;
pub mod free_pages;
pub mod group_commit;
pub mod lease;
pub mod models;
pub mod schema;
pub mod text_enum;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

/// The portal's connection: every query is written once against this type.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// PostgreSQL only for an explicit postgres URL; anything else is a SQLite path.
    /// (diesel's derived `establish` tries backends in turn, which would turn a
    /// mistyped or unreachable PostgreSQL URL into a stray SQLite file.)
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// How long a SQLite statement waits for a lock held elsewhere before failing.
pub const BUSY_TIMEOUT_MS: u32 = 15_000;

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// r2d2 manager that opens exactly the backend the URL names and applies the
/// per-connection SQLite settings.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        use diesel::r2d2::Error;
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(Error::ConnectionError),
            Backend::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").unwrap_or(&self.url);
                let mut conn =
                    diesel::SqliteConnection::establish(path).map_err(Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; busy_timeout makes writers
                // queue instead of failing; foreign keys are off by default in SQLite.
                // busy_timeout comes first so that the pragmas after it wait for a
                // concurrent opener instead of failing with "database is locked".
                // Checkpoints run in `checkpointer`, not inside a request's commit; it
                // also keeps the WAL file small. journal_size_limit caps what a WAL
                // that starts over keeps of its file.
                // Reading through a memory map shares the operating system's page
                // cache between connections instead of copying pages into each one.
                // auto_vacuum takes effect only on a file that has no table yet (a new
                // database; on any other it changes nothing), and must come before
                // the switch to WAL: free pages can then be given back (`free_pages`).
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA auto_vacuum = INCREMENTAL; \
                     PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864; \
                     PRAGMA mmap_size = 268435456;",
                ))
                .map_err(Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Builds the pool. Connection errors surface later as 503s, so a database that is
/// down at start does not stop the portal from coming up once it returns.
pub fn build_pool(url: &str, max_size: u32) -> anyhow::Result<DbPool> {
    let backend = Backend::from_url(url);
    let manager = Manager {
        url: url.to_string(),
        backend,
    };
    Pool::builder()
        .max_size(max_size)
        // Open connections on demand: a first start on an empty SQLite file then does
        // not race several openers against the switch to WAL.
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        .build(manager)
        .with_context(|| match backend {
            Backend::Postgres => "could not connect to PostgreSQL (check DATABASE_URL)".to_string(),
            Backend::Sqlite => format!("could not open the SQLite database at {url}"),
        })
}

/// Applies pending migrations for the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
            .len(),
        DbConn::Pg(c) => {
            // Several portal instances may start at once on one PostgreSQL: only one
            // migrates, the others wait and then find nothing left to do.
            c.batch_execute("SELECT pg_advisory_lock(4217301)")?;
            let result = c
                .run_pending_migrations(PG_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
            c.batch_execute("SELECT pg_advisory_unlock(4217301)")?;
            result?
        }
    };
    Ok(applied)
}

/// Runs `f` in a transaction whose first statement takes the write lock.
///
/// Every audited change goes through here. Locking the single `audit_head` row first
/// gives the audit hash chain one order on PostgreSQL, and on SQLite it makes the
/// transaction a writer from its first statement, so the busy timeout applies instead
/// of a deferred read-then-write failing with SQLITE_BUSY.
///
/// On SQLite the writers of this process also queue on a mutex first. SQLite's busy
/// handler polls with sleeps of up to 100 ms, so a writer that found the lock taken
/// often slept long after it was free; the mutex hands it over at once. (Other
/// processes, such as a CLI command, still meet the busy handler.)
///
/// Inside a group-commit job (`audit::deferring()`), `f` just runs: the batch already
/// has a transaction, the job's savepoint undoes all of its work on an error, and the
/// audit lock is taken last, by the batch (`db::group_commit`).
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use schema::audit_head::dsl::*;
    if models::audit::deferring() {
        return f(conn);
    }
    queued_write(conn, |conn| {
        conn.transaction(|c| {
            diesel::update(audit_head.filter(id.eq(1)))
                .set(seq.eq(seq))
                .execute(c)?;
            f(c)
        })
    })
}

/// Runs a write that needs no audit (the outbox's bookkeeping, say) behind the same
/// in-process SQLite writer queue as `write_tx`; on PostgreSQL it just runs `f`.
pub fn queued_write<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> T) -> T {
    let _writer = match conn {
        DbConn::Sqlite(_) => sqlite_writer::lock(),
        DbConn::Pg(_) => None,
    };
    f(conn)
}

/// The process-wide SQLite write mutex, re-entrant per thread, so a `write_tx` nested in
/// another (a savepoint, as in group commit) does not wait for itself.
mod sqlite_writer {
    use std::cell::Cell;
    use std::sync::{Mutex, MutexGuard};

    static WRITER: Mutex<()> = Mutex::new(());

    thread_local! {
        static HELD: Cell<bool> = const { Cell::new(false) };
    }

    pub struct Held {
        _guard: MutexGuard<'static, ()>,
    }

    impl Drop for Held {
        fn drop(&mut self) {
            HELD.with(|h| h.set(false));
        }
    }

    /// None when this thread already holds it.
    pub fn lock() -> Option<Held> {
        if HELD.with(Cell::get) {
            return None;
        }
        // A writer that panicked leaves nothing to repair: its transaction rolled back.
        let guard = WRITER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        HELD.with(|h| h.set(true));
        Some(Held { _guard: guard })
    }
}
