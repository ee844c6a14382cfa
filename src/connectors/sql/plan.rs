//! An erasure's statements, worked out before anything is written: other people's links
//! to deleted rows cleared, the person's kept rows changed column by column, then the
//! deletions, rows that point at others first. The backend runs them in one transaction.

use super::backend::{SetValue, Step};
use super::dataset::{ColumnErase, OnDelete, SimpleErase, TableErase};
use super::resolved::Resolved;
use super::schema::Schema;
use super::walk::{normalise_email, RowKey};
use crate::connectors::ConnectorError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};

use super::backend::FoundRow;

/// What a step is for, so its count lands in the right line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Links cleared in a table, with how many of those rows are the person's own (their
    /// link to their own deleted row): the rest are other people's.
    Detach(String, u64),
    Change(String),
    Delete(String),
}

/// The person's rows as they are now, per table, named by key.
pub type Current = BTreeMap<String, BTreeMap<RowKey, FoundRow>>;

pub fn steps(
    plan: &Resolved,
    schema: &Schema,
    rows: &Current,
    hmac_key: Option<&[u8]>,
) -> Result<Vec<(Purpose, Step)>, ConnectorError> {
    let mut out = Vec::new();
    let deleting = |t: &str| {
        plan.tables
            .get(t)
            .is_some_and(|p| p.on_erase == TableErase::Delete)
    };
    // 1. Other people's rows let go of rows about to be deleted.
    for link in &plan.references {
        if link.on_delete != OnDelete::SetNull || !deleting(&link.to_table) {
            continue;
        }
        let values: BTreeSet<String> = rows
            .get(&link.to_table)
            .into_iter()
            .flat_map(|r| r.values())
            .filter_map(|r| r.text.get(&link.to_column).cloned().flatten())
            .collect();
        if values.is_empty() {
            continue;
        }
        let own = rows
            .get(&link.from_table)
            .into_iter()
            .flat_map(|r| r.values())
            .filter(|r| {
                r.text
                    .get(&link.from_column)
                    .cloned()
                    .flatten()
                    .is_some_and(|v| values.contains(&v))
            })
            .count() as u64;
        out.push((
            Purpose::Detach(link.from_table.clone(), own),
            Step::Detach {
                table: link.from_table.clone(),
                column: link.from_column.clone(),
                values: values.into_iter().collect(),
            },
        ));
    }
    // 2. Rows that stay are changed column by column.
    for (table, found) in rows {
        let Some(spec) = plan.tables.get(table) else {
            continue;
        };
        if spec.on_erase != TableErase::Update {
            continue;
        }
        for (key, row) in found {
            let mut set = Vec::new();
            for (column, policy) in &spec.columns {
                let now = row.text.get(column).cloned().flatten();
                let target = match policy {
                    ColumnErase::Keep { .. } => continue,
                    ColumnErase::Simple(SimpleErase::Null) => SetValue::Null,
                    ColumnErase::Fixed { fixed } => SetValue::Text(fixed.clone()),
                    ColumnErase::Simple(SimpleErase::Hmac) => match &now {
                        None => continue,
                        // Already a pseudonym: a second erasure leaves it as it is.
                        Some(v) if looks_like_pseudonym(v) => continue,
                        Some(v) => SetValue::Text(pseudonym(hmac_key, column, v)?),
                    },
                };
                let same = match (&target, &now) {
                    (SetValue::Null, None) => true,
                    (SetValue::Text(t), Some(n)) => t == n,
                    _ => false,
                };
                if !same {
                    set.push((column.clone(), target));
                }
            }
            if !set.is_empty() {
                out.push((
                    Purpose::Change(table.clone()),
                    Step::Update {
                        table: table.clone(),
                        key: spec.key.clone(),
                        row: key.clone(),
                        set,
                    },
                ));
            }
        }
    }
    // 3. Deletions, a table after every table that points at it.
    for table in delete_order(plan, schema) {
        let Some(found) = rows.get(&table).filter(|f| !f.is_empty()) else {
            continue;
        };
        let key = plan
            .tables
            .get(&table)
            .map(|p| p.key.clone())
            .unwrap_or_default();
        out.push((
            Purpose::Delete(table.clone()),
            Step::Delete {
                table,
                key,
                rows: found.keys().cloned().collect(),
            },
        ));
    }
    Ok(out)
}

/// Tables whose rows are deleted, each after the tables whose rows point at it (by the
/// dataset's references and the schema's foreign keys). Tables in a cycle keep the
/// dataset's order among themselves.
pub fn delete_order(plan: &Resolved, schema: &Schema) -> Vec<String> {
    let deleted: Vec<String> = plan
        .tables
        .values()
        .filter(|t| t.on_erase == TableErase::Delete)
        .map(|t| t.name.clone())
        .collect();
    // points_at[a] = tables a's rows point at (to be deleted after a).
    let mut points_at: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in &deleted {
        points_at.entry(t).or_default();
    }
    let mut edge = |from: &str, to: &str| {
        if from != to && deleted.iter().any(|d| d == from) && deleted.iter().any(|d| d == to) {
            if let (Some(f), Some(t)) = (
                deleted.iter().find(|d| *d == from),
                deleted.iter().find(|d| *d == to),
            ) {
                points_at.entry(f.as_str()).or_default().insert(t.as_str());
            }
        }
    };
    for l in &plan.references {
        edge(&l.from_table, &l.to_table);
    }
    for table in &schema.tables {
        for fk in &table.foreign_keys {
            edge(&table.name, &fk.ref_table);
        }
    }
    let mut order: Vec<String> = Vec::new();
    let mut left: Vec<&str> = deleted.iter().map(String::as_str).collect();
    while !left.is_empty() {
        // A table may go once no remaining table points at it.
        let ready: Vec<&str> = left
            .iter()
            .copied()
            .filter(|t| {
                !left
                    .iter()
                    .any(|o| o != t && points_at.get(o).is_some_and(|p| p.contains(t)))
            })
            .collect();
        let take = if ready.is_empty() {
            vec![left[0]]
        } else {
            ready
        };
        for t in take {
            order.push(t.to_string());
            left.retain(|l| *l != t);
        }
    }
    order
}

/// The keyed pseudonym of a value: hex HMAC-SHA256. An email is normalised first, so
/// the same address gives the same pseudonym in every system keyed alike.
fn pseudonym(key: Option<&[u8]>, column: &str, value: &str) -> Result<String, ConnectorError> {
    let key = key.ok_or_else(|| {
        ConnectorError::Permanent(format!(
            "column {column:?} is replaced by an HMAC, but the connector has no hmac_key_env or hmac_key_file"
        ))
    })?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|_| ConnectorError::Permanent("the HMAC key cannot be used".into()))?;
    let input = if value.contains('@') {
        normalise_email(value)
    } else {
        value.to_string()
    };
    mac.update(input.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
}

fn looks_like_pseudonym(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::sql::dataset::Dataset;
    use crate::connectors::sql::resolved::resolve;
    use crate::connectors::sql::schema::{Column, ForeignKey, Table};

    fn table(name: &str, cols: &[&str], fks: &[(&str, &str)]) -> Table {
        Table {
            name: name.into(),
            columns: cols
                .iter()
                .map(|c| Column {
                    name: (*c).into(),
                    data_type: "text".into(),
                    nullable: true,
                    is_text: true,
                    ..Column::default()
                })
                .collect(),
            primary_key: vec!["id".into()],
            foreign_keys: fks
                .iter()
                .map(|(c, t)| ForeignKey {
                    columns: vec![(*c).into()],
                    ref_table: (*t).into(),
                    ref_columns: vec!["id".into()],
                    on_delete: "NO ACTION".into(),
                })
                .collect(),
            indexes: vec![],
        }
    }

    fn shop() -> (Resolved, Schema) {
        let schema = Schema {
            tables: vec![
                table(
                    "customers",
                    &["id", "email", "referred_by"],
                    &[("referred_by", "customers")],
                ),
                table(
                    "orders",
                    &["id", "customer_id", "ship_to", "total"],
                    &[("customer_id", "customers")],
                ),
                table("items", &["id", "order_id"], &[("order_id", "orders")]),
            ],
        };
        let dataset = Dataset::from_toml(
            r#"
[[tables]]
name = "items"
on_erase = "delete"
[[tables]]
name = "customers"
identities = [{ column = "email", identity = "email" }]
on_erase = "delete"
[[tables]]
name = "orders"
on_erase = "update"
[tables.columns]
ship_to = "null"
customer_id = "hmac"
total = { keep = "tax law" }
[[references]]
from = "orders.customer_id"
to = "customers.id"
[[references]]
from = "items.order_id"
to = "orders.id"
[[references]]
from = "customers.referred_by"
to = "customers.id"
walk = false
on_delete = "set_null"
"#,
        )
        .expect("dataset");
        (resolve(&dataset, &schema).expect("resolves"), schema)
    }

    fn row(pairs: &[(&str, Option<&str>)]) -> FoundRow {
        FoundRow {
            json: Default::default(),
            text: pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.map(str::to_string)))
                .collect(),
        }
    }

    #[test]
    fn deletions_go_children_first_whatever_the_dataset_order() {
        let (plan, schema) = shop();
        // items point at orders (not deleted) — only customers and items are deleted,
        // and nothing deleted points at customers except itself.
        let order = delete_order(&plan, &schema);
        assert_eq!(order.len(), 2);
        let mut plan2 = plan.clone();
        if let Some(o) = plan2.tables.get_mut("orders") {
            o.on_erase = TableErase::Delete;
        }
        let order = delete_order(&plan2, &schema);
        let pos = |t: &str| order.iter().position(|o| o == t).expect("present");
        assert!(pos("items") < pos("orders"));
        assert!(pos("orders") < pos("customers"));
    }

    #[test]
    fn steps_detach_change_then_delete_and_skip_what_is_already_done() {
        let (plan, schema) = shop();
        let mut rows: Current = BTreeMap::new();
        rows.entry("customers".into()).or_default().insert(
            vec!["7".into()],
            row(&[
                ("id", Some("7")),
                ("email", Some("a@x.org")),
                ("referred_by", None),
            ]),
        );
        let orders = rows.entry("orders".into()).or_default();
        orders.insert(
            vec!["1".into()],
            row(&[
                ("id", Some("1")),
                ("customer_id", Some("7")),
                ("ship_to", Some("Street 1")),
                ("total", Some("9.50")),
            ]),
        );
        // Already erased before: nothing left to change.
        let done = "0".repeat(64);
        orders.insert(
            vec!["2".into()],
            row(&[
                ("id", Some("2")),
                ("customer_id", Some(done.as_str())),
                ("ship_to", None),
                ("total", Some("3.00")),
            ]),
        );
        let steps = steps(&plan, &schema, &rows, Some(b"k")).expect("steps");
        let purposes: Vec<&Purpose> = steps.iter().map(|(p, _)| p).collect();
        assert_eq!(
            purposes,
            vec![
                &Purpose::Detach("customers".into(), 0),
                &Purpose::Change("orders".into()),
                &Purpose::Delete("customers".into()),
            ]
        );
        let Step::Update { set, row, .. } = &steps[1].1 else {
            panic!("an update")
        };
        assert_eq!(row, &vec!["1".to_string()]);
        assert_eq!(set[0].0, "customer_id");
        assert!(matches!(&set[0].1, SetValue::Text(h) if h.len() == 64 && h != "7"));
        assert_eq!(set[1], ("ship_to".to_string(), SetValue::Null));
        assert_eq!(set.len(), 2, "the kept total is not touched");
    }

    #[test]
    fn hmac_without_a_key_is_refused_and_equal_emails_give_equal_pseudonyms() {
        assert!(pseudonym(None, "email", "a@x.org").is_err());
        let a = pseudonym(Some(b"k"), "email", "Jane@Example.org ").expect("hmac");
        let b = pseudonym(Some(b"k"), "email", "jane@example.org").expect("hmac");
        let c = pseudonym(Some(b"other"), "email", "jane@example.org").expect("hmac");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
