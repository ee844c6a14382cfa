//! An erasure's steps as SQLite statements, run in one `BEGIN IMMEDIATE` transaction:
//! the write lock is taken at the start (waiting up to the busy timeout), so no other
//! writer can make the transaction fail half-way with SQLITE_BUSY.

use super::quote;
use super::rows::CHUNK;
use crate::connectors::sql::backend::{SetValue, Step};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;
use diesel::SqliteConnection;

/// One statement ready to run: its SQL and its values in order. `None` binds NULL.
pub(super) struct Statement {
    sql: String,
    values: Vec<Option<String>>,
}

/// The statements of one step; the step's count is the sum of their affected rows.
pub(super) fn statements(step: &Step) -> Vec<Statement> {
    match step {
        Step::Delete { table, key, rows } if key.len() == 1 => rows
            .chunks(CHUNK)
            .map(|chunk| Statement {
                sql: format!(
                    "DELETE FROM {} WHERE {} IN ({})",
                    quote(table),
                    quote(&key[0]),
                    vec!["?"; chunk.len()].join(", ")
                ),
                values: chunk.iter().map(|r| r.first().cloned()).collect(),
            })
            .collect(),
        // Composite keys row by row: SQLite's row values cannot be bound as a list.
        Step::Delete { table, key, rows } => rows
            .iter()
            .map(|row| Statement {
                sql: format!("DELETE FROM {} WHERE {}", quote(table), matches_key(key)),
                values: row.iter().cloned().map(Some).collect(),
            })
            .collect(),
        Step::Update { set, .. } if set.is_empty() => Vec::new(),
        Step::Update {
            table,
            key,
            row,
            set,
        } => {
            let assignments: Vec<String> = set
                .iter()
                .map(|(c, v)| match v {
                    SetValue::Null => format!("{} = NULL", quote(c)),
                    SetValue::Text(_) => format!("{} = ?", quote(c)),
                })
                .collect();
            let mut values: Vec<Option<String>> = set
                .iter()
                .filter_map(|(_, v)| match v {
                    SetValue::Null => None,
                    SetValue::Text(t) => Some(Some(t.clone())),
                })
                .collect();
            values.extend(row.iter().cloned().map(Some));
            vec![Statement {
                sql: format!(
                    "UPDATE {} SET {} WHERE {}",
                    quote(table),
                    assignments.join(", "),
                    matches_key(key)
                ),
                values,
            }]
        }
        Step::Detach {
            table,
            column,
            values,
        } => values
            .chunks(CHUNK)
            .map(|chunk| Statement {
                sql: format!(
                    "UPDATE {t} SET {c} = NULL WHERE {c} IN ({})",
                    vec!["?"; chunk.len()].join(", "),
                    t = quote(table),
                    c = quote(column),
                ),
                values: chunk.iter().cloned().map(Some).collect(),
            })
            .collect(),
    }
}

fn matches_key(key: &[String]) -> String {
    key.iter()
        .map(|k| format!("{} = ?", quote(k)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Runs every step's statements in one immediate transaction; any error rolls it back.
pub(super) fn run(conn: &mut SqliteConnection, steps: &[Vec<Statement>]) -> QueryResult<Vec<u64>> {
    conn.immediate_transaction(|c| {
        let mut counts = Vec::with_capacity(steps.len());
        for statements in steps {
            let mut affected = 0u64;
            for s in statements {
                let mut query = diesel::sql_query(s.sql.as_str()).into_boxed::<Sqlite>();
                for v in &s.values {
                    query = query.bind::<diesel::sql_types::Nullable<Text>, _>(v.as_deref());
                }
                affected += query.execute(c)? as u64;
            }
            counts.push(affected);
        }
        Ok(counts)
    })
}
