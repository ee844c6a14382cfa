//! Removing the log_action rows (URLs, page titles) that only the erased visits named,
//! found through every action column of every log table in the live schema.

use super::errors::db_error;
use super::sql::*;
use super::values::{first_u64, value_text, value_u64};
use super::MatomoDb;
use crate::connectors::ConnectorError;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};
use std::collections::{BTreeMap, BTreeSet};

impl MatomoDb {
    /// Columns holding log_action ids, per (unprefixed) log table, read from the live
    /// schema so that only columns that exist are queried: every `log_*` table under the
    /// prefix, since plugins add columns (content, event, product dimensions) and tables
    /// of their own, and Matomo's own list (`DimensionMetadataProvider::
    /// getActionReferenceColumnsByTable`) is only complete with the plugins' answers to
    /// an event. Each name is checked before it goes into SQL as a quoted identifier
    /// (identifiers cannot be bound).
    pub(super) async fn action_columns(
        &self,
        conn: &mut Conn,
    ) -> Result<BTreeMap<String, Vec<String>>, ConnectorError> {
        let rows: Vec<Row> = conn
            .exec(
                "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ? \
                 ORDER BY TABLE_NAME, ORDINAL_POSITION",
                (self.prefix.as_str(), self.prefix.as_str()),
            )
            .await
            .map_err(db_error)?;
        let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            let values = row.unwrap();
            let (Some(table), Some(column)) = (
                values.first().and_then(value_text),
                values.get(1).and_then(value_text),
            ) else {
                continue;
            };
            let Some(table) = table.strip_prefix(&self.prefix) else {
                continue;
            };
            if table.starts_with("log_")
                && table != LOG_ACTION
                && is_identifier(table)
                && is_identifier(&column)
                && is_action_column(&column)
            {
                columns.entry(table.to_string()).or_default().push(column);
            }
        }
        Ok(columns)
    }

    /// The log_action ids the visits' rows in `table` refer to (`columns` are its action
    /// columns): the only rows a purge may consider.
    pub(super) async fn actions_of_visits(
        &self,
        conn: &mut Conn,
        table: &str,
        ids: &[u64],
        columns: &[String],
    ) -> Result<BTreeSet<u64>, ConnectorError> {
        let mut actions = BTreeSet::new();
        if columns.is_empty() {
            return Ok(actions);
        }
        let select = columns
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {select} FROM `{}` WHERE idvisit IN ({})",
                self.table(table),
                placeholders(chunk.len())
            );
            let rows: Vec<Row> = conn.exec(sql, ids_params(chunk)).await.map_err(db_error)?;
            for row in rows {
                actions.extend(
                    row.unwrap()
                        .iter()
                        .filter_map(value_u64)
                        .filter(|id| *id > 0),
                );
            }
        }
        Ok(actions)
    }

    /// Deletes the candidates that no remaining log row refers to, in any action column
    /// of any log table (visits' entry and exit pages, conversions, conversion items and
    /// plugins' tables included): deleting an action another row still names would break
    /// someone else's reports.
    ///
    /// The action columns have no index, so each is scanned once per chunk of candidates.
    /// Unlike Matomo's own purge this does not LOCK TABLES (that would stop tracking for
    /// the whole scan), so a hit tracked in the moment between the scan and the delete
    /// that reuses one of these actions would be left pointing at a missing action name.
    pub(super) async fn purge_orphans(
        &self,
        conn: &mut Conn,
        candidates: &BTreeSet<u64>,
        columns: &BTreeMap<String, Vec<String>>,
    ) -> Result<u64, ConnectorError> {
        let candidates: Vec<u64> = candidates.iter().copied().collect();
        let mut deleted = 0;
        for chunk in candidates.chunks(CHUNK) {
            let mut unused: BTreeSet<u64> = chunk.iter().copied().collect();
            'scan: for (table, cols) in columns {
                for col in cols {
                    if unused.is_empty() {
                        break 'scan;
                    }
                    let list: Vec<u64> = unused.iter().copied().collect();
                    let sql = format!(
                        "SELECT DISTINCT `{col}` FROM `{}` WHERE `{col}` IN ({})",
                        self.table(table),
                        placeholders(list.len())
                    );
                    let rows: Vec<Row> =
                        conn.exec(sql, ids_params(&list)).await.map_err(db_error)?;
                    for id in rows.into_iter().filter_map(first_u64) {
                        unused.remove(&id);
                    }
                }
            }
            if unused.is_empty() {
                continue;
            }
            let list: Vec<u64> = unused.into_iter().collect();
            let sql = format!(
                "DELETE FROM {} WHERE idaction IN ({})",
                self.table(LOG_ACTION),
                placeholders(list.len())
            );
            conn.exec_drop(sql, ids_params(&list))
                .await
                .map_err(db_error)?;
            deleted += conn.affected_rows();
        }
        Ok(deleted)
    }
}
