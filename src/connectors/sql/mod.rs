//! `kind = "sql"`: the organisation's own databases (PostgreSQL, MySQL/MariaDB, SQLite),
//! described by a dataset (`dataset.rs`) and reached through pure-Rust drivers.
//!
//! - **find** starts from the columns holding the person's verified identities, matched
//!   exactly (emails as the portal normalises them), and walks the dataset's references
//!   to every reachable row, each table's rows named by their key (`walk.rs`);
//! - **export** reads exactly those rows again for the access package;
//! - **erase** applies each table's policy in dependency order in one transaction
//!   (`plan.rs`), then searches again and reports what remains and why (`erase.rs`).
//!
//! Rows found only through a weak identity are counted for the preview and never acted
//! on. Table and column names come from the live schema (`schema.rs`, read by the
//! backend); the dataset is checked against it first (`validate.rs`).
//!
//! One idea a file: `dataset.rs` (the operator's description), `schema.rs` (the live
//! catalogue), `backend.rs` (what a database must do) with `postgres.rs`, `mysql.rs`,
//! `sqlite.rs`, `walk.rs` (the search), `plan.rs` (an erasure's statements),
//! `validate.rs` (dataset against schema, and index advice), `scaffold.rs` (a draft
//! dataset from the schema).

pub mod backend;
pub mod dataset;
mod engine;
pub mod mysql;
mod plan;
pub mod postgres;
mod resolved;
pub mod schema;
pub mod sqlite;
mod walk;

use super::{Connector, ConnectorError, ErasureReport, Matches, Records, Subject};
use crate::config::ConnectorConfig;
use backend::SqlBackend;
use dataset::Dataset;
use schema::Schema;
use std::sync::Mutex;

/// The connector for `kind = "sql"`. Like the Matomo connectors it blocks: call it from a
/// plain thread (the worker's connector thread, a CLI command), never inside a runtime.
pub struct SqlConnector {
    name: String,
    dataset: Dataset,
    backend: Box<dyn SqlBackend>,
    hmac_key: Option<Vec<u8>>,
    max_rows: usize,
    /// The identity kinds the portal collects ("email" and the configured identifiers),
    /// when known: a dataset naming another is refused by `check-config`.
    identities: Option<Vec<String>>,
    /// The live schema, read once and kept: every run checks the dataset against it, and
    /// reading the catalogue each time would cost more than the search.
    schema: Mutex<Option<Schema>>,
}

impl SqlConnector {
    /// Reads the dataset (inline or from its file) and prepares the backend named by
    /// `url`; connects only when first used.
    pub fn new(cfg: &ConnectorConfig, url: &str) -> Result<SqlConnector, ConnectorError> {
        let dataset = cfg
            .load_dataset()
            .map_err(|e| ConnectorError::Permanent(format!("{e:#}")))?;
        let hmac_key = cfg
            .hmac_key()
            .map_err(|e| ConnectorError::Permanent(format!("{e:#}")))?
            .map(String::into_bytes);
        let backend = open_backend(url, &dataset)?;
        Ok(SqlConnector {
            name: cfg.name.clone(),
            dataset,
            backend,
            hmac_key,
            max_rows: cfg.max_rows_per_table as usize,
            identities: None,
            schema: Mutex::new(None),
        })
    }

    /// The identity kinds the portal collects, for the dataset's check.
    pub fn with_identities(mut self, identities: Vec<String>) -> SqlConnector {
        self.identities = Some(identities);
        self
    }

    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    pub fn backend(&self) -> &dyn SqlBackend {
        self.backend.as_ref()
    }
}

/// Problems that stop a run (the dataset does not fit the live schema); worded for staff.
fn validate_for_run(c: &SqlConnector, schema: &Schema) -> Vec<String> {
    match resolved::resolve(&c.dataset, schema) {
        Ok(_) => Vec::new(),
        Err(e) => vec![e.to_string()],
    }
}

/// Setup worth improving though the connector works (indexes), for `check-config`.
fn advice_for(_c: &SqlConnector, _schema: &Schema) -> Vec<String> {
    Vec::new()
}

impl Connector for SqlConnector {
    fn name(&self) -> &str {
        &self.name
    }
    fn find(&self, subject: &Subject) -> Result<Matches, ConnectorError> {
        engine::find(self, subject)
    }
    fn export(&self, matches: &Matches) -> Result<Records, ConnectorError> {
        engine::export(self, matches)
    }
    fn erase(&self, matches: &Matches) -> Result<ErasureReport, ConnectorError> {
        engine::erase(self, matches)
    }
    fn check(&self) -> Result<(), ConnectorError> {
        engine::check(self)
    }
    fn advice(&self) -> Result<Vec<String>, ConnectorError> {
        engine::advice(self)
    }
}

/// Which backend a connection URL names.
pub fn open_backend(
    url: &str,
    dataset: &Dataset,
) -> Result<Box<dyn SqlBackend>, crate::connectors::ConnectorError> {
    use crate::connectors::ConnectorError::Permanent;
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "postgres" | "postgresql" => Ok(Box::new(postgres::PostgresBackend::open(
            url,
            dataset.schema.as_deref(),
        )?)),
        "mysql" | "mariadb" => Ok(Box::new(mysql::MySqlBackend::open(
            url,
            dataset.schema.as_deref(),
        )?)),
        "sqlite" => Ok(Box::new(sqlite::SqliteBackend::open(
            url,
            dataset.schema.as_deref(),
        )?)),
        _ => Err(Permanent(
            "the database URL must start with postgres://, mysql:// or sqlite:".into(),
        )),
    }
}
