//! PostgreSQL for the SQL connector. (Being written: answers every call with an error until then.)

use super::backend::{BackendKind, Compare, FoundRow, SqlBackend, Step};
use super::schema::Schema;
use crate::connectors::ConnectorError;

pub struct PostgresBackend {}

impl PostgresBackend {
    /// Parses the URL and prepares to connect; connects only when first used, so that
    /// the portal starts while the database is down.
    pub fn open(_url: &str, _schema: Option<&str>) -> Result<Self, ConnectorError> {
        Ok(PostgresBackend {})
    }
}

fn missing() -> ConnectorError {
    ConnectorError::Permanent("this database backend is not available yet".into())
}

impl SqlBackend for PostgresBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Postgres
    }
    fn ping(&self) -> Result<(), ConnectorError> {
        Err(missing())
    }
    fn introspect(&self) -> Result<Schema, ConnectorError> {
        Err(missing())
    }
    fn select(
        &self,
        _table: &str,
        _column: &str,
        _values: &[String],
        _compare: Compare,
        _limit: usize,
    ) -> Result<Vec<FoundRow>, ConnectorError> {
        Err(missing())
    }
    fn apply(&self, _steps: &[Step]) -> Result<Vec<u64>, ConnectorError> {
        Err(missing())
    }
}
