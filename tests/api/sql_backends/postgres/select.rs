//! `select`: exact matches in the column's own type, case-folded matches served by a
//! `lower()` index, the limit, and each row's JSON and text forms.

use super::Fixture;
use dsar_portal::connectors::sql::backend::{Compare, SqlBackend};
use dsar_portal::connectors::ConnectorError;
use serde_json::json;

const PEOPLE: &str = r#"
CREATE TABLE people (
  id uuid PRIMARY KEY, email varchar(100) NOT NULL, login text, n integer,
  photo bytea, seen timestamptz, balance numeric(10,2), active boolean);
CREATE INDEX people_email_lower ON people (lower(email));
CREATE INDEX people_login_lower ON people (lower(login));
INSERT INTO people (id, email, login, n, photo, seen, balance, active) VALUES
  ('11111111-1111-1111-1111-111111111111', 'ann@example.com', 'Ann', 1,
   '\xDEADbeef', '2024-03-01 10:00:00+00', 12.50, true),
  ('22222222-2222-2222-2222-222222222222', 'Ann@Example.com', 'ANN', 2, NULL, NULL, NULL, NULL),
  ('33333333-3333-3333-3333-333333333333', 'ann@example.com ', 'ann ', 3, NULL, NULL, NULL, NULL),
  ('44444444-4444-4444-4444-444444444444', 'bob@example.com', 'bob', 4, NULL, NULL, NULL, NULL);
"#;

fn ids(rows: &[dsar_portal::connectors::sql::backend::FoundRow]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| r.text["id"].clone().expect("id is never NULL"))
        .collect();
    ids.sort();
    ids
}

const ANN: &str = "11111111-1111-1111-1111-111111111111";
const ANN_UPPER: &str = "22222222-2222-2222-2222-222222222222";
const ANN_SPACE: &str = "33333333-3333-3333-3333-333333333333";

fn email(v: &str) -> Vec<String> {
    vec![v.to_string()]
}

#[test]
fn exact_matches_only_the_same_text_and_the_same_uuid() {
    let Some(f) = Fixture::new(PEOPLE) else {
        return;
    };
    let b = f.backend();
    let rows = b
        .select(
            "people",
            "email",
            &email("ann@example.com"),
            Compare::Exact,
            10,
        )
        .expect("select by email");
    assert_eq!(
        ids(&rows),
        [ANN],
        "case and trailing space differ for the others"
    );

    let rows = b
        .select(
            "people",
            "id",
            &[ANN_UPPER.to_uppercase()],
            Compare::Exact,
            10,
        )
        .expect("select by uuid");
    assert_eq!(
        ids(&rows),
        [ANN_UPPER],
        "a uuid compares as a uuid, not as text"
    );

    let none = b
        .select(
            "people",
            "email",
            &email("nobody@example.com"),
            Compare::Exact,
            10,
        )
        .expect("select nothing");
    assert!(none.is_empty());
}

#[test]
fn fold_case_finds_mixed_case_but_not_other_text() {
    let Some(f) = Fixture::new(PEOPLE) else {
        return;
    };
    let b = f.backend();
    let rows = b
        .select(
            "people",
            "email",
            &email("ann@example.com"),
            Compare::FoldCase,
            10,
        )
        .expect("fold case on varchar");
    assert_eq!(ids(&rows), [ANN, ANN_UPPER]);
    let rows = b
        .select("people", "login", &email("ann"), Compare::FoldCase, 10)
        .expect("fold case on text");
    assert_eq!(ids(&rows), [ANN, ANN_UPPER]);
    let rows = b
        .select("people", "n", &email("3"), Compare::FoldCase, 10)
        .expect("fold case on an integer goes through its text");
    assert_eq!(ids(&rows), [ANN_SPACE]);
}

#[test]
fn the_limit_is_honoured() {
    let Some(f) = Fixture::new(PEOPLE) else {
        return;
    };
    let b = f.backend();
    let values = vec!["ann@example.com".to_string(), "bob@example.com".to_string()];
    let rows = b
        .select("people", "email", &values, Compare::FoldCase, 10)
        .expect("all three");
    assert_eq!(rows.len(), 3);
    let rows = b
        .select("people", "email", &values, Compare::FoldCase, 2)
        .expect("two of them");
    assert_eq!(rows.len(), 2);
    let rows = b
        .select("people", "email", &values, Compare::FoldCase, 1)
        .expect("one");
    assert_eq!(rows.len(), 1);
}

#[test]
fn rows_come_as_typed_json_and_as_the_database_text() {
    let Some(f) = Fixture::new(PEOPLE) else {
        return;
    };
    let b = f.backend();
    let rows = b
        .select("people", "id", &[ANN.to_string()], Compare::Exact, 10)
        .expect("select");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.json["n"], json!(1));
    assert_eq!(row.json["balance"], json!(12.5));
    assert_eq!(row.json["active"], json!(true));
    assert_eq!(row.json["photo"], json!("deadbeef"), "plain lowercase hex");
    assert_eq!(row.json["seen"], json!("2024-03-01T10:00:00+00:00"));
    assert_eq!(row.json["email"], json!("ann@example.com"));
    assert_eq!(row.text["photo"].as_deref(), Some("\\xdeadbeef"));
    assert_eq!(row.text["balance"].as_deref(), Some("12.50"));
    assert_eq!(row.text["active"].as_deref(), Some("true"));
    assert_eq!(row.text.len(), 8, "every column");

    let rows = b
        .select("people", "id", &[ANN_UPPER.to_string()], Compare::Exact, 10)
        .expect("select");
    assert_eq!(rows[0].json["photo"], json!(null));
    assert_eq!(rows[0].text["photo"], None);
}

#[test]
fn case_folded_search_uses_the_lower_index_on_varchar_and_text() {
    let Some(mut f) = Fixture::new(PEOPLE) else {
        return;
    };
    let b = f.backend();
    f.exec("ANALYZE people; SET enable_seqscan = off");
    for (column, index) in [
        ("email", "people_email_lower"),
        ("login", "people_login_lower"),
    ] {
        let sql = b
            .select_statement("people", column, Compare::FoldCase)
            .expect("statement");
        let values = email("ann@example.com");
        let plan: Vec<String> = f
            .client
            .query(&format!("EXPLAIN {sql}"), &[&values, &10i64])
            .expect("explain")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains(index), "{column}: {plan}");
    }
}

#[test]
fn unknown_names_and_unfit_values_are_permanent_and_quote_no_value() {
    let Some(f) = Fixture::new(PEOPLE) else {
        return;
    };
    let b = f.backend();
    match b.select("nowhere", "email", &email("x"), Compare::Exact, 1) {
        Err(ConnectorError::Permanent(m)) => assert!(m.contains("nowhere"), "{m}"),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    match b.select("people", "mail", &email("x"), Compare::Exact, 1) {
        Err(ConnectorError::Permanent(m)) => assert!(m.contains("mail"), "{m}"),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    let secret = "carol.private@example.com";
    match b.select("people", "id", &email(secret), Compare::Exact, 1) {
        Err(ConnectorError::Permanent(m)) => {
            assert!(m.contains("22P02"), "{m}");
            assert!(!m.contains("carol"), "the value is not echoed: {m}");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
}
