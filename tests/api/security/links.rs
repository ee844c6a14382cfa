//! IDOR and brute force: one request's links never reach another's, and link guessing
//! is limited and answered with a clean 404.

use super::*;

fn is_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[actix_web::test]
async fn links_and_ids_of_one_request_never_reach_another() {
    each_backend(|app| async move {
        let status_a = app
            .file_and_verify("eu", "access", "alice@example.com")
            .await;
        let status_b = app.file_and_verify("eu", "access", "bob@example.com").await;
        let (_, page_a) = app.get(&status_a).await;
        let (_, page_b) = app.get(&status_b).await;
        let ref_a = link_path(&page_a, "DSR-");
        let ref_b = link_path(&page_b, "DSR-");
        let id_a = app.request_id(&ref_a);
        let id_b = app.request_id(&ref_b);
        // Defence: the status page is looked up by the token's hash alone.
        assert_ne!(ref_a, ref_b);
        assert!(!page_a.contains(&ref_b) && !page_b.contains(&ref_a));

        // Tokens carry a purpose; each route accepts only its own (find_by_hash filters
        // on purpose). An unused verify link and a download link for A:
        let (_, _) = app
            .submit(
                "eu",
                &[
                    ("kind", "access"),
                    ("name", "Carol"),
                    ("email", "carol@example.com"),
                ],
            )
            .await;
        let verify_c = link_path(
            &app.email_where("to Carol", |m| m.to == "carol@example.com")
                .await
                .text,
            "/verify/",
        );
        let download_a = issue_token(&app, &id_a, Purpose::Download);
        let confirm_a = issue_token(&app, &id_a, Purpose::ConfirmAgent);
        let status_token = status_a.trim_start_matches("/status/");
        let verify_token = verify_c.trim_start_matches("/verify/");
        for (path, what) in [
            (format!("/verify/{status_token}"), "status token as verify"),
            (format!("/status/{verify_token}"), "verify token as status"),
            (format!("/status/{download_a}"), "download token as status"),
            (
                format!("/status/{confirm_a}"),
                "confirm-agent token as status",
            ),
            (
                format!("/download/{status_token}"),
                "status token as download",
            ),
            (
                format!("/confirm-agent/{status_token}"),
                "status token as confirm-agent",
            ),
            (
                format!("/api/v1/status/{verify_token}"),
                "verify token in the API",
            ),
        ] {
            let (s, page) = app.get(&path).await;
            assert_eq!(s, 404, "{what} ({}): {page}", app.backend);
            assert!(!page.contains(&ref_a), "{what} leaks the reference");
        }
        // The real links still work (so the 404s are the purpose check).
        assert_eq!(app.get(&format!("/download/{download_a}")).await.0, 410);
        assert_eq!(app.get(&verify_c).await.0, 200);
        let (_, form) = app.get("/requests/new?jurisdiction=eu").await;
        let confirm_post = app
            .post_page(&form, &format!("/verify/{status_token}"), &[])
            .await;
        assert_eq!(confirm_post.0, 404, "a status token cannot verify");

        // No sequential or guessable ids in public URLs: tokens are 32 random bytes
        // (43 base64url characters), references random, and the internal request ids
        // (UUID v7, time-ordered) never leave the staff pages.
        for link in [&status_a, &status_b, &verify_c] {
            let token = link.rsplit('/').next().expect("token");
            assert!(is_token(token), "{link}");
        }
        for r in [&ref_a, &ref_b] {
            assert!(
                r.len() == 13
                    && r.starts_with("DSR-")
                    && r[4..]
                        .chars()
                        .all(|c| c == '-' || c.is_ascii_alphanumeric()),
                "{r}"
            );
        }
        let mut public = vec![page_a.clone(), page_b.clone()];
        for m in app.emails(0).await {
            public.push(m.text);
            public.push(m.html);
        }
        for text in &public {
            assert!(
                !text.contains(&id_a) && !text.contains(&id_b),
                "internal id in {text}"
            );
        }
    })
    .await;
}

#[actix_web::test]
async fn a_document_is_served_only_under_its_own_request() {
    each_backend(|app| async move {
        let a = file_as_agent(&app, "connie@example.com", "avery@agents.example").await;
        let b = file_as_agent(&app, "other@example.com", "other@agents.example").await;
        let (doc_a, doc_b) = (document_of(&app, &a), document_of(&app, &b));
        let staff = app.staff("admin").await;
        // Control: each document under its own request.
        assert_eq!(
            staff
                .get(&format!("/staff/requests/{a}/documents/{doc_a}"))
                .await
                .0,
            200
        );
        assert_eq!(
            staff
                .get(&format!("/staff/requests/{b}/documents/{doc_b}"))
                .await
                .0,
            200
        );
        // Defence: documents::find filters on request id and document id together.
        let (s, body) = staff
            .get(&format!("/staff/requests/{a}/documents/{doc_b}"))
            .await;
        assert_eq!(s, 404, "B's document under A ({})", app.backend);
        assert!(!body.contains(DOC_MARKER));
        let (s, _) = staff
            .post(
                &format!("/staff/requests/{a}"),
                &format!("/staff/requests/{a}/documents/{doc_b}/review"),
                &[("outcome", "accepted")],
            )
            .await;
        assert_eq!(s, 404, "B's document reviewed under A");
        let reviewed: Option<String> = app.db({
            let doc_b = doc_b.clone();
            move |c| {
                use diesel::prelude::*;
                use dsar_portal::db::schema::documents as d;
                d::table
                    .filter(d::id.eq(doc_b))
                    .select(d::review_outcome)
                    .first(c)
                    .expect("row")
            }
        });
        assert_eq!(reviewed, None);
    })
    .await;
}

// ---------------------------------------------------------------------------------
// 4. Token brute force
// ---------------------------------------------------------------------------------

/// Every route that takes a link's token.
const LINK_ROUTES: [&str; 6] = [
    "/status/",
    "/verify/",
    "/confirm-agent/",
    "/download/",
    "/api/v1/status/",
    "/requests/confirm/",
];

#[actix_web::test]
async fn link_guessing_is_rate_limited_across_link_routes() {
    const LIMIT: u32 = 10;
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.rate_limits.enabled = true;
            s.rate_limits.token_pages_per_minute = LIMIT;
        })
        .await;
        app.submit(
            "eu",
            &[
                ("kind", "access"),
                ("name", "J"),
                ("email", "j@example.com"),
            ],
        )
        .await;
        let real = issue_token(&app, &app.only_request_id(), Purpose::Status);
        // Guesses spread over every link route share one budget per client
        // (Bucket::TokenPages), so switching routes gains nothing.
        let routes = LINK_ROUTES;
        for i in 0..LIMIT as usize {
            let guess = dsar_portal::crypto::tokens::generate().secret;
            let (s, _) = app
                .get(&format!("{}{guess}", routes[i % routes.len()]))
                .await;
            assert_eq!(s, 404, "guess {i} ({})", app.backend);
        }
        // Defence: web::limit before any lookup; even the right token waits now.
        for path in [format!("/status/{real}"), format!("/verify/{real}")] {
            let r = app.get_response(&path).await;
            assert_eq!(r.status(), 429, "{path} after {LIMIT} guesses");
            assert!(r.headers().contains_key("retry-after"));
        }
    }
}

#[actix_web::test]
async fn malformed_tokens_are_a_clean_404_on_every_link_route() {
    each_backend(|app| async move {
        let long = "A".repeat(4000);
        let shapes = [
            "A".to_string(),
            "A".repeat(42),
            "A".repeat(44),
            long,
            format!("{}+", "A".repeat(42)),
            format!("{}=", "A".repeat(42)),
            "%2e%2e%2f%2e%2e%2fetc%2fpasswd".into(),
            "%00".into(),
            "%C3%A4%C3%B6".into(),
            "'%20OR%201=1--".into(),
            "%FF%FE".into(),
        ];
        for route in LINK_ROUTES {
            for shape in &shapes {
                let path = format!("{route}{shape}");
                let (s, body) = app.get(&path).await;
                // Defence: hash_presented refuses anything that is not 32 bytes of
                // base64url before the database is asked.
                assert_eq!(s, 404, "{path} ({})", app.backend);
                assert!(!body.contains("went wrong"), "{path}: {body}");
            }
        }
    })
    .await;
}
