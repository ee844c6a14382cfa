//! Rows selected by one column: how collations compare, how each kind of value reads,
//! binary keys, limits and long value lists.

use super::*;
use dsar_portal::connectors::sql::backend::{Compare, FoundRow, SetValue, Step};
use serde_json::json;

fn ids(rows: &[FoundRow]) -> Vec<i64> {
    let mut ids: Vec<i64> = rows
        .iter()
        .map(|r| r.json["id"].as_i64().expect("a numeric id"))
        .collect();
    ids.sort();
    ids
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn a_ci_column_returns_look_alikes_and_fold_case_finds_a_mixed_case_bin_value() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let alice = strings(&["alice@example.com"]);

    // utf8mb4_general_ci folds case and pads spaces: rows 2 and 3 only look alike; the
    // engine filters them out by their text afterwards.
    let exact = backend
        .select("customers", "email", &alice, Compare::Exact, 100)
        .expect("select");
    assert_eq!(ids(&exact), [1, 2, 3]);
    let folded = backend
        .select("customers", "email", &alice, Compare::FoldCase, 100)
        .expect("select");
    assert_eq!(ids(&folded), [1, 2, 3]);

    // utf8mb4_bin compares bytes: only the folded search finds "MiXeD".
    let mixed = strings(&["mixed"]);
    let exact = backend
        .select("customers", "token", &mixed, Compare::Exact, 100)
        .expect("select");
    assert!(exact.is_empty());
    let folded = backend
        .select("customers", "token", &mixed, Compare::FoldCase, 100)
        .expect("select");
    assert_eq!(ids(&folded), [1]);
}

#[test]
fn each_kind_of_value_reads_as_json_and_as_the_servers_text() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let rows = backend
        .select(
            "customers",
            "id",
            &strings(&["1", "2", "3"]),
            Compare::Exact,
            10,
        )
        .expect("select");
    let row = |id: i64| {
        rows.iter()
            .find(|r| r.json["id"] == json!(id))
            .unwrap_or_else(|| panic!("row {id}"))
    };

    let one = row(1);
    assert_eq!(one.json["visits"], json!(18446744073709551615u64));
    assert_eq!(one.json["email"], json!("alice@example.com"));
    assert_eq!(one.json["device"], json!("00ff10"));
    assert_eq!(one.json["seen"], json!("2024-01-02 03:04:05.123456"));
    assert_eq!(one.json["balance"], json!(12.5));
    assert_eq!(one.json["active"], json!(true));
    let text = |r: &FoundRow, c: &str| r.text[c].clone();
    assert_eq!(text(one, "visits").as_deref(), Some("18446744073709551615"));
    assert_eq!(text(one, "device").as_deref(), Some("00ff10"));
    assert_eq!(text(one, "balance").as_deref(), Some("12.50"));
    assert_eq!(text(one, "active").as_deref(), Some("1"));
    assert_eq!(
        text(one, "seen").as_deref(),
        Some("2024-01-02 03:04:05.123456")
    );

    let two = row(2);
    assert_eq!(two.json["active"], json!(false));
    assert_eq!(two.json["balance"], json!(-0.01));
    // DATETIME(6) prints six digits even when they are zero, as the server does.
    assert_eq!(two.json["seen"], json!("2024-01-02 03:04:05.000000"));

    let three = row(3);
    assert_eq!(three.json["visits"], json!(null));
    assert_eq!(text(three, "visits"), None);
    assert_eq!(three.json["email"], json!("alice@example.com "));
    assert_eq!(one.json.len(), 8, "every column");
}

#[test]
fn a_binary_key_round_trips_through_its_hex_text() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    db.exec(&[
        "CREATE TABLE devices (id VARBINARY(16) PRIMARY KEY, label VARCHAR(20) NOT NULL)",
        "INSERT INTO devices VALUES (x'0a0b0c', 'phone'), (x'ff', 'laptop'), (x'0A0B', 'watch')",
    ]);
    let found = backend
        .select("devices", "label", &strings(&["phone"]), Compare::Exact, 10)
        .expect("select");
    let key = found[0].text["id"].clone().expect("an id");
    assert_eq!(key, "0a0b0c");

    let again = backend
        .select(
            "devices",
            "id",
            std::slice::from_ref(&key),
            Compare::Exact,
            10,
        )
        .expect("select by the binary key");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].json["label"], json!("phone"));

    let counts = backend
        .apply(&[
            Step::Update {
                table: "devices".into(),
                key: vec!["id".into()],
                row: vec!["ff".into()],
                set: vec![("label".into(), SetValue::Text("erased".into()))],
            },
            Step::Delete {
                table: "devices".into(),
                key: vec!["id".into()],
                rows: vec![vec![key]],
            },
        ])
        .expect("apply");
    assert_eq!(counts, [1, 1]);
    assert_eq!(
        db.rows("SELECT HEX(id), label FROM devices ORDER BY id"),
        [
            [Some("0A0B".into()), Some("watch".into())],
            [Some("FF".into()), Some("erased".into())]
        ]
    );
}

#[test]
fn the_limit_holds_and_long_value_lists_are_searched_in_full() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let limited = backend
        .select(
            "customers",
            "email",
            &strings(&["alice@example.com"]),
            Compare::Exact,
            2,
        )
        .expect("select");
    assert_eq!(limited.len(), 2);

    // More values than one statement takes, the matching ones at both ends.
    let mut values: Vec<String> = (0..2500)
        .map(|i| format!("nobody{i}@example.com"))
        .collect();
    values[3] = "alice@example.com".into();
    values[2400] = "bob@example.com".into();
    let all = backend
        .select("customers", "email", &values, Compare::Exact, 100)
        .expect("select");
    assert_eq!(ids(&all), [1, 2, 3, 4]);
    let some = backend
        .select("customers", "email", &values, Compare::Exact, 3)
        .expect("select");
    assert_eq!(some.len(), 3);
}

#[test]
fn integer_columns_are_matched_by_their_text() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let orders = backend
        .select(
            "orders",
            "customer_id",
            &strings(&["1"]),
            Compare::Exact,
            10,
        )
        .expect("select");
    assert_eq!(ids(&orders), [10, 11]);
    assert_eq!(orders[0].text["customer_id"].as_deref(), Some("1"));
}

#[test]
fn quotes_and_unicode_in_values_are_bound_not_written_into_sql() {
    let Some(db) = Db::new() else { return };
    let backend = shop(&db);
    let tricky = "O'Brien \"`x`\"; -- ünï@exämple.com";
    backend
        .apply(&[Step::Update {
            table: "customers".into(),
            key: vec!["id".into()],
            row: vec!["4".into()],
            set: vec![("email".into(), SetValue::Text(tricky.into()))],
        }])
        .expect("apply");
    let found = backend
        .select(
            "customers",
            "email",
            &strings(&[tricky]),
            Compare::Exact,
            10,
        )
        .expect("select");
    assert_eq!(ids(&found), [4]);
    assert_eq!(found[0].json["email"], json!(tricky));
    let folded = backend
        .select(
            "customers",
            "email",
            &[tricky.to_lowercase()],
            Compare::FoldCase,
            10,
        )
        .expect("select");
    assert_eq!(ids(&folded), [4]);
    assert_eq!(db.count("customers"), 4, "nothing else happened");
}

#[test]
fn a_table_named_with_a_space_and_a_backtick_works() {
    let Some(db) = Db::new() else { return };
    db.exec(&[
        "CREATE TABLE `odd ``name`` table` (
            `the id` INT PRIMARY KEY,
            `e-mail` VARCHAR(50) COLLATE utf8mb4_bin NOT NULL,
            `back``tick` INT NULL
        )",
        "INSERT INTO `odd ``name`` table` VALUES (1, 'Ann@X.org', 5), (2, 'ann@x.org', 5), (3, 'zed@x.org', 6)",
    ]);
    let backend = db.backend();
    let table = "odd `name` table";
    let schema = backend.introspect().expect("introspect");
    let t = schema.table(table).expect("the odd table");
    assert_eq!(t.primary_key, ["the id"]);

    let found = backend
        .select(
            table,
            "e-mail",
            &strings(&["ann@x.org"]),
            Compare::FoldCase,
            10,
        )
        .expect("select");
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|r| r.json.contains_key("back`tick")));

    let counts = backend
        .apply(&[
            Step::Detach {
                table: table.into(),
                column: "back`tick".into(),
                values: strings(&["5"]),
            },
            Step::Delete {
                table: table.into(),
                key: vec!["the id".into()],
                rows: vec![vec!["1".into()]],
            },
        ])
        .expect("apply");
    assert_eq!(counts, [2, 1]);
    assert_eq!(
        db.rows("SELECT `the id`, `back``tick` FROM `odd ``name`` table` ORDER BY 1"),
        [
            [Some("2".into()), None],
            [Some("3".into()), Some("6".into())]
        ]
    );
}
