//! The search: from the columns holding the person's identities, along the dataset's
//! references, to every reachable row.
//!
//! - Identities are compared exactly after the database's own comparison: an email
//!   lowercased on both sides (the address asked for also trimmed, as the portal takes it
//!   from a form; a stored value with spaces around it is a look-alike), anything else
//!   byte for byte. Rows the database returned that fail this test (MySQL's `_ci`
//!   collations fold case and ignore trailing spaces) are counted as excluded.
//! - Only rows found through a strong identity are walked from; a weak identity's rows
//!   are shown and never spread or acted on.
//! - Rows are named by their key, so a cycle (a self-reference, two tables pointing at
//!   each other) ends when a step finds nothing new.
//! - A table holding more than `max_rows` of one person stops the search there and says
//!   "or more": a dataset mistake shows up as a stop, never as half the database.

use super::backend::{Compare, FoundRow, SqlBackend};
use super::resolved::{Link, Resolved};
use crate::connectors::{ConnectorError, KeyMatch, Strength, Subject};
use std::collections::{BTreeMap, BTreeSet};

/// A row found, named by its key values.
pub type RowKey = Vec<String>;

#[derive(Debug, Clone)]
pub struct Hit {
    pub row: FoundRow,
    pub strong: bool,
}

#[derive(Debug, Default)]
pub struct Walk {
    pub rows: BTreeMap<String, BTreeMap<RowKey, Hit>>,
    pub keys: Vec<KeyMatch>,
    pub paths: BTreeMap<String, Vec<String>>,
    pub excluded: u64,
    pub at_least: bool,
}

/// How the portal compares an email: what `Compare::FoldCase` leaves the engine to check.
pub fn normalise_email(value: &str) -> String {
    value.trim().to_lowercase()
}

/// The identity values a search uses, by kind, as they are compared.
pub fn search_values(subject: &Subject) -> BTreeMap<String, String> {
    subject
        .identities
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| {
            let v = if k == "email" {
                normalise_email(v)
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

pub fn search(
    backend: &dyn SqlBackend,
    plan: &Resolved,
    values: &BTreeMap<String, String>,
    max_rows: usize,
) -> Result<Walk, ConnectorError> {
    let mut walk = Walk::default();
    let mut fresh: BTreeMap<String, Vec<RowKey>> = BTreeMap::new();
    for table in plan.tables.values() {
        for (column, kind, weak) in &table.identities {
            let Some(value) = values.get(kind) else {
                continue;
            };
            let email = kind == "email";
            let compare = if email {
                Compare::FoldCase
            } else {
                Compare::Exact
            };
            let rows = backend.select(
                &table.name,
                column,
                std::slice::from_ref(value),
                compare,
                max_rows + 1,
            )?;
            let mut matched = 0;
            for row in rows {
                let same = match row.text.get(column).cloned().flatten() {
                    // The stored address case folded, its spaces kept: what the
                    // backends' `lower(column) = value` compares, on every backend.
                    Some(stored) if email => stored.to_lowercase() == *value,
                    Some(stored) => stored == *value,
                    None => false,
                };
                if !same {
                    walk.excluded += 1;
                    continue;
                }
                matched += 1;
                if let Some(key) = walk.add(plan, &table.name, row, !*weak, max_rows)? {
                    fresh.entry(table.name.clone()).or_default().push(key);
                }
            }
            walk.keys.push(KeyMatch {
                key: format!("{}.{column}", table.name),
                strength: if *weak {
                    Strength::Weak
                } else {
                    Strength::Strong
                },
                records: matched,
            });
            if matched > 0 {
                walk.note_path(&table.name, kind.clone());
            }
        }
    }
    // Breadth first from the strong rows found so far, one table's new rows at a time.
    let mut queue: Vec<(String, Vec<RowKey>)> = fresh.into_iter().collect();
    while let Some((table, keys)) = queue.pop() {
        for link in plan
            .references
            .iter()
            .filter(|l| l.walk && l.to_table == table)
        {
            let found = walk.follow(backend, plan, link, &keys, max_rows)?;
            if !found.is_empty() {
                queue.push((link.from_table.clone(), found));
            }
        }
    }
    Ok(walk)
}

impl Walk {
    /// Adds a row (or makes a weak one strong); the key when the row is new or newly
    /// strong, i.e. when it should be walked from.
    fn add(
        &mut self,
        plan: &Resolved,
        table: &str,
        row: FoundRow,
        strong: bool,
        max_rows: usize,
    ) -> Result<Option<RowKey>, ConnectorError> {
        let key = row_key(plan, table, &row)?;
        let rows = self.rows.entry(table.to_string()).or_default();
        if let Some(hit) = rows.get_mut(&key) {
            if strong && !hit.strong {
                hit.strong = true;
                return Ok(Some(key));
            }
            return Ok(None);
        }
        if rows.len() >= max_rows {
            self.at_least = true;
            return Ok(None);
        }
        rows.insert(key.clone(), Hit { row, strong });
        Ok(strong.then_some(key))
    }

    fn note_path(&mut self, table: &str, path: String) {
        let paths = self.paths.entry(table.to_string()).or_default();
        if !paths.contains(&path) {
            paths.push(path);
        }
    }

    /// The rows of `link.from_table` pointing at the given strong rows of `link.to_table`.
    fn follow(
        &mut self,
        backend: &dyn SqlBackend,
        plan: &Resolved,
        link: &Link,
        keys: &[RowKey],
        max_rows: usize,
    ) -> Result<Vec<RowKey>, ConnectorError> {
        let values: BTreeSet<String> = self
            .rows
            .get(&link.to_table)
            .map(|rows| {
                keys.iter()
                    .filter_map(|k| rows.get(k))
                    .filter(|hit| hit.strong)
                    .filter_map(|hit| hit.row.text.get(&link.to_column).cloned().flatten())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<String> = values.into_iter().collect();
        let rows = backend.select(
            &link.from_table,
            &link.from_column,
            &values,
            Compare::Exact,
            max_rows + 1,
        )?;
        let mut added = Vec::new();
        let mut reached = false;
        for row in rows {
            // Exactly the referenced value: a `_ci` column's look-alike is someone else's.
            let points_here = row
                .text
                .get(&link.from_column)
                .cloned()
                .flatten()
                .is_some_and(|v| values.binary_search(&v).is_ok());
            if !points_here {
                continue;
            }
            reached = true;
            if let Some(key) = self.add(plan, &link.from_table, row, true, max_rows)? {
                added.push(key);
            }
        }
        if reached {
            self.note_path(&link.from_table, link.path());
        }
        Ok(added)
    }
}

/// The row's key values, in the order of the table's key.
pub fn row_key(plan: &Resolved, table: &str, row: &FoundRow) -> Result<RowKey, ConnectorError> {
    let spec = plan.tables.get(table).ok_or_else(|| {
        ConnectorError::Permanent(format!("table {table:?} is not in the dataset"))
    })?;
    spec.key
        .iter()
        .map(|c| {
            row.text.get(c).cloned().flatten().ok_or_else(|| {
                ConnectorError::Permanent(format!(
                    "a row of {table:?} has no value in its key column {c:?}: rows must be named to be acted on"
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! The walk's rules on rows held in memory; the backends' own comparisons are tested
    //! against the real databases in `tests/api/sql_backends`.
    use super::*;
    use crate::connectors::sql::backend::{BackendKind, Step};
    use crate::connectors::sql::dataset::Dataset;
    use crate::connectors::sql::resolved::resolve;
    use crate::connectors::sql::schema::{Column, Schema, Table};

    /// Compares like MySQL's `_ci` collations: case and trailing spaces ignored, so the
    /// walk's own exact test is what keeps look-alikes out.
    struct Rows(BTreeMap<&'static str, Vec<BTreeMap<String, Option<String>>>>);

    impl SqlBackend for Rows {
        fn kind(&self) -> BackendKind {
            BackendKind::MySql
        }
        fn ping(&self) -> Result<(), ConnectorError> {
            Ok(())
        }
        fn introspect(&self) -> Result<Schema, ConnectorError> {
            Ok(schema())
        }
        fn select(
            &self,
            table: &str,
            column: &str,
            values: &[String],
            _compare: Compare,
            limit: usize,
        ) -> Result<Vec<FoundRow>, ConnectorError> {
            let fold = |s: &str| s.trim_end().to_lowercase();
            Ok(self.0[table]
                .iter()
                .filter(|r| {
                    r.get(column)
                        .cloned()
                        .flatten()
                        .is_some_and(|v| values.iter().any(|x| fold(x) == fold(&v)))
                })
                .take(limit)
                .map(|r| FoundRow {
                    json: Default::default(),
                    text: r.clone(),
                })
                .collect())
        }
        fn apply(&self, _steps: &[Step]) -> Result<Vec<u64>, ConnectorError> {
            Ok(Vec::new())
        }
    }

    fn t(name: &str, cols: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: (*c).into(),
                    ..Column::default()
                })
                .collect(),
            primary_key: vec!["id".into()],
            ..Table::default()
        }
    }

    fn schema() -> Schema {
        Schema {
            tables: vec![
                t(
                    "customers",
                    &["id", "email", "user_ref", "phone", "referred_by"],
                ),
                t("orders", &["id", "customer_id"]),
            ],
        }
    }

    fn row(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.map(str::to_string)))
            .collect()
    }

    fn data() -> Rows {
        Rows(BTreeMap::from([
            (
                "customers",
                vec![
                    row(&[
                        ("id", Some("1")),
                        ("email", Some("Jane@Example.com")),
                        ("user_ref", Some("JD-1")),
                        ("phone", Some("555")),
                        ("referred_by", None),
                    ]),
                    row(&[
                        ("id", Some("2")),
                        ("email", Some("other@example.com")),
                        ("user_ref", Some("jd-1")),
                        ("phone", Some("555")),
                        ("referred_by", Some("1")),
                    ]),
                    row(&[
                        ("id", Some("3")),
                        ("email", Some("x@example.com")),
                        ("user_ref", Some("JD-1 ")),
                        ("phone", Some("556")),
                        ("referred_by", None),
                    ]),
                ],
            ),
            (
                "orders",
                vec![
                    row(&[("id", Some("10")), ("customer_id", Some("1"))]),
                    row(&[("id", Some("11")), ("customer_id", Some("1"))]),
                    row(&[("id", Some("12")), ("customer_id", Some("2"))]),
                ],
            ),
        ]))
    }

    fn plan() -> Resolved {
        let d = Dataset::from_toml(
            r#"
[[tables]]
name = "customers"
identities = [{ column = "email", identity = "email" }, { column = "user_ref", identity = "account_id" }, { column = "phone", identity = "phone", weak = true }]
on_erase = "delete"
[[tables]]
name = "orders"
on_erase = "delete"
[[references]]
from = "orders.customer_id"
to = "customers.id"
[[references]]
from = "customers.referred_by"
to = "customers.id"
walk = true
"#,
        )
        .expect("dataset");
        resolve(&d, &schema()).expect("resolves")
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        let subject = Subject {
            identities: pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        };
        search_values(&subject)
    }

    fn keys(w: &Walk, table: &str, strong: bool) -> Vec<String> {
        w.rows
            .get(table)
            .map(|r| {
                r.iter()
                    .filter(|(_, h)| h.strong == strong)
                    .map(|(k, _)| k.join(","))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn an_email_matches_folded_and_look_alike_user_ids_are_excluded() {
        let w = search(
            &data(),
            &plan(),
            &values(&[("email", " JANE@example.COM"), ("account_id", "JD-1")]),
            100,
        )
        .expect("search");
        // Customer 2 was referred by Jane: reached through the walked self-reference.
        assert_eq!(keys(&w, "customers", true), vec!["1", "2"]);
        assert_eq!(keys(&w, "orders", true), vec!["10", "11", "12"]);
        // "jd-1" and "JD-1 " came back from the folding comparison and were refused.
        assert_eq!(w.excluded, 2);
        assert_eq!(w.paths["orders"], vec!["customers.id → orders.customer_id"]);
    }

    #[test]
    fn a_weak_identity_alone_is_shown_and_never_walked() {
        let w = search(&data(), &plan(), &values(&[("phone", "555")]), 100).expect("search");
        assert_eq!(keys(&w, "customers", false), vec!["1", "2"]);
        assert!(keys(&w, "customers", true).is_empty());
        assert!(!w.rows.contains_key("orders"));
        assert_eq!(
            w.keys
                .iter()
                .find(|k| k.key == "customers.phone")
                .map(|k| k.records),
            Some(2)
        );
    }

    #[test]
    fn a_table_over_the_bound_stops_and_says_or_more() {
        let w = search(
            &data(),
            &plan(),
            &values(&[("email", "jane@example.com")]),
            1,
        )
        .expect("search");
        assert!(w.at_least);
        assert_eq!(w.rows["orders"].len(), 1);
    }
}
