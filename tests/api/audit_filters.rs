//! The audit log's filters (request, actor, action, dates) and its keyset pages, newest
//! first, whose links keep the filters.

use crate::helpers::*;

/// Rows of the log's table.
fn rows(page: &str) -> usize {
    page.matches("<tr><td>").count()
}

/// The sequence numbers listed, in page order.
fn seqs(page: &str) -> Vec<i64> {
    page.split("<tr><td>")
        .skip(1)
        .filter_map(|r| r.split("</td>").next()?.parse().ok())
        .collect()
}

/// The page link marked `rel`, unescaped.
fn link(page: &str, rel: &str) -> Option<String> {
    let end = page.find(&format!("\" rel=\"{rel}\""))?;
    let start = page[..end].rfind("href=\"")? + 6;
    Some(
        page[start..end]
            .replace("&amp;", "&")
            .replace("&#x3D;", "="),
    )
}

fn portal_events(app: &TestApp, n: usize) {
    app.db(|c| {
        for _ in 0..n {
            dsar_portal::db::write_tx(c, |c| {
                dsar_portal::db::models::audit::append_portal_event(
                    c,
                    "cli",
                    "staff_password_reset",
                    serde_json::json!({}),
                    dsar_portal::clock::now(),
                )
            })
            .expect("event");
        }
    });
}

#[actix_web::test]
async fn filters_by_request_actor_action_and_date() {
    each_backend(|app| async move {
        let (a, _) = verified(&app, "eu", "access", "a@example.com").await;
        let (b, _) = verified(&app, "california", "deletion", "b@example.com").await;
        let handler = app.staff("handler").await;
        handler
            .act_ok(&a, &[("action", "note"), ("body", "Called the person.")])
            .await;
        let auditor = app.staff("auditor").await;
        let ref_a = app.request_field(&a, "reference").expect("reference");

        let (s, page) = auditor
            .get(&format!("/staff/audit?request={}", ref_a.to_lowercase()))
            .await;
        assert_eq!(s, 200);
        assert!(
            page.contains(&format!("/staff/requests/{a}"))
                && !page.contains(&format!("/staff/requests/{b}")),
            "{page}"
        );
        assert!(
            page.contains(&format!("value=\"{}\"", ref_a.to_lowercase())),
            "the filter is shown again"
        );

        let (_, page) = auditor
            .get(&format!("/staff/audit?actor=staff:{}", handler.id))
            .await;
        assert!(
            rows(&page) >= 1 && page.matches(&handler.email).count() >= rows(&page),
            "{page}"
        );
        assert!(page.contains("Note added"), "{page}");

        let (_, page) = auditor
            .get("/staff/audit?actor=person&action=email_verified")
            .await;
        assert_eq!(rows(&page), 2, "both confirmations, by the person: {page}");
        assert!(page.contains("Email confirmed"));

        let (_, page) = auditor
            .get(&format!("/staff/audit?request={ref_a}&action=note_added"))
            .await;
        assert_eq!(rows(&page), 1);

        let today = chrono::Utc::now().date_naive();
        let tomorrow = today.succ_opt().expect("tomorrow");
        let (_, page) = auditor
            .get(&format!(
                "/staff/audit?from={today}&to={today}&request={ref_a}"
            ))
            .await;
        assert!(rows(&page) >= 3, "today's events of the request: {page}");
        let (s, page) = auditor.get(&format!("/staff/audit?from={tomorrow}")).await;
        assert_eq!(s, 200);
        assert_eq!(rows(&page), 0);
        assert!(page.contains("No events match these filters."));
    })
    .await;
}

#[actix_web::test]
async fn filters_that_cannot_be_read_answer_400_with_a_message() {
    each_backend(|app| async move {
        let admin = app.staff("admin").await;
        let (s, page) = admin.get("/staff/audit?from=31-12-2026").await;
        assert_eq!(s, 400);
        assert!(
            page.contains("“31-12-2026” is not a date; write it as YYYY-MM-DD."),
            "{page}"
        );
        let (s, page) = admin
            .get("/staff/audit?from=2026-12-02&to=2026-12-01")
            .await;
        assert_eq!(s, 400);
        assert!(page.contains("The “to” date is before the “from” date."));
        let (s, page) = admin.get("/staff/audit?request=DSR-NONE-NONE").await;
        assert_eq!(s, 400);
        assert!(page.contains("No request has the reference DSR-NONE-NONE."));
        let (s, _) = admin.get("/staff/audit?action=drop_table&actor=root").await;
        assert_eq!(s, 400);
    })
    .await;
}

#[actix_web::test]
async fn pages_go_older_and_newer_keeping_the_filters() {
    each_backend(|app| async move {
        let auditor = app.staff("auditor").await;
        portal_events(&app, 120);
        let (_, first) = auditor.get("/staff/audit?actor=system").await;
        assert_eq!(rows(&first), 50);
        assert!(
            link(&first, "prev").is_none(),
            "the newest page has nothing newer"
        );
        let first_seqs = seqs(&first);
        assert!(first_seqs.windows(2).all(|w| w[0] > w[1]), "newest first");

        let older = link(&first, "next").expect("older link");
        assert!(
            older.contains("actor=system") && older.contains("before="),
            "{older}"
        );
        let (_, second) = auditor.get(&older).await;
        assert_eq!(rows(&second), 50);
        assert!(seqs(&second)[0] < *first_seqs.last().expect("seq"));

        let (_, third) = auditor
            .get(&link(&second, "next").expect("older again"))
            .await;
        let automatic: i64 = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::audit_events as ae;
            ae::table
                .filter(ae::actor.eq_any(["system", "api", "cli"]))
                .count()
                .get_result(c)
                .expect("count")
        });
        assert!(automatic >= 120);
        assert_eq!(rows(&third) as i64, automatic - 100);
        assert!(
            link(&third, "next").is_none(),
            "the oldest page has nothing older"
        );

        let (_, back) = auditor
            .get(&link(&second, "prev").expect("newer link"))
            .await;
        assert_eq!(
            seqs(&back),
            first_seqs,
            "newer leads back to the first page"
        );
        assert!(link(&back, "prev").is_none());
    })
    .await;
}
