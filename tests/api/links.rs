//! Email verification and status links: single use, expiry, resend, self-closing.

use crate::helpers::*;

#[actix_web::test]
async fn the_email_link_verifies_once_and_leads_to_the_status_page() {
    each_backend(|app| async move {
        let (status, _) = app
            .submit(
                "california",
                &[
                    ("kind", "deletion"),
                    ("name", "Jane Doe"),
                    ("email", "jane@example.com"),
                ],
            )
            .await;
        assert_eq!(status, 200);
        let mails = app.emails(1).await;
        let verify = link_path(&mails[0].text, "/verify/");

        // GET only shows a button: link scanners cannot use the token up.
        let (status, confirm) = app.get(&verify).await;
        assert_eq!(status, 200);
        let (status, again) = app.get(&verify).await;
        assert_eq!(status, 200, "still valid after a GET: {again}");

        let (status, done) = app.post_with_csrf(&confirm, &verify).await;
        assert_eq!(status, 200);
        assert!(done.contains("email address is confirmed"));
        let status_path = link_path(&done, "/status/");

        // Opened again: the confirmation is done; the status link goes by email.
        let (status, used) = app.get(&verify).await;
        assert_eq!(status, 200);
        assert!(used.contains("already confirmed"));

        let (status, page) = app.get(&status_path).await;
        assert_eq!(status, 200);
        assert!(page.contains("Delete my data"));
        assert!(page.contains("CCPA/CPRA"));
        assert!(page.contains("We received your request."));
        assert!(page.contains("You confirmed your email address."));
        assert!(page.contains("status-email_verified"));

        // The status link is also emailed, and it matches the one shown.
        let mail = app
            .email_where("with the status link", |m| {
                m.subject.contains("is confirmed")
            })
            .await;
        assert_eq!(link_path(&mail.text, "/status/"), status_path);
    })
    .await;
}

#[actix_web::test]
async fn unknown_and_malformed_links_get_a_clear_404() {
    each_backend(|app| async move {
        for path in [
            "/verify/abc",
            "/status/abc",
            "/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "/status/%00%FF",
            "/verify/..%2F..%2Fetc",
        ] {
            let (status, page) = app.get(path).await;
            assert_eq!(status, 404, "{path}");
            assert!(page.contains("do not recognise this link"), "{path}");
        }
    })
    .await;
}

#[actix_web::test]
async fn an_expired_link_offers_a_new_one_that_works() {
    each_backend(|app| async move {
        app.submit("eu", JANE_ACCESS).await;
        let first = link_path(&app.emails(1).await[0].text, "/verify/");
        app.exec("UPDATE tokens SET expires_at = '2000-01-01 00:00:00'");
        let (status, page) = app.get(&first).await;
        assert_eq!(status, 410);
        assert!(page.contains("has expired"));
        let (status, sent) = app.post_with_csrf(&page, &format!("{first}/resend")).await;
        assert_eq!(status, 200);
        assert!(sent.contains("Check your email"));

        let second = app
            .email_where("with a new link", |m| {
                m.text.contains("/verify/") && !m.text.contains(&first)
            })
            .await;
        let second = link_path(&second.text, "/verify/");
        assert_ne!(first, second);
        let (status, confirm) = app.get(&second).await;
        assert_eq!(status, 200);
        let (status, _) = app.post_with_csrf(&confirm, &second).await;
        assert_eq!(status, 200);
    })
    .await;
}

#[actix_web::test]
async fn an_expired_status_link_can_be_renewed() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "uk", "access", "jane@example.com").await;
        // A link's own date does not end it while the request is open.
        app.exec("UPDATE tokens SET expires_at = '2000-01-01 00:00:00' WHERE purpose = 'status'");
        assert_eq!(app.get(&status_path).await.0, 200);
        // Closed long ago, it has expired; a new one opens while it is recent enough.
        app.staff("handler").await.verify_and_fulfil(&id).await;
        let long_ago = (chrono::Utc::now().naive_utc() - chrono::Duration::days(60))
            .format("%Y-%m-%d %H:%M:%S");
        app.exec(&format!(
            "UPDATE requests SET closed_at = '{long_ago}' WHERE id = '{id}'"
        ));
        let (status, page) = app.get(&status_path).await;
        assert_eq!(status, 410);
        let recently = (chrono::Utc::now().naive_utc() - chrono::Duration::days(1))
            .format("%Y-%m-%d %H:%M:%S");
        app.exec(&format!(
            "UPDATE requests SET closed_at = '{recently}' WHERE id = '{id}'"
        ));
        let (status, _) = app
            .post_with_csrf(&page, &format!("{status_path}/resend"))
            .await;
        assert_eq!(status, 200);
        let mail = app
            .email_where("with a new status link", |m| {
                m.subject.contains("The link to your privacy request")
            })
            .await;
        let fresh = link_path(&mail.text, "/status/");
        assert_ne!(fresh, status_path);
        assert_eq!(app.get(&fresh).await.0, 200);
    })
    .await;
}

#[actix_web::test]
async fn unverified_requests_close_themselves() {
    each_backend(|app| async move {
        app.submit("eu", &[("kind", "deletion"), ("name", "Jane"), ("email", "old@example.com")]).await;
        app.submit("eu", &[("kind", "deletion"), ("name", "Jim"), ("email", "new@example.com")]).await;
        app.emails(2).await;
        // The first was received long ago; the second just now.
        app.exec("UPDATE requests SET received_at = '2020-01-01 00:00:00', updated_at = '2020-01-01 00:00:00' WHERE id = (SELECT request_id FROM request_identities WHERE kind = 'name' ORDER BY created_at LIMIT 1)");
        let state = app.state.clone();
        let closed = app.db(move |c| {
            dsar_portal::flows::expiry::close_unverified(&state, c, dsar_portal::clock::now(), 100)
        }).expect("expiry pass");
        assert_eq!(closed, 1);
        let statuses: Vec<String> = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::requests::dsl::*;
            requests.order(received_at.asc()).select(status).load(c).expect("load")
        });
        assert_eq!(statuses, vec!["closed_unverified".to_string(), "submitted".to_string()]);
        let closed_mail = app.email_where("about the closure", |m| m.subject.contains("was closed")).await;
        assert_eq!(closed_mail.to, "old@example.com");
        // Its verification link no longer works.
        let old = app.email_where("to the old address", |m| m.to == "old@example.com" && m.text.contains("/verify/")).await;
        let old_link = link_path(&old.text, "/verify/");
        assert_eq!(app.get(&old_link).await.0, 410);
        // A second pass finds nothing more to do.
        let state = app.state.clone();
        let again = app.db(move |c| dsar_portal::flows::expiry::close_unverified(&state, c, dsar_portal::clock::now(), 100)).expect("pass");
        assert_eq!(again, 0);
    })
    .await;
}

#[actix_web::test]
async fn link_pages_are_rate_limited() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.rate_limits.token_pages_per_minute = 3).await;
        for _ in 0..3 {
            assert_eq!(app.get("/status/whatever").await.0, 404);
        }
        assert_eq!(app.get("/status/whatever").await.0, 429);
    }
}
