//! What `check-config` and `/readyz` ask of the database: the visits table exists and
//! can be read, and whether a user-id search will scan the whole table.

use super::errors::db_error;
use super::sql::LOG_VISIT;
use super::MatomoDb;
use crate::connectors::ConnectorError;
use mysql_async::prelude::Queryable;
use mysql_async::{Params, Row, Value};

impl MatomoDb {
    pub(super) async fn check_async(&self) -> Result<(), ConnectorError> {
        let mut conn = self.connect().await?;
        let table = self.table(LOG_VISIT);
        let rows: Vec<Row> = conn
            .exec(
                "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                Params::Positional(vec![Value::from(table.as_str())]),
            )
            .await
            .map_err(db_error)?;
        if rows.is_empty() {
            return Err(ConnectorError::Permanent(format!(
                "connector {:?}: table {table} does not exist in the configured database \
                 (check table_prefix and the database named in the URL)",
                self.name
            )));
        }
        // Also proves the account may read it, which the schema lookup does not.
        conn.exec_drop(format!("SELECT 1 FROM {table} LIMIT 0"), Params::Empty)
            .await
            .map_err(db_error)
    }

    pub(super) async fn advice_async(&self) -> Result<Vec<String>, ConnectorError> {
        if !self.search_user_id_column {
            return Ok(Vec::new());
        }
        let mut conn = self.connect().await?;
        let table = self.table(LOG_VISIT);
        // Any index that starts with user_id serves the lookup.
        let indexed: Vec<Row> = conn
            .exec(
                "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME = ? AND COLUMN_NAME = 'user_id' AND SEQ_IN_INDEX = 1",
                Params::Positional(vec![Value::from(table.as_str())]),
            )
            .await
            .map_err(db_error)?;
        if !indexed.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![format!(
            "{table}.user_id has no index, so every search reads the whole table \
             (about 1 s per million visits on a small server). Either add one \
             (`CREATE INDEX index_user_id ON {table} (user_id);`, a few seconds per million \
             visits) or, if Matomo's enable_userid_overwrites_visitorid is on (its default), \
             set search_user_id_column = false for this connector."
        )])
    }
}
