//! MySQL and MariaDB for the SQL connector, over the pure-Rust `mysql_async` driver.
//!
//! The database is the one named in the URL. How values compare:
//! - text columns compare by their collation: a `_ci` collation folds case and ignores
//!   trailing spaces, so `Compare::Exact` can return look-alikes, which the engine
//!   filters by the text form afterwards; `Compare::FoldCase` on a `_ci` column is a
//!   plain `IN (…)` (the index stays usable), on any other collation `LOWER(column)`;
//! - BINARY, VARBINARY, BLOB and BIT columns have lowercase hex as their text form and
//!   are compared through `UNHEX(?)`;
//! - everything else is bound as text and converted by the server.
//!
//! Erasure runs in one InnoDB transaction. Tables that cannot roll back (MyISAM, Aria,
//! MEMORY…) and MariaDB's system-versioned tables (which keep every deleted row in their
//! history) are refused before anything is written.
//!
//! `row.unwrap()` in these files is mysql_async's `Row::unwrap`, which turns a row into
//! its values; it is not `Option::unwrap`.
//!
//! One idea a file: `catalogue.rs` (information_schema into `Schema`), `sql.rs` (quoting
//! and statements, pure), `values.rs` (a row into `FoundRow`), `select.rs`, `apply.rs`,
//! `errors.rs` (error wording), and this file (the synchronous trait over the async
//! driver).

mod apply;
mod catalogue;
mod errors;
mod select;
mod sql;
mod values;

use super::backend::{BackendKind, Compare, FoundRow, SqlBackend, Step};
use super::schema::Schema;
use crate::connectors::ConnectorError;
use catalogue::Catalogue;
use errors::db_error;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Pool};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::runtime::Runtime;

/// Only connecting is bounded here: an unreachable server becomes a retryable error
/// instead of a hang. Statements are bounded by the server's lock wait timeouts.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The `SqlBackend` for `mysql://` and `mariadb://` URLs.
///
/// The trait is synchronous, so each instance owns a single-threaded tokio runtime and
/// blocks on it for every call: call it (and drop it) from a plain thread, never from
/// inside an async runtime.
pub struct MySqlBackend {
    pool: Pool,
    /// The catalogue as last read: names in statements are resolved against it, and it
    /// is read again when a name is missing (the schema may have changed since).
    catalogue: Mutex<Option<Arc<Catalogue>>>,
    /// Taken out only in `drop`, to shut it down without blocking when that happens
    /// inside another runtime.
    rt: Option<Runtime>,
}

impl MySqlBackend {
    /// Parses the URL and prepares to connect; connects only when first used, so that
    /// the portal starts while the database is down. `_schema` is not used: MySQL's
    /// schema is the database the URL names.
    pub fn open(url: &str, _schema: Option<&str>) -> Result<Self, ConnectorError> {
        let url = match url.strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}"),
            None => url.to_string(),
        };
        // The parser's own error text could echo the password, so it is not passed on.
        let opts = Opts::from_url(&url).map_err(|_| {
            ConnectorError::Permanent("the database URL is not a valid mysql:// URL".into())
        })?;
        if opts.db_name().is_none_or(str::is_empty) {
            return Err(ConnectorError::Permanent(
                "the database URL must name the database after the host \
                 (mysql://user@host/database)"
                    .into(),
            ));
        }
        // Rows matched rather than rows changed, as PostgreSQL and SQLite count them, so
        // an update's count does not depend on whether the row already held the value.
        let opts = OptsBuilder::from_opts(opts).client_found_rows(true);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                ConnectorError::Permanent(format!("cannot start the database client: {e}"))
            })?;
        Ok(MySqlBackend {
            pool: Pool::new(opts),
            catalogue: Mutex::new(None),
            rt: Some(rt),
        })
    }

    async fn connect(&self) -> Result<Conn, ConnectorError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, self.pool.get_conn()).await {
            Ok(conn) => conn.map_err(db_error),
            Err(_) => Err(ConnectorError::Temporary(
                "timed out connecting to the database".into(),
            )),
        }
    }

    fn run<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ConnectorError>>,
    ) -> Result<T, ConnectorError> {
        match &self.rt {
            Some(rt) => rt.block_on(work),
            None => Err(ConnectorError::Temporary(
                "the database client is shutting down".into(),
            )),
        }
    }

    /// The cached catalogue, read first if there is none yet.
    async fn cached(&self, conn: &mut Conn) -> Result<Arc<Catalogue>, ConnectorError> {
        let kept = self.catalogue.lock().ok().and_then(|c| c.clone());
        match kept {
            Some(catalogue) => Ok(catalogue),
            None => self.reread(conn).await,
        }
    }

    /// Reads the catalogue again and keeps it.
    async fn reread(&self, conn: &mut Conn) -> Result<Arc<Catalogue>, ConnectorError> {
        let catalogue = Arc::new(catalogue::read(conn).await?);
        if let Ok(mut kept) = self.catalogue.lock() {
            *kept = Some(catalogue.clone());
        }
        Ok(catalogue)
    }
}

impl SqlBackend for MySqlBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::MySql
    }

    fn ping(&self) -> Result<(), ConnectorError> {
        self.run(async {
            let mut conn = self.connect().await?;
            conn.query_drop("SELECT 1").await.map_err(db_error)
        })
    }

    fn introspect(&self) -> Result<Schema, ConnectorError> {
        self.run(async {
            let mut conn = self.connect().await?;
            Ok(self.reread(&mut conn).await?.schema.clone())
        })
    }

    fn select(
        &self,
        table: &str,
        column: &str,
        values: &[String],
        compare: Compare,
        limit: usize,
    ) -> Result<Vec<FoundRow>, ConnectorError> {
        self.run(self.select_async(table, column, values, compare, limit))
    }

    fn apply(&self, steps: &[Step]) -> Result<Vec<u64>, ConnectorError> {
        self.run(self.apply_async(steps))
    }
}

impl Drop for MySqlBackend {
    fn drop(&mut self) {
        let Some(rt) = self.rt.take() else { return };
        // Inside another runtime neither blocking nor a plain runtime drop is allowed:
        // let it wind down in the background.
        if tokio::runtime::Handle::try_current().is_ok() {
            rt.shutdown_background();
            return;
        }
        // Otherwise close pooled connections cleanly instead of leaving the server to
        // notice aborted ones. The timer must be created inside the runtime.
        let pool = self.pool.clone();
        let _ = rt.block_on(async move {
            tokio::time::timeout(Duration::from_secs(5), pool.disconnect()).await
        });
    }
}
