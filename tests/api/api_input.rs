//! What the JSON API does with bodies an attacker shapes: errors that quote no value,
//! keys given twice, and an `Idempotency-Key` reused with another body.

use crate::helpers::*;
use serde_json::{json, Value};

async fn post_raw(app: &TestApp, body: &str) -> (u16, String) {
    post_keyed(app, body, None).await
}

async fn post_keyed(app: &TestApp, body: &str, key: Option<&str>) -> (u16, String) {
    let mut r = app
        .client
        .post(app.url("/api/v1/requests"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.expect("POST");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

#[actix_web::test]
async fn type_errors_name_the_field_and_never_echo_the_value() {
    let app = spawn_app(&Backend::Sqlite).await;
    for body in [
        r#"{"kind":"access","jurisdiction":"eu","name":"Jane","email":"jane@example.com","direct_marketing":"jane.secret@example.com"}"#,
        r#"{"kind":"access","jurisdiction":"eu","name":"Jane","email":"jane@example.com","identifiers":{"dob":19800412}}"#,
        r#"{"kind":"access","email":"jane.secret@example.com","name":1980}"#,
    ] {
        let (status, text) = post_raw(&app, body).await;
        assert_eq!(status, 400, "{text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        let message = v["message"].as_str().expect("message");
        for secret in ["jane.secret", "19800412", "1980"] {
            assert!(!message.contains(secret), "{message}");
        }
        assert!(message.contains("wrong type"), "{message}");
    }
    let (_, text) = post_raw(&app, r#"{"kind":"access","name":1980}"#).await;
    assert!(text.contains("`name`"), "the field is named: {text}");
    assert_eq!(app.count("requests"), 0);
}

#[actix_web::test]
async fn a_key_given_twice_is_refused() {
    let app = spawn_app(&Backend::Sqlite).await;
    let (status, text) = post_raw(
        &app,
        r#"{"kind":"access","kind":"deletion","jurisdiction":"eu","name":"Jane","email":"jane@example.com"}"#,
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("more than once"), "{text}");
    assert_eq!(app.count("requests"), 0, "nothing was filed");
}

async fn post(app: &TestApp, body: &str, key: &str) -> (u16, Value) {
    let (status, text) = post_keyed(app, body, Some(key)).await;
    (status, serde_json::from_str(&text).expect("json body"))
}

#[actix_web::test]
async fn a_used_key_with_another_body_is_refused_and_the_same_body_gets_the_first_answer() {
    each_backend(|app| async move {
        let first = r#"{"kind":"access","jurisdiction":"eu","name":"Jane Doe","email":"jane@example.com"}"#;
        let (s, a) = post(&app, first, "shared-key").await;
        assert_eq!(s, 202, "{a}");

        // Another caller, same key, their own request: refused, nothing of the first leaks.
        let other = r#"{"kind":"access","jurisdiction":"eu","name":"Mallory","email":"mallory@example.com"}"#;
        let (s, b) = post(&app, other, "shared-key").await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"], "unprocessable", "{b}");
        assert!(b["message"].as_str().expect("message").contains("Idempotency-Key"), "{b}");
        assert!(b.get("reference").is_none(), "{b}");
        assert!(!b.to_string().contains(a["reference"].as_str().expect("ref")), "{b}");

        // The same body, keys in another order and other spacing: the first answer.
        let again = r#"{ "email": "jane@example.com", "name": "Jane Doe",
            "jurisdiction": "eu", "kind": "access" }"#;
        let (s, c) = post(&app, again, "shared-key").await;
        assert_eq!(s, 202, "{c}");
        assert_eq!(c["reference"], a["reference"]);
        assert_eq!(app.count("requests"), 1);

        // A body that differs only in a nested value is another body.
        let nested = json!({"kind":"access","jurisdiction":"us_other","name":"Jane Doe",
            "email":"jane@example.com","identifiers":{"account_id":"A-1"}});
        let (s, _) = post(&app, &nested.to_string(), "nested").await;
        assert_eq!(s, 202);
        let mut changed = nested.clone();
        changed["identifiers"]["account_id"] = json!("A-2");
        let (s, d) = post(&app, &changed.to_string(), "nested").await;
        assert_eq!(s, 422, "{d}");
        assert_eq!(app.count("requests"), 2);
    })
    .await;
}
