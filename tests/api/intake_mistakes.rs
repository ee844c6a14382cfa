//! The request form catches mistakes: a likely typo in the address is asked about, the
//! address of an unconfirmed request can be corrected from the browser that sent it,
//! agent details need the agent's choice, and opting out is one short screen.

use crate::helpers::*;

/// Jane's access request with `email`, sent from the form like a browser.
fn jane_with(email: &str) -> Vec<(&str, &str)> {
    vec![("kind", "access"), ("name", "Jane"), ("email", email)]
}

fn count_where(app: &TestApp, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.db(|c| diesel::sql_query(sql).get_result::<N>(c).expect("count").n)
}

#[actix_web::test]
async fn a_likely_typo_is_asked_about_before_anything_is_stored() {
    each_backend(|app| async move {
        let (status, page) = app.submit("eu", &jane_with("jane@gmial.con")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Did you mean jane@gmail.com?"), "{page}");
        assert!(page.contains("value=\"suggested\"") && page.contains("value=\"typed\""));
        assert_eq!(app.count("requests"), 0, "nothing is filed yet");

        // "Use jane@gmail.com": the request goes to the suggested address.
        let sid = hidden(&page, "submission_id");
        let (status, page) = app
            .post_page(
                &page,
                "/requests",
                &[
                    ("submission_id", &sid),
                    ("jurisdiction", "eu"),
                    ("kind", "access"),
                    ("name", "Jane"),
                    ("email", "jane@gmial.con"),
                    ("email_typed", "jane@gmial.con"),
                    ("email_choice", "suggested"),
                ],
            )
            .await;
        assert_eq!(status, 200);
        assert!(page.contains("We have received your request"));
        assert!(page.contains("jane@gmail.com"));
        let mail = app.emails(1).await;
        assert_eq!(mail[0].to, "jane@gmail.com");
    })
    .await;
}

#[actix_web::test]
async fn keeping_the_address_as_typed_goes_through() {
    each_backend(|app| async move {
        let (_, page) = app.submit("eu", &jane_with("ann@acme.ogr")).await;
        assert!(page.contains("Did you mean ann@acme.org?"));
        let sid = hidden(&page, "submission_id");
        let fields = [
            ("submission_id", sid.as_str()),
            ("jurisdiction", "eu"),
            ("kind", "access"),
            ("name", "Ann"),
            ("email", "ann@acme.ogr"),
            ("email_typed", "ann@acme.ogr"),
            ("email_choice", "typed"),
        ];
        // The person knows best: what they chose to keep is filed as typed.
        let (status, page) = app.post_page(&page, "/requests", &fields).await;
        assert_eq!(status, 200);
        assert!(page.contains("ann@acme.ogr<"));
        let (_, page) = app.submit("eu", &jane_with("ann@gmail.co")).await;
        assert!(page.contains("Did you mean ann@gmail.com?"));
        let sid = hidden(&page, "submission_id");
        let (status, page) = app
            .post_page(
                &page,
                "/requests",
                &[
                    ("submission_id", &sid),
                    ("jurisdiction", "eu"),
                    ("kind", "access"),
                    ("name", "Ann"),
                    ("email", "ann@gmail.co"),
                    ("email_typed", "ann@gmail.co"),
                    ("email_choice", "typed"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("ann@gmail.co<"));
        assert_eq!(app.count("requests"), 2);
        // A plain address is never questioned.
        let (_, page) = app.submit("eu", &jane_with("jane@example.com")).await;
        assert!(page.contains("We have received your request"));
    })
    .await;
}

#[actix_web::test]
async fn changing_the_address_replaces_the_unconfirmed_request() {
    each_backend(|app| async move {
        let (status, page) = app.submit("eu", &jane_with("jane@exmaple.com")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Change the email address"));
        let old = app.emails(1).await;
        let old_link = link_path(&old[0].text, "/verify/");

        let (status, change) = app.get("/requests/change-address").await;
        assert_eq!(status, 200);
        let secret = hidden(&change, "change_secret");
        let (status, page) = app
            .post_page(
                &change,
                "/requests/change-address",
                &[("change_secret", &secret), ("email", "jane@example.com")],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("jane@example.com"));

        assert_eq!(app.count("requests"), 1, "still one request");
        let new = app
            .email_where("to the new address", |e| e.to == "jane@example.com")
            .await;
        let new_link = link_path(&new.text, "/verify/");
        assert_ne!(new_link, old_link);
        let (_, old_page) = app.get(&old_link).await;
        assert!(
            !old_page.contains("Confirm my email address"),
            "old link void"
        );
        let audited = count_where(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'email_address_changed'",
        );
        assert_eq!(audited, 1);
        let to_old = app
            .emails(0)
            .await
            .iter()
            .filter(|e| e.to == "jane@exmaple.com")
            .count();
        assert_eq!(to_old, 1, "the old address gets nothing more");

        // The form is one-time, and another browser has no right to change anything.
        let (status, _) = app
            .post_page(
                &change,
                "/requests/change-address",
                &[("change_secret", &secret), ("email", "x@example.com")],
            )
            .await;
        assert_eq!(status, 403);
        let stranger = Staff::anonymous(&app);
        let (status, page) = stranger.get("/requests/change-address").await;
        assert_eq!(status, 400);
        assert!(page.contains("only from the browser that sent it"));

        // Once confirmed, the address is no longer a typo.
        let (_, verify) = app.get(&new_link).await;
        app.post_with_csrf(&verify, &new_link).await;
        let (_, change) = app.get("/requests/change-address").await;
        let secret = hidden(&change, "change_secret");
        let (status, _) = app
            .post_page(
                &change,
                "/requests/change-address",
                &[("change_secret", &secret), ("email", "jane@example.org")],
            )
            .await;
        assert_eq!(status, 409);
    })
    .await;
}

#[actix_web::test]
async fn agent_details_without_the_agent_choice_are_refused() {
    each_backend(|app| async move {
        let mut fields = jane_with("jane@example.com");
        fields.push(("agent", "no"));
        fields.push(("agent_name", "Ann Agent"));
        let (status, page) = app.submit("california", &fields).await;
        assert_eq!(status, 422);
        assert!(page.contains("filled in the authorized agent"), "{page}");
        assert!(
            page.contains("value=\"Ann Agent\""),
            "nothing typed is lost"
        );
        assert_eq!(app.count("requests"), 0);
        // Without an answer the person files for themselves, as before.
        fields.retain(|(k, _)| *k != "agent");
        let (status, _) = app.submit("california", &fields).await;
        assert_eq!(status, 422);
    })
    .await;
}

#[actix_web::test]
async fn the_form_asks_first_who_it_is_for_and_lists_errors_in_form_order() {
    each_backend(|app| async move {
        let (_, page) = app.get("/requests/new?jurisdiction=eu").await;
        let who = page.find("Who is this request for?").expect("asked");
        let what = page.find("What would you like us to do?").expect("kind");
        assert!(who < what, "asked first");
        let (status, page) = app.submit("eu", &[("email", "nope")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("autofocus"));
        let kind = page.find("href=\"#kind\"").expect("kind in summary");
        let name = page.find("href=\"#name\"").expect("name in summary");
        let email = page.find("href=\"#email\"").expect("email in summary");
        assert!(kind < name && name < email, "summary follows the form");
    })
    .await;
}

#[actix_web::test]
async fn opting_out_is_one_screen() {
    each_backend(|app| async move {
        let (status, page) = app.get("/opt-out").await;
        assert_eq!(status, 200);
        for absent in [
            "agent_name",
            "correction_current",
            "details",
            "We send a link",
        ] {
            assert!(!page.contains(absent), "{absent}");
        }
        assert!(page.contains("value=\"california\"") && page.contains("value=\"us_other\""));
        assert!(!page.contains("value=\"eu\""));
        let sid = hidden(&page, "submission_id");
        let (status, done) = app
            .post_page(
                &page,
                "/opt-out",
                &[
                    ("submission_id", &sid),
                    ("jurisdiction", "us_other"),
                    ("email", "jane@example.com"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{done}");
        assert!(done.contains("Your opt-out is accepted"));
        // A place that does not grant it is not on offer.
        let (status, page) = app
            .post_page(
                &page,
                "/opt-out",
                &[("jurisdiction", "eu"), ("email", "ann@example.com")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("Choose where you live."));
    })
    .await;
}

#[actix_web::test]
async fn gpc_alone_is_recorded_where_the_law_lets_it_count() {
    each_backend(|app| async move {
        let visit = || async {
            app.client
                .get(app.url("/opt-out"))
                .header("Sec-GPC", "1")
                .send()
                .await
                .expect("GET")
                .text()
                .await
                .expect("body")
        };
        let page = visit().await;
        assert!(page.contains("you need do nothing more"), "{page}");
        visit().await;
        let recorded = count_where(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'gpc_opt_out_honoured'",
        );
        assert_eq!(recorded, 1, "once per browser");
        assert_eq!(app.count("requests"), 0, "no request without a form");
    })
    .await;
}

#[actix_web::test]
async fn eu_pages_do_not_talk_about_opt_outs() {
    let backend = backends().remove(0);
    let app = spawn_app_with(&backend, |s| {
        s.jurisdictions = vec![
            dsar_portal::domain::kinds::Jurisdiction::Eu,
            dsar_portal::domain::kinds::Jurisdiction::Uk,
        ];
    })
    .await;
    for path in ["/", "/requests/new", "/requests/new?jurisdiction=eu"] {
        let page = app
            .client
            .get(app.url(path))
            .header("Sec-GPC", "1")
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        for word in [
            "opt out",
            "Opting out",
            "Do Not Sell",
            "Global Privacy Control",
        ] {
            assert!(!page.contains(word), "{path} says {word:?}");
        }
    }
}
