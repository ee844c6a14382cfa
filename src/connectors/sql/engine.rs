//! The SQL connector's runs over its backend: search (`walk.rs`), export, and erasure
//! (`plan.rs`) with its proof — the same search run again afterwards.

use super::dataset::{ColumnErase, SimpleErase, TableErase};
use super::resolved::{resolve, Resolved};
use super::schema::Schema;
use super::walk::{self, RowKey, Walk};
use super::SqlConnector;
use crate::connectors::{
    ColumnEffect, ConnectorError, ErasureReport, Kept, Matches, Records, Subject, TableFinding,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;

impl SqlConnector {
    /// The live schema, read on first use and kept.
    fn schema(&self) -> Result<Schema, ConnectorError> {
        let mut cached = self
            .schema
            .lock()
            .map_err(|_| ConnectorError::Temporary("the schema cache is unusable".into()))?;
        if let Some(s) = cached.as_ref() {
            return Ok(s.clone());
        }
        let schema = self.backend.introspect()?;
        *cached = Some(schema.clone());
        Ok(schema)
    }

    fn plan(&self) -> Result<(Resolved, Schema), ConnectorError> {
        let schema = self.schema()?;
        Ok((resolve(&self.dataset, &schema)?, schema))
    }
}

pub(super) fn find(c: &SqlConnector, subject: &Subject) -> Result<Matches, ConnectorError> {
    let (plan, _) = c.plan()?;
    let values = walk::search_values(subject);
    let found = walk::search(c.backend(), &plan, &values, c.max_rows)?;
    Ok(to_matches(&plan, &found, &values))
}

/// The preview staff see and the references export and erase act on: only rows reached
/// through a strong identity, by key, plus the identity values searched (encrypted with
/// the rest of the run's result), so that erasure can search again as its proof.
fn to_matches(plan: &Resolved, found: &Walk, values: &BTreeMap<String, String>) -> Matches {
    let mut counts = BTreeMap::new();
    let mut tables = Vec::new();
    let mut refs = serde_json::Map::new();
    for (table, rows) in &found.rows {
        counts.insert(table.clone(), rows.len() as u64);
        let strong: Vec<&RowKey> = rows
            .iter()
            .filter(|(_, h)| h.strong)
            .map(|(k, _)| k)
            .collect();
        if !strong.is_empty() {
            refs.insert(table.clone(), json!(strong));
        }
        if let Some(spec) = plan.tables.get(table) {
            tables.push(TableFinding {
                table: table.clone(),
                rows: rows.len() as u64,
                paths: found.paths.get(table).cloned().unwrap_or_default(),
                weak_only: strong.is_empty(),
                erase: erase_word(spec.on_erase).into(),
                keep_reason: (spec.on_erase == TableErase::Keep)
                    .then(|| spec.keep_reason.clone())
                    .flatten(),
                columns: if spec.on_erase == TableErase::Update {
                    spec.columns
                        .iter()
                        .map(|(column, policy)| column_effect(column, policy))
                        .collect()
                } else {
                    Vec::new()
                },
            });
        }
    }
    Matches {
        keys: found.keys.clone(),
        counts,
        refs: json!({"rows": refs, "search": values}),
        excluded: found.excluded,
        at_least: found.at_least,
        tables,
        ..Matches::default()
    }
}

fn erase_word(e: TableErase) -> &'static str {
    match e {
        TableErase::Keep => "keep",
        TableErase::Delete => "delete",
        TableErase::Update => "update",
    }
}

fn column_effect(column: &str, policy: &ColumnErase) -> ColumnEffect {
    let (effect, reason) = match policy {
        ColumnErase::Simple(SimpleErase::Null) => ("null", None),
        ColumnErase::Simple(SimpleErase::Hmac) => ("hmac", None),
        ColumnErase::Fixed { .. } => ("fixed", None),
        ColumnErase::Keep { keep } => ("keep", Some(keep.clone())),
    };
    ColumnEffect {
        column: column.into(),
        effect: effect.into(),
        reason,
    }
}

/// The strong rows a find named, per table.
fn named_rows(matches: &Matches) -> Result<BTreeMap<String, Vec<RowKey>>, ConnectorError> {
    let rows = matches.refs.get("rows").cloned().unwrap_or(json!({}));
    serde_json::from_value(rows).map_err(|_| {
        ConnectorError::Permanent("the search result is not one this connector wrote".into())
    })
}

fn refuse_weak(matches: &Matches) -> Result<(), ConnectorError> {
    if matches.actionable() {
        Ok(())
    } else {
        Err(ConnectorError::Permanent(
            "nothing was found through a strong identity: weak matches are never exported or erased"
                .into(),
        ))
    }
}

/// The named rows as they are now (rows gone since the search are simply absent).
fn read_rows(
    c: &SqlConnector,
    plan: &Resolved,
    named: &BTreeMap<String, Vec<RowKey>>,
) -> Result<super::plan::Current, ConnectorError> {
    let mut out = super::plan::Current::new();
    for (table, keys) in named {
        let Some(spec) = plan.tables.get(table) else {
            return Err(ConnectorError::Permanent(format!(
                "the search named table {table:?}, which the dataset no longer lists: search again"
            )));
        };
        let Some(first) = spec.key.first() else {
            continue;
        };
        let wanted: std::collections::BTreeSet<&RowKey> = keys.iter().collect();
        let firsts: std::collections::BTreeSet<String> =
            keys.iter().filter_map(|k| k.first().cloned()).collect();
        let firsts: Vec<String> = firsts.into_iter().collect();
        let rows = c.backend().select(
            table,
            first,
            &firsts,
            super::backend::Compare::Exact,
            keys.len().saturating_mul(4).max(c.max_rows),
        )?;
        let entry = out.entry(table.clone()).or_default();
        for row in rows {
            let key = walk::row_key(plan, table, &row)?;
            if wanted.contains(&key) {
                entry.insert(key, row);
            }
        }
    }
    Ok(out)
}

/// What erasure keeps on purpose, for the rows found: whole tables kept, and kept
/// columns of rows otherwise changed.
fn kept(plan: &Resolved, counts: &BTreeMap<String, u64>) -> Vec<Kept> {
    let mut out = Vec::new();
    for (table, n) in counts.iter().filter(|(_, n)| **n > 0) {
        let Some(spec) = plan.tables.get(table) else {
            continue;
        };
        match spec.on_erase {
            TableErase::Keep => out.push(Kept {
                table: table.clone(),
                column: None,
                rows: *n,
                reason: spec.keep_reason.clone().unwrap_or_default(),
            }),
            TableErase::Update => {
                for (column, policy) in &spec.columns {
                    if let ColumnErase::Keep { keep } = policy {
                        out.push(Kept {
                            table: table.clone(),
                            column: Some(column.clone()),
                            rows: *n,
                            reason: keep.clone(),
                        });
                    }
                }
            }
            TableErase::Delete => {}
        }
    }
    out
}

pub(super) fn export(c: &SqlConnector, matches: &Matches) -> Result<Records, ConnectorError> {
    refuse_weak(matches)?;
    let (plan, _) = c.plan()?;
    let named = named_rows(matches)?;
    let current = read_rows(c, &plan, &named)?;
    let mut tables = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for (table, rows) in current {
        counts.insert(table.clone(), rows.len() as u64);
        tables.insert(
            table,
            rows.into_values()
                .map(|r| r.json)
                .collect::<Vec<serde_json::Map<String, Value>>>(),
        );
    }
    Ok(Records {
        kept: kept(&plan, &counts),
        tables,
    })
}

pub(super) fn erase(c: &SqlConnector, matches: &Matches) -> Result<ErasureReport, ConnectorError> {
    refuse_weak(matches)?;
    let (plan, schema) = c.plan()?;
    let problems = super::validate_for_run(c, &schema);
    if !problems.is_empty() {
        return Err(ConnectorError::Permanent(format!(
            "the dataset does not fit the database, nothing was changed: {}",
            problems.join("; ")
        )));
    }
    let named = named_rows(matches)?;
    let current = read_rows(c, &plan, &named)?;
    let steps = super::plan::steps(&plan, &schema, &current, c.hmac_key.as_deref())?;
    let (purposes, statements): (Vec<_>, Vec<_>) = steps.into_iter().unzip();
    let affected = if statements.is_empty() {
        Vec::new()
    } else {
        c.backend().apply(&statements)?
    };
    let mut report = ErasureReport::default();
    for (purpose, n) in purposes.iter().zip(affected) {
        let (map, table, n) = match purpose {
            super::plan::Purpose::Delete(t) => (&mut report.deleted, t, n),
            super::plan::Purpose::Change(t) => (&mut report.changed, t, n),
            super::plan::Purpose::Detach(t, own) => {
                (&mut report.detached, t, n.saturating_sub(*own))
            }
        };
        if n > 0 {
            *map.entry(table.clone()).or_default() += n;
        }
    }
    let counts: BTreeMap<String, u64> = current
        .iter()
        .map(|(t, rows)| (t.clone(), rows.len() as u64))
        .collect();
    report.kept = kept(&plan, &counts);
    // The proof: the same search again, from the same identities.
    let values: BTreeMap<String, String> = matches
        .refs
        .get("search")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    if !values.is_empty() {
        let again = walk::search(c.backend(), &plan, &values, c.max_rows)?;
        let mut remaining: BTreeMap<String, u64> = counts.keys().map(|t| (t.clone(), 0)).collect();
        for (table, rows) in &again.rows {
            let strong = rows.values().filter(|h| h.strong).count() as u64;
            remaining.insert(table.clone(), strong);
        }
        report.remaining = Some(remaining);
    }
    Ok(report)
}

pub(super) fn check(c: &SqlConnector) -> Result<(), ConnectorError> {
    c.backend().ping()?;
    // A fresh read: check-config is where a changed schema should show.
    if let Ok(mut cached) = c.schema.lock() {
        *cached = None;
    }
    let schema = c.schema()?;
    let problems = super::validate_for_run(c, &schema);
    if problems.is_empty() {
        resolve(&c.dataset, &schema).map(|_| ())
    } else {
        Err(ConnectorError::Permanent(problems.join("\n  ")))
    }
}

pub(super) fn advice(c: &SqlConnector) -> Result<Vec<String>, ConnectorError> {
    let schema = c.schema()?;
    Ok(super::advice_for(c, &schema))
}
