//! `review` on a hand-built shop schema: a dataset that passes, then one change at a time
//! and the error or advice it must bring.

use super::*;
use crate::connectors::sql::dataset::{
    ColumnErase, IdentityColumn, OnDelete, SimpleErase, TableErase,
};
use crate::connectors::sql::schema::{ForeignKey, Index};
use std::collections::BTreeMap;

fn col(name: &str, data_type: &str, nullable: bool) -> Column {
    let lower = data_type.to_ascii_lowercase();
    let is_text = ["char", "text", "clob"].iter().any(|t| lower.contains(t));
    let max_chars = lower
        .split_once('(')
        .and_then(|(_, rest)| rest.trim_end_matches(')').parse().ok());
    Column {
        name: name.into(),
        data_type: data_type.into(),
        nullable,
        max_chars,
        collation: None,
        is_text,
    }
}

fn fk(column: &str, ref_table: &str, on_delete: &str) -> ForeignKey {
    ForeignKey {
        columns: vec![column.into()],
        ref_table: ref_table.into(),
        ref_columns: vec!["id".into()],
        on_delete: on_delete.into(),
    }
}

fn index(name: &str, columns: &[&str], unique: bool) -> Index {
    Index {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        lowered: Vec::new(),
        unique,
    }
}

fn table(name: &str, pk: &[&str], columns: Vec<Column>) -> Table {
    Table {
        name: name.into(),
        columns,
        primary_key: pk.iter().map(|c| c.to_string()).collect(),
        foreign_keys: Vec::new(),
        indexes: Vec::new(),
    }
}

/// customers (self-reference referred_by), addresses, orders, order_items (cascading from
/// orders), products, support_tickets (no primary key, no foreign key), newsletter
/// (ON DELETE SET NULL).
fn shop() -> Schema {
    let mut customers = table(
        "customers",
        &["id"],
        vec![
            col("id", "integer", false),
            col("email", "character varying(255)", false),
            col("name", "text", true),
            col("code", "character varying(8)", false),
            col("referred_by", "integer", true),
        ],
    );
    customers.foreign_keys = vec![fk("referred_by", "customers", "NO ACTION")];
    customers.indexes = vec![index("customers_email_key", &["email"], true)];
    let mut addresses = table(
        "addresses",
        &["id"],
        vec![
            col("id", "integer", false),
            col("customer_id", "integer", false),
            col("street", "text", true),
        ],
    );
    addresses.foreign_keys = vec![fk("customer_id", "customers", "RESTRICT")];
    let mut orders = table(
        "orders",
        &["id"],
        vec![
            col("id", "integer", false),
            col("customer_id", "integer", false),
            col("total", "integer", false),
        ],
    );
    orders.foreign_keys = vec![fk("customer_id", "customers", "NO ACTION")];
    orders.indexes = vec![index("orders_customer_id_idx", &["customer_id"], false)];
    let mut items = table(
        "order_items",
        &["id"],
        vec![
            col("id", "integer", false),
            col("order_id", "integer", false),
            col("product_id", "integer", false),
        ],
    );
    items.foreign_keys = vec![
        fk("order_id", "orders", "CASCADE"),
        fk("product_id", "products", "NO ACTION"),
    ];
    items.indexes = vec![index("order_items_order_id_idx", &["order_id"], false)];
    let products = table(
        "products",
        &["id"],
        vec![col("id", "integer", false), col("name", "text", false)],
    );
    let mut tickets = table(
        "support_tickets",
        &[],
        vec![
            col("ticket_no", "integer", false),
            col("email", "text", true),
            col("body", "text", true),
        ],
    );
    tickets.indexes = vec![index("support_tickets_email_idx", &["email"], false)];
    let mut newsletter = table(
        "newsletter",
        &["id"],
        vec![
            col("id", "integer", false),
            col("email", "character varying(100)", false),
            col("customer_id", "integer", true),
        ],
    );
    newsletter.foreign_keys = vec![fk("customer_id", "customers", "SET NULL")];
    Schema {
        tables: vec![
            customers, addresses, orders, items, products, tickets, newsletter,
        ],
    }
}

fn spec(name: &str, on_erase: TableErase) -> TableSpec {
    TableSpec {
        name: name.into(),
        key: Vec::new(),
        identities: Vec::new(),
        on_erase,
        keep_reason: None,
        columns: BTreeMap::new(),
    }
}

fn email_identity(column: &str) -> Vec<IdentityColumn> {
    vec![IdentityColumn {
        column: column.into(),
        identity: "email".into(),
        weak: false,
    }]
}

fn reference(from: &str, to: &str) -> Reference {
    Reference {
        from: from.into(),
        to: to.into(),
        walk: true,
        on_delete: OnDelete::Restrict,
    }
}

/// A dataset the shop accepts: customers pseudonymised, orders kept for tax law.
fn good() -> Dataset {
    let mut customers = spec("customers", TableErase::Update);
    customers.identities = email_identity("email");
    customers.columns = BTreeMap::from([
        ("email".into(), ColumnErase::Simple(SimpleErase::Hmac)),
        ("name".into(), ColumnErase::Simple(SimpleErase::Null)),
        (
            "code".into(),
            ColumnErase::Keep {
                keep: "Needed to settle referral payments".into(),
            },
        ),
    ]);
    let mut orders = spec("orders", TableErase::Keep);
    orders.keep_reason = Some("Orders are kept ten years for tax law".into());
    let mut items = spec("order_items", TableErase::Keep);
    items.keep_reason = orders.keep_reason.clone();
    let mut tickets = spec("support_tickets", TableErase::Delete);
    tickets.key = vec!["ticket_no".into()];
    tickets.identities = email_identity("email");
    let mut newsletter = spec("newsletter", TableErase::Delete);
    newsletter.identities = email_identity("email");
    let mut self_ref = reference("customers.referred_by", "customers.id");
    self_ref.walk = false;
    self_ref.on_delete = OnDelete::SetNull;
    Dataset {
        schema: None,
        tables: vec![
            customers,
            spec("addresses", TableErase::Delete),
            orders,
            items,
            tickets,
            newsletter,
        ],
        references: vec![
            reference("addresses.customer_id", "customers.id"),
            reference("orders.customer_id", "customers.id"),
            reference("order_items.order_id", "orders.id"),
            reference("newsletter.customer_id", "customers.id"),
            self_ref,
        ],
    }
}

fn run(d: &Dataset, s: &Schema) -> Review {
    review(
        d,
        s,
        BackendKind::Postgres,
        Some(&["email".to_string(), "customer_number".to_string()]),
        true,
    )
}

fn errors(d: &Dataset) -> Vec<String> {
    run(d, &shop()).errors
}

/// The one error containing every needle, whatever else is reported.
fn has(errors: &[String], needles: &[&str]) -> bool {
    errors.iter().any(|e| needles.iter().all(|n| e.contains(n)))
}

fn table_mut<'a>(d: &'a mut Dataset, name: &str) -> &'a mut TableSpec {
    d.tables
        .iter_mut()
        .find(|t| t.name == name)
        .expect("table in the dataset")
}

#[test]
fn a_sound_dataset_has_no_errors() {
    let r = run(&good(), &shop());
    assert_eq!(r.errors, Vec::<String>::new());
    assert!(r.is_ok());
}

#[test]
fn names_the_database_does_not_have_are_errors() {
    let mut d = good();
    d.tables.push(spec("customer", TableErase::Delete));
    table_mut(&mut d, "customers").identities = email_identity("mail");
    table_mut(&mut d, "support_tickets").key = vec!["ticket".into()];
    table_mut(&mut d, "customers")
        .columns
        .insert("nick".into(), ColumnErase::Simple(SimpleErase::Null));
    d.references
        .push(reference("orders.client_id", "customers.id"));
    d.references
        .push(reference("invoices.customer_id", "customers.id"));
    d.references.push(reference("orders", "customers.id"));
    let e = errors(&d);
    assert!(has(&e, &["\"customer\"", "not in the database"]), "{e:?}");
    assert!(has(&e, &["\"mail\"", "identities"]), "{e:?}");
    assert!(has(&e, &["\"ticket\"", "key"]), "{e:?}");
    assert!(has(&e, &["\"nick\"", "columns"]), "{e:?}");
    assert!(has(&e, &["orders.client_id", "no column"]), "{e:?}");
    assert!(has(&e, &["\"invoices\"", "not in the database"]), "{e:?}");
    assert!(has(&e, &["from must be written"]), "{e:?}");
    assert_eq!(e.len(), 7, "one error per wrong name: {e:?}");
}

#[test]
fn a_table_listed_twice_is_an_error() {
    let mut d = good();
    d.tables.push(spec("orders", TableErase::Delete));
    assert!(has(&errors(&d), &["\"orders\"", "twice"]));
}

#[test]
fn a_searched_or_reached_table_needs_a_key() {
    let mut d = good();
    table_mut(&mut d, "support_tickets").key.clear();
    assert!(has(&errors(&d), &["\"support_tickets\"", "no primary key"]));
    // Not searched nor reached: nothing is ever named there, so no key is needed.
    table_mut(&mut d, "support_tickets").identities.clear();
    assert!(!has(&errors(&d), &["no primary key"]));
}

#[test]
fn an_identity_the_portal_does_not_collect_is_an_error() {
    let mut d = good();
    table_mut(&mut d, "customers").identities[0].identity = "phone".into();
    let e = errors(&d);
    assert!(
        has(&e, &["\"phone\"", "does not collect", "customer_number"]),
        "{e:?}"
    );
    // Without the list the check is skipped.
    let r = review(&d, &shop(), BackendKind::Postgres, None, true);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn a_reference_between_text_and_integer_is_an_error() {
    let mut d = good();
    d.references[1].to = "customers.email".into();
    assert!(has(
        &errors(&d),
        &["orders.customer_id → customers.email", "never match"]
    ));
}

#[test]
fn a_reference_walked_into_an_unlisted_table_is_an_error() {
    let mut d = good();
    d.tables.retain(|t| t.name != "addresses");
    let e = errors(&d);
    assert!(
        has(&e, &["walked into table \"addresses\"", "not listed"]),
        "{e:?}"
    );
    // Not walked, it is only a declaration: no error.
    d.references[0].walk = false;
    assert!(!has(&errors(&d), &["walked into"]));
}

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

fn advice(d: &Dataset, s: &Schema, backend: BackendKind) -> Vec<String> {
    review(d, s, backend, None, true).advice
}

#[test]
fn postgres_and_sqlite_emails_need_an_index_on_lower() {
    for backend in [BackendKind::Postgres, BackendKind::Sqlite] {
        let a = advice(&good(), &shop(), backend);
        assert!(
            a.iter().any(|l| l.contains(
                r#"CREATE INDEX "customers_email_idx" ON "customers" (lower("email"));"#
            )),
            "{a:?}"
        );
    }
    let mut s = shop();
    s.tables[0].indexes.push(Index {
        name: "customers_lower_email".into(),
        columns: vec![],
        lowered: vec!["email".into()],
        unique: false,
    });
    let a = advice(&good(), &s, BackendKind::Postgres);
    assert!(!a.iter().any(|l| l.contains("customers.email")), "{a:?}");
}

#[test]
fn a_postgres_schema_is_named_in_the_statement() {
    let mut d = good();
    d.schema = Some("shop".into());
    let a = advice(&d, &shop(), BackendKind::Postgres);
    assert!(
        a.iter()
            .any(|l| l.contains(r#"ON "shop"."customers" (lower("email"))"#)),
        "{a:?}"
    );
}

#[test]
fn walked_references_need_an_index_on_their_referencing_column() {
    let a = advice(&good(), &shop(), BackendKind::Postgres);
    assert!(
        a.iter().any(|l| l.contains("addresses.customer_id")
            && l.contains(
                r#"CREATE INDEX "addresses_customer_id_idx" ON "addresses" ("customer_id");"#
            )),
        "{a:?}"
    );
    // Indexed already, or not walked: nothing to say.
    assert!(!a.iter().any(|l| l.contains("orders.customer_id")), "{a:?}");
    assert!(
        !a.iter().any(|l| l.contains("customers.referred_by")),
        "{a:?}"
    );
}

#[test]
fn mysql_emails_depend_on_the_collation() {
    let mut s = shop();
    for c in &mut s.tables[0].columns {
        if c.name == "email" {
            c.collation = Some("utf8mb4_general_ci".into());
        }
    }
    s.tables[0].indexes.clear();
    let a = advice(&good(), &s, BackendKind::MySql);
    assert!(
        a.iter()
            .any(|l| l.contains("CREATE INDEX `customers_email_idx` ON `customers` (`email`);")),
        "{a:?}"
    );
    // A text column is indexed by a prefix on MySQL.
    s.tables[5].indexes.clear();
    let a = advice(&good(), &s, BackendKind::MySql);
    assert!(
        a.iter()
            .any(|l| l.contains("ON `support_tickets` (`email`(255));")),
        "{a:?}"
    );
    for c in &mut s.tables[0].columns {
        if c.name == "email" {
            c.collation = Some("utf8mb4_bin".into());
        }
    }
    let a = advice(&good(), &s, BackendKind::MySql);
    let line = a
        .iter()
        .find(|l| l.contains("customers.email"))
        .expect("advice on a binary collation");
    assert!(
        line.contains("LOWER(email)") && line.contains("utf8mb4_unicode_ci NOT NULL"),
        "{line}"
    );
}

#[test]
fn listed_tables_nothing_reaches_are_pointed_out() {
    let mut d = good();
    d.tables.push(spec("products", TableErase::Keep));
    let a = advice(&d, &shop(), BackendKind::Postgres);
    assert!(
        a.iter()
            .any(|l| l.contains("\"products\"") && l.contains("never searched")),
        "{a:?}"
    );
}
