//! Rows of one table by one column's values.
//!
//! Exact: `"col" = ANY($1::text[]::<type>[])`: the values travel as text and become the
//! column's own type, so the comparison is the type's own (a uuid as a uuid, varchar
//! byte for byte, trailing spaces included) and an index on the column serves it.
//!
//! FoldCase (values already lowercased): `lower("col") = ANY($1::text[])` for a
//! text-like column, written as an index on `lower(col)` is written, so that index
//! serves it (PostgreSQL prints it as `lower((col)::text)` for varchar; the parse trees
//! are the same). Other types go through `lower("col"::text)`.
//!
//! Each row comes back twice: `row_to_json` (numbers stay numbers, times ISO text) and
//! every column's `::text`, the database's own text form.

use super::catalogue::{Catalogue, ColumnType};
use super::sql;
use crate::connectors::sql::backend::{Compare, FoundRow};
use crate::connectors::ConnectorError;
use postgres::{Client, Row};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub struct Query {
    pub sql: String,
    columns: Vec<ColumnType>,
}

impl Query {
    pub fn build(
        cat: &Catalogue,
        schema: &str,
        table: &str,
        column: &str,
        compare: Compare,
    ) -> Result<Query, ConnectorError> {
        let columns = cat.table(table).ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "PostgreSQL: there is no table {table:?} in schema {schema:?}"
            ))
        })?;
        let key = cat.column(table, column).ok_or_else(|| {
            ConnectorError::Permanent(format!(
                "PostgreSQL: table {table:?} has no column {column:?}"
            ))
        })?;
        let name = format!("r.{}", sql::ident(&key.name));
        let condition = match compare {
            Compare::Exact => format!("{name} = ANY($1::text[]::{}[])", sql::cast_type(&key.cast)?),
            Compare::FoldCase if key.text => format!("lower({name}) = ANY($1::text[])"),
            Compare::FoldCase => format!("lower({name}::text) = ANY($1::text[])"),
        };
        let texts: Vec<String> = columns
            .iter()
            .map(|c| format!(", r.{}::text", sql::ident(&c.name)))
            .collect();
        Ok(Query {
            sql: format!(
                "SELECT row_to_json(r.*)::text{} FROM {} AS r WHERE {condition} LIMIT $2",
                texts.concat(),
                sql::table(schema, table),
            ),
            columns: columns.to_vec(),
        })
    }

    pub fn run(
        &self,
        client: &mut Client,
        values: &[String],
        limit: usize,
    ) -> Result<Vec<Row>, postgres::Error> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        client.query(&self.sql, &[&values, &limit])
    }

    pub fn found_rows(&self, rows: Vec<Row>) -> Result<Vec<FoundRow>, ConnectorError> {
        rows.iter().map(|row| self.found_row(row)).collect()
    }

    fn found_row(&self, row: &Row) -> Result<FoundRow, ConnectorError> {
        let unreadable =
            || ConnectorError::Permanent("PostgreSQL: a row could not be read".to_string());
        let json: String = row.try_get(0).map_err(|_| unreadable())?;
        let mut json: Map<String, Value> = serde_json::from_str(&json).map_err(|_| unreadable())?;
        let mut text = BTreeMap::new();
        for (i, column) in self.columns.iter().enumerate() {
            let value: Option<String> = row.try_get(i + 1).map_err(|_| unreadable())?;
            if column.bytes {
                if let Some(Value::String(s)) = json.get_mut(&column.name) {
                    if let Some(hex) = s.strip_prefix("\\x") {
                        *s = hex.to_ascii_lowercase();
                    }
                }
            }
            text.insert(column.name.clone(), value);
        }
        Ok(FoundRow { json, text })
    }
}
