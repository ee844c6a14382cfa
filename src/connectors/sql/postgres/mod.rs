//! PostgreSQL for the SQL connector, through the pure-Rust `postgres` crate (no libpq:
//! the portal's own diesel connection links libpq, the connector must not need it).
//!
//! Blocking: `postgres::Client` drives its own small runtime, so the backend is only
//! called from plain threads (the worker's connector thread, a CLI command), never
//! from inside an async runtime, where it would panic.
//!
//! One connection, opened when first needed (the portal starts while the database is
//! down) and opened again after it broke. TLS is used when the URL says
//! `sslmode=require`, with the server's certificate and host name checked against the
//! system's trusted roots (stricter than libpq's `require`, which checks nothing);
//! otherwise the connection is plain, as on a local socket or a private network.
//!
//! Files: `errors.rs` (what is retried, what staff read), `catalogue.rs` (introspection
//! from pg_catalog), `select.rs` (rows by one column), `apply.rs` (an erasure's steps in
//! one transaction), `sql.rs` (quoting and the column types put into casts).

mod apply;
mod catalogue;
mod errors;
mod select;
mod sql;

use super::backend::{BackendKind, Compare, FoundRow, SqlBackend, Step};
use super::schema::Schema;
use crate::connectors::ConnectorError;
use catalogue::Catalogue;
use postgres::config::SslMode;
use postgres::{Client, Config};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A default for every statement of the session, so a search on a table without an
/// index cannot hold the connector thread for ever; `apply` sets its own.
const SESSION_SETUP: &str = "SET statement_timeout = '300s'";

pub struct PostgresBackend {
    config: Config,
    schema: String,
    client: Mutex<Option<Client>>,
    /// The catalogue read by the last `introspect`, for `select` and `apply` to take
    /// names and column types from.
    catalogue: Mutex<Option<Arc<Catalogue>>>,
}

impl PostgresBackend {
    /// Parses the URL and prepares to connect; connects only when first used, so that
    /// the portal starts while the database is down. `schema` is the dataset's schema,
    /// "public" when it names none.
    pub fn open(url: &str, schema: Option<&str>) -> Result<Self, ConnectorError> {
        // The parser's own message can quote the URL, password included: not echoed.
        let mut config = Config::from_str(url).map_err(|_| {
            ConnectorError::Permanent(
                "the PostgreSQL URL cannot be read (expected postgres://user:password@host:port/database)"
                    .into(),
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("dsar-portal");
        }
        Ok(PostgresBackend {
            config,
            schema: schema.unwrap_or("public").to_string(),
            client: Mutex::new(None),
            catalogue: Mutex::new(None),
        })
    }

    /// Runs `work` on the connection, connecting first when there is none or it closed;
    /// a connection that broke during `work` is dropped, so the next call connects anew.
    fn with_client<T>(
        &self,
        doing: &str,
        work: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, ConnectorError> {
        let mut slot = lock(&self.client);
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = None;
            *slot = Some(self.connect()?);
        }
        let Some(client) = slot.as_mut() else {
            return Err(ConnectorError::Temporary(
                "PostgreSQL: no connection".into(),
            ));
        };
        work(client).map_err(|e| {
            if errors::broken(&e) {
                *slot = None;
            }
            errors::classify(&e, doing)
        })
    }

    fn connect(&self) -> Result<Client, ConnectorError> {
        let doing = "connecting";
        let mut client = if self.config.get_ssl_mode() == SslMode::Require {
            let tls = native_tls::TlsConnector::new().map_err(|_| {
                ConnectorError::Permanent("PostgreSQL: TLS could not be set up".into())
            })?;
            self.config
                .connect(postgres_native_tls::MakeTlsConnector::new(tls))
        } else {
            self.config.connect(postgres::NoTls)
        }
        .map_err(|e| errors::classify(&e, doing))?;
        client
            .batch_execute(SESSION_SETUP)
            .map_err(|e| errors::classify(&e, doing))?;
        Ok(client)
    }

    /// The catalogue to resolve `table` in: the cached one, read again once when the
    /// table is not in it (it may have been created since).
    fn catalogue_with(&self, table: &str) -> Result<Arc<Catalogue>, ConnectorError> {
        if let Some(cat) = lock(&self.catalogue).clone() {
            if cat.table(table).is_some() {
                return Ok(cat);
            }
        }
        self.read_catalogue()
    }

    fn read_catalogue(&self) -> Result<Arc<Catalogue>, ConnectorError> {
        let cat = Arc::new(self.with_client("reading the catalogue", |c| {
            catalogue::read(c, &self.schema)
        })?);
        *lock(&self.catalogue) = Some(cat.clone());
        Ok(cat)
    }

    /// The statement `select` runs for this table, column and comparison (parameters:
    /// `$1` the values as a text array, `$2` the limit), for `EXPLAIN` to show which
    /// index serves it.
    pub fn select_statement(
        &self,
        table: &str,
        column: &str,
        compare: Compare,
    ) -> Result<String, ConnectorError> {
        let cat = self.catalogue_with(table)?;
        Ok(select::Query::build(&cat, &self.schema, table, column, compare)?.sql)
    }
}

/// A lock that a panic elsewhere did not spoil: the connection is dropped (it may be
/// half-way through something) and the poison cleared.
fn lock<T>(m: &Mutex<Option<T>>) -> MutexGuard<'_, Option<T>> {
    match m.lock() {
        Ok(guard) => guard,
        Err(poisoned) => {
            let mut guard = poisoned.into_inner();
            *guard = None;
            m.clear_poison();
            guard
        }
    }
}

impl SqlBackend for PostgresBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Postgres
    }

    fn ping(&self) -> Result<(), ConnectorError> {
        self.with_client("answering a ping", |c| c.batch_execute("SELECT 1"))
    }

    fn introspect(&self) -> Result<Schema, ConnectorError> {
        Ok(self.read_catalogue()?.schema.clone())
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
        let cat = self.catalogue_with(table)?;
        let query = select::Query::build(&cat, &self.schema, table, column, compare)?;
        let rows = self.with_client("reading rows", |c| query.run(c, values, limit))?;
        query.found_rows(rows)
    }

    fn apply(&self, steps: &[Step]) -> Result<Vec<u64>, ConnectorError> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let mut cat = lock(&self.catalogue).clone();
        if cat.as_ref().is_none_or(|c| !apply::covers(c, steps)) {
            cat = Some(self.read_catalogue()?);
        }
        let Some(cat) = cat else {
            return Err(ConnectorError::Temporary(
                "PostgreSQL: the catalogue could not be read".into(),
            ));
        };
        let statements = apply::plan(&cat, &self.schema, steps)?;
        self.with_client("erasing", |c| apply::run(c, &statements, steps.len()))
    }
}
