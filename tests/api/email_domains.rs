//! Addresses the mailer cannot deliver are refused at intake; international domains are
//! shown to staff in a form that reveals look-alike letters.

use crate::helpers::*;
use serde_json::{json, Value};

async fn file(app: &TestApp, email: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .json(&json!({"kind": "access", "jurisdiction": "eu", "name": "Jane Doe", "email": email}))
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json body"))
}

#[actix_web::test]
async fn undeliverable_addresses_are_refused_with_a_field_message() {
    let app = spawn_app(&Backend::Sqlite).await;
    let long_label = format!("jane@{}.com", "x".repeat(64));
    for email in [
        "jane@[127.0.0.1]",
        "jane@[IPv6:::1]",
        "jane@localhost",
        "jane@-example.com",
        "jane@example-.com",
        "jane@exa_mple.com",
        "jane@192.168.0.1",
        long_label.as_str(),
    ] {
        let (status, v) = file(&app, email).await;
        assert_eq!(status, 422, "{email}: {v}");
        let messages = v["errors"]["email"].to_string();
        assert!(v["errors"]["email"][0].is_string(), "{email}: {v}");
        assert!(!messages.contains(email), "the address is not echoed: {v}");
    }
    // The web form reads it through the same parser.
    let (status, page) = app
        .submit(
            "eu",
            &[
                ("kind", "access"),
                ("name", "Jane"),
                ("email", "jane@[127.0.0.1]"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("IP address"), "{page}");
    assert_eq!(app.count("requests"), 0);

    // What stays accepted: an ordinary domain, a subdomain, an international one.
    for email in [
        "jane@example.com",
        "jane@mail.example.co.uk",
        "jane@bücher.de",
    ] {
        let (status, v) = file(&app, email).await;
        assert_eq!(status, 202, "{email}: {v}");
    }
}

#[actix_web::test]
async fn staff_see_an_international_domain_in_ascii_and_a_mixed_script_warning() {
    each_backend(|app| async move {
        // "exаmple.com" with a Cyrillic а (U+0430): looks like example.com.
        let (s, spoof) = file(&app, "jane@ex\u{430}mple.com").await;
        assert_eq!(s, 202, "{spoof}");
        let (s, idn) = file(&app, "jane@bücher.de").await;
        assert_eq!(s, 202, "{idn}");
        let (s, plain) = file(&app, "jane@example.com").await;
        assert_eq!(s, 202, "{plain}");
        let admin = app.staff("admin").await;
        let page = |v: &Value| {
            let id = app.request_id(v["reference"].as_str().expect("reference"));
            format!("/staff/requests/{id}")
        };

        let (_, html) = admin.get(&page(&spoof)).await;
        assert!(
            html.contains("xn--exmple-4nf.com"),
            "punycode shown: {html}"
        );
        assert!(html.contains("mixes scripts"), "warned: {html}");

        let (_, html) = admin.get(&page(&idn)).await;
        assert!(html.contains("xn--bcher-kva.de"), "{html}");
        assert!(
            !html.contains("mixes scripts"),
            "one script is no warning: {html}"
        );

        let (_, html) = admin.get(&page(&plain)).await;
        assert!(!html.contains("xn--"), "{html}");
    })
    .await;
}
