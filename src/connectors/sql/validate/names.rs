//! Every name in the dataset against the schema: tables, columns, "table.column"
//! references, identity kinds; and what a reference joins.

use super::{kind, parts, Link, Model};
use crate::connectors::sql::dataset::{Dataset, OnDelete, Reference, TableSpec};
use crate::connectors::sql::schema::{Schema, Table};
use std::collections::BTreeSet;

/// The listed tables that exist, each column the dataset names checked.
pub(super) fn check_tables<'a>(
    dataset: &'a Dataset,
    schema: &'a Schema,
    errors: &mut Vec<String>,
) -> Vec<(&'a TableSpec, &'a Table)> {
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for spec in &dataset.tables {
        if !seen.insert(spec.name.as_str()) {
            errors.push(format!(
                "table {:?} is listed twice in the dataset: keep one block per table",
                spec.name
            ));
            continue;
        }
        let Some(table) = schema.table(&spec.name) else {
            errors.push(format!(
                "table {:?} is not in the database (names are compared exactly, case included)",
                spec.name
            ));
            continue;
        };
        let named = spec
            .key
            .iter()
            .map(|c| ("key", c))
            .chain(spec.identities.iter().map(|i| ("identities", &i.column)))
            .chain(spec.columns.keys().map(|c| ("columns", c)));
        for (part, column) in named {
            if table.column(column).is_none() {
                errors.push(format!(
                    "table {:?}: column {column:?} (in {part}) is not in the table",
                    spec.name
                ));
            }
        }
        found.push((spec, table));
    }
    found
}

/// A reference whose tables and columns all exist; an error for each part that does not.
pub(super) fn link<'a>(
    r: &'a Reference,
    schema: &'a Schema,
    errors: &mut Vec<String>,
) -> Option<Link<'a>> {
    let label = format!("reference {} → {}", r.from, r.to);
    let mut side = |path: &'a str, which: &str| {
        let Some((t, c)) = parts(path) else {
            errors.push(format!("{label}: {which} must be written \"table.column\""));
            return None;
        };
        let Some(table) = schema.table(t) else {
            errors.push(format!("{label}: table {t:?} is not in the database"));
            return None;
        };
        let Some(column) = table.column(c) else {
            errors.push(format!("{label}: table {t:?} has no column {c:?}"));
            return None;
        };
        Some((table, column))
    };
    let from = side(&r.from, "from");
    let to = side(&r.to, "to");
    let ((from_table, from_column), (to_table, to_column)) = (from?, to?);
    Some(Link {
        reference: r,
        from_table,
        from_column,
        to_table,
        to_column,
    })
}

/// Each identity column holds a kind of identity the portal collects.
pub(super) fn check_identity_kinds(
    model: &Model,
    identities: Option<&[String]>,
    errors: &mut Vec<String>,
) {
    let Some(collected) = identities else {
        return;
    };
    for spec in &model.dataset.tables {
        for i in &spec.identities {
            if !collected.contains(&i.identity) {
                errors.push(format!(
                    "table {:?}: column {:?} holds identity {:?}, which the portal does not \
                     collect (it collects {}); use one of those or add a [[identifiers]] entry",
                    spec.name,
                    i.column,
                    i.identity,
                    collected.join(", ")
                ));
            }
        }
    }
}

/// What each reference joins and where it leads.
pub(super) fn check_references(model: &Model, errors: &mut Vec<String>, advice: &mut Vec<String>) {
    for l in &model.links {
        let label = l.label();
        if let (Some(a), Some(b)) = (kind(l.from_column), kind(l.to_column)) {
            if a != b {
                errors.push(format!(
                    "reference {label} joins a column of type {} with one of type {}: their \
                     values never match; check which columns the reference names",
                    l.from_column.data_type, l.to_column.data_type
                ));
            }
        }
        if l.reference.walk && model.spec(&l.from_table.name).is_none() {
            errors.push(format!(
                "reference {label} is walked into table {:?}, which is not listed in tables: \
                 list it with its on_erase policy, or set walk = false",
                l.from_table.name
            ));
        }
        if l.reference.on_delete == OnDelete::SetNull && !l.from_column.nullable {
            errors.push(format!(
                "reference {label} says on_delete = \"set_null\", but {}.{} cannot be NULL",
                l.from_table.name, l.from_column.name
            ));
        }
        if model.spec(&l.to_table.name).is_none() {
            advice.push(format!(
                "reference {label} starts from table {:?}, which is not listed in tables, so \
                 the search never follows it",
                l.to_table.name
            ));
        }
    }
    for (spec, _) in &model.tables {
        if !model.reached.contains(spec.name.as_str()) {
            advice.push(format!(
                "table {:?} is listed, but no identity column or walked reference reaches it, \
                 so it is never searched",
                spec.name
            ));
        }
    }
}
