//! Index advice: each column the search looks rows up by — identity columns and the
//! referencing column of each walked reference — without an index leading on it reads
//! the whole table for every person. Each piece of advice carries the statement to run.
//!
//! Emails are compared case-folded: PostgreSQL and SQLite by `lower(column)`, which only
//! an index on that expression serves; MySQL/MariaDB through a `_ci` collation, which a
//! plain index serves, while a `_bin`/`_cs` collation forces `LOWER(column)` and a scan.

use super::Model;
use crate::connectors::sql::backend::BackendKind;
use crate::connectors::sql::schema::{Column, Table};
use std::collections::BTreeSet;

pub(super) fn indexes(model: &Model, backend: BackendKind, advice: &mut Vec<String>) {
    let schema_name = model.dataset.schema.as_deref();
    // A column is looked up once however many reasons name it.
    let mut done: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (spec, table) in &model.tables {
        for identity in &spec.identities {
            let Some(column) = table.column(&identity.column) else {
                continue;
            };
            if !done.insert((&table.name, &column.name)) {
                continue;
            }
            let why = format!("each search by {}", identity.identity);
            let line = if identity.identity == "email" {
                email(backend, schema_name, table, column)
            } else {
                plain(backend, schema_name, table, column, &why)
            };
            advice.extend(line);
        }
    }
    for l in model.links.iter().filter(|l| l.reference.walk) {
        if model.spec(&l.from_table.name).is_none() || model.spec(&l.to_table.name).is_none() {
            continue;
        }
        if !done.insert((&l.from_table.name, &l.from_column.name)) {
            continue;
        }
        let why = format!("walking {}", l.label());
        advice.extend(plain(
            backend,
            schema_name,
            l.from_table,
            l.from_column,
            &why,
        ));
    }
}

fn plain(
    backend: BackendKind,
    schema_name: Option<&str>,
    table: &Table,
    column: &Column,
    why: &str,
) -> Option<String> {
    if table.leads_index(&column.name) {
        return None;
    }
    Some(format!(
        "{}.{} has no index leading on it, so {why} reads the whole table. Add one: `{}`",
        table.name,
        column.name,
        create_index(backend, schema_name, table, column, false)
    ))
}

fn email(
    backend: BackendKind,
    schema_name: Option<&str>,
    table: &Table,
    column: &Column,
) -> Option<String> {
    let at = format!("{}.{}", table.name, column.name);
    match backend {
        BackendKind::Postgres | BackendKind::Sqlite => {
            if table.leads_lowered_index(&column.name) {
                return None;
            }
            Some(format!(
                "{at} is searched case-folded (lower({})) and no index on that expression \
                 exists, so each search by email reads the whole table. Add one: `{}`",
                column.name,
                create_index(backend, schema_name, table, column, true)
            ))
        }
        BackendKind::MySql => {
            let collation = column
                .collation
                .as_deref()
                .unwrap_or("")
                .to_ascii_lowercase();
            if collation.ends_with("_ci") {
                return plain(backend, schema_name, table, column, "each search by email");
            }
            let shown = column.collation.as_deref().unwrap_or("a binary collation");
            let not_null = if column.nullable { "" } else { " NOT NULL" };
            let index = if table.leads_index(&column.name) {
                String::new()
            } else {
                format!(
                    ", then index it: `{}`",
                    create_index(backend, schema_name, table, column, false)
                )
            };
            Some(format!(
                "{at} uses {shown}, which tells upper and lower case apart: addresses stored \
                 in mixed case are found only through LOWER({}), which no index serves, so \
                 each search by email reads the whole table. Convert the column to a \
                 case-insensitive collation, keeping its default and other attributes: \
                 `ALTER TABLE {} MODIFY {} {} CHARACTER SET utf8mb4 COLLATE \
                 utf8mb4_unicode_ci{not_null};`{index}",
                column.name,
                ident(backend, &table.name),
                ident(backend, &column.name),
                column.data_type,
            ))
        }
    }
}

/// `CREATE INDEX "<table>_<column>_idx" ON "table" ("column");`, quoted for the backend.
fn create_index(
    backend: BackendKind,
    schema_name: Option<&str>,
    table: &Table,
    column: &Column,
    lowered: bool,
) -> String {
    let name = ident(backend, &format!("{}_{}_idx", table.name, column.name));
    let on = match (backend, schema_name) {
        (BackendKind::Postgres, Some(s)) => {
            format!("{}.{}", ident(backend, s), ident(backend, &table.name))
        }
        _ => ident(backend, &table.name),
    };
    let col = ident(backend, &column.name);
    let expr = if lowered {
        format!("lower({col})")
    } else if backend == BackendKind::MySql && needs_prefix(column) {
        // MySQL indexes TEXT and BLOB columns only by a prefix; 255 characters holds
        // any address or identifier.
        format!("{col}(255)")
    } else {
        col
    };
    format!("CREATE INDEX {name} ON {on} ({expr});")
}

fn needs_prefix(column: &Column) -> bool {
    let t = column.data_type.to_ascii_lowercase();
    t.contains("text") || t.contains("blob")
}

/// A quoted identifier: backticks for MySQL/MariaDB, double quotes otherwise, any quote
/// inside doubled.
fn ident(backend: BackendKind, name: &str) -> String {
    match backend {
        BackendKind::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}
