//! The catalogue the backend reads: base tables only, columns in order with their
//! types, collations and lengths, keys, foreign keys with their delete rule, indexes.

use super::*;

#[test]
fn the_catalogue_lists_base_tables_with_columns_keys_and_indexes() {
    let Some(db) = Db::new() else { return };
    let schema = shop(&db).introspect().expect("introspect");

    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["customers", "order_lines", "orders"],
        "views are left out"
    );

    let customers = schema.table("customers").expect("customers");
    let columns: Vec<&str> = customers.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        columns,
        ["id", "visits", "email", "token", "device", "seen", "balance", "active"]
    );
    let col = |name: &str| customers.column(name).expect(name);

    assert!(col("id").data_type.starts_with("int"));
    assert!(!col("id").nullable && !col("id").is_text && col("id").collation.is_none());
    // MariaDB writes "bigint(20) unsigned", MySQL 8 "bigint unsigned".
    let visits = &col("visits").data_type;
    assert!(
        visits.starts_with("bigint") && visits.ends_with("unsigned"),
        "{visits}"
    );
    assert!(col("visits").nullable);

    let email = col("email");
    assert_eq!(email.data_type, "varchar(191)");
    assert_eq!(email.collation.as_deref(), Some("utf8mb4_general_ci"));
    assert_eq!(email.max_chars, Some(191));
    assert!(email.is_text && !email.nullable);

    assert_eq!(col("token").collation.as_deref(), Some("utf8mb4_bin"));
    assert!(col("token").is_text);
    assert_eq!(col("device").data_type, "varbinary(16)");
    assert!(!col("device").is_text && col("device").collation.is_none());
    assert_eq!(col("seen").data_type, "datetime(6)");
    assert_eq!(col("balance").data_type, "decimal(10,2)");
    assert_eq!(col("active").data_type, "tinyint(1)");

    assert_eq!(customers.primary_key, ["id"]);
    let token = customers
        .indexes
        .iter()
        .find(|i| i.name == "customers_token")
        .expect("the unique index");
    assert!(token.unique && token.columns == ["token"] && token.lowered.is_empty());
    assert!(customers.unique("token") && !customers.unique("email"));
    assert!(customers.leads_index("id") && !customers.leads_index("email"));
    assert!(
        customers.indexes.iter().all(|i| i.name != "PRIMARY"),
        "the primary key is kept apart from the indexes"
    );

    let orders = schema.table("orders").expect("orders");
    assert_eq!(orders.foreign_keys.len(), 1);
    let fk = &orders.foreign_keys[0];
    assert_eq!(fk.columns, ["customer_id"]);
    assert_eq!(fk.ref_table, "customers");
    assert_eq!(fk.ref_columns, ["id"]);
    assert_eq!(fk.on_delete, "SET NULL");
    let by_customer = orders
        .indexes
        .iter()
        .find(|i| i.name == "orders_customer")
        .expect("the foreign key's index");
    assert!(!by_customer.unique);
    assert!(orders.leads_index("customer_id"));

    let lines = schema.table("order_lines").expect("order_lines");
    assert_eq!(lines.primary_key, ["order_id", "line"], "in key order");
    assert_eq!(lines.foreign_keys[0].on_delete, "RESTRICT");
}

#[test]
fn a_composite_foreign_key_keeps_its_column_order() {
    let Some(db) = Db::new() else { return };
    db.exec(&[
        "CREATE TABLE parent (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (b, a))",
        "CREATE TABLE child (
            id INT PRIMARY KEY, pa INT, pb INT,
            KEY child_parent (pb, pa),
            CONSTRAINT child_parent FOREIGN KEY (pb, pa) REFERENCES parent (b, a) ON DELETE CASCADE
        )",
    ]);
    let schema = db.backend().introspect().expect("introspect");
    let child = schema.table("child").expect("child");
    let fk = &child.foreign_keys[0];
    assert_eq!(fk.columns, ["pb", "pa"]);
    assert_eq!(fk.ref_columns, ["b", "a"]);
    assert_eq!(fk.on_delete, "CASCADE");
    let index = child.indexes.iter().find(|i| i.name == "child_parent");
    assert_eq!(
        index.map(|i| i.columns.clone()),
        Some(vec!["pb".into(), "pa".into()])
    );
    assert_eq!(
        schema.table("parent").expect("parent").primary_key,
        ["b", "a"]
    );
}
