//! What `introspect` reads from pg_catalog: types, nullability, lengths, collations,
//! keys in key order, multi-column foreign keys, plain and `lower()` indexes.

use super::Fixture;
use dsar_portal::connectors::sql::backend::SqlBackend;
use dsar_portal::connectors::sql::schema::{Column, Table};

const SHOP: &str = r#"
CREATE TABLE customers (
  id integer PRIMARY KEY, big bigint, ref uuid NOT NULL, notes text,
  email varchar(120) NOT NULL, code char(4), photo bytea, seen timestamptz,
  balance numeric(10,2), active boolean NOT NULL DEFAULT true, nick text COLLATE "C");
CREATE INDEX customers_email_lower ON customers (lower(email));
CREATE UNIQUE INDEX customers_ref_key ON customers (ref);
CREATE INDEX customers_partial ON customers (big) WHERE big > 0;
CREATE TABLE shops (region text, number int, name text, PRIMARY KEY (number, region));
CREATE TABLE visits (
  id bigint PRIMARY KEY, shop_region text, shop_number int,
  FOREIGN KEY (shop_number, shop_region) REFERENCES shops (number, region) ON DELETE SET NULL);
CREATE INDEX visits_shop ON visits (shop_number, shop_region);
CREATE VIEW customer_emails AS SELECT email FROM customers;
"#;

fn table<'s>(tables: &'s [Table], name: &str) -> &'s Table {
    tables
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("table {name} introspected"))
}

fn column<'t>(t: &'t Table, name: &str) -> &'t Column {
    t.column(name)
        .unwrap_or_else(|| panic!("column {name} introspected"))
}

#[test]
fn base_tables_are_read_with_their_columns_in_order() {
    let Some(f) = Fixture::new(SHOP) else { return };
    let schema = f.backend().introspect().expect("introspect");
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["customers", "shops", "visits"],
        "views are left out"
    );

    let customers = table(&schema.tables, "customers");
    let described: Vec<(&str, &str, bool, bool)> = customers
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str(), c.nullable, c.is_text))
        .collect();
    assert_eq!(
        described,
        [
            ("id", "integer", false, false),
            ("big", "bigint", true, false),
            ("ref", "uuid", false, false),
            ("notes", "text", true, true),
            ("email", "character varying(120)", false, true),
            ("code", "character(4)", true, true),
            ("photo", "bytea", true, false),
            ("seen", "timestamp with time zone", true, false),
            ("balance", "numeric(10,2)", true, false),
            ("active", "boolean", false, false),
            ("nick", "text", true, true),
        ]
    );
    assert_eq!(column(customers, "email").max_chars, Some(120));
    assert_eq!(column(customers, "code").max_chars, Some(4));
    assert_eq!(column(customers, "notes").max_chars, None);
    assert_eq!(column(customers, "nick").collation.as_deref(), Some("C"));
    assert_eq!(
        column(customers, "notes").collation,
        None,
        "default collation"
    );
}

#[test]
fn keys_foreign_keys_and_indexes_keep_their_order() {
    let Some(f) = Fixture::new(SHOP) else { return };
    let schema = f.backend().introspect().expect("introspect");

    let shops = table(&schema.tables, "shops");
    assert_eq!(
        shops.primary_key,
        ["number", "region"],
        "key order, not column order"
    );

    let visits = table(&schema.tables, "visits");
    assert_eq!(visits.foreign_keys.len(), 1);
    let fk = &visits.foreign_keys[0];
    assert_eq!(fk.columns, ["shop_number", "shop_region"]);
    assert_eq!(fk.ref_table, "shops");
    assert_eq!(fk.ref_columns, ["number", "region"]);
    assert_eq!(fk.on_delete, "SET NULL");
    assert!(visits.leads_index("shop_number"));
    assert!(!visits.leads_index("shop_region"));

    let customers = table(&schema.tables, "customers");
    let lowered = customers
        .indexes
        .iter()
        .find(|i| i.name == "customers_email_lower")
        .expect("the lower(email) index");
    assert!(lowered.columns.is_empty());
    assert_eq!(lowered.lowered, ["email"]);
    assert!(!lowered.unique);
    assert!(customers.leads_lowered_index("email"));
    assert!(
        !customers.leads_index("email"),
        "only lower(email) is indexed"
    );
    assert!(customers.unique("ref"), "the unique index");
    assert!(customers.unique("id"), "the primary key");
    assert!(
        customers
            .indexes
            .iter()
            .all(|i| i.name != "customers_partial"),
        "a partial index serves only its WHERE"
    );
}

#[test]
fn citext_columns_are_text_and_a_cascade_reads_as_such() {
    let Some(mut f) = Fixture::new("") else {
        return;
    };
    // The extension belongs to the database, not the schema: shared, never dropped.
    if f.client
        .batch_execute("CREATE EXTENSION IF NOT EXISTS citext SCHEMA public")
        .is_err()
    {
        f.exec("CREATE EXTENSION IF NOT EXISTS citext SCHEMA public");
    }
    f.exec(
        "CREATE TABLE people (id int PRIMARY KEY, email citext);
         CREATE TABLE notes (id int PRIMARY KEY, person int REFERENCES people ON DELETE CASCADE);",
    );
    let schema = f.backend().introspect().expect("introspect");
    let people = table(&schema.tables, "people");
    assert!(column(people, "email").is_text);
    assert!(!column(people, "id").is_text);
    let notes = table(&schema.tables, "notes");
    assert_eq!(notes.foreign_keys[0].on_delete, "CASCADE");
    assert_eq!(notes.foreign_keys[0].ref_columns, ["id"]);
}
