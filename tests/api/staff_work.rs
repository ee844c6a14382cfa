//! Working requests to closure: every action, its notice, its audit event; the queue;
//! reminders, retention, metrics and the command line.

use crate::helpers::*;
use chrono::Duration;

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[actix_web::test]
async fn a_request_is_worked_from_receipt_to_fulfilment() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "california", "access", "jane@example.com").await;
        let handler = app.staff("handler").await;

        // The CCPA acknowledgement went out with the confirmation (tests/api/notices.rs):
        // a staff member's would be a second one.
        assert!(app.request_field(&id, "acknowledged_at").is_some());
        let (s, _) = handler.act(&id, &[("action", "acknowledge")]).await;
        assert_eq!(s, 409, "acknowledged once");

        let (s, _) = handler.record_identity_check(&id).await;
        assert_eq!(s, 303);
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("in_progress")
        );
        assert_eq!(
            app.request_field(&id, "verification_level").as_deref(),
            Some("reasonably_high")
        );

        let original_due = app.request_field(&id, "due_on").expect("due");
        let (s, _) = handler
            .act(
                &id,
                &[
                    ("action", "extend"),
                    ("reason", "Records in three archived systems"),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let new_due = app.request_field(&id, "due_on").expect("due");
        let expected = today() + Duration::days(90);
        assert_eq!(
            new_due,
            expected.to_string(),
            "CCPA: 45 + 45 days (was {original_due})"
        );
        let notice = app
            .email_where("about the extension", |m| {
                m.text.contains("Records in three archived systems")
            })
            .await;
        assert_eq!(notice.to, "jane@example.com");
        let (s, _) = handler
            .act(&id, &[("action", "extend"), ("reason", "again")])
            .await;
        assert_eq!(s, 409, "extend once only");

        let (s, _) = handler
            .act(
                &id,
                &[("action", "note"), ("body", "Called the archive team")],
            )
            .await;
        assert_eq!(s, 303);
        let (s, _) = handler
            .act(
                &id,
                &[("action", "fulfil"), ("message", "Your data is attached.")],
            )
            .await;
        assert_eq!(s, 303);
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("fulfilled")
        );
        assert!(app.request_field(&id, "closed_at").is_some());
        app.email_where("on completion", |m| {
            m.text.contains("Your data is attached.")
        })
        .await;

        let (_, page) = handler.get(&format!("/staff/requests/{id}")).await;
        // Staff read the actions' labels, not their stored codes.
        for action in [
            "Request received",
            "Email confirmed",
            "Receipt acknowledged",
            "Identity verified",
            "Deadline extended",
            "Note added",
            "Fulfilled",
        ] {
            assert!(page.contains(action), "timeline shows {action}");
        }
        assert!(page.contains("Called the archive team"));
        assert!(
            !page.contains("name=\"action\" value=\"fulfil\""),
            "no actions on a closed request"
        );
        let (_, consumer) = app.get(&status_path).await;
        assert!(consumer.contains("We completed your request."));
        assert!(
            !consumer.contains("note"),
            "internal notes never reach the consumer"
        );
        let chain = app.db(|c| dsar_portal::db::models::audit::verify_chain(c).expect("walk"));
        assert!(chain.is_ok());
    })
    .await;
}

#[actix_web::test]
async fn asking_for_information_pauses_the_gdpr_clock_only() {
    each_backend(|app| async move {
        let (gdpr, _) = verified(&app, "eu", "deletion", "eu@example.com").await;
        let (ccpa, _) = verified(&app, "california", "deletion", "ca@example.com").await;
        let handler = app.staff("handler").await;
        for id in [&gdpr, &ccpa] {
            let (s, _) = handler
                .act(
                    id,
                    &[
                        ("action", "request_info"),
                        ("message", "Please send your customer number."),
                    ],
                )
                .await;
            assert_eq!(s, 303);
            assert_eq!(
                app.request_field(id, "status").as_deref(),
                Some("awaiting_information")
            );
        }
        let mail = app
            .email_where("asking for information (GDPR)", |m| {
                m.to == "eu@example.com" && m.text.contains("customer number")
            })
            .await;
        assert!(
            mail.text.to_lowercase().contains("paus"),
            "GDPR notice says the clock pauses: {}",
            mail.text
        );
        // The requests came in ten days ago, the question went out five days later, and
        // five days pass while we wait. (A question sent on the day of receipt starts
        // the month at the answer instead: tests/api/notices.rs.)
        let days_ago = |n: i64| {
            (chrono::Utc::now().naive_utc() - Duration::days(n))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        };
        app.exec(&format!(
            "UPDATE request_pauses SET started_at = '{}'; \
             UPDATE requests SET received_at = '{}' WHERE id = '{gdpr}'",
            days_ago(5),
            days_ago(10)
        ));
        let before = app.request_field(&gdpr, "due_on").expect("due");
        let ccpa_before = app.request_field(&ccpa, "due_on").expect("due");
        for id in [&gdpr, &ccpa] {
            let (s, _) = handler.act(id, &[("action", "info_received")]).await;
            assert_eq!(s, 303);
        }
        assert_eq!(
            app.request_field(&gdpr, "paused_days").as_deref(),
            Some("5")
        );
        let received = today() - Duration::days(10);
        let expected = dsar_portal::domain::deadlines::compute(
            dsar_portal::domain::deadlines::Regime::Gdpr,
            dsar_portal::domain::deadlines::Track::Standard,
            received,
            5,
            &Default::default(),
        )
        .respond_by;
        assert_eq!(
            app.request_field(&gdpr, "due_on"),
            Some(expected.to_string()),
            "was {before}"
        );
        assert_eq!(
            app.request_field(&ccpa, "due_on"),
            Some(ccpa_before),
            "the CCPA clock never pauses"
        );
        assert_eq!(
            app.request_field(&ccpa, "paused_days").as_deref(),
            Some("0")
        );
    })
    .await;
}

#[actix_web::test]
async fn refusals_carry_the_notice_the_law_requires_and_us_refusals_can_be_appealed() {
    each_backend(|app| async move {
        let (eu, _) = verified(&app, "eu", "access", "eu@example.com").await;
        let (us, us_status) = verified(&app, "us_other", "deletion", "us@example.com").await;
        let handler = app.staff("handler").await;
        let (s, _) = handler
            .act(
                &eu,
                &[("action", "deny"), ("code", "bogus"), ("message", "")],
            )
            .await;
        assert_eq!(s, 400, "unknown reason code");
        let (s, _) = handler
            .act(
                &eu,
                &[
                    ("action", "deny"),
                    ("code", "manifestly_unfounded_or_excessive"),
                    ("message", "Fourth identical request this month."),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let mail = app
            .email_where("refusing (GDPR)", |m| {
                m.to == "eu@example.com" && m.text.contains("Fourth identical")
            })
            .await;
        assert!(mail.text.contains("supervisory authority"));
        assert!(mail.text.contains("judicial remedy"));

        let (s, _) = handler
            .act(
                &us,
                &[
                    ("action", "deny"),
                    ("code", "exemption_legal_obligation"),
                    ("message", "Tax records."),
                ],
            )
            .await;
        assert_eq!(s, 303);
        let mail = app
            .email_where("refusing (US state)", |m| {
                m.to == "us@example.com" && m.text.contains("Tax records.")
            })
            .await;
        assert!(mail.text.contains("appeal"));
        // The consumer appeals from the status page.
        let (_, page) = app.get(&us_status).await;
        assert!(page.contains("Appeal this decision"));
        let csrf = hidden(&page, "csrf_token");
        let (status, _) = app
            .post_form(
                &format!("{us_status}/appeal"),
                &[
                    ("csrf_token", &csrf),
                    ("reason", "I closed my account years ago."),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let appeal_id: String = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::requests::dsl::*;
            requests
                .filter(kind.eq("appeal"))
                .select(id)
                .first(c)
                .expect("appeal")
        });
        assert_eq!(app.request_field(&appeal_id, "appeal_of"), Some(us.clone()));
        assert_eq!(
            app.request_field(&appeal_id, "due_on"),
            Some((today() + Duration::days(60)).to_string())
        );
        assert_eq!(
            app.request_field(&appeal_id, "status").as_deref(),
            Some("email_verified")
        );
        app.email_where("confirming the appeal", |m| {
            m.to == "us@example.com"
                && m.text.contains("appeal")
                && !m.text.contains("Tax records.")
        })
        .await;
        // A second appeal of the same decision is refused, and the page no longer offers it.
        let (_, page) = app.get(&us_status).await;
        assert!(!page.contains("Appeal this decision"));
        let (status, _) = app
            .post_form(
                &format!("{us_status}/appeal"),
                &[("csrf_token", &csrf), ("reason", "again")],
            )
            .await;
        assert_eq!(status, 409);
        // GDPR refusals have no appeal through us (the authority is the route).
        assert_eq!(app.count("requests"), 3);
    })
    .await;
}

#[actix_web::test]
async fn two_staff_on_one_request_never_lose_an_update() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "uk", "restriction", "uk@example.com").await;
        let a = app.staff("handler").await;
        let b = app.staff("handler").await;
        let path = format!("/staff/requests/{id}");
        let (_, page_a) = a.get(&path).await;
        let (_, page_b) = b.get(&path).await;
        let version = hidden(&page_a, "version");
        assert_eq!(version, hidden(&page_b, "version"));
        let (s, _) = a
            .post(
                &path,
                &format!("{path}/action"),
                &[("version", &version), ("action", "note"), ("body", "first")],
            )
            .await;
        assert_eq!(s, 303);
        let (s, page) = b
            .post(
                &path,
                &format!("{path}/action"),
                &[
                    ("version", &version),
                    ("action", "note"),
                    ("body", "second"),
                ],
            )
            .await;
        assert_eq!(s, 409);
        assert!(page.contains("Someone changed this request while you were editing"));
        assert!(
            page.contains(">second</textarea>"),
            "the second note is kept to send again"
        );
        assert_eq!(app.count("notes"), 1);
    })
    .await;
}

#[actix_web::test]
async fn the_consumer_can_withdraw() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "eu", "objection", "jane@example.com").await;
        let (_, page) = app.get(&status_path).await;
        let csrf = hidden(&page, "csrf_token");
        let (status, _) = app
            .post_form(&format!("{status_path}/withdraw"), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("withdrawn")
        );
        app.email_where("confirming the withdrawal", |m| {
            m.subject.to_lowercase().contains("withdr")
        })
        .await;
        let (_, page) = app.get(&status_path).await;
        assert!(page.contains("You withdrew the request."));
        assert!(!page.contains("Withdraw my request"));
        let (status, _) = app
            .post_form(&format!("{status_path}/withdraw"), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(status, 409, "a closed request cannot be withdrawn again");
    })
    .await;
}

#[actix_web::test]
async fn the_queue_sorts_filters_searches_and_pages() {
    each_backend(|app| async move {
        // 55 requests straight through the intake flow (fast), with mixed kinds and places.
        let state = app.state.clone();
        app.db(move |c| {
            for i in 0..55 {
                let (kind, place) = match i % 3 {
                    0 => ("access", "eu"),
                    1 => ("deletion", "california"),
                    _ => ("opt_out", "california"),
                };
                let raw = dsar_portal::domain::intake::RawIntake {
                    kind: kind.into(), jurisdiction: place.into(), name: format!("Person {i}"),
                    email: format!("person{i}@example.com"), ..Default::default()
                };
                let valid = dsar_portal::domain::intake::validate(&raw, &state.settings.jurisdictions, &state.identifier_rules).expect("valid");
                dsar_portal::flows::intake::submit(&state, c, &valid, dsar_portal::domain::source::Source::Api, false,
                    &format!("bulk-{i}"), dsar_portal::clock::now()).expect("submit");
            }
        });
        // Confirmed, so that they are in the default view (unconfirmed ones are counted aside).
        app.exec("UPDATE requests SET status = 'email_verified' WHERE status = 'submitted'");
        // Make one overdue and one due in three days.
        app.exec(&format!("UPDATE requests SET due_on = '{}' WHERE id = (SELECT request_id FROM request_identities WHERE blind_index IS NOT NULL ORDER BY created_at LIMIT 1)", today() - Duration::days(2)));
        let handler = app.staff("handler").await;
        let (s, page) = handler.get("/staff").await;
        assert_eq!(s, 200);
        assert_eq!(request_rows(&page), 50, "first page holds 50");
        assert!(page.contains("due-overdue"), "overdue row marked");
        let first_row = page.find("<tr class=\"due-").expect("row");
        assert!(page[first_row..].starts_with("<tr class=\"due-overdue\""), "the overdue request comes first");
        assert!(page.contains("status=in_progress\">In progress: <strong>18</strong>"), "18 opt-outs are in progress");
        assert!(page.contains("status=email_verified\">Email confirmed: <strong>37</strong>"));
        let end = page.find("\" rel=\"next\"").expect("next link");
        let start = page[..end].rfind("href=\"").expect("href") + 6;
        // As a browser reads the attribute (handlebars escapes = and &).
        let next_url = page[start..end].replace("&#x3D;", "=").replace("&amp;", "&");
        assert!(next_url.starts_with("/staff?after="), "{next_url}");
        let (_, page2) = handler.get(&next_url).await;
        assert_eq!(request_rows(&page2), 5);
        assert!(!page2.contains("rel=\"next\""));

        let (_, only_optouts) = handler.get("/staff?kind=opt_out").await;
        assert_eq!(request_rows(&only_optouts), 18);
        let (_, gdpr) = handler.get("/staff?regime=gdpr").await;
        assert_eq!(request_rows(&gdpr), 19);
        let (_, overdue) = handler.get("/staff?overdue=1").await;
        assert_eq!(request_rows(&overdue), 1);
        let (_, mine) = handler.get("/staff?assignee=mine").await;
        assert!(mine.contains("No requests match."));
        let (_, by_email) = handler.get("/staff?q=PERSON7%40example.com").await;
        assert_eq!(request_rows(&by_email), 1, "email search via the blind index, any case");
        let reference = link_path(&by_email, "DSR-");
        let (_, by_ref) = handler.get(&format!("/staff?q={}", reference.to_lowercase())).await;
        assert!(by_ref.contains(&reference));
        // Junk in filters is ignored, not an error.
        let (s, _) = handler.get("/staff?status=%00&kind=x&due_within=-5&after=garbage&assignee=zz").await;
        assert_eq!(s, 200);
    })
    .await;
}

#[actix_web::test]
async fn reminders_go_once_to_the_right_people() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "deletion", "jane@example.com").await;
        let handler = app.staff("handler").await;
        let other = app.staff("handler").await;
        app.exec(&format!(
            "UPDATE requests SET due_on = '{}' WHERE id = '{id}'",
            today() + Duration::days(7)
        ));
        let run = || {
            let state = app.state.clone();
            app.db(move |c| {
                dsar_portal::jobs::reminders::send_reminders(&state, c, dsar_portal::clock::now())
                    .expect("pass")
            })
        };
        // Unassigned: every active handler and admin hears of it, once.
        let first = run();
        assert!(first >= 3, "two handlers and the first admin: {first}");
        assert_eq!(
            run(),
            0,
            "no duplicates on a second pass (or after a restart)"
        );
        // Assigned and now overdue: only the assignee.
        handler
            .act(&id, &[("action", "assign"), ("assignee", &handler.id)])
            .await;
        app.exec(&format!(
            "UPDATE requests SET due_on = '{}' WHERE id = '{id}'",
            today() - Duration::days(1)
        ));
        assert_eq!(run(), 1);
        let mail = app
            .email_where("overdue reminder", |m| {
                m.subject.to_lowercase().contains("overdue")
            })
            .await;
        assert_eq!(mail.to, handler.email);
        assert_ne!(mail.to, other.email);
    })
    .await;
}

#[actix_web::test]
async fn retention_removes_personal_data_and_keeps_the_record() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "california", "deletion", "old@example.com").await;
        let handler = app.staff("handler").await;
        handler
            .act(&id, &[("action", "note"), ("body", "private note")])
            .await;
        handler
            .act(
                &id,
                &[
                    ("action", "deny"),
                    ("code", "identity_not_verified"),
                    ("message", "Could not match."),
                ],
            )
            .await;
        let (recent, _) = verified(&app, "california", "deletion", "new@example.com").await;
        handler
            .act(
                &recent,
                &[("action", "deny"), ("code", "other"), ("message", "recent")],
            )
            .await;
        app.exec(&format!(
            "UPDATE requests SET closed_at = '2022-01-01 00:00:00' WHERE id = '{id}'"
        ));
        let purged = app.run_retention(dsar_portal::clock::now());
        assert_eq!(purged, 1, "only the request closed over 24 months ago");
        let remaining = |table: &str| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE request_id = '{id}'");
            app.db(|c| diesel::sql_query(sql).get_result::<N>(c).expect("count").n)
        };
        assert_eq!(remaining("request_identities"), 0);
        assert_eq!(remaining("notes"), 0);
        assert_eq!(remaining("tokens"), 0);
        assert_eq!(app.request_field(&id, "details_enc"), None);
        assert_eq!(app.request_field(&id, "response_enc"), None);
        // The §7101 record stays.
        assert_eq!(app.request_field(&id, "kind").as_deref(), Some("deletion"));
        assert_eq!(
            app.request_field(&id, "denial_code").as_deref(),
            Some("identity_not_verified")
        );
        assert!(app.request_field(&id, "responded_at").is_some());
        assert!(app.request_field(&id, "purged_at").is_some());
        assert!(app.request_field(&recent, "purged_at").is_none());
        assert_eq!(
            app.get(&status_path).await.0,
            404,
            "old links are gone with the data"
        );
        assert_eq!(app.run_retention(dsar_portal::clock::now()), 0);
    })
    .await;
}

#[actix_web::test]
async fn metrics_count_the_year_by_kind_with_csv() {
    each_backend(|app| async move {
        let (a, _) = verified(&app, "california", "access", "a@example.com").await;
        let (b, _) = verified(&app, "california", "access", "b@example.com").await;
        let (c, _) = verified(&app, "california", "deletion", "c@example.com").await;
        let handler = app.staff("handler").await;
        handler.act(&a, &[("action", "verify"), ("method", "data_points"), ("points", "name"), ("points", "phone")]).await;
        handler.act(&a, &[("action", "fulfil"), ("message", "")]).await;
        handler.act(&b, &[("action", "verify"), ("method", "data_points")]).await;
        handler.act(&b, &[("action", "fulfil"), ("in_part", "yes"), ("message", "Some records are exempt.")]).await;
        handler.act(&c, &[("action", "deny"), ("code", "identity_not_verified"), ("message", "No account matched the details given.")]).await;
        let auditor = app.staff("auditor").await;
        let year = chrono::Datelike::year(&today());
        let (s, page) = auditor.get(&format!("/staff/metrics?year={year}")).await;
        assert_eq!(s, 200);
        assert!(page.contains("Requests to know / access</th><td>2</td><td>1</td><td>1</td><td>0</td>"), "{page}");
        assert!(page.contains("Requests to delete</th><td>1</td><td>0</td><td>0</td><td>1</td><td>We could not verify your identity: 1</td>"));
        let r = auditor.get_response(&format!("/staff/metrics.csv?year={year}")).await;
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = r.text().await.expect("csv");
        assert!(csv.starts_with("year,kind,received,complied_in_whole,complied_in_part,denied"));
        assert!(csv.contains(&format!("{year},know,2,1,1,0,,0.0,0.0")), "{csv}");
        assert!(csv.contains(&format!("{year},delete,1,0,0,1,identity_not_verified=1,0.0,0.0")), "{csv}");
        let (_, empty) = auditor.get("/staff/metrics?year=2001").await;
        assert!(empty.contains("Requests to know / access</th><td>0</td>"));
    })
    .await;
}

/// Links to requests on a queue page (not the link to enter a new one).
fn request_rows(page: &str) -> usize {
    page.matches("href=\"/staff/requests/").count()
        - page.matches("href=\"/staff/requests/new\"").count()
}
