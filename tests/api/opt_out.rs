//! Opt-out of sale/sharing: no verification, work starts at once, GPC honoured.

use crate::helpers::*;

#[actix_web::test]
async fn opt_out_needs_no_verification_and_notes_the_gpc_signal() {
    each_backend(|app| async move {
        let r = app
            .client
            .get(app.url("/requests/new?jurisdiction=california&kind=opt_out"))
            .header("Sec-GPC", "1")
            .send()
            .await
            .expect("GET");
        let page = r.text().await.expect("body");
        assert!(page.contains("Global Privacy Control detected"));
        assert!(page.contains("value=\"opt_out\" checked"));
        let csrf = hidden(&page, "csrf_token");
        let sid = hidden(&page, "submission_id");
        let r = app
            .client
            .post(app.url("/requests"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("Sec-GPC", "1")
            .body(encode(&[
                ("csrf_token", &csrf),
                ("submission_id", &sid),
                ("jurisdiction", "california"),
                ("kind", "opt_out"),
                ("email", "jane@example.com"),
            ]))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 200);
        let page = r.text().await.expect("body");
        assert!(page.contains("Your opt-out is accepted"));
        assert!(page.contains("Global Privacy Control signal"));

        let (status, gpc): (String, bool) = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::requests::dsl::*;
            requests.select((status, gpc)).first(c).expect("row")
        });
        assert_eq!(status, "in_progress");
        assert!(gpc);
        let mails = app.emails(1).await;
        assert!(mails[0].subject.contains("opt-out"));
        let status_path = link_path(&mails[0].text, "/status/");
        let (code, page) = app.get(&status_path).await;
        assert_eq!(code, 200);
        assert!(page.contains("no proof of identity is needed"));
    })
    .await;
}

#[actix_web::test]
async fn the_gpc_header_must_be_exactly_one() {
    each_backend(|app| async move {
        for value in ["0", "true", "yes"] {
            let r = app
                .client
                .get(app.url("/requests/new?jurisdiction=california&kind=opt_out"))
                .header("Sec-GPC", value)
                .send()
                .await
                .expect("GET");
            assert!(
                !r.text()
                    .await
                    .expect("body")
                    .contains("Global Privacy Control detected"),
                "{value:?}"
            );
        }
        // The shortcut is a page of its own (tests/api/intake_mistakes.rs).
        let (status, page) = app.get("/opt-out").await;
        assert_eq!(status, 200);
        assert!(page.contains("action=\"/opt-out\""));
    })
    .await;
}
