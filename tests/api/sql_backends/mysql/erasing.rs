//! Erasure steps applied in one transaction: what each step counts, that a failing step
//! undoes the earlier ones, and the tables that are refused because they cannot.

use super::*;
use dsar_portal::connectors::sql::backend::{SetValue, Step};
use dsar_portal::connectors::ConnectorError;

fn key(column: &str) -> Vec<String> {
    vec![column.to_string()]
}

fn row(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn snapshot(db: &Db) -> Vec<Vec<Vec<Option<String>>>> {
    ["customers", "orders", "order_lines"]
        .iter()
        .map(|t| db.rows(&format!("SELECT * FROM {t} ORDER BY 1, 2")))
        .collect()
}

#[test]
fn delete_update_and_detach_count_their_rows_and_do_exactly_that() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let counts = backend
        .apply(&[
            Step::Delete {
                table: "order_lines".into(),
                key: row(&["order_id", "line"]),
                rows: vec![row(&["10", "1"]), row(&["10", "2"]), row(&["99", "9"])],
            },
            Step::Detach {
                table: "orders".into(),
                column: "customer_id".into(),
                values: row(&["1"]),
            },
            Step::Update {
                table: "customers".into(),
                key: key("id"),
                row: row(&["2"]),
                set: vec![
                    ("email".into(), SetValue::Text("erased@invalid".into())),
                    ("token".into(), SetValue::Null),
                    ("device".into(), SetValue::Null),
                ],
            },
            Step::Delete {
                table: "customers".into(),
                key: key("id"),
                rows: vec![row(&["1"]), row(&["3"])],
            },
        ])
        .expect("apply");
    assert_eq!(counts, [2, 2, 1, 2]);

    assert_eq!(
        db.rows("SELECT id, email, token FROM customers ORDER BY id"),
        [
            [Some("2".into()), Some("erased@invalid".into()), None],
            [
                Some("4".into()),
                Some("bob@example.com".into()),
                Some("bobs".into())
            ]
        ]
    );
    assert_eq!(
        db.rows("SELECT id, customer_id FROM orders ORDER BY id"),
        [
            [Some("10".into()), None],
            [Some("11".into()), None],
            [Some("12".into()), Some("4".into())]
        ]
    );
    assert_eq!(
        db.rows("SELECT order_id, line FROM order_lines"),
        [[Some("12".into()), Some("1".into())]]
    );
}

#[test]
fn an_update_counts_its_row_even_when_the_row_already_holds_the_value() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let step = Step::Update {
        table: "customers".into(),
        key: key("id"),
        row: row(&["4"]),
        set: vec![("token".into(), SetValue::Null)],
    };
    assert_eq!(
        backend.apply(std::slice::from_ref(&step)).expect("first"),
        [1]
    );
    assert_eq!(backend.apply(&[step]).expect("second"), [1]);
}

#[test]
fn a_failing_step_undoes_the_steps_before_it() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let before = snapshot(&db);
    let err = backend
        .apply(&[
            Step::Update {
                table: "customers".into(),
                key: key("id"),
                row: row(&["4"]),
                set: vec![("email".into(), SetValue::Text("erased@invalid".into()))],
            },
            Step::Detach {
                table: "orders".into(),
                column: "customer_id".into(),
                values: row(&["4"]),
            },
            // Order 10 still has lines, whose foreign key restricts deleting it.
            Step::Delete {
                table: "orders".into(),
                key: key("id"),
                rows: vec![row(&["10"])],
            },
        ])
        .expect_err("the foreign key refuses");
    assert!(
        matches!(&err, ConnectorError::Permanent(m) if m.contains("lines_order")),
        "{err:?}"
    );
    assert_eq!(
        snapshot(&db),
        before,
        "nothing of the earlier steps is left"
    );
}

#[test]
fn a_duplicate_is_refused_without_quoting_the_value() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let err = backend
        .apply(&[Step::Update {
            table: "customers".into(),
            key: key("id"),
            row: row(&["2"]),
            set: vec![("token".into(), SetValue::Text("MiXeD".into()))],
        }])
        .expect_err("the unique key refuses");
    assert!(
        matches!(&err, ConnectorError::Permanent(m) if m.contains("unique key") && !m.contains("MiXeD")),
        "{err:?}"
    );
}

#[test]
fn a_table_that_cannot_roll_back_is_refused_before_anything_is_written() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    db.exec(&[
        "CREATE TABLE notes (id INT PRIMARY KEY, body TEXT) ENGINE=MyISAM",
        "INSERT INTO notes VALUES (1, 'hello')",
    ]);
    let before = snapshot(&db);
    let err = backend
        .apply(&[
            Step::Update {
                table: "customers".into(),
                key: key("id"),
                row: row(&["4"]),
                set: vec![("token".into(), SetValue::Null)],
            },
            Step::Delete {
                table: "notes".into(),
                key: key("id"),
                rows: vec![row(&["1"])],
            },
        ])
        .expect_err("MyISAM cannot roll back");
    assert!(
        matches!(&err, ConnectorError::Permanent(m) if m.contains("MyISAM") && m.contains("roll back")),
        "{err:?}"
    );
    assert_eq!(snapshot(&db), before);
    assert_eq!(db.count("notes"), 1);
}

#[test]
fn a_table_made_after_the_catalogue_was_read_is_found_and_an_unknown_one_refused() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    backend.introspect().expect("introspect");
    db.exec(&[
        "CREATE TABLE later (id INT PRIMARY KEY)",
        "INSERT INTO later VALUES (1), (2)",
    ]);
    let counts = backend
        .apply(&[Step::Delete {
            table: "later".into(),
            key: key("id"),
            rows: vec![row(&["2"])],
        }])
        .expect("the catalogue is read again");
    assert_eq!(counts, [1]);

    let err = backend
        .apply(&[Step::Delete {
            table: "nowhere".into(),
            key: key("id"),
            rows: vec![row(&["1"])],
        }])
        .expect_err("no such table");
    assert!(matches!(&err, ConnectorError::Permanent(m) if m.contains("nowhere")));
}

#[test]
fn a_system_versioned_table_is_refused_because_its_history_would_keep_the_rows() {
    let Some(db) = Db::new() else { return };
    let backend = db.backend();
    let versioned =
        "CREATE TABLE visits (id INT PRIMARY KEY, email VARCHAR(50)) WITH SYSTEM VERSIONING";
    let made = run({
        let url = db.url.clone();
        async move {
            let mut conn = mysql_async::Conn::from_url(url).await.expect("connect");
            let made = conn.query_drop(versioned).await.is_ok();
            conn.disconnect().await.expect("disconnect");
            made
        }
    });
    if !made {
        // MySQL has no system versioning: nothing to refuse there.
        eprintln!("skipping: this server has no system-versioned tables");
        return;
    }
    db.exec(&["INSERT INTO visits VALUES (1, 'a@example.com')"]);
    let err = backend
        .apply(&[Step::Delete {
            table: "visits".into(),
            key: key("id"),
            rows: vec![row(&["1"])],
        }])
        .expect_err("history would keep the row");
    assert!(
        matches!(&err, ConnectorError::Permanent(m) if m.contains("system-versioned")),
        "{err:?}"
    );
    assert_eq!(db.count("visits"), 1);
}
