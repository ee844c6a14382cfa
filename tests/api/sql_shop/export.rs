//! The export holds exactly Jane's rows, as stored, and tells what erasure would keep.

use super::*;
use dsar_portal::connectors::sql::dataset::ColumnErase;

fn exports_exactly_janes_rows(f: &Fixture) {
    let expected = f.janes_rows();
    assert!(expected.values().all(|ids| !ids.is_empty()), "{expected:?}");
    let c = f.connector();

    let records = c.export(&c.find(&jane()).expect("find")).expect("export");

    assert_eq!(exported_ids(&records), expected);
    let customer = &records.tables["customers"][0];
    // As stored, not as searched.
    assert_eq!(customer["email"], JANE_EMAIL_STORED);
    assert_eq!(customer["name"], JANE_NAME);

    // What erasure keeps, with the dataset's reasons, for the access report.
    let dataset = f.dataset();
    for (table, column) in [("orders", "total"), ("invoices", "amount")] {
        let Some(ColumnErase::Keep { keep }) =
            dataset.table(table).and_then(|t| t.columns.get(column))
        else {
            panic!("the dataset keeps {table}.{column}")
        };
        let kept = records
            .kept
            .iter()
            .find(|k| k.table == table && k.column.as_deref() == Some(column))
            .unwrap_or_else(|| panic!("{table}.{column} listed as kept: {:?}", records.kept));
        assert_eq!(&kept.reason, keep);
        assert_eq!(kept.rows, expected[table].len() as u64);
    }
}
every_backend!(exports_exactly_janes_rows);
