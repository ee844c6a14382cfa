//! The database's catalogue from information_schema: every base table of the database
//! the URL names, its columns in order, primary key, foreign keys and indexes — and per
//! table whether its engine can roll back, which `apply` needs before writing anything.
//!
//! Four statements for the whole database rather than four per table: a schema of a few
//! hundred tables reads in one round of queries.

use super::errors::db_error;
use super::sql::lowered_column;
use crate::connectors::sql::schema::{Column, ForeignKey, Index, Schema, Table};
use crate::connectors::ConnectorError;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use std::collections::HashMap;

/// What this backend knows of the database beyond the shared `Schema`.
#[derive(Debug, Clone, Default)]
pub(super) struct Catalogue {
    pub schema: Schema,
    pub facts: HashMap<String, TableFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TableFacts {
    pub engine: String,
    /// The engine takes part in transactions (InnoDB, not MyISAM, Aria or MEMORY).
    pub transactional: bool,
    /// MariaDB `WITH SYSTEM VERSIONING`: deleted and changed rows stay in its history.
    pub versioned: bool,
}

const TABLES: &str = "\
SELECT t.TABLE_NAME, t.TABLE_TYPE, COALESCE(t.ENGINE, ''), COALESCE(e.TRANSACTIONS, 'NO') \
FROM information_schema.TABLES t \
LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE \
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') \
ORDER BY t.TABLE_NAME";

const COLUMNS: &str = "\
SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, \
CHARACTER_MAXIMUM_LENGTH, COLLATION_NAME \
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
ORDER BY TABLE_NAME, ORDINAL_POSITION";

/// MySQL 8.0.13+ lists functional index parts with an EXPRESSION; MariaDB has no such
/// column (and no functional indexes).
const HAS_EXPRESSION: &str = "\
SELECT COUNT(*) FROM information_schema.COLUMNS \
WHERE TABLE_SCHEMA = 'information_schema' AND TABLE_NAME = 'STATISTICS' \
AND COLUMN_NAME = 'EXPRESSION'";

fn statistics(expression: bool) -> String {
    format!(
        "SELECT TABLE_NAME, INDEX_NAME, CAST(NON_UNIQUE AS SIGNED), COLUMN_NAME, {} \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        if expression { "EXPRESSION" } else { "NULL" }
    )
}

/// Foreign keys into other databases are left out: the dataset can only name this one.
const FOREIGN_KEYS: &str = "\
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, \
k.REFERENCED_COLUMN_NAME, r.DELETE_RULE \
FROM information_schema.KEY_COLUMN_USAGE k \
JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
AND r.TABLE_NAME = k.TABLE_NAME \
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_SCHEMA = DATABASE() \
ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION";

type ColumnRow = (
    String,
    String,
    String,
    String,
    String,
    Option<u64>,
    Option<String>,
);
type StatRow = (String, String, i64, Option<String>, Option<String>);
type FkRow = (String, String, String, String, String, String);

pub(super) async fn read(conn: &mut Conn) -> Result<Catalogue, ConnectorError> {
    let tables: Vec<(String, String, String, String)> =
        conn.query(TABLES).await.map_err(db_error)?;
    let columns: Vec<ColumnRow> = conn.query(COLUMNS).await.map_err(db_error)?;
    let expression: Option<u64> = conn.query_first(HAS_EXPRESSION).await.map_err(db_error)?;
    let stats: Vec<StatRow> = conn
        .query(statistics(expression.unwrap_or(0) > 0))
        .await
        .map_err(db_error)?;
    let fks: Vec<FkRow> = conn.query(FOREIGN_KEYS).await.map_err(db_error)?;
    Ok(assemble(tables, columns, stats, fks))
}

fn assemble(
    tables: Vec<(String, String, String, String)>,
    columns: Vec<ColumnRow>,
    stats: Vec<StatRow>,
    fks: Vec<FkRow>,
) -> Catalogue {
    let mut by_name: HashMap<String, Building> = HashMap::new();
    let mut order = Vec::new();
    let mut facts = HashMap::new();
    for (name, kind, engine, transactions) in tables {
        facts.insert(
            name.clone(),
            TableFacts {
                transactional: transactions.eq_ignore_ascii_case("YES"),
                versioned: kind == "SYSTEM VERSIONED",
                engine,
            },
        );
        let mut building = Building::default();
        building.table.name = name.clone();
        by_name.insert(name.clone(), building);
        order.push(name);
    }
    // Rows of views, and of tables made between two statements, find no table here.
    for (table, name, data_type, column_type, nullable, max_chars, collation) in columns {
        if let Some(b) = by_name.get_mut(&table) {
            b.table.columns.push(column(
                name,
                &data_type,
                column_type,
                &nullable,
                max_chars,
                collation,
            ));
        }
    }
    for (table, index, non_unique, column, expression) in stats {
        if let Some(b) = by_name.get_mut(&table) {
            b.index_part(index, non_unique == 0, column, expression);
        }
    }
    for (table, constraint, column, ref_table, ref_column, rule) in fks {
        if let Some(b) = by_name.get_mut(&table) {
            b.fk_part(constraint, column, ref_table, ref_column, rule);
        }
    }
    // By name in byte order, not the server collation's, so every backend lists alike.
    order.sort();
    let tables = order
        .into_iter()
        .filter_map(|name| by_name.remove(&name))
        .map(Building::finish)
        .collect();
    Catalogue {
        schema: Schema { tables },
        facts,
    }
}

fn column(
    name: String,
    data_type: &str,
    column_type: String,
    nullable: &str,
    max_chars: Option<u64>,
    collation: Option<String>,
) -> Column {
    let kind = data_type.to_ascii_lowercase();
    Column {
        name,
        data_type: column_type,
        nullable: nullable.eq_ignore_ascii_case("YES"),
        max_chars: max_chars.and_then(|n| u32::try_from(n).ok()),
        collation,
        is_text: matches!(
            kind.as_str(),
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext"
        ),
    }
}

/// A table while its catalogue rows come in.
#[derive(Default)]
struct Building {
    table: Table,
    /// Per index, in the order first seen: whether an expression part came already.
    indexes: Vec<(Index, bool)>,
    /// Per constraint name, in the order first seen.
    fks: Vec<(String, ForeignKey)>,
}

impl Building {
    /// One row of STATISTICS: a part of the primary key or of an index, in index order.
    fn index_part(
        &mut self,
        name: String,
        unique: bool,
        column: Option<String>,
        expression: Option<String>,
    ) {
        if name == "PRIMARY" {
            self.table.primary_key.extend(column);
            return;
        }
        let at = match self.indexes.iter().position(|(i, _)| i.name == name) {
            Some(at) => at,
            None => {
                let index = Index {
                    name,
                    unique,
                    ..Default::default()
                };
                self.indexes.push((index, false));
                self.indexes.len() - 1
            }
        };
        let (index, after_expression) = &mut self.indexes[at];
        match column {
            // Plain columns count only before the first expression part: past one, the
            // index cannot be entered by them.
            Some(c) if !*after_expression => index.columns.push(c),
            Some(_) => {}
            None => {
                *after_expression = true;
                index
                    .lowered
                    .extend(expression.as_deref().and_then(lowered_column));
            }
        }
    }

    /// One row of KEY_COLUMN_USAGE: a column of a foreign key, in constraint order.
    fn fk_part(
        &mut self,
        constraint: String,
        column: String,
        ref_table: String,
        ref_column: String,
        on_delete: String,
    ) {
        match self.fks.iter_mut().find(|(name, _)| *name == constraint) {
            Some((_, fk)) => {
                fk.columns.push(column);
                fk.ref_columns.push(ref_column);
            }
            None => self.fks.push((
                constraint,
                ForeignKey {
                    columns: vec![column],
                    ref_table,
                    ref_columns: vec![ref_column],
                    on_delete,
                },
            )),
        }
    }

    fn finish(mut self) -> Table {
        self.table.indexes = self.indexes.into_iter().map(|(i, _)| i).collect();
        self.table.foreign_keys = self.fks.into_iter().map(|(_, fk)| fk).collect();
        self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_functional_index_counts_lower_parts_and_stops_plain_columns_after_an_expression() {
        let mut b = Building::default();
        b.index_part("a".into(), false, Some("x".into()), None);
        b.index_part("a".into(), false, None, Some("upper(`y`)".into()));
        b.index_part("a".into(), false, Some("z".into()), None);
        b.index_part("b".into(), true, None, Some("lower(`email`)".into()));
        b.index_part("b".into(), true, Some("id".into()), None);
        b.index_part("PRIMARY".into(), true, Some("id".into()), None);
        let t = b.finish();
        assert_eq!(t.primary_key, vec!["id"]);
        assert_eq!(t.indexes[0].columns, vec!["x"]);
        assert!(t.indexes[0].lowered.is_empty());
        assert!(t.indexes[1].columns.is_empty());
        assert_eq!(t.indexes[1].lowered, vec!["email"]);
        assert!(t.leads_lowered_index("email") && t.indexes[1].unique);
    }
}
