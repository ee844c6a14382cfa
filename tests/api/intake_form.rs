//! Filing through the HTML form: validation, CSRF, honeypot, idempotency, bad input.

use crate::helpers::*;

#[actix_web::test]
async fn a_request_is_stored_and_the_verification_email_queued() {
    each_backend(|app| async move {
        let (status, page) = app
            .submit(
                "eu",
                &[
                    ("kind", "access"),
                    ("name", "Jane Doe"),
                    ("email", "jane@example.com"),
                    ("id_account_id", "A-1001"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("DSR-"), "reference shown");
        assert!(page.contains("jane@example.com"));
        // GDPR: one month after receipt; the page names the date.
        assert!(page.contains("We answer by"));
        assert_eq!(app.count("requests"), 1);
        assert_eq!(
            app.count("request_identities"),
            3,
            "email, name, account id"
        );
        // The first-start admin account is audited too; the request adds one event.
        assert_eq!(app.count("audit_events"), 2);
        let mails = app.emails(1).await;
        assert_eq!(mails[0].to, "jane@example.com");
        assert!(mails[0]
            .subject
            .starts_with("Confirm your privacy request DSR-"));
        assert!(mails[0].text.contains("Test Org"));
        assert!(mails[0].html.contains("/verify/"));
    })
    .await;
}

#[actix_web::test]
async fn invalid_input_is_explained_per_field_and_kept() {
    each_backend(|app| async move {
        let (status, page) = app
            .submit(
                "california",
                &[
                    ("kind", "access"),
                    ("name", "Jane <b>Doe</b>"),
                    ("email", "not-an-email"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("Please check the form"));
        assert!(
            page.contains("href=\"#email\""),
            "summary links to the field"
        );
        assert!(page.contains("id=\"email-error\""));
        assert!(page.contains("aria-describedby=\"email-hint email-error\""));
        assert!(page.contains("value=\"not-an-email\""), "input kept");
        // Kept input is escaped, never injected.
        assert!(page.contains("Jane &lt;b&gt;Doe&lt;/b&gt;"));
        assert!(!page.contains("<b>Doe</b>"));
        assert_eq!(app.count("requests"), 0);

        let (status, page) = app
            .submit("eu", &[("kind", "opt_out"), ("email", "a@b.example")])
            .await;
        assert_eq!(status, 422, "opt-out is not a GDPR kind");
        assert!(page.contains("not available"));

        let (status, page) = app
            .submit(
                "eu",
                &[
                    ("kind", "correction"),
                    ("name", "J"),
                    ("email", "a@b.example"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("what the correct information should be"));
    })
    .await;
}

#[actix_web::test]
async fn no_input_makes_a_500() {
    each_backend(|app| async move {
        let (_, page) = app.get("/requests/new?jurisdiction=eu").await;
        let csrf = hidden(&page, "csrf_token");
        // Missing everything but the token.
        let (status, _) = app.post_form("/requests", &[("csrf_token", &csrf)]).await;
        assert_eq!(status, 400);
        // Unknown and duplicated fields, huge values.
        let long = "x".repeat(20_000);
        let (status, page) = app
            .post_form(
                "/requests",
                &[
                    ("csrf_token", &csrf),
                    ("jurisdiction", "eu"),
                    ("kind", "access"),
                    ("kind", "deletion"),
                    ("zzz", "1"),
                    ("name", &long),
                    ("email", "a@b.example"),
                    ("details", &long),
                ],
            )
            .await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("too long"));
        // Bad percent-encoding and invalid UTF-8.
        let body =
            format!("csrf_token={csrf}&jurisdiction=eu&kind=access&name=%FF%FE%&email=%E0%A4%A");
        let r = app
            .client
            .post(app.url("/requests"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        assert!(r.status().is_client_error(), "{}", r.status());
        let mut raw = format!("csrf_token={csrf}&jurisdiction=eu&kind=access&name=").into_bytes();
        raw.extend_from_slice(&[0xff, 0xfe, 0x00, 0x80]);
        let r = app
            .client
            .post(app.url("/requests"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(raw)
            .send()
            .await
            .expect("POST");
        assert!(r.status().is_client_error(), "{}", r.status());
        // Oversized body.
        let r = app
            .client
            .post(app.url("/requests"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={csrf}&details={}", "y".repeat(200_000)))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 413);
        assert_eq!(app.count("requests"), 0);
    })
    .await;
}

#[actix_web::test]
async fn forms_need_the_csrf_token_and_our_origin() {
    each_backend(|app| async move {
        let fields = [
            ("jurisdiction", "eu"),
            ("kind", "access"),
            ("name", "Jane"),
            ("email", "j@x.example"),
        ];
        let (status, _) = app.post_form("/requests", &fields).await;
        assert_eq!(status, 403, "no token");
        let (_, page) = app.get("/requests/new?jurisdiction=eu").await;
        let csrf = hidden(&page, "csrf_token");
        let mut with_wrong = fields.to_vec();
        with_wrong.push(("csrf_token", "forged"));
        let (status, _) = app.post_form("/requests", &with_wrong).await;
        assert_eq!(status, 403, "wrong token");
        // Right token from a foreign origin.
        let mut with_token = fields.to_vec();
        with_token.push(("csrf_token", &csrf));
        let r = app
            .client
            .post(app.url("/requests"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "https://evil.example")
            .body(encode(&with_token))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 403);
        // A fresh client (no session cookie) cannot reuse someone's token.
        let other = reqwest::Client::new();
        let r = other
            .post(app.url("/requests"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&with_token))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 403);
        assert_eq!(app.count("requests"), 0);
    })
    .await;
}

#[actix_web::test]
async fn honeypot_submissions_are_dropped_quietly() {
    each_backend(|app| async move {
        let (status, page) = app
            .submit(
                "eu",
                &[
                    ("kind", "access"),
                    ("name", "Bot"),
                    ("email", "bot@spam.example"),
                    ("website", "http://spam.example"),
                ],
            )
            .await;
        assert_eq!(status, 200);
        assert!(page.contains("Thank you"));
        assert!(!page.contains("DSR-"));
        assert_eq!(app.count("requests"), 0);
        assert_eq!(app.count("outbox"), 0);
    })
    .await;
}

#[actix_web::test]
async fn a_double_submit_makes_one_request() {
    each_backend(|app| async move {
        let (_, page) = app.get("/requests/new?jurisdiction=uk").await;
        let csrf = hidden(&page, "csrf_token");
        let sid = hidden(&page, "submission_id");
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("submission_id", sid.as_str()),
            ("jurisdiction", "uk"),
            ("kind", "deletion"),
            ("name", "Jane"),
            ("email", "jane@example.com"),
        ];
        // Two clicks at once, then a resubmit of the same page later.
        let (a, b) = futures_join(
            app.post_form("/requests", &fields),
            app.post_form("/requests", &fields),
        )
        .await;
        let (c_status, c) = app.post_form("/requests", &fields).await;
        assert_eq!((a.0, b.0, c_status), (200, 200, 200));
        let reference = |p: &str| link_path(p, "DSR-");
        assert_eq!(reference(&a.1), reference(&b.1));
        assert_eq!(reference(&a.1), reference(&c));
        assert_eq!(app.count("requests"), 1);
        assert_eq!(app.count("outbox"), 1, "one verification email");
    })
    .await;
}

async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    tokio::join!(a, b)
}

#[actix_web::test]
async fn intake_is_rate_limited_by_default() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.rate_limits.intake_per_minute = 2).await;
        let fields = [("kind", "access"), ("name", "J"), ("email", "j@x.example")];
        assert_eq!(app.submit("eu", &fields).await.0, 200);
        assert_eq!(app.submit("eu", &fields).await.0, 200);
        let (status, page) = app.submit("eu", &fields).await;
        assert_eq!(status, 429);
        assert!(page.contains("Too many attempts"));
        assert_eq!(app.count("requests"), 2);
    }
}
