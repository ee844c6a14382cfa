//! Erasure deletes or masks exactly Jane's rows and columns as the dataset says; every
//! other row stays byte for byte, except the link of the customer she referred.

use super::*;
use dsar_portal::connectors::sql::dataset::{ColumnErase, TableErase};

fn erases_exactly_janes_rows(f: &Fixture) {
    let before = f.snapshot();
    let janes = f.janes_rows();
    let dataset = f.dataset();
    let c = f.connector();

    let report = c.erase(&c.find(&jane()).expect("find")).expect("erase");

    assert_erased_exactly(f, &before, &janes, &f.snapshot());
    for spec in &dataset.tables {
        let n = janes[&spec.name].len() as u64;
        let (deleted, changed) = match spec.on_erase {
            TableErase::Delete => (n, 0),
            TableErase::Update => (0, n),
            TableErase::Keep => (0, 0),
        };
        assert_eq!(
            report.deleted.get(&spec.name).copied().unwrap_or(0),
            deleted,
            "{}",
            spec.name
        );
        assert_eq!(
            report.changed.get(&spec.name).copied().unwrap_or(0),
            changed,
            "{}",
            spec.name
        );
    }
    assert_eq!(report.detached.get("customers"), Some(&1));
    assert_eq!(report.detached.values().sum::<u64>(), 1);

    // The proof: the same search finds nothing of Jane any more.
    let remaining = report.remaining.expect("the search ran again");
    assert!(remaining.values().all(|n| *n == 0), "{remaining:?}");

    // Kept on purpose, with the dataset's reasons.
    for spec in &dataset.tables {
        for (column, policy) in &spec.columns {
            if let ColumnErase::Keep { keep } = policy {
                assert!(
                    report.kept.iter().any(|k| k.table == spec.name
                        && k.column.as_deref() == Some(column)
                        && &k.reason == keep
                        && k.rows == janes[&spec.name].len() as u64),
                    "{}.{column} kept: {:?}",
                    spec.name,
                    report.kept
                );
            }
        }
    }
}
every_backend!(erases_exactly_janes_rows);

/// Compares the database after an erasure with its snapshot before: Jane's rows gone or
/// changed as the dataset says (an HMAC recomputed here with the test's key), the
/// referred customer's link cleared, every other row identical, no row added.
pub(crate) fn assert_erased_exactly(
    f: &Fixture,
    before: &Snapshot,
    janes: &BTreeMap<String, Vec<i64>>,
    after: &Snapshot,
) {
    let dataset = f.dataset();
    for (table, rows) in &before.0 {
        let now = after.table(table);
        let mine = janes.get(table).cloned().unwrap_or_default();
        for (id, row) in rows {
            let expected = if mine.contains(id) {
                erased(&dataset, table, row)
            } else if table == "customers" && *id == REFERRED {
                let mut row = row.clone();
                row.insert("referred_by".into(), None);
                Some(row)
            } else {
                Some(row.clone())
            };
            assert_eq!(now.get(id), expected.as_ref(), "{table} row {id}");
        }
        let added: Vec<&i64> = now.keys().filter(|id| !rows.contains_key(id)).collect();
        assert!(added.is_empty(), "{table}: rows added {added:?}");
    }
}
