//! The JSON intake API and its OpenAPI description.

use crate::helpers::*;
use serde_json::{json, Value};

async fn post_json(app: &TestApp, body: &Value, key: Option<&str>) -> (u16, Value) {
    let mut r = app.client.post(app.url("/api/v1/requests")).json(body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.expect("POST");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json body"))
}

#[actix_web::test]
async fn api_accepts_a_request_and_reports_its_status() {
    each_backend(|app| async move {
        let (status, v) = post_json(&app, &json!({
            "kind": "access", "jurisdiction": "us_other", "name": "Jane Doe",
            "email": "jane@example.com", "identifiers": {"account_id": "A-9"}, "details": "via partner site"
        }), None).await;
        assert_eq!(status, 202, "{v}");
        assert!(v["reference"].as_str().expect("ref").starts_with("DSR-"));
        assert_eq!(v["status"], "submitted");
        assert_eq!(v["verification"], "email_sent");
        let due = chrono::NaiveDate::parse_from_str(v["due_at"].as_str().expect("due"), "%Y-%m-%d").expect("date");
        let today = chrono::Utc::now().date_naive();
        assert_eq!(due, today + chrono::Duration::days(45), "US state law: 45 days");

        // The consumer still proves their email; then the status API answers.
        let mails = app.emails(1).await;
        let verify = link_path(&mails[0].text, "/verify/");
        let (_, confirm) = app.get(&verify).await;
        let (_, done) = app.post_with_csrf(&confirm, &verify).await;
        let token = link_path(&done, "/status/").trim_start_matches("/status/").to_string();
        let r = app.get_response(&format!("/api/v1/status/{token}")).await;
        assert_eq!(r.status(), 200);
        let s: Value = r.json().await.expect("json");
        assert_eq!(s["status"], "email_verified");
        assert_eq!(s["reference"], v["reference"]);
        assert_eq!(s["timeline"].as_array().expect("timeline").len(), 2);

        let r = app.get_response("/api/v1/status/nonsense").await;
        assert_eq!(r.status(), 404);
        let e: Value = r.json().await.expect("json error");
        assert_eq!(e["error"], "not_found");
    })
    .await;
}

#[actix_web::test]
async fn api_rejects_bad_input_with_field_errors_never_500() {
    each_backend(|app| async move {
        let (status, v) = post_json(
            &app,
            &json!({"kind": "opt_out", "jurisdiction": "eu", "email": "nope"}),
            None,
        )
        .await;
        assert_eq!(status, 422);
        assert!(v["errors"]["kind"].is_array());
        assert!(v["errors"]["email"].is_array());

        let (status, v) = post_json(&app, &json!({}), None).await;
        assert_eq!(status, 422);
        for field in ["kind", "jurisdiction", "email"] {
            assert!(v["errors"][field].is_array(), "{field}: {v}");
        }

        let (status, v) = post_json(
            &app,
            &json!({"kind": "access", "jurisdiction": "eu", "name": "J",
            "email": "j@x.example", "identifiers": {"passport": "X"}}),
            None,
        )
        .await;
        assert_eq!(status, 422);
        assert!(v["errors"]["identifiers.passport"].is_array());

        for body in ["{", "[]", "null", "{\"kind\": 5}", "\u{0}"] {
            let r = app
                .client
                .post(app.url("/api/v1/requests"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status(), 400, "{body}");
            let e: Value = r.json().await.expect("json error");
            assert_eq!(e["error"], "bad_request");
        }
        let r = app
            .client
            .post(app.url("/api/v1/requests"))
            .header("content-type", "text/plain")
            .body("kind=access")
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 415);
        assert_eq!(app.count("requests"), 0);
    })
    .await;
}

#[actix_web::test]
async fn idempotency_key_makes_retries_safe() {
    each_backend(|app| async move {
        let body = json!({"kind": "deletion", "jurisdiction": "california", "name": "J", "email": "j@x.example"});
        let (s1, a) = post_json(&app, &body, Some("retry-1")).await;
        let (s2, b) = post_json(&app, &body, Some("retry-1")).await;
        let (s3, c) = post_json(&app, &body, Some("retry-2")).await;
        assert_eq!((s1, s2, s3), (202, 202, 202));
        assert_eq!(a["reference"], b["reference"]);
        assert_ne!(a["reference"], c["reference"]);
        assert_eq!(app.count("requests"), 2);
    })
    .await;
}

#[actix_web::test]
async fn openapi_document_describes_the_api() {
    each_backend(|app| async move {
        let r = app.get_response("/api/v1/openapi.json").await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["openapi"], "3.1.0");
        let kinds = &v["components"]["schemas"]["NewRequest"]["properties"]["kind"]["enum"];
        for k in dsar_portal::domain::kinds::RequestKind::ALL {
            assert!(kinds.as_array().expect("enum").contains(&json!(k.as_str())));
        }
        assert!(v["paths"]["/api/v1/requests"]["post"]["responses"]["422"].is_object());
        assert!(v["paths"]["/api/v1/status/{token}"]["get"].is_object());
    })
    .await;
}
