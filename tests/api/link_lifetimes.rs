//! Status links live as long as their request (and a while after it closes); a
//! confirmation link opened again leads on; a fresh status link can be asked for by
//! email without telling anyone which addresses have requests.

use crate::helpers::*;
use chrono::{Duration, Utc};

fn days_ago(days: i64) -> String {
    (Utc::now().naive_utc() - Duration::days(days))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[actix_web::test]
async fn a_ccpa_status_link_works_until_the_answer_and_for_a_while_after_closure() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "california", "access", "jane@example.com").await;
        // Day 44 of a 45-day answer: the link was emailed on day 0, and a fixed 30-day
        // lifetime would have ended on day 30.
        app.exec(&format!(
            "UPDATE requests SET received_at = '{}' WHERE id = '{id}'",
            days_ago(44)
        ));
        app.exec(&format!(
            "UPDATE tokens SET created_at = '{}', expires_at = '{}' WHERE purpose = 'status'",
            days_ago(44),
            days_ago(14)
        ));
        let (status, page) = app.get(&status_path).await;
        assert_eq!(status, 200, "day 44 of an open request: {page}");

        // Extended by 45 more days: the link still opens.
        let handler = app.staff("handler").await;
        handler.record_identity_check(&id).await;
        let (s, _) = handler
            .act(&id, &[("action", "extend"), ("reason", "Archived records")])
            .await;
        assert_eq!(s, 303);
        assert_eq!(app.get(&status_path).await.0, 200, "after the extension");

        // Answered: the person can still read the answer for 30 days (the default).
        let (s, _) = handler
            .act(&id, &[("action", "fulfil"), ("message", "Here it is.")])
            .await;
        assert_eq!(s, 303);
        assert_eq!(app.get(&status_path).await.0, 200, "just closed");
        app.exec(&format!(
            "UPDATE requests SET closed_at = '{}' WHERE id = '{id}'",
            days_ago(29)
        ));
        assert_eq!(app.get(&status_path).await.0, 200, "29 days after closing");
        app.exec(&format!(
            "UPDATE requests SET closed_at = '{}' WHERE id = '{id}'",
            days_ago(31)
        ));
        let (status, page) = app.get(&status_path).await;
        assert_eq!(status, 410, "31 days after closing");
        assert!(page.contains("has expired"), "{page}");
    })
    .await;
}

#[actix_web::test]
async fn the_days_after_closure_are_configurable() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.verification.status_link_days_after_close = 3
        })
        .await;
        let (id, status_path) = verified(&app, "eu", "access", "jane@example.com").await;
        let handler = app.staff("handler").await;
        handler.verify_and_fulfil(&id).await;
        app.exec(&format!(
            "UPDATE requests SET closed_at = '{}' WHERE id = '{id}'",
            days_ago(2)
        ));
        assert_eq!(app.get(&status_path).await.0, 200);
        app.exec(&format!(
            "UPDATE requests SET closed_at = '{}' WHERE id = '{id}'",
            days_ago(4)
        ));
        assert_eq!(app.get(&status_path).await.0, 410);
    }
}

#[actix_web::test]
async fn a_used_confirmation_link_offers_the_status_link_by_email_not_the_page() {
    each_backend(|app| async move {
        let status_path = app
            .file_and_verify("california", "access", "jane@example.com")
            .await;
        let mail = app
            .email_where("to confirm", |m| m.text.contains("/verify/"))
            .await;
        let verify = link_path(&mail.text, "/verify/");

        // The second click: told it is done, offered the status link by email.
        let (status, again) = app.get(&verify).await;
        assert_eq!(status, 200, "{again}");
        assert!(again.contains("already confirmed"), "{again}");
        assert!(again.contains("Email me my status link"), "{again}");
        // Whoever holds a forwarded link learns nothing of the request.
        assert!(!again.contains("/status/"), "{again}");
        assert!(!again.contains("DSR-"), "{again}");
        assert!(!again.contains("Withdraw"), "{again}");

        let (status, sent) = app
            .post_with_csrf(&again, &format!("{verify}/resend"))
            .await;
        assert_eq!(status, 200);
        assert!(sent.contains("Check your email"));
        let fresh = app
            .email_where("with a fresh status link", |m| {
                m.text.contains("/status/") && !m.text.contains(&status_path)
            })
            .await;
        assert_eq!(fresh.to, "jane@example.com");
        assert_eq!(app.get(&link_path(&fresh.text, "/status/")).await.0, 200);
    })
    .await;
}

#[actix_web::test]
async fn a_fresh_status_link_page_answers_the_same_and_sends_only_to_the_address_on_file() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "eu", "access", "jane@example.com").await;
        let (status, form) = app.get("/status").await;
        assert_eq!(status, 200);
        assert!(form.contains("Email me my link"));

        let (s_unknown, unknown) = app
            .post_page(
                &form,
                "/status",
                &[("email", "nobody@example.org"), ("reference", "")],
            )
            .await;
        let (_, form) = app.get("/status").await;
        let (s_known, known) = app
            .post_page(
                &form,
                "/status",
                &[("email", "Jane@Example.com"), ("reference", "")],
            )
            .await;
        assert_eq!((s_unknown, s_known), (200, 200));
        assert_eq!(unknown, known, "the page must not tell known from unknown");

        let mail = app
            .email_where("with the fresh link", |m| {
                m.text.contains("/status/") && !m.text.contains(&status_path)
            })
            .await;
        assert_eq!(mail.to, "jane@example.com");
        assert_eq!(app.get(&link_path(&mail.text, "/status/")).await.0, 200);
        assert!(app
            .emails(0)
            .await
            .iter()
            .all(|m| m.to != "nobody@example.org"));

        // Audited on the request, without the address.
        let events = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::audit_events::dsl as a;
            a::audit_events
                .filter(a::request_id.eq(id.clone()))
                .filter(a::action.eq("link_resent"))
                .count()
                .get_result::<i64>(c)
                .expect("count")
        });
        assert_eq!(events, 1);

        // A malformed address is a clear 400 with the form kept.
        let (_, form) = app.get("/status").await;
        let (status, page) = app
            .post_page(
                &form,
                "/status",
                &[("email", "not-an-address"), ("reference", "")],
            )
            .await;
        assert_eq!(status, 400);
        assert!(page.contains("not-an-address"));
    })
    .await;
}

#[actix_web::test]
async fn the_home_page_and_link_problems_point_to_the_fresh_link_page() {
    each_backend(|app| async move {
        let (_, home) = app.get("/").await;
        assert!(home.contains("href=\"/status\""));
        let (_, problem) = app.get("/status/abc").await;
        assert!(problem.contains("href=\"/status\""));
    })
    .await;
}
