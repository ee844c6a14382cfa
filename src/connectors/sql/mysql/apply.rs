//! An erasure's steps in one transaction: all of them, or none.

use super::catalogue::Catalogue;
use super::errors::db_error;
use super::sql::{in_list, is_binary_type, key_match, quote, text, Col, Statement};
use super::MySqlBackend;
use crate::connectors::sql::backend::{SetValue, Step};
use crate::connectors::ConnectorError;
use mysql_async::prelude::Queryable;
use mysql_async::{Params, TxOpts};

/// Seconds a statement waits for a row lock (InnoDB) or a table's metadata lock before
/// the server gives up with a retryable error: long enough for a busy application's
/// own transactions to finish, short enough not to stall it behind an erasure.
const LOCK_WAIT_SECONDS: u32 = 20;

/// Why a step could not be turned into statements.
enum Unresolved {
    /// A table or column the cached catalogue does not know: read it again first.
    Unknown(String),
    Refused(ConnectorError),
}

impl MySqlBackend {
    pub(super) async fn apply_async(&self, steps: &[Step]) -> Result<Vec<u64>, ConnectorError> {
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.connect().await?;
        let catalogue = self.cached(&mut conn).await?;
        let plan = match plan(&catalogue, steps) {
            Ok(plan) => plan,
            Err(Unresolved::Unknown(_)) => {
                match plan(self.reread(&mut conn).await?.as_ref(), steps) {
                    Ok(plan) => plan,
                    Err(Unresolved::Unknown(what)) => {
                        return Err(ConnectorError::Permanent(format!(
                            "the database has no {what}"
                        )))
                    }
                    Err(Unresolved::Refused(e)) => return Err(e),
                }
            }
            Err(Unresolved::Refused(e)) => return Err(e),
        };

        conn.query_drop(format!(
            "SET SESSION innodb_lock_wait_timeout = {LOCK_WAIT_SECONDS}, \
             lock_wait_timeout = {LOCK_WAIT_SECONDS}"
        ))
        .await
        .map_err(db_error)?;
        let mut tx = conn
            .start_transaction(TxOpts::default())
            .await
            .map_err(db_error)?;
        let mut counts = Vec::with_capacity(plan.len());
        for statements in plan {
            let mut affected = 0;
            for statement in statements {
                if let Err(e) = tx
                    .exec_drop(statement.sql, Params::Positional(statement.params))
                    .await
                {
                    // The server's error is what staff need; a failed rollback changes
                    // nothing for them (the server rolls back when the connection goes).
                    let _ = tx.rollback().await;
                    return Err(db_error(e));
                }
                affected += tx.affected_rows();
            }
            counts.push(affected);
        }
        tx.commit().await.map_err(db_error)?;
        Ok(counts)
    }
}

/// Every step as its statements, from catalogue names, before anything is written.
fn plan(catalogue: &Catalogue, steps: &[Step]) -> Result<Vec<Vec<Statement>>, Unresolved> {
    steps
        .iter()
        .map(|step| statements(catalogue, step))
        .collect()
}

fn statements(catalogue: &Catalogue, step: &Step) -> Result<Vec<Statement>, Unresolved> {
    match step {
        Step::Delete { table, key, rows } => {
            let (name, key) = columns(catalogue, table, key)?;
            check_rows(table, &key, rows.iter())?;
            let head = format!("DELETE FROM {name} WHERE");
            Ok(match key.as_slice() {
                [one] => {
                    let values: Vec<String> =
                        rows.iter().filter_map(|r| r.first().cloned()).collect();
                    in_list(&head, &one.quoted, one, &values)
                }
                _ => key_match(&head, &key, rows),
            })
        }
        Step::Update {
            table,
            key,
            row,
            set,
        } => {
            let (name, key) = columns(catalogue, table, key)?;
            check_rows(table, &key, std::iter::once(row))?;
            let set_names: Vec<String> = set.iter().map(|(c, _)| c.clone()).collect();
            let (_, set_cols) = columns(catalogue, table, &set_names)?;
            if set.is_empty() {
                return Ok(Vec::new());
            }
            // A written value is stored as its own bytes, also in a binary column: it is a
            // value the dataset chose (a fixed text, an HMAC), not a key read as hex.
            let assignments = set_cols
                .iter()
                .zip(set)
                .map(|(c, (_, v))| match v {
                    SetValue::Null => format!("{} = NULL", c.quoted),
                    SetValue::Text(_) => format!("{} = ?", c.quoted),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mut params: Vec<_> = set
                .iter()
                .filter_map(|(_, v)| match v {
                    SetValue::Null => None,
                    SetValue::Text(t) => Some(text(t)),
                })
                .collect();
            let mut matched = key_match(
                &format!("UPDATE {name} SET {assignments} WHERE"),
                &key,
                std::slice::from_ref(row),
            );
            // One row: one statement.
            if let Some(mut statement) = matched.pop() {
                params.append(&mut statement.params);
                statement.params = params;
                return Ok(vec![statement]);
            }
            Ok(Vec::new())
        }
        Step::Detach {
            table,
            column,
            values,
        } => {
            let (name, cols) = columns(catalogue, table, std::slice::from_ref(column))?;
            let col = &cols[0];
            let head = format!("UPDATE {name} SET {} = NULL WHERE", col.quoted);
            Ok(in_list(&head, &col.quoted, col, values))
        }
    }
}

/// The table's quoted name and the named columns, after checking the table can roll
/// back and forgets what is deleted.
fn columns(
    catalogue: &Catalogue,
    table: &str,
    names: &[String],
) -> Result<(String, Vec<Col>), Unresolved> {
    let t = catalogue
        .schema
        .table(table)
        .ok_or_else(|| Unresolved::Unknown(format!("table {table:?}")))?;
    if let Some(facts) = catalogue.facts.get(&t.name) {
        if !facts.transactional {
            return Err(Unresolved::Refused(ConnectorError::Permanent(format!(
                "table {table:?} uses the {} engine, which cannot roll back: an erasure \
                 that failed half-way would stay half-done. Convert it to InnoDB \
                 (ALTER TABLE … ENGINE=InnoDB) or keep its rows in the dataset",
                facts.engine
            ))));
        }
        if facts.versioned {
            return Err(Unresolved::Refused(ConnectorError::Permanent(format!(
                "table {table:?} is system-versioned: deleted and changed rows would stay \
                 in its history. Remove the history first (DELETE HISTORY) or keep its rows \
                 in the dataset"
            ))));
        }
    }
    let cols = names
        .iter()
        .map(|n| {
            let c = t
                .column(n)
                .ok_or_else(|| Unresolved::Unknown(format!("column {n:?} in table {table:?}")))?;
            Ok(Col {
                quoted: quote(&c.name),
                binary: is_binary_type(&c.data_type),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((quote(&t.name), cols))
}

fn check_rows<'a>(
    table: &str,
    key: &[Col],
    mut rows: impl Iterator<Item = &'a Vec<String>>,
) -> Result<(), Unresolved> {
    if key.is_empty() || rows.any(|r| r.len() != key.len()) {
        return Err(Unresolved::Refused(ConnectorError::Permanent(format!(
            "an erasure step for table {table:?} names its rows by a key of a different length"
        ))));
    }
    Ok(())
}
