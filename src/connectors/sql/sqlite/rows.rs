//! Rows read by one column's values. SQLite builds both forms of every column itself,
//! as JSON arrays (`json_array` keeps a NULL as null), so one statement reads any table
//! whatever its columns. The arrays come in chunks: SQLite builds before 3.48 take at
//! most 127 arguments to a function.

use super::quote;
use crate::connectors::sql::backend::{Compare, FoundRow};
use crate::connectors::sql::schema::Table;
use crate::connectors::ConnectorError;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use diesel::SqliteConnection;
use serde_json::Value;

/// Values bound per statement: well below SQLite's limit on parameters, and few enough
/// that the plan stays an index lookup per value.
pub(super) const CHUNK: usize = 500;

/// Columns per `json_array` call.
const COLUMNS_PER_ARRAY: usize = 100;

#[derive(QueryableByName)]
struct RawRow {
    #[diesel(sql_type = Text)]
    json: String,
    #[diesel(sql_type = Text)]
    text: String,
}

/// The statement `select` runs for `values` placeholders: public so that its plan can be
/// examined (`EXPLAIN QUERY PLAN`) against a real database.
pub fn select_sql(
    table: &Table,
    column: &str,
    values: usize,
    compare: Compare,
    limit: usize,
) -> String {
    let json = arrays(table, |c| {
        // Bytes as lowercase hex; a real too large for JSON (an infinity) as its text.
        format!(
            "CASE typeof({c}) WHEN 'blob' THEN lower(hex({c})) \
             WHEN 'real' THEN CASE WHEN abs({c}) <= 1.7976931348623157e308 THEN {c} \
             ELSE CAST({c} AS TEXT) END ELSE {c} END"
        )
    });
    let text = arrays(table, |c| {
        format!("CASE typeof({c}) WHEN 'blob' THEN lower(hex({c})) ELSE CAST({c} AS TEXT) END")
    });
    let placeholders = vec!["?"; values].join(", ");
    // `lower(column)` is written as an index on `lower(column)` is, so that index serves
    // it. SQLite's lower() folds ASCII letters only, as its NOCASE collation does.
    let matched = match compare {
        Compare::Exact => quote(column),
        Compare::FoldCase => format!("lower({})", quote(column)),
    };
    format!(
        "SELECT {json} AS json, {text} AS text FROM {} WHERE {matched} IN ({placeholders}) LIMIT {limit}",
        quote(&table.name)
    )
}

fn arrays(table: &Table, each: impl Fn(&str) -> String) -> String {
    let chunks: Vec<String> = table
        .columns
        .chunks(COLUMNS_PER_ARRAY)
        .map(|chunk| {
            let items: Vec<String> = chunk.iter().map(|c| each(&quote(&c.name))).collect();
            format!("json_array({})", items.join(", "))
        })
        .collect();
    format!("json_array({})", chunks.join(", "))
}

pub(super) fn select(
    conn: &mut SqliteConnection,
    table: &Table,
    column: &str,
    values: &[String],
    compare: Compare,
    limit: usize,
) -> Result<Vec<FoundRow>, ConnectorError> {
    // The same value twice, in two chunks, would find its rows twice.
    let mut distinct: Vec<&String> = values.iter().collect();
    distinct.sort();
    distinct.dedup();
    let mut found = Vec::new();
    for chunk in distinct.chunks(CHUNK) {
        if found.len() >= limit {
            break;
        }
        let sql = select_sql(table, column, chunk.len(), compare, limit - found.len());
        let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
        for v in chunk {
            query = query.bind::<Text, _>(v.as_str());
        }
        let rows: Vec<RawRow> = query.load(conn).map_err(super::db_error)?;
        for raw in rows {
            found.push(decode(table, &raw)?);
        }
    }
    Ok(found)
}

fn decode(table: &Table, raw: &RawRow) -> Result<FoundRow, ConnectorError> {
    let unreadable = || {
        ConnectorError::Permanent(format!(
            "SQLite returned a row of table {} that could not be read",
            table.name
        ))
    };
    let json: Vec<Vec<Value>> = serde_json::from_str(&raw.json).map_err(|_| unreadable())?;
    let text: Vec<Vec<Option<String>>> =
        serde_json::from_str(&raw.text).map_err(|_| unreadable())?;
    let json: Vec<Value> = json.into_iter().flatten().collect();
    let text: Vec<Option<String>> = text.into_iter().flatten().collect();
    if json.len() != table.columns.len() || text.len() != table.columns.len() {
        return Err(unreadable());
    }
    let mut row = FoundRow::default();
    for ((c, j), t) in table.columns.iter().zip(json).zip(text) {
        row.json.insert(c.name.clone(), j);
        row.text.insert(c.name.clone(), t);
    }
    Ok(row)
}
