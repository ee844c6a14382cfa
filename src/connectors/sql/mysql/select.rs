//! Rows of one table whose column matches one of the values.

use super::catalogue::Catalogue;
use super::errors::db_error;
use super::sql::{in_list, is_binary_type, quote, Col};
use super::values::found_row;
use super::MySqlBackend;
use crate::connectors::sql::backend::{Compare, FoundRow};
use crate::connectors::ConnectorError;
use mysql_async::prelude::Queryable;
use mysql_async::{Params, Row};

impl MySqlBackend {
    pub(super) async fn select_async(
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
        let mut conn = self.connect().await?;
        let catalogue = self.cached(&mut conn).await?;
        let target = match resolve(&catalogue, table, column, compare) {
            Some(target) => target,
            None => resolve(
                self.reread(&mut conn).await?.as_ref(),
                table,
                column,
                compare,
            )
            .ok_or_else(|| unknown(table, column))?,
        };
        let (head, lhs, col) = target;
        let mut found = Vec::new();
        for statement in in_list(&head, &lhs, &col, values) {
            let left = limit - found.len();
            let sql = format!("{} LIMIT {left}", statement.sql);
            let rows: Vec<Row> = conn
                .exec(sql, Params::Positional(statement.params))
                .await
                .map_err(db_error)?;
            found.extend(rows.into_iter().map(found_row));
            if found.len() >= limit {
                break;
            }
        }
        Ok(found)
    }
}

/// The statement's start, the compared expression and the column, from catalogue names.
fn resolve(
    catalogue: &Catalogue,
    table: &str,
    column: &str,
    compare: Compare,
) -> Option<(String, String, Col)> {
    let t = catalogue.schema.table(table)?;
    let c = t.column(column)?;
    let col = Col {
        quoted: quote(&c.name),
        binary: is_binary_type(&c.data_type),
    };
    // A `_ci` collation folds case itself, and comparing the bare column keeps its
    // index usable; any other text column is folded explicitly.
    let folds = c.collation.as_deref().is_some_and(|n| n.ends_with("_ci"));
    let lhs = if compare == Compare::FoldCase && c.is_text && !folds {
        format!("LOWER({})", col.quoted)
    } else {
        col.quoted.clone()
    };
    let head = format!("SELECT * FROM {} WHERE", quote(&t.name));
    Some((head, lhs, col))
}

fn unknown(table: &str, column: &str) -> ConnectorError {
    ConnectorError::Permanent(format!(
        "the database has no column {column:?} in a table {table:?}"
    ))
}
