//! The dataset checked against the live schema and put in the form the search and the
//! erasure use: each table's key columns, identity columns, and references as table and
//! column pairs. Only what exists in the schema gets through, so every name the backends
//! put in SQL is one the database itself reported.

use super::dataset::{ColumnErase, Dataset, OnDelete, TableErase};
use super::schema::Schema;
use crate::connectors::ConnectorError;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Resolved {
    pub tables: BTreeMap<String, TablePlan>,
    pub references: Vec<Link>,
}

#[derive(Debug, Clone)]
pub struct TablePlan {
    pub name: String,
    pub key: Vec<String>,
    pub identities: Vec<(String, String, bool)>,
    pub on_erase: TableErase,
    pub keep_reason: Option<String>,
    pub columns: BTreeMap<String, ColumnErase>,
}

/// A reference: rows of `from_table` whose `from_column` holds a value of `to_column` in a
/// row of `to_table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub from_table: String,
    pub from_column: String,
    pub to_table: String,
    pub to_column: String,
    pub walk: bool,
    pub on_delete: OnDelete,
}

impl Link {
    /// How staff read the path: "customers.id → orders.customer_id".
    pub fn path(&self) -> String {
        format!(
            "{}.{} → {}.{}",
            self.to_table, self.to_column, self.from_table, self.from_column
        )
    }
}

fn unknown(what: String) -> ConnectorError {
    ConnectorError::Permanent(format!(
        "the dataset names {what}, which the database does not have (run `dsar-portal check-config`)"
    ))
}

/// The dataset against the schema; the first name that does not exist is the error.
/// (`validate::review` words every problem for `check-config`; this is the guard every
/// run passes through.)
pub fn resolve(dataset: &Dataset, schema: &Schema) -> Result<Resolved, ConnectorError> {
    let mut tables = BTreeMap::new();
    for spec in &dataset.tables {
        let table = schema
            .table(&spec.name)
            .ok_or_else(|| unknown(format!("table {:?}", spec.name)))?;
        let has = |c: &str| table.column(c).is_some();
        let key = if spec.key.is_empty() {
            table.primary_key.clone()
        } else {
            spec.key.clone()
        };
        if key.is_empty() {
            return Err(ConnectorError::Permanent(format!(
                "table {:?} has no primary key: name its key columns with key = [\"…\"] in the dataset",
                spec.name
            )));
        }
        for c in key
            .iter()
            .chain(spec.identities.iter().map(|i| &i.column))
            .chain(spec.columns.keys())
        {
            if !has(c) {
                return Err(unknown(format!("column {}.{c}", spec.name)));
            }
        }
        tables.insert(
            spec.name.clone(),
            TablePlan {
                name: spec.name.clone(),
                key,
                identities: spec
                    .identities
                    .iter()
                    .map(|i| (i.column.clone(), i.identity.clone(), i.weak))
                    .collect(),
                on_erase: spec.on_erase,
                keep_reason: spec.keep_reason.clone(),
                columns: spec.columns.clone(),
            },
        );
    }
    let mut references = Vec::new();
    for r in &dataset.references {
        let (ft, fc) = split(&r.from)?;
        let (tt, tc) = split(&r.to)?;
        for (t, c) in [(ft, fc), (tt, tc)] {
            let table = schema
                .table(t)
                .ok_or_else(|| unknown(format!("table {t:?}")))?;
            if table.column(c).is_none() {
                return Err(unknown(format!("column {t}.{c}")));
            }
        }
        if r.walk && !tables.contains_key(ft) {
            return Err(ConnectorError::Permanent(format!(
                "the reference {} → {} is walked into table {ft:?}, which the dataset does not list",
                r.to, r.from
            )));
        }
        references.push(Link {
            from_table: ft.into(),
            from_column: fc.into(),
            to_table: tt.into(),
            to_column: tc.into(),
            walk: r.walk,
            on_delete: r.on_delete,
        });
    }
    Ok(Resolved { tables, references })
}

fn split(path: &str) -> Result<(&str, &str), ConnectorError> {
    super::dataset::split_column(path).ok_or_else(|| {
        ConnectorError::Permanent(format!(
            "the dataset reference {path:?} is not written as \"table.column\""
        ))
    })
}
