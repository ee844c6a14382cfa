//! A dataset checked against the live schema before anything runs: `check-config` shows
//! the result, and the connector refuses to search or erase while any error remains.
//!
//! Pure: the schema comes from the backend's `introspect`, the dataset from the operator.
//! Messages name tables and columns only, never a value of a row, and say what to change.
//!
//! - errors (`names.rs`, `policies.rs`, `deletes.rs`): what would fail or surprise — a
//!   name the database does not have, a row that cannot be named, a policy the column
//!   cannot take, a deletion the database would refuse or widen;
//! - advice (`advice.rs`): what works but reads whole tables, with the statement to run.

mod advice;
mod deletes;
mod names;
mod policies;
#[cfg(test)]
mod tests;

use super::backend::BackendKind;
use super::dataset::{split_column, Dataset, Reference, TableErase, TableSpec};
use super::schema::{Column, Schema, Table};
use std::collections::BTreeSet;

/// What `review` found: errors stop the connector, advice is printed by `check-config`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    pub errors: Vec<String>,
    pub advice: Vec<String>,
}

impl Review {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Checks `dataset` against `schema`. `identities` are the identity kinds the portal
/// collects ("email" and the configured identifiers' names; `None` skips that check);
/// `has_hmac_key` whether the connector has a key for the `hmac` policy.
pub fn review(
    dataset: &Dataset,
    schema: &Schema,
    backend: BackendKind,
    identities: Option<&[String]>,
    has_hmac_key: bool,
) -> Review {
    let mut review = Review::default();
    let model = Model::build(dataset, schema, &mut review.errors);
    names::check_identity_kinds(&model, identities, &mut review.errors);
    names::check_references(&model, &mut review.errors, &mut review.advice);
    policies::check(&model, has_hmac_key, &mut review.errors);
    deletes::check(&model, &mut review.errors);
    advice::indexes(&model, backend, &mut review.advice);
    review
}

/// The dataset's tables and references that exist in the schema, and which tables the
/// search reaches: what every later check works on.
pub(super) struct Model<'a> {
    pub dataset: &'a Dataset,
    pub schema: &'a Schema,
    /// Listed tables found in the schema, in the dataset's order.
    pub tables: Vec<(&'a TableSpec, &'a Table)>,
    /// References whose four names all exist in the schema.
    pub links: Vec<Link<'a>>,
    /// Tables the search reaches: searched ones and those walked into from them.
    pub reached: BTreeSet<&'a str>,
}

/// A reference whose tables and columns exist.
pub(super) struct Link<'a> {
    pub reference: &'a Reference,
    pub from_table: &'a Table,
    pub from_column: &'a Column,
    pub to_table: &'a Table,
    pub to_column: &'a Column,
}

impl Link<'_> {
    /// "orders.customer_id → customers.id", as the operator wrote it.
    pub fn label(&self) -> String {
        format!("{} → {}", self.reference.from, self.reference.to)
    }
}

impl<'a> Model<'a> {
    fn build(dataset: &'a Dataset, schema: &'a Schema, errors: &mut Vec<String>) -> Model<'a> {
        let tables = names::check_tables(dataset, schema, errors);
        let links = dataset
            .references
            .iter()
            .filter_map(|r| names::link(r, schema, errors))
            .collect::<Vec<_>>();
        let searched: BTreeSet<&str> = tables
            .iter()
            .filter(|(spec, _)| !spec.identities.is_empty())
            .map(|(spec, _)| spec.name.as_str())
            .collect();
        let reached = reach(&searched, &links);
        Model {
            dataset,
            schema,
            tables,
            links,
            reached,
        }
    }

    pub fn spec(&self, table: &str) -> Option<&'a TableSpec> {
        self.tables
            .iter()
            .find(|(spec, _)| spec.name == table)
            .map(|(spec, _)| *spec)
    }

    /// The columns that name a row: `key` when given, else the primary key.
    pub fn key_of(spec: &'a TableSpec, table: &'a Table) -> &'a [String] {
        if spec.key.is_empty() {
            &table.primary_key
        } else {
            &spec.key
        }
    }

    /// The dataset's reference from `from_table.from_column` to `to_table.to_column`.
    pub fn reference(
        &self,
        from_table: &str,
        from_column: &str,
        to_table: &str,
        to_column: &str,
    ) -> Option<&Link<'a>> {
        self.links.iter().find(|l| {
            l.from_table.name == from_table
                && l.from_column.name == from_column
                && l.to_table.name == to_table
                && l.to_column.name == to_column
        })
    }

    pub fn erases(&self, table: &str, how: TableErase) -> bool {
        self.spec(table).is_some_and(|s| s.on_erase == how)
    }
}

/// Walks references from the referenced table to the referencing one, as the search does.
fn reach<'a>(searched: &BTreeSet<&'a str>, links: &[Link<'a>]) -> BTreeSet<&'a str> {
    let mut reached = searched.clone();
    loop {
        let before = reached.len();
        for l in links.iter().filter(|l| l.reference.walk) {
            if reached.contains(l.to_table.name.as_str()) {
                reached.insert(l.from_table.name.as_str());
            }
        }
        if reached.len() == before {
            return reached;
        }
    }
}

/// A column's broad kind, for telling a reference between text and numbers apart. Other
/// types (uuid, dates, decimals) are not compared: the check is deliberately lenient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Integer,
}

pub(super) fn kind(column: &Column) -> Option<Kind> {
    if column.is_text {
        return Some(Kind::Text);
    }
    let lower = column.data_type.to_ascii_lowercase();
    let base = lower
        .split(|c: char| c == '(' || c.is_whitespace())
        .next()
        .unwrap_or("");
    const INTEGERS: &[&str] = &[
        "integer",
        "int",
        "int2",
        "int4",
        "int8",
        "bigint",
        "smallint",
        "tinyint",
        "mediumint",
        "serial",
        "bigserial",
        "smallserial",
    ];
    INTEGERS.contains(&base).then_some(Kind::Integer)
}

/// "table.column" of a reference, or None when it is not written that way.
pub(super) fn parts(path: &str) -> Option<(&str, &str)> {
    split_column(path)
}
