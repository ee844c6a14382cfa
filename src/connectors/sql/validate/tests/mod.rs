//! `review` on a hand-built shop schema: a dataset that passes, then one change at a time
//! and the error or advice it must bring — names (`names.rs`), policies (`policies.rs`),
//! deletions others point at (`deletes.rs`) and index advice (`advice.rs`).

mod advice;
mod deletes;
mod names;
mod policies;

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
