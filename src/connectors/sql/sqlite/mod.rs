//! SQLite for the SQL connector, through diesel's `SqliteConnection`. SQLite is an
//! embedded engine, not a client of a server: the library the portal already links for
//! its own database opens the organisation's file directly, with no further C client.
//!
//! - The URL names a file: `sqlite:///absolute/path.db`, `sqlite://relative.db` or
//!   `sqlite:relative.db` (relative to the portal's working directory), taken as
//!   written. The file must exist: it is opened read-write without SQLite's create flag,
//!   so a mistyped path is refused instead of answered by an empty new database.
//! - Each connection waits up to 30 seconds for a lock (`busy_timeout`) and enforces
//!   foreign keys (`foreign_keys = ON`, off by default in SQLite), so an erasure keeps
//!   the references the schema declares: it fails on a row still referenced, and
//!   `ON DELETE CASCADE` / `SET NULL` act as the schema says.
//! - One connection is kept between calls and dropped after any error, so the next call
//!   opens the file afresh.
//!
//! One idea a file: `catalogue.rs` (the live schema), `ddl.rs` (what only the `CREATE`
//! statements tell), `rows.rs` (select), `apply.rs` (erasure steps).

mod apply;
mod catalogue;
mod ddl;
mod rows;

pub use rows::select_sql;

use super::backend::{BackendKind, Compare, FoundRow, SqlBackend, Step};
use super::schema::{Schema, Table};
use crate::connectors::ConnectorError::{self, Permanent, Temporary};
use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use std::sync::{Mutex, MutexGuard};

pub struct SqliteBackend {
    path: String,
    conn: Mutex<Option<SqliteConnection>>,
    /// The catalogue as last read: names in statements are resolved against it, and
    /// read again once when a name is missing (the schema may have changed).
    schema: Mutex<Option<Schema>>,
}

impl SqliteBackend {
    /// Parses the URL and prepares to connect; connects only when first used, so that
    /// the portal starts while the database is down.
    pub fn open(url: &str, schema: Option<&str>) -> Result<Self, ConnectorError> {
        if schema.is_some_and(|s| s != "main") {
            return Err(Permanent(
                "a SQLite database has a single schema: leave `schema` out of the dataset".into(),
            ));
        }
        Ok(SqliteBackend {
            path: file_path(url)?,
            conn: Mutex::new(None),
            schema: Mutex::new(None),
        })
    }

    fn connect(&self) -> Result<SqliteConnection, ConnectorError> {
        match std::fs::metadata(&self.path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(Permanent(format!(
                    "the database path is not a file: {}",
                    self.path
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Permanent(format!(
                    "the database file does not exist: {}",
                    self.path
                )))
            }
            Err(e) => {
                return Err(Permanent(format!(
                    "the database file {} cannot be read: {e}",
                    self.path
                )))
            }
        }
        let mut conn = SqliteConnection::establish(&file_uri(&self.path)).map_err(|e| {
            Permanent(format!(
                "the database file {} cannot be opened: {e}",
                self.path
            ))
        })?;
        conn.batch_execute("PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;")
            .map_err(db_error)?;
        Ok(conn)
    }

    /// Runs `f` on the kept connection, opening it first if need be.
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut SqliteConnection) -> Result<T, ConnectorError>,
    ) -> Result<T, ConnectorError> {
        let mut guard = lock(&self.conn);
        let conn = match guard.take() {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let mut conn = conn;
        let result = f(&mut conn);
        if result.is_ok() {
            *guard = Some(conn);
        }
        result
    }

    /// `name` as the catalogue knows it, read again once if it is not there.
    fn table(&self, conn: &mut SqliteConnection, name: &str) -> Result<Table, ConnectorError> {
        let mut cached = lock(&self.schema);
        if let Some(t) = cached.as_ref().and_then(|s| s.table(name)) {
            return Ok(t.clone());
        }
        let fresh = catalogue::read(conn).map_err(db_error)?;
        let table = fresh.table(name).cloned();
        *cached = Some(fresh);
        table.ok_or_else(|| Permanent(format!("the table {name} is not in the database")))
    }
}

/// A poisoned lock only means another call panicked: the data behind it is a
/// connection or a cache, both safe to use or replace.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The file a `sqlite:` URL names.
fn file_path(url: &str) -> Result<String, ConnectorError> {
    let rest = url
        .strip_prefix("sqlite:")
        .ok_or_else(|| Permanent("a SQLite database URL starts with sqlite:".into()))?;
    let path = rest.strip_prefix("//").unwrap_or(rest);
    if path.is_empty() {
        return Err(Permanent(
            "the SQLite database URL names no file (sqlite:///path/to/file.db)".into(),
        ));
    }
    Ok(path.to_string())
}

/// The SQLite URI opening `path` read-write without creating it (`mode=rw`). Only the
/// characters a URI gives a meaning to are escaped.
fn file_uri(path: &str) -> String {
    let escaped = path
        .replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23");
    // An absolute path after an empty authority, so that "//x" is never a host.
    let prefix = if escaped.starts_with('/') {
        "file://"
    } else {
        "file:"
    };
    format!("{prefix}{escaped}?mode=rw")
}

/// An identifier in double quotes, any double quote in it doubled.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// SQLite's own message: constraint failures name the constraint and its columns
/// ("FOREIGN KEY constraint failed", "UNIQUE constraint failed: t.c"), never a value.
fn db_error(e: diesel::result::Error) -> ConnectorError {
    let message = match &e {
        diesel::result::Error::DatabaseError(_, info) => info.message().to_string(),
        other => other.to_string(),
    };
    if is_busy(&message) {
        Temporary(format!("the SQLite database stayed locked: {message}"))
    } else {
        Permanent(format!("SQLite: {message}"))
    }
}

/// SQLITE_BUSY ("database is locked") and SQLITE_LOCKED ("database table is locked"):
/// another writer held on longer than the busy timeout; worth trying again later.
fn is_busy(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("is locked") || m.contains("database is busy")
}

impl SqlBackend for SqliteBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Sqlite
    }

    fn ping(&self) -> Result<(), ConnectorError> {
        // Reading the catalogue, not `SELECT 1`: only a read tells a database file from
        // any other file ("file is not a database").
        self.with_conn(|c| {
            c.batch_execute("SELECT count(*) FROM sqlite_master")
                .map_err(db_error)
        })
    }

    fn introspect(&self) -> Result<Schema, ConnectorError> {
        let schema = self.with_conn(|c| catalogue::read(c).map_err(db_error))?;
        *lock(&self.schema) = Some(schema.clone());
        Ok(schema)
    }

    fn select(
        &self,
        table: &str,
        column: &str,
        values: &[String],
        compare: Compare,
        limit: usize,
    ) -> Result<Vec<FoundRow>, ConnectorError> {
        if values.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.with_conn(|c| {
            let t = self.table(c, table)?;
            known_columns(&t, [column])?;
            rows::select(c, &t, column, values, compare, limit)
        })
    }

    fn apply(&self, steps: &[Step]) -> Result<Vec<u64>, ConnectorError> {
        self.with_conn(|c| {
            // Every name checked before the transaction starts.
            let mut statements = Vec::with_capacity(steps.len());
            for step in steps {
                check_step(&self.table(c, step_table(step))?, step)?;
                statements.push(apply::statements(step));
            }
            apply::run(c, &statements).map_err(db_error)
        })
    }
}

fn step_table(step: &Step) -> &str {
    match step {
        Step::Delete { table, .. } | Step::Update { table, .. } | Step::Detach { table, .. } => {
            table
        }
    }
}

fn check_step(table: &Table, step: &Step) -> Result<(), ConnectorError> {
    let mismatch = || {
        Permanent(format!(
            "an erasure step on table {} has keys that do not match its key columns",
            table.name
        ))
    };
    match step {
        Step::Delete { key, rows, .. } => {
            known_columns(table, key)?;
            if key.is_empty() || rows.iter().any(|r| r.len() != key.len()) {
                return Err(mismatch());
            }
        }
        Step::Update { key, row, set, .. } => {
            known_columns(table, key)?;
            known_columns(table, set.iter().map(|(c, _)| c))?;
            if key.is_empty() || row.len() != key.len() {
                return Err(mismatch());
            }
        }
        Step::Detach { column, .. } => known_columns(table, [column])?,
    }
    Ok(())
}

fn known_columns<S: AsRef<str>>(
    table: &Table,
    names: impl IntoIterator<Item = S>,
) -> Result<(), ConnectorError> {
    for name in names {
        let name = name.as_ref();
        if table.column(name).is_none() {
            return Err(Permanent(format!(
                "the table {} has no column {name}",
                table.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_form_names_its_file() {
        assert_eq!(
            file_path("sqlite:///srv/shop.db").ok(),
            Some("/srv/shop.db".into())
        );
        assert_eq!(file_path("sqlite://shop.db").ok(), Some("shop.db".into()));
        assert_eq!(
            file_path("sqlite:data/shop.db").ok(),
            Some("data/shop.db".into())
        );
        assert!(file_path("sqlite:").is_err());
        assert!(file_path("sqlite://").is_err());
    }

    #[test]
    fn the_uri_escapes_what_a_uri_would_read() {
        assert_eq!(
            file_uri("/a b/x?y#z%.db"),
            "file:///a b/x%3fy%23z%25.db?mode=rw"
        );
        assert_eq!(file_uri("//srv/x.db"), "file:////srv/x.db?mode=rw");
        assert_eq!(file_uri("rel.db"), "file:rel.db?mode=rw");
    }

    #[test]
    fn identifiers_are_quoted_with_their_quotes_doubled() {
        assert_eq!(quote(r#"a "b""#), r#""a ""b""""#);
    }

    #[test]
    fn only_lock_errors_are_worth_retrying() {
        assert!(is_busy("database is locked"));
        assert!(is_busy("database table is locked"));
        assert!(!is_busy("FOREIGN KEY constraint failed"));
        assert!(!is_busy("no such table: t"));
    }
}
