//! The staff queue's views, filters, bulk actions and CSV export.

use crate::helpers::{each_backend, TestApp};
use chrono::Duration;
use dsar_portal::domain::source::Source;

fn today() -> chrono::NaiveDate {
    dsar_portal::clock::now().date()
}

/// Files a request straight through the intake flow (status: submitted); returns its
/// id and reference.
fn file(app: &TestApp, kind: &str, place: &str, email: &str, source: Source) -> (String, String) {
    let state = app.state.clone();
    let (kind, place, email) = (kind.to_owned(), place.to_owned(), email.to_owned());
    let reference = app
        .db(move |c| {
            let raw = dsar_portal::domain::intake::RawIntake {
                kind,
                jurisdiction: place,
                name: "Pat Example".into(),
                email: email.clone(),
                ..Default::default()
            };
            let valid = dsar_portal::domain::intake::validate(
                &raw,
                &state.settings.jurisdictions,
                &state.identifier_rules,
            )
            .expect("valid");
            dsar_portal::flows::intake::submit(
                &state,
                c,
                &valid,
                source,
                false,
                &format!("queue-{email}"),
                dsar_portal::clock::now(),
            )
            .expect("submit")
        })
        .reference;
    (app.request_id(&reference), reference)
}

fn set(app: &TestApp, id: &str, assignments: &str) {
    app.exec(&format!(
        "UPDATE requests SET {assignments} WHERE id = '{id}'"
    ));
}

fn close(app: &TestApp, id: &str) {
    set(app, id, "status = 'fulfilled', closed_at = updated_at");
}

fn rows(page: &str) -> usize {
    page.matches("href=\"/staff/requests/").count()
        - page.matches("href=\"/staff/requests/new\"").count()
}

fn version(app: &TestApp, id: &str) -> String {
    app.request_field(id, "version").expect("version")
}

#[actix_web::test]
async fn closed_requests_are_found_and_unconfirmed_ones_counted_aside() {
    each_backend(|app| async move {
        let (open, _) = file(
            &app,
            "access",
            "california",
            "open@example.com",
            Source::Web,
        );
        let (closed, closed_ref) = file(
            &app,
            "access",
            "california",
            "closed@example.com",
            Source::Web,
        );
        file(
            &app,
            "access",
            "california",
            "new1@example.com",
            Source::Web,
        );
        file(&app, "deletion", "eu", "new2@example.com", Source::Web);
        set(&app, &open, "status = 'in_progress'");
        close(&app, &closed);
        let handler = app.staff("handler").await;

        let (s, page) = handler.get("/staff").await;
        assert_eq!(s, 200);
        assert_eq!(
            rows(&page),
            1,
            "unconfirmed and closed are out of the default view"
        );
        assert!(
            page.contains("2 unconfirmed requests are not shown."),
            "{page}"
        );
        assert!(page.contains("href=\"/staff?status=submitted\">Show unconfirmed requests"));
        let (_, unconfirmed) = handler.get("/staff?status=submitted").await;
        assert_eq!(rows(&unconfirmed), 2);
        assert!(!unconfirmed.contains("unconfirmed requests are not shown"));

        let (_, closed_view) = handler.get("/staff?view=closed").await;
        assert_eq!(rows(&closed_view), 1);
        assert!(closed_view.contains(&closed_ref));
        assert!(closed_view.contains("<h1>Closed requests</h1>"));
        assert!(
            !closed_view.contains("/staff/queue/bulk"),
            "nothing to do in bulk on closed requests"
        );
        let (_, all) = handler.get("/staff?view=all").await;
        assert_eq!(rows(&all), 4);

        // A search looks through every request, closed ones included, from any view.
        let (_, by_email) = handler.get("/staff?q=Closed%40Example.com").await;
        assert_eq!(rows(&by_email), 1, "{by_email}");
        assert!(by_email.contains(&closed_ref));
        assert!(
            by_email.contains(">Closed<"),
            "a closed row says so instead of days left"
        );
        let (_, by_ref) = handler
            .get(&format!("/staff?q={}", closed_ref.to_lowercase()))
            .await;
        assert!(by_ref.contains(&closed_ref));
        let (_, unconfirmed_by_email) = handler.get("/staff?q=new1%40example.com").await;
        assert_eq!(rows(&unconfirmed_by_email), 1);
    })
    .await;
}

#[actix_web::test]
async fn each_filter_narrows_and_survives_paging() {
    each_backend(|app| async move {
        let (a, _) = file(&app, "access", "california", "a@example.com", Source::Web);
        let (b, _) = file(&app, "deletion", "eu", "b@example.com", Source::Api);
        let (c, _) = file(&app, "access", "eu", "c@example.com", Source::Email);
        for id in [&a, &b, &c] {
            set(&app, id, "status = 'in_progress'");
        }
        let handler = app.staff("handler").await;
        let other = app.staff("handler").await;
        set(&app, &a, &format!("assignee_id = '{}'", handler.id));
        set(&app, &b, &format!("assignee_id = '{}'", other.id));
        set(&app, &a, "received_at = '2026-01-10 09:00:00'");
        set(&app, &b, "received_at = '2026-02-10 09:00:00'");
        set(&app, &c, "received_at = '2026-03-10 09:00:00'");

        let count = |q: &'static str| {
            let h = &handler;
            async move { rows(&h.get(q).await.1) }
        };
        assert_eq!(count("/staff").await, 3);
        assert_eq!(count("/staff?kind=access").await, 2);
        assert_eq!(count("/staff?regime=gdpr").await, 2);
        assert_eq!(count("/staff?channel=api").await, 1);
        assert_eq!(count("/staff?channel=email").await, 1);
        assert_eq!(count("/staff?status=in_progress").await, 3);
        assert_eq!(count("/staff?status=denied").await, 0);
        assert_eq!(count("/staff?assignee=me").await, 1);
        assert_eq!(count("/staff?assignee=unassigned").await, 1);
        let (_, named) = handler.get(&format!("/staff?assignee={}", other.id)).await;
        assert_eq!(rows(&named), 1);
        assert!(
            named.contains(&other.email),
            "the assignee is shown by name"
        );
        assert_eq!(count("/staff?from=2026-02-01").await, 2);
        assert_eq!(
            count("/staff?to=2026-02-10").await,
            2,
            "the end day is included"
        );
        assert_eq!(count("/staff?from=2026-02-01&to=2026-02-28").await, 1);
        let (s, bad) = handler.get("/staff?from=10%2F02%2F2026").await;
        assert_eq!(s, 200);
        assert!(bad.contains("The date range was not applied."));
        assert_eq!(rows(&bad), 3);
        let (_, unassigned) = handler.get("/staff?assignee=unassigned").await;
        assert!(unassigned.contains("Not assigned") && unassigned.contains("No agent"));

        // Filters survive paging: the next-page link carries them.
        for i in 0..51 {
            let (id, _) = file(
                &app,
                "access",
                "eu",
                &format!("p{i}@example.com"),
                Source::Api,
            );
            set(&app, &id, "status = 'in_progress'");
        }
        let (_, first) = handler.get("/staff?channel=api").await;
        assert_eq!(rows(&first), 50);
        let end = first.find("\" rel=\"next\"").expect("next link");
        let start = first[..end].rfind("href=\"").expect("href") + 6;
        let next = first[start..end]
            .replace("&#x3D;", "=")
            .replace("&amp;", "&");
        assert!(next.contains("channel=api"), "{next}");
        let (_, second) = handler.get(&next).await;
        assert_eq!(rows(&second), 2, "51 filed by API plus b");
    })
    .await;
}

#[actix_web::test]
async fn acknowledgement_and_days_are_said_in_words() {
    each_backend(|app| async move {
        let (id, _) = file(&app, "access", "california", "ack@example.com", Source::Web);
        set(&app, &id, "status = 'email_verified'");
        set(
            &app,
            &id,
            &format!(
                "acknowledge_by = '{}', acknowledged_at = NULL, due_on = '{}'",
                today() - Duration::days(2),
                today() - Duration::days(16)
            ),
        );
        let handler = app.staff("handler").await;
        let (_, page) = handler.get("/staff").await;
        assert!(page.contains("Overdue by 16 days"), "{page}");
        assert!(page.contains("<span class=\"days-left days-overdue\">Overdue by 2 days</span>"));
        assert!(!page.contains("d overdue"));
        set(&app, &id, "acknowledged_at = updated_at");
        let (_, page) = handler.get("/staff").await;
        assert!(
            page.contains(">Sent</td>"),
            "no date beside a sent acknowledgement: {page}"
        );
    })
    .await;
}

/// The bulk form's fields for the rows `ids`, as the queue shows them.
fn ticked(app: &TestApp, ids: &[&str]) -> Vec<(String, String)> {
    ids.iter()
        .map(|id| ("r".to_string(), format!("{id}:{}", version(app, id))))
        .collect()
}

async fn bulk(
    staff: &crate::helpers::Staff,
    selected: &[(String, String)],
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut fields: Vec<(&str, &str)> = selected
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.extend_from_slice(extra);
    fields.push(("back", "/staff?view=all"));
    staff
        .post("/staff?view=all", "/staff/queue/bulk", &fields)
        .await
}

#[actix_web::test]
async fn bulk_assign_skips_closed_and_changed_rows_and_audits_each() {
    each_backend(|app| async move {
        let (a, _) = file(&app, "access", "california", "a@example.com", Source::Web);
        let (b, b_ref) = file(&app, "access", "california", "b@example.com", Source::Web);
        let (c, c_ref) = file(&app, "access", "california", "c@example.com", Source::Web);
        let handler = app.staff("handler").await;
        let ana = app.staff("handler").await;
        close(&app, &b);
        let selected = ticked(&app, &[&a, &b, &c]);
        // Someone else edits c after the queue was read.
        set(&app, &c, "version = version + 1");
        let (s, _) = bulk(
            &handler,
            &selected,
            &[("action", "assign"), ("assignee", &ana.id)],
        )
        .await;
        assert_eq!(s, 303);
        assert_eq!(app.request_field(&a, "assignee_id"), Some(ana.id.clone()));
        assert_eq!(app.request_field(&b, "assignee_id"), None);
        assert_eq!(app.request_field(&c, "assignee_id"), None);
        let (_, page) = handler.get("/staff?view=all").await;
        let flash = format!(
            "1 assigned to {}. 2 skipped: {b_ref} (already closed), {c_ref} (changed since you loaded the queue).",
            ana.email
        );
        assert!(page.contains(&flash), "{page}");
        assert_eq!(
            app.count(&format!(
                "audit_events WHERE action = 'assigned' AND actor = 'staff:{}'",
                handler.id
            )),
            1
        );
        // Nothing selected, or nobody chosen: said, and nothing changes.
        let (s, _) = bulk(&handler, &[], &[("action", "assign"), ("assignee", &ana.id)]).await;
        assert_eq!(s, 303);
        let (_, page) = handler.get("/staff").await;
        assert!(page.contains("Select at least one request first."));
        let (s, _) = bulk(&handler, &ticked(&app, &[&c]), &[("action", "assign")]).await;
        assert_eq!(s, 303);
        let (_, page) = handler.get("/staff").await;
        assert!(page.contains("Choose who to assign the selected requests to."));
        // "Select all on this page" takes every row the page listed.
        let all: Vec<(String, String)> = ticked(&app, &[&a, &c])
            .into_iter()
            .map(|(_, v)| ("row".to_string(), v))
            .chain([("all".to_string(), "1".to_string())])
            .collect();
        bulk(&handler, &all, &[("action", "assign"), ("assignee", &handler.id)]).await;
        assert_eq!(app.request_field(&c, "assignee_id"), Some(handler.id.clone()));
        assert_eq!(app.request_field(&a, "assignee_id"), Some(handler.id.clone()));
        // An auditor reads the queue but cannot act on it.
        let auditor = app.staff("auditor").await;
        let (s, _) = bulk(
            &auditor,
            &ticked(&app, &[&a]),
            &[("action", "assign"), ("assignee", &ana.id)],
        )
        .await;
        assert_eq!(s, 403);
    })
    .await;
}

#[actix_web::test]
async fn bulk_close_and_remind_touch_only_the_requests_waiting_on_the_person() {
    each_backend(|app| async move {
        let (new1, _) = file(&app, "access", "california", "n1@example.com", Source::Web);
        let (new2, _) = file(&app, "access", "california", "n2@example.com", Source::Web);
        let (working, working_ref) =
            file(&app, "access", "california", "w@example.com", Source::Web);
        let (waiting, _) = file(&app, "access", "california", "q@example.com", Source::Web);
        set(&app, &working, "status = 'in_progress'");
        set(&app, &waiting, "status = 'awaiting_information'");
        let handler = app.staff("handler").await;
        let verify_before = app.count("outbox WHERE template = 'verify_email'");

        let (s, _) = bulk(
            &handler,
            &ticked(&app, &[&new1, &waiting, &working]),
            &[("action", "remind")],
        )
        .await;
        assert_eq!(s, 303);
        let (_, page) = handler.get("/staff").await;
        assert!(
            page.contains(&format!(
                "Reminder sent for 2. 1 skipped: {working_ref} (not waiting on the person)."
            )),
            "{page}"
        );
        assert_eq!(
            app.count("outbox WHERE template = 'verify_email'"),
            verify_before + 1
        );
        assert_eq!(
            app.count(&format!(
                "outbox WHERE template = 'info_reminder' AND request_id = '{waiting}'"
            )),
            1
        );
        assert_eq!(app.count("audit_events WHERE action = 'reminder_sent'"), 2);

        let (s, _) = bulk(
            &handler,
            &ticked(&app, &[&new1, &new2, &working]),
            &[("action", "close_unverified")],
        )
        .await;
        assert_eq!(s, 303);
        let (_, page) = handler.get("/staff").await;
        assert!(page.contains("2 closed as unverified; each person was told. 1 skipped:"));
        assert!(page.contains("(email already confirmed)"));
        for id in [&new1, &new2] {
            assert_eq!(
                app.request_field(id, "status").as_deref(),
                Some("closed_unverified")
            );
        }
        assert_eq!(
            app.request_field(&working, "status").as_deref(),
            Some("in_progress")
        );
        assert_eq!(
            app.count("outbox WHERE template = 'request_closed_unverified'"),
            2
        );
        assert_eq!(
            app.count(&format!(
                "audit_events WHERE action = 'closed_unverified' AND actor = 'staff:{}'",
                handler.id
            )),
            2
        );
    })
    .await;
}

#[actix_web::test]
async fn the_csv_export_follows_the_filters_and_is_audited() {
    each_backend(|app| async move {
        let (a, a_ref) = file(&app, "access", "california", "a@example.com", Source::Web);
        let (b, b_ref) = file(&app, "deletion", "eu", "b@example.com", Source::Api);
        set(&app, &a, "status = 'in_progress'");
        set(&app, &b, "status = 'in_progress'");
        set(
            &app,
            &a,
            &format!("due_on = '{}'", today() - Duration::days(2)),
        );
        let auditor = app.staff("auditor").await;
        let r = auditor.get_response("/staff/queue.csv?kind=access").await;
        assert_eq!(r.status().as_u16(), 200, "auditors may export");
        assert!(r.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv"));
        assert!(r.headers()["content-disposition"]
            .to_str()
            .expect("disposition")
            .starts_with("attachment"));
        let body = r.text().await.expect("body");
        let mut lines = body.lines();
        assert_eq!(
            lines.next(),
            Some(
                "reference,kind,law,status,channel,received,due,acknowledge_by,assignee,days_left"
            )
        );
        let row = lines.next().expect("one row");
        assert!(row.starts_with(&format!("{a_ref},")), "{row}");
        assert!(row.ends_with(",-2"), "days left stays a number: {row}");
        assert!(!body.contains(&b_ref), "the filter applies");
        assert!(!body.contains("a@example.com"), "no personal data");
        assert_eq!(lines.next(), None);

        let r = auditor
            .get_response("/staff/queue.csv?q=b%40example.com&view=all")
            .await;
        let body = r.text().await.expect("body");
        assert!(body.contains(&b_ref));
        assert_eq!(
            app.count(&format!(
                "audit_events WHERE action = 'queue_exported' AND actor = 'staff:{}'",
                auditor.id
            )),
            2
        );
        assert_eq!(
            app.count(
                "audit_events WHERE action = 'queue_exported' AND detail LIKE '%example.com%'"
            ),
            0,
            "a search term is never written to the audit log"
        );
        let anonymous = crate::helpers::Staff::anonymous(&app);
        let (s, _) = anonymous.get("/staff/queue.csv").await;
        assert_ne!(s, 200);
    })
    .await;
}

/// The counts above the queue as the page reads them, against the rows counted.
fn counts_agree(app: &TestApp, after: &str) {
    let (kept, counted) = app.db(|c| {
        use diesel::prelude::*;
        use dsar_portal::db::schema::requests as r;
        let kept = dsar_portal::db::models::queue::open_counts(c).expect("counts");
        let counted: Vec<(dsar_portal::domain::state::Status, i64)> = r::table
            .filter(r::closed_at.is_null())
            .group_by(r::status)
            .select((r::status, diesel::dsl::count_star()))
            .order(r::status.asc())
            .load(c)
            .expect("rows counted");
        (kept, counted)
    });
    assert_eq!(kept, counted, "after {after} ({})", app.backend);
}

#[actix_web::test]
async fn the_counts_per_status_stay_exact_through_every_change() {
    each_backend(|app| async move {
        let (a, _) = file(&app, "access", "california", "c1@example.com", Source::Web);
        let (b, _) = file(&app, "deletion", "eu", "c2@example.com", Source::Web);
        let (c, _) = file(&app, "access", "eu", "c3@example.com", Source::Web);
        counts_agree(&app, "intake");
        set(&app, &a, "status = 'in_progress'");
        set(&app, &b, "status = 'awaiting_information'");
        counts_agree(&app, "status changes");
        close(&app, &a);
        counts_agree(&app, "a close");
        // Closed or reopened without a change of status: counted by closed_at.
        set(&app, &b, "closed_at = updated_at");
        counts_agree(&app, "closed_at alone");
        set(&app, &b, "closed_at = NULL");
        counts_agree(&app, "a reopening");
        // A change of other columns moves nothing.
        set(&app, &c, "version = version + 1, assignee_id = NULL");
        counts_agree(&app, "a change of other columns");

        // The unconfirmed one is counted aside; the page lists the confirmed open one.
        let handler = app.staff("handler").await;
        let (_, page) = handler.get("/staff").await;
        assert_eq!(rows(&page), 1, "{page}");
        assert!(
            page.contains("1 unconfirmed request is not shown."),
            "{page}"
        );
        // Through the flow that owns a change of status, too.
        let (s, _) = bulk(
            &handler,
            &ticked(&app, &[&c]),
            &[("action", "close_unverified")],
        )
        .await;
        assert_eq!(s, 303);
        counts_agree(&app, "a bulk close");
        let (_, page) = handler.get("/staff").await;
        assert!(!page.contains("unconfirmed request"), "{page}");
    })
    .await;
}
