//! Deleting rows that other rows point at.

use super::*;

/// The shop deleting customers: what else must be deleted or let go.
fn deleting_customers() -> Dataset {
    let mut d = good();
    let customers = table_mut(&mut d, "customers");
    customers.on_erase = TableErase::Delete;
    customers.columns.clear();
    for name in ["orders", "order_items"] {
        let t = table_mut(&mut d, name);
        t.on_erase = TableErase::Delete;
        t.keep_reason = None;
    }
    d
}

#[test]
fn deleting_rows_others_point_at_is_sound_when_they_go_too() {
    let e = errors(&deleting_customers());
    assert_eq!(e, Vec::<String>::new());
}

#[test]
fn deleting_rows_the_database_would_refuse_to_delete_is_an_error() {
    let mut d = deleting_customers();
    let orders = table_mut(&mut d, "orders");
    orders.on_erase = TableErase::Keep;
    orders.keep_reason = Some("tax".into());
    let e = errors(&d);
    assert!(
        has(
            &e,
            &[
                "rows of \"customers\"",
                "rows of \"orders\"",
                "refuse",
                "on_erase = \"delete\" on \"orders\""
            ]
        ),
        "{e:?}"
    );
    // orders.customer_id cannot be NULL, so set_null is not offered.
    assert!(!has(&e, &["orders", "set_null"]), "{e:?}");
}

#[test]
fn rows_that_stay_may_point_at_deleted_rows_once_their_link_is_emptied() {
    let mut d = deleting_customers();
    let orders = table_mut(&mut d, "orders");
    orders.on_erase = TableErase::Update;
    orders.columns = [(
        "customer_id".to_string(),
        ColumnErase::Simple(SimpleErase::Null),
    )]
    .into();
    // orders.customer_id is NOT NULL in this schema: emptying it cannot work.
    assert!(!errors(&d).is_empty());
    let mut schema = shop();
    if let Some(t) = schema.tables.iter_mut().find(|t| t.name == "orders") {
        if let Some(c) = t.columns.iter_mut().find(|c| c.name == "customer_id") {
            c.nullable = true;
        }
    }
    let review = run(&d, &schema);
    assert!(
        !review.errors.iter().any(|e| e.contains("pointing at them")),
        "{:?}",
        review.errors
    );
}

#[test]
fn the_self_reference_must_let_go_of_deleted_rows() {
    let mut d = deleting_customers();
    d.references.retain(|r| r.from != "customers.referred_by");
    let e = errors(&d);
    assert!(
        has(
            &e,
            &[
                "customers.referred_by → customers.id",
                "on_delete = \"set_null\"",
                "walk = false"
            ]
        ),
        "{e:?}"
    );
    // set_null on a column that cannot be NULL does not let go.
    let mut s = shop();
    s.tables[0].columns[4].nullable = false;
    let e = run(&deleting_customers(), &s).errors;
    assert!(
        has(&e, &["customers.referred_by", "cannot be NULL"]),
        "{e:?}"
    );
    assert!(has(&e, &["rows of \"customers\"", "refuse"]), "{e:?}");
}

#[test]
fn a_cascade_into_rows_the_dataset_keeps_is_an_error() {
    let mut d = deleting_customers();
    let items = table_mut(&mut d, "order_items");
    items.on_erase = TableErase::Keep;
    items.keep_reason = Some("tax".into());
    let e = errors(&d);
    assert!(
        has(
            &e,
            &[
                "rows of \"orders\"",
                "\"order_items\"",
                "CASCADE",
                "preview never showed"
            ]
        ),
        "{e:?}"
    );
}

#[test]
fn a_foreign_key_from_an_unlisted_table_is_reported_with_how_to_list_it() {
    let mut d = deleting_customers();
    d.tables.retain(|t| t.name != "addresses");
    d.references.retain(|r| !r.from.starts_with("addresses."));
    let e = errors(&d);
    assert!(
        has(&e, &["list \"addresses\" with on_erase = \"delete\""]),
        "{e:?}"
    );
    // The key's own ON DELETE SET NULL needs nothing from the dataset (newsletter).
    assert!(!has(&e, &["newsletter"]), "{e:?}");
}
