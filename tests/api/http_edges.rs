//! Edges of HTTP itself: a body over the limit answered in the caller's own language
//! (JSON for programs), and the session cookie's name under https.

use crate::helpers::*;
use serde_json::Value;

async fn post_big(app: &TestApp, path: &str) -> (u16, String, String) {
    let r = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(format!("{{\"details\":\"{}\"}}", "x".repeat(70 * 1024)))
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, kind, r.text().await.expect("body"))
}

#[actix_web::test]
async fn an_oversized_body_to_a_program_is_answered_in_json() {
    let app = spawn_app_with(&Backend::Sqlite, |s| {
        s.drp.business_id = Some("acme".into())
    })
    .await;
    let (status, kind, body) = post_big(&app, "/api/v1/requests").await;
    assert_eq!(status, 413, "{body}");
    assert!(kind.starts_with("application/json"), "{kind}: {body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["error"], "too_large", "{v}");
    assert!(
        v["message"].as_str().expect("message").contains("64 KiB"),
        "{v}"
    );

    let (status, kind, body) = post_big(&app, "/v1/data-rights-request").await;
    assert_eq!(status, 413, "{body}");
    assert!(kind.starts_with("application/json"), "{kind}: {body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["code"], "413", "{v}");
    // No request moves to a final state, so not fatal (DRP 1.0 §3.06).
    assert_eq!(v["fatal"], false, "{v}");

    // A person's form still gets the portal's page.
    let (status, kind, _) = post_big(&app, "/staff/login").await;
    assert_eq!(status, 413);
    assert!(kind.starts_with("text/html"), "{kind}");
}

async fn session_cookie(app: &TestApp) -> String {
    // The form page keeps its CSRF token in the session, so it sets the cookie.
    let form = app.url("/requests/new?jurisdiction=eu");
    let r = app.client.get(form).send().await.expect("GET");
    r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string()
}

#[actix_web::test]
async fn the_session_cookie_is_host_prefixed_under_https_only() {
    let app = spawn_app(&Backend::Sqlite).await;
    let cookie = session_cookie(&app).await;
    assert!(cookie.starts_with("dsar_session="), "{cookie}");

    let app = spawn_app_with(&Backend::Sqlite, |s| {
        s.public_url = Some("https://privacy.example.com".into())
    })
    .await;
    let cookie = session_cookie(&app).await;
    assert!(cookie.starts_with("__Host-dsar_session="), "{cookie}");
    // What the prefix requires of the cookie, or browsers drop it.
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
}
