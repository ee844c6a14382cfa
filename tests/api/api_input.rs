//! What the JSON API does with bodies an attacker shapes: errors that quote no value,
//! and keys given twice.

use crate::helpers::*;
use serde_json::Value;

async fn post_raw(app: &TestApp, body: &str) -> (u16, String) {
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
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
