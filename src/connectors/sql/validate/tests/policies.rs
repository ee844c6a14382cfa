//! What a table or column policy may ask of its column.

use super::*;

#[test]
fn keeping_reached_rows_needs_a_reason() {
    let mut d = good();
    table_mut(&mut d, "orders").keep_reason = Some("  ".into());
    assert!(has(&errors(&d), &["\"orders\"", "keep_reason"]));
    // A table nothing reaches keeps nothing of the person.
    let mut d = good();
    d.tables.push(spec("products", TableErase::Keep));
    assert!(!has(&errors(&d), &["\"products\""]));
}

#[test]
fn parts_a_table_policy_does_not_use_are_errors() {
    let mut d = good();
    table_mut(&mut d, "addresses").keep_reason = Some("tax".into());
    table_mut(&mut d, "newsletter")
        .columns
        .insert("email".into(), ColumnErase::Simple(SimpleErase::Null));
    let e = errors(&d);
    assert!(
        has(&e, &["\"addresses\"", "keep_reason applies only"]),
        "{e:?}"
    );
    assert!(
        has(&e, &["\"newsletter\"", "only with on_erase = \"update\""]),
        "{e:?}"
    );
    let mut d = good();
    table_mut(&mut d, "customers").columns.clear();
    assert!(has(&errors(&d), &["\"customers\"", "changes nothing"]));
}

#[test]
fn a_column_policy_on_a_key_column_is_an_error() {
    let mut d = good();
    table_mut(&mut d, "customers")
        .columns
        .insert("id".into(), ColumnErase::Simple(SimpleErase::Hmac));
    assert!(has(&errors(&d), &["customers.id", "key"]));
}

#[test]
fn null_on_a_not_null_column_is_an_error() {
    let mut d = good();
    table_mut(&mut d, "customers")
        .columns
        .insert("email".into(), ColumnErase::Simple(SimpleErase::Null));
    assert!(has(&errors(&d), &["customers.email", "NOT NULL"]));
}

#[test]
fn a_fixed_value_must_fit_and_must_not_collide() {
    let mut d = good();
    let columns = &mut table_mut(&mut d, "customers").columns;
    columns.insert(
        "code".into(),
        ColumnErase::Fixed {
            fixed: "erased-customer".into(),
        },
    );
    columns.insert(
        "email".into(),
        ColumnErase::Fixed {
            fixed: "erased".into(),
        },
    );
    let e = errors(&d);
    assert!(has(&e, &["customers.code", "15 characters", "8"]), "{e:?}");
    assert!(has(&e, &["customers.email", "unique", "collide"]), "{e:?}");
    // Within the limit and not unique: accepted.
    table_mut(&mut d, "customers").columns.insert(
        "code".into(),
        ColumnErase::Fixed {
            fixed: "erased".into(),
        },
    );
    assert!(!has(&errors(&d), &["customers.code"]));
}

#[test]
fn hmac_needs_a_long_text_column_and_a_key() {
    let mut d = good();
    table_mut(&mut d, "customers")
        .columns
        .insert("code".into(), ColumnErase::Simple(SimpleErase::Hmac));
    let mut orders = spec("orders", TableErase::Update);
    orders.columns = BTreeMap::from([("total".into(), ColumnErase::Simple(SimpleErase::Hmac))]);
    *table_mut(&mut d, "orders") = orders;
    let e = errors(&d);
    assert!(has(&e, &["customers.code", "cannot hold"]), "{e:?}");
    assert!(has(&e, &["orders.total", "cannot hold"]), "{e:?}");
    let r = review(&good(), &shop(), BackendKind::Postgres, None, false);
    assert!(
        has(&r.errors, &["customers.email", "hmac_key_env"]),
        "{:?}",
        r.errors
    );
}
