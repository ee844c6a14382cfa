//! The SQLite backend of the SQL connector, each test on its own database file in a
//! temporary folder (removed when the test ends, even when it fails).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use dsar_portal::connectors::sql::backend::{Compare, SetValue, SqlBackend, Step};
use dsar_portal::connectors::sql::schema::{ForeignKey, Index};
use dsar_portal::connectors::sql::sqlite::{select_sql, SqliteBackend};
use dsar_portal::connectors::ConnectorError;
use serde_json::json;
use std::path::PathBuf;

const SHOP: &str = r#"
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    name VARCHAR(40) COLLATE NOCASE,
    avatar BLOB,
    balance REAL
);
CREATE INDEX customers_email_lower ON customers (lower(email));
CREATE UNIQUE INDEX customers_name ON customers (name);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    total REAL
);
CREATE TABLE order_lines (
    order_id INTEGER NOT NULL,
    line INTEGER NOT NULL,
    sku TEXT,
    PRIMARY KEY (order_id, line),
    FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
);
CREATE TABLE line_notes (
    order_id INTEGER,
    line INTEGER,
    note TEXT,
    FOREIGN KEY (order_id, line) REFERENCES order_lines (order_id, line)
);
CREATE TABLE events (customer_id INTEGER REFERENCES Customers, detail TEXT);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
"#;

/// A database file of its own.
struct Db {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Db {
    fn new(ddl: &str) -> Db {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir
            .path()
            .join(format!("shop-{:08x}.db", rand::random::<u32>()));
        let db = Db { _dir: dir, path };
        db.execute(ddl);
        db
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    fn backend(&self) -> SqliteBackend {
        SqliteBackend::open(&self.url(), None).expect("a SQLite URL")
    }

    fn conn(&self) -> SqliteConnection {
        let path = self.path.to_str().expect("a UTF-8 path");
        SqliteConnection::establish(path).expect("the test database")
    }

    fn execute(&self, sql: &str) {
        self.conn().batch_execute(sql).expect("test statements");
    }

    fn count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let rows: Vec<N> = diesel::sql_query(sql)
            .load(&mut self.conn())
            .expect("a count");
        rows[0].n
    }

    fn text(&self, sql: &str) -> Option<String> {
        #[derive(QueryableByName)]
        struct T {
            #[diesel(sql_type = Nullable<Text>)]
            t: Option<String>,
        }
        let rows: Vec<T> = diesel::sql_query(sql)
            .load(&mut self.conn())
            .expect("a value");
        rows.into_iter().next().and_then(|r| r.t)
    }
}

fn shop() -> Db {
    let db = Db::new(SHOP);
    db.execute(
        "INSERT INTO customers (id, email, name, avatar, balance) VALUES
            (1, 'alice@example.com', 'Alice', X'DEADBEEF00', 12.5),
            (2, 'Alice@Example.com', 'Other Alice', NULL, NULL),
            (3, 'alice@example.com ', 'Spaced Alice', NULL, -3),
            (4, 'bob@example.com', 'Bob', NULL, 0);
         INSERT INTO orders (id, customer_id, total) VALUES (10, 1, 50), (11, 1, 150), (12, 4, 5);
         INSERT INTO order_lines (order_id, line, sku) VALUES (10, 1, 'a'), (10, 2, 'b'), (12, 1, 'c');
         INSERT INTO line_notes (order_id, line, note) VALUES (12, 1, 'gift wrap');",
    );
    db
}

fn strs(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn the_catalogue_names_tables_columns_keys_and_indexes() {
    let db = shop();
    let schema = db.backend().introspect().expect("introspection");
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["customers", "events", "line_notes", "order_lines", "orders"],
        "base tables only, no view"
    );

    let customers = schema.table("customers").expect("customers");
    assert_eq!(customers.primary_key, ["id"]);
    let id = customers.column("id").expect("id");
    assert_eq!(id.data_type, "INTEGER");
    assert!(!id.nullable, "an INTEGER PRIMARY KEY is never NULL");
    let email = customers.column("email").expect("email");
    assert!(email.is_text && !email.nullable && email.max_chars.is_none());
    assert_eq!(email.collation, None);
    let name = customers.column("name").expect("name");
    assert!(name.is_text && name.nullable);
    assert_eq!(name.max_chars, Some(40));
    assert_eq!(name.collation.as_deref(), Some("NOCASE"));
    assert!(!customers.column("avatar").expect("avatar").is_text);
    assert!(!customers.column("balance").expect("balance").is_text);

    let lowered = customers
        .indexes
        .iter()
        .find(|i| i.name == "customers_email_lower")
        .expect("the expression index");
    assert_eq!(
        lowered,
        &Index {
            name: "customers_email_lower".into(),
            columns: vec![],
            lowered: vec!["email".into()],
            unique: false,
        }
    );
    assert!(customers.leads_lowered_index("email"));
    assert!(!customers.leads_index("email"));
    assert!(customers.unique("name"));
    assert!(customers.unique("id"));

    assert_eq!(
        schema.table("orders").expect("orders").foreign_keys,
        [ForeignKey {
            columns: vec!["customer_id".into()],
            ref_table: "customers".into(),
            ref_columns: vec!["id".into()],
            on_delete: "SET NULL".into(),
        }]
    );
    let lines = schema.table("order_lines").expect("order_lines");
    assert_eq!(lines.primary_key, ["order_id", "line"]);
    assert_eq!(lines.foreign_keys[0].on_delete, "CASCADE");
    assert_eq!(
        schema.table("line_notes").expect("line_notes").foreign_keys,
        [ForeignKey {
            columns: vec!["order_id".into(), "line".into()],
            ref_table: "order_lines".into(),
            ref_columns: vec!["order_id".into(), "line".into()],
            on_delete: "NO ACTION".into(),
        }]
    );

    let events = schema.table("events").expect("events");
    assert!(
        events.primary_key.is_empty(),
        "no rowid stands in for a key"
    );
    assert_eq!(
        events.foreign_keys,
        [ForeignKey {
            columns: vec!["customer_id".into()],
            ref_table: "customers".into(),
            ref_columns: vec!["id".into()],
            on_delete: "NO ACTION".into(),
        }],
        "a reference naming only its table means that table's primary key, spelled as declared"
    );
}

#[test]
fn an_exact_search_returns_only_the_value_as_stored() {
    let db = shop();
    let rows = db
        .backend()
        .select(
            "customers",
            "email",
            &strs(&["alice@example.com"]),
            Compare::Exact,
            10,
        )
        .expect("select");
    let ids: Vec<_> = rows.iter().map(|r| r.json["id"].clone()).collect();
    assert_eq!(ids, [json!(1)]);
}

#[test]
fn a_case_folded_search_finds_the_mixed_case_row_through_the_lowered_index() {
    let db = shop();
    let backend = db.backend();
    let mut rows = backend
        .select(
            "customers",
            "email",
            &strs(&["alice@example.com"]),
            Compare::FoldCase,
            10,
        )
        .expect("select");
    rows.sort_by_key(|r| r.json["id"].as_i64());
    let ids: Vec<_> = rows.iter().map(|r| r.json["id"].clone()).collect();
    assert_eq!(
        ids,
        [json!(1), json!(2)],
        "case folded, trailing space kept"
    );

    let schema = backend.introspect().expect("introspection");
    let customers = schema.table("customers").expect("customers");
    let sql = select_sql(customers, "email", 1, Compare::FoldCase, 10);

    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = Text)]
        detail: String,
    }
    let plan: Vec<Plan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
        .bind::<Text, _>("alice@example.com")
        .load(&mut db.conn())
        .expect("a query plan");
    let details: Vec<&str> = plan.iter().map(|p| p.detail.as_str()).collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("USING INDEX customers_email_lower")),
        "the plan should use the lower(email) index: {details:?}"
    );
}

#[test]
fn an_integer_key_bound_as_text_finds_its_row_in_both_forms() {
    let db = shop();
    let rows = db
        .backend()
        .select("customers", "id", &strs(&["1"]), Compare::Exact, 10)
        .expect("select");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.json["id"], json!(1));
    assert_eq!(row.json["balance"], json!(12.5));
    assert_eq!(row.json["name"], json!("Alice"));
    assert_eq!(row.text["id"].as_deref(), Some("1"));
    assert_eq!(row.text["balance"].as_deref(), Some("12.5"));
    assert_eq!(row.text["email"].as_deref(), Some("alice@example.com"));
}

#[test]
fn bytes_read_as_lowercase_hex_and_null_as_null() {
    let db = shop();
    let rows = db
        .backend()
        .select("customers", "id", &strs(&["1", "2"]), Compare::Exact, 10)
        .expect("select");
    let alice = rows
        .iter()
        .find(|r| r.json["id"] == json!(1))
        .expect("row 1");
    assert_eq!(alice.json["avatar"], json!("deadbeef00"));
    assert_eq!(alice.text["avatar"].as_deref(), Some("deadbeef00"));
    let other = rows
        .iter()
        .find(|r| r.json["id"] == json!(2))
        .expect("row 2");
    assert_eq!(other.json["avatar"], json!(null));
    assert_eq!(other.text["avatar"], None);
    assert_eq!(other.text["balance"], None);
}

#[test]
fn the_limit_holds_across_chunks_of_values() {
    let db = Db::new(SHOP);
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
         INSERT INTO orders (id, customer_id, total) SELECT i, NULL, i FROM n;",
    );
    let backend = db.backend();
    let values: Vec<String> = (1..=1200).map(|i| i.to_string()).collect();

    let all = backend
        .select("orders", "id", &values, Compare::Exact, 5000)
        .expect("select");
    let mut ids: Vec<i64> = all.iter().filter_map(|r| r.json["id"].as_i64()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1200, "every chunk of values is searched");
    assert_eq!(all.len(), 1200);

    let some = backend
        .select("orders", "id", &values, Compare::Exact, 700)
        .expect("select");
    assert_eq!(some.len(), 700);
    let three = backend
        .select("orders", "id", &values[..10], Compare::Exact, 3)
        .expect("select");
    assert_eq!(three.len(), 3);
}

#[test]
fn erasure_steps_count_the_rows_they_touch() {
    let db = shop();
    let counts = db
        .backend()
        .apply(&[
            Step::Detach {
                table: "orders".into(),
                column: "customer_id".into(),
                values: strs(&["1"]),
            },
            Step::Delete {
                table: "order_lines".into(),
                key: strs(&["order_id", "line"]),
                rows: vec![strs(&["10", "1"]), strs(&["10", "2"]), strs(&["10", "3"])],
            },
            Step::Delete {
                table: "customers".into(),
                key: strs(&["id"]),
                rows: vec![strs(&["1"]), strs(&["3"]), strs(&["99"])],
            },
            Step::Update {
                table: "customers".into(),
                key: strs(&["id"]),
                row: strs(&["2"]),
                set: vec![
                    ("email".into(), SetValue::Text("erased-2@invalid".into())),
                    ("name".into(), SetValue::Null),
                ],
            },
        ])
        .expect("apply");
    assert_eq!(counts, [2, 2, 2, 1]);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM orders WHERE customer_id IS NULL"),
        2
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM order_lines"), 1);
    assert_eq!(db.count("SELECT count(*) AS n FROM customers"), 2);
    assert_eq!(
        db.text("SELECT email AS t FROM customers WHERE id = 2")
            .as_deref(),
        Some("erased-2@invalid")
    );
    assert_eq!(
        db.text("SELECT name AS t FROM customers WHERE id = 2"),
        None
    );
}

#[test]
fn a_failing_step_undoes_the_steps_before_it() {
    let db = shop();
    let result = db.backend().apply(&[
        Step::Update {
            table: "customers".into(),
            key: strs(&["id"]),
            row: strs(&["4"]),
            set: vec![("email".into(), SetValue::Text("erased@invalid".into()))],
        },
        // line_notes still points at (12, 1): the foreign key refuses the deletion.
        Step::Delete {
            table: "order_lines".into(),
            key: strs(&["order_id", "line"]),
            rows: vec![strs(&["12", "1"])],
        },
    ]);
    match result {
        Err(ConnectorError::Permanent(m)) => {
            assert!(m.contains("FOREIGN KEY constraint failed"), "{m}")
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert_eq!(
        db.text("SELECT email AS t FROM customers WHERE id = 4")
            .as_deref(),
        Some("bob@example.com"),
        "the update before the failure is rolled back"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM order_lines"), 3);
}

#[test]
fn a_constraint_error_names_columns_never_values() {
    let db = shop();
    let result = db.backend().apply(&[Step::Update {
        table: "customers".into(),
        key: strs(&["id"]),
        row: strs(&["4"]),
        set: vec![("name".into(), SetValue::Text("Alice".into()))],
    }]);
    match result {
        Err(ConnectorError::Permanent(m)) => {
            assert!(
                m.contains("UNIQUE constraint failed: customers.name"),
                "{m}"
            );
            assert!(!m.contains("Alice"), "{m}");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[test]
fn quotes_and_unicode_in_names_and_values_round_trip() {
    let table = "Kündenliste \"alt\" 'x'";
    let column = "e-mail \"privat\"";
    let db = Db::new(
        "CREATE TABLE \"Kündenliste \"\"alt\"\" 'x'\" (id INTEGER PRIMARY KEY, \"e-mail \"\"privat\"\"\" TEXT);
         INSERT INTO \"Kündenliste \"\"alt\"\" 'x'\" VALUES (1, 'o''brien\"@exämple.com'), (2, 'ZOË@example.com');",
    );
    let backend = db.backend();
    let schema = backend.introspect().expect("introspection");
    let t = schema.table(table).expect("the table by its own name");
    assert!(t.column(column).is_some());

    let rows = backend
        .select(
            table,
            column,
            &strs(&["o'brien\"@exämple.com"]),
            Compare::Exact,
            10,
        )
        .expect("select");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].json[column], json!("o'brien\"@exämple.com"));
    // SQLite's lower() folds ASCII letters only: "Ë" stays as it is.
    let folded = backend
        .select(
            table,
            column,
            &strs(&["zoË@example.com"]),
            Compare::FoldCase,
            10,
        )
        .expect("select");
    assert_eq!(folded.len(), 1);

    let counts = backend
        .apply(&[Step::Update {
            table: table.into(),
            key: strs(&["id"]),
            row: strs(&["1"]),
            set: vec![(column.into(), SetValue::Text("gelöscht \"'".into()))],
        }])
        .expect("apply");
    assert_eq!(counts, [1]);
    assert_eq!(
        db.text("SELECT \"e-mail \"\"privat\"\"\" AS t FROM \"Kündenliste \"\"alt\"\" 'x'\" WHERE id = 1")
            .as_deref(),
        Some("gelöscht \"'")
    );
}

#[test]
fn an_unknown_name_is_refused_before_any_statement_runs() {
    let db = shop();
    let result = db.backend().apply(&[
        Step::Delete {
            table: "customers".into(),
            key: strs(&["id"]),
            rows: vec![strs(&["4"])],
        },
        Step::Detach {
            table: "orders".into(),
            column: "owner; DROP TABLE customers".into(),
            values: strs(&["4"]),
        },
    ]);
    assert!(
        matches!(result, Err(ConnectorError::Permanent(_))),
        "{result:?}"
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM customers"), 4);
}

#[test]
fn a_missing_file_is_refused_and_not_created() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("missing.db");
    let backend = SqliteBackend::open(&format!("sqlite://{}", path.display()), None)
        .expect("opening only reads the URL");
    for result in [backend.ping(), backend.introspect().map(|_| ())] {
        match result {
            Err(ConnectorError::Permanent(m)) => {
                assert!(m.contains("the database file does not exist"), "{m}")
            }
            other => panic!("expected a permanent error, got {other:?}"),
        }
    }
    assert!(!path.exists(), "no empty database was created");
}

#[test]
fn the_ping_tells_a_database_from_any_other_file() {
    assert!(shop().backend().ping().is_ok());
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("notes.db");
    std::fs::write(
        &path,
        "not a database, just words and more words to fill a page",
    )
    .expect("a file");
    let backend =
        SqliteBackend::open(&format!("sqlite:{}", path.display()), None).expect("a SQLite URL");
    assert!(matches!(backend.ping(), Err(ConnectorError::Permanent(_))));
}
