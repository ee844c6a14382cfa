//! What the SQL connector needs from a database, and nothing more: read its catalogue,
//! select rows by one column's values, and apply an erasure's steps in one transaction.
//! One implementation per backend (`postgres.rs`, `mysql.rs`, `sqlite.rs`).
//!
//! Contract every backend keeps:
//! - table and column names come from the introspected `Schema` only (the engine checks
//!   the dataset against it first) and are quoted as identifiers;
//! - every value is a bound parameter, sent as text and converted to the column's type
//!   by the database (PostgreSQL: a cast to the column's own type), so any key type —
//!   integer, uuid, text — round-trips through its text form;
//! - `select` returns at most `limit` rows; `apply` is all or nothing.

use super::schema::Schema;
use crate::connectors::ConnectorError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Postgres,
    MySql,
    Sqlite,
}

/// How `select` compares the column with the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// `column = value`, as the database compares (MySQL's `_ci` collations fold case and
    /// ignore trailing spaces: the engine filters the rows exactly afterwards).
    Exact,
    /// Case folded, for emails: `lower(column) = value`, the values already lowercased by
    /// the engine (MySQL with a `_ci` collation: plain `=`, which folds already and keeps
    /// the column's index).
    FoldCase,
}

/// One row read: every column, twice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FoundRow {
    /// For the access package: numbers as numbers, text as text, booleans as booleans,
    /// dates and times as ISO text, bytes that are not UTF-8 as lowercase hex.
    pub json: Map<String, Value>,
    /// The database's own text form of each column (`None` for NULL): what keys are
    /// compared and bound by, and what HMAC is computed over.
    pub text: BTreeMap<String, Option<String>>,
}

/// A value an erasure writes into a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetValue {
    Null,
    Text(String),
}

/// One statement of an erasure. Keys are the text forms of the key columns, in the
/// order of `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `DELETE FROM table WHERE (key) = (row)` for each row (batched as the backend likes).
    Delete {
        table: String,
        key: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// `UPDATE table SET column = value, … WHERE (key) = (row)` for one row.
    Update {
        table: String,
        key: Vec<String>,
        row: Vec<String>,
        set: Vec<(String, SetValue)>,
    },
    /// `UPDATE table SET column = NULL WHERE column IN (values)`: other people's rows let
    /// go of a row being deleted (`on_delete = "set_null"`).
    Detach {
        table: String,
        column: String,
        values: Vec<String>,
    },
}

pub trait SqlBackend: Send + Sync {
    fn kind(&self) -> BackendKind;
    /// Connects and runs a trivial statement.
    fn ping(&self) -> Result<(), ConnectorError>;
    /// Every base table of the schema (views left out), with columns, keys and indexes.
    fn introspect(&self) -> Result<Schema, ConnectorError>;
    /// Rows of `table` where `column` matches one of `values`, at most `limit`.
    fn select(
        &self,
        table: &str,
        column: &str,
        values: &[String],
        compare: Compare,
        limit: usize,
    ) -> Result<Vec<FoundRow>, ConnectorError>;
    /// Runs the steps in order in one transaction; rows affected per step. On any error
    /// the transaction is rolled back and the error returned: nothing half-done.
    fn apply(&self, steps: &[Step]) -> Result<Vec<u64>, ConnectorError>;
}
