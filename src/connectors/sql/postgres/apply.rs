//! An erasure's steps as statements, run in one transaction with lock and statement
//! timeouts: all of them commit, or none does (a failed statement drops the transaction
//! uncommitted, which rolls it back).
//!
//! Keys and values are bound as text and cast to each column's own type
//! (`$1::text::uuid`, `$1::text[]::integer[]`); NULL is written as NULL.

use super::catalogue::Catalogue;
use super::sql;
use crate::connectors::sql::backend::{SetValue, Step};
use crate::connectors::ConnectorError;
use postgres::types::ToSql;
use postgres::Client;

/// Rows per statement for batched deletes and detaches: large enough that one person's
/// rows take a few statements, small enough that one statement stays cheap to plan.
const BATCH: usize = 1000;
const TX_SETUP: &str = "SET LOCAL lock_timeout = '30s'; SET LOCAL statement_timeout = '300s'";

/// One statement and the step it counts for.
pub struct Statement {
    step: usize,
    sql: String,
    params: Vec<Param>,
}

enum Param {
    One(String),
    Many(Vec<String>),
}

impl Param {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Param::One(v) => v,
            Param::Many(v) => v,
        }
    }
}

/// Whether every table the steps name is in the catalogue.
pub fn covers(cat: &Catalogue, steps: &[Step]) -> bool {
    steps.iter().all(|s| {
        let table = match s {
            Step::Delete { table, .. }
            | Step::Update { table, .. }
            | Step::Detach { table, .. } => table,
        };
        cat.table(table).is_some()
    })
}

pub fn plan(
    cat: &Catalogue,
    schema: &str,
    steps: &[Step],
) -> Result<Vec<Statement>, ConnectorError> {
    let mut out = Vec::new();
    for (step, s) in steps.iter().enumerate() {
        match s {
            Step::Delete { table, key, rows } => {
                let target = sql::table(schema, table);
                let types = key
                    .iter()
                    .map(|k| cast(cat, table, k))
                    .collect::<Result<Vec<_>, _>>()?;
                if rows.iter().any(|r| r.len() != key.len()) || key.is_empty() {
                    return Err(ConnectorError::Permanent(format!(
                        "PostgreSQL: a row to delete from {table:?} does not match its key"
                    )));
                }
                let names: Vec<String> = key.iter().map(|k| sql::ident(k)).collect();
                let arrays: Vec<String> = types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!("${}::text[]::{t}[]", i + 1))
                    .collect();
                let statement = if key.len() == 1 {
                    format!(
                        "DELETE FROM {target} WHERE {} = ANY({})",
                        names[0], arrays[0]
                    )
                } else {
                    format!(
                        "DELETE FROM {target} WHERE ({}) IN (SELECT * FROM unnest({}))",
                        names.join(", "),
                        arrays.join(", ")
                    )
                };
                for chunk in rows.chunks(BATCH) {
                    let params = (0..key.len())
                        .map(|i| Param::Many(chunk.iter().map(|r| r[i].clone()).collect()))
                        .collect();
                    out.push(Statement {
                        step,
                        sql: statement.clone(),
                        params,
                    });
                }
            }
            Step::Update {
                table,
                key,
                row,
                set,
            } => out.push(update(cat, schema, step, table, key, row, set)?),
            Step::Detach {
                table,
                column,
                values,
            } => {
                let statement = format!(
                    "UPDATE {} SET {name} = NULL WHERE {name} = ANY($1::text[]::{}[])",
                    sql::table(schema, table),
                    cast(cat, table, column)?,
                    name = sql::ident(column),
                );
                for chunk in values.chunks(BATCH) {
                    out.push(Statement {
                        step,
                        sql: statement.clone(),
                        params: vec![Param::Many(chunk.to_vec())],
                    });
                }
            }
        }
    }
    Ok(out)
}

fn update(
    cat: &Catalogue,
    schema: &str,
    step: usize,
    table: &str,
    key: &[String],
    row: &[String],
    set: &[(String, SetValue)],
) -> Result<Statement, ConnectorError> {
    if key.is_empty() || key.len() != row.len() || set.is_empty() {
        return Err(ConnectorError::Permanent(format!(
            "PostgreSQL: an update of {table:?} names no row or no column"
        )));
    }
    let mut params = Vec::new();
    let mut assignments = Vec::new();
    for (column, value) in set {
        let name = sql::ident(column);
        let ty = cast(cat, table, column)?;
        match value {
            SetValue::Null => assignments.push(format!("{name} = NULL")),
            SetValue::Text(v) => {
                params.push(Param::One(v.clone()));
                assignments.push(format!("{name} = ${}::text::{ty}", params.len()));
            }
        }
    }
    let mut conditions = Vec::new();
    for (column, value) in key.iter().zip(row) {
        let ty = cast(cat, table, column)?;
        params.push(Param::One(value.clone()));
        conditions.push(format!(
            "{} = ${}::text::{ty}",
            sql::ident(column),
            params.len()
        ));
    }
    Ok(Statement {
        step,
        sql: format!(
            "UPDATE {} SET {} WHERE {}",
            sql::table(schema, table),
            assignments.join(", "),
            conditions.join(" AND ")
        ),
        params,
    })
}

/// The cast type of a column the catalogue knows, or an error naming it.
fn cast<'c>(cat: &'c Catalogue, table: &str, column: &str) -> Result<&'c str, ConnectorError> {
    let c = cat.column(table, column).ok_or_else(|| {
        ConnectorError::Permanent(format!(
            "PostgreSQL: table {table:?} has no column {column:?}"
        ))
    })?;
    sql::cast_type(&c.cast)
}

/// Runs the statements in one transaction; rows affected for each of `steps` steps (a
/// step with nothing to do counts 0).
pub fn run(
    client: &mut Client,
    statements: &[Statement],
    steps: usize,
) -> Result<Vec<u64>, postgres::Error> {
    let mut counts = vec![0u64; steps];
    let mut tx = client.transaction()?;
    tx.batch_execute(TX_SETUP)?;
    for s in statements {
        let params: Vec<&(dyn ToSql + Sync)> = s.params.iter().map(Param::as_sql).collect();
        counts[s.step] += tx.execute(&s.sql, &params)?;
    }
    tx.commit()?;
    Ok(counts)
}
