//! `apply`: deletes (single and composite keys), updates and detaches in one
//! transaction with their counts; a failing step undoes every earlier one; awkward
//! names and values go through quoted and bound.

use super::Fixture;
use dsar_portal::connectors::sql::backend::{SetValue, SqlBackend, Step};
use dsar_portal::connectors::ConnectorError;

const SHOP: &str = r#"
CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers);
CREATE TABLE lines (order_id integer, line smallint, note text, PRIMARY KEY (order_id, line));
INSERT INTO customers VALUES (1, 'ann@example.com', 'Ann'), (2, 'bob@example.com', 'Bob'),
  (3, 'cy@example.com', 'Cy');
INSERT INTO orders VALUES (10, 1), (20, 2), (21, 2), (30, 3);
INSERT INTO lines VALUES (10, 1, 'a'), (10, 2, 'b'), (20, 1, 'c'), (30, 1, 'd');
"#;

fn s(v: &str) -> String {
    v.to_string()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| s(x)).collect()
}

#[test]
fn delete_update_and_detach_run_together_and_count_their_rows() {
    let Some(mut f) = Fixture::new(SHOP) else {
        return;
    };
    let steps = vec![
        Step::Delete {
            table: s("lines"),
            key: strings(&["order_id", "line"]),
            rows: vec![
                strings(&["10", "1"]),
                strings(&["10", "2"]),
                strings(&["99", "1"]),
            ],
        },
        Step::Update {
            table: s("customers"),
            key: strings(&["id"]),
            row: strings(&["1"]),
            set: vec![
                (s("email"), SetValue::Text(s("erased-1"))),
                (s("name"), SetValue::Null),
            ],
        },
        Step::Detach {
            table: s("orders"),
            column: s("customer_id"),
            values: strings(&["2"]),
        },
        Step::Delete {
            table: s("customers"),
            key: strings(&["id"]),
            rows: vec![strings(&["2"])],
        },
        Step::Delete {
            table: s("orders"),
            key: strings(&["id"]),
            rows: vec![],
        },
    ];
    let counts = f.backend().apply(&steps).expect("apply");
    assert_eq!(counts, [2, 1, 2, 1, 0]);

    assert_eq!(
        f.texts("SELECT order_id || '/' || line FROM lines ORDER BY 1"),
        [Some(s("20/1")), Some(s("30/1"))]
    );
    assert_eq!(
        f.texts(
            "SELECT id || ':' || email || ':' || coalesce(name, '-') FROM customers ORDER BY id"
        ),
        [Some(s("1:erased-1:-")), Some(s("3:cy@example.com:Cy"))]
    );
    assert_eq!(
        f.texts("SELECT id || ':' || coalesce(customer_id::text, '-') FROM orders ORDER BY id"),
        [
            Some(s("10:1")),
            Some(s("20:-")),
            Some(s("21:-")),
            Some(s("30:3"))
        ]
    );
}

fn untouched(f: &mut Fixture) {
    assert_eq!(
        f.texts("SELECT id || ':' || email || ':' || name FROM customers ORDER BY id"),
        [
            Some(s("1:ann@example.com:Ann")),
            Some(s("2:bob@example.com:Bob")),
            Some(s("3:cy@example.com:Cy"))
        ]
    );
    assert_eq!(f.texts("SELECT count(*)::text FROM lines"), [Some(s("4"))]);
}

#[test]
fn a_foreign_key_violation_undoes_every_earlier_step() {
    let Some(mut f) = Fixture::new(SHOP) else {
        return;
    };
    let steps = vec![
        Step::Delete {
            table: s("lines"),
            key: strings(&["order_id", "line"]),
            rows: vec![strings(&["30", "1"])],
        },
        Step::Update {
            table: s("customers"),
            key: strings(&["id"]),
            row: strings(&["3"]),
            set: vec![(s("name"), SetValue::Text(s("gone")))],
        },
        // Order 30 still points at customer 3.
        Step::Delete {
            table: s("customers"),
            key: strings(&["id"]),
            rows: vec![strings(&["3"])],
        },
    ];
    match f.backend().apply(&steps) {
        Err(ConnectorError::Permanent(m)) => {
            assert!(m.contains("23503"), "{m}");
            assert!(!m.contains("cy@example.com") && !m.contains("Key ("), "{m}");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    untouched(&mut f);
}

#[test]
fn a_not_null_violation_undoes_every_earlier_step() {
    let Some(mut f) = Fixture::new(SHOP) else {
        return;
    };
    let steps = vec![
        Step::Delete {
            table: s("lines"),
            key: strings(&["order_id", "line"]),
            rows: vec![strings(&["10", "1"]), strings(&["10", "2"])],
        },
        Step::Update {
            table: s("customers"),
            key: strings(&["id"]),
            row: strings(&["1"]),
            set: vec![(s("email"), SetValue::Null)],
        },
    ];
    match f.backend().apply(&steps) {
        Err(ConnectorError::Permanent(m)) => assert!(m.contains("23502"), "{m}"),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    untouched(&mut f);
}

#[test]
fn quoted_names_and_awkward_values_are_bound_safely() {
    let Some(mut f) = Fixture::new(
        r#"CREATE TABLE "odd ""table""" ("e mail" text PRIMARY KEY, "na""me" text);
           INSERT INTO "odd ""table""" VALUES ('o''brien@example.com', 'x'), ('z@example.com', 'z');"#,
    ) else {
        return;
    };
    let b = f.backend();
    let table = "odd \"table\"";
    let awkward = "O'Brien \"Ünïcødé\" 🙂; DROP TABLE x; --";
    let counts = b
        .apply(&[Step::Update {
            table: s(table),
            key: strings(&["e mail"]),
            row: strings(&["o'brien@example.com"]),
            set: vec![(s("na\"me"), SetValue::Text(s(awkward)))],
        }])
        .expect("update");
    assert_eq!(counts, [1]);
    let rows = b
        .select(
            table,
            "e mail",
            &strings(&["o'brien@example.com"]),
            dsar_portal::connectors::sql::backend::Compare::Exact,
            5,
        )
        .expect("select");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text["na\"me"].as_deref(), Some(awkward));
    assert_eq!(rows[0].json["na\"me"], serde_json::json!(awkward));

    let counts = b
        .apply(&[Step::Delete {
            table: s(table),
            key: strings(&["e mail"]),
            rows: vec![strings(&["o'brien@example.com"])],
        }])
        .expect("delete");
    assert_eq!(counts, [1]);
    assert_eq!(
        f.texts(r#"SELECT "e mail" FROM "odd ""table""""#),
        [Some(s("z@example.com"))]
    );
}
