//! Staff entering requests received by email, phone, letter or in person.

use crate::helpers::*;
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use dsar_portal::db::schema::{audit_events, requests};

const PAGE: &str = "/staff/requests/new";

/// The form's fields for a Californian access request received `days_ago`.
pub(crate) fn phone_request(received_on: &str, email: &'static str) -> Vec<(&'static str, String)> {
    vec![
        ("channel", "phone".into()),
        ("received_on", received_on.into()),
        ("jurisdiction", "california".into()),
        ("kind", "access".into()),
        ("name", "Paula Phone".into()),
        ("email", email.into()),
        ("details", "Called to ask what we hold about her.".into()),
        ("verify", "email".into()),
    ]
}

/// Opens the form (for its CSRF token and submission id) and posts `fields`.
pub(crate) async fn enter(staff: &Staff, fields: &[(&'static str, String)]) -> (u16, String) {
    let (status, page) = staff.get(PAGE).await;
    assert_eq!(status, 200, "{page}");
    let sid = hidden(&page, "submission_id");
    let mut all: Vec<(&str, &str)> = vec![("submission_id", sid.as_str())];
    all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
    staff.post(PAGE, PAGE, &all).await
}

pub(crate) fn days_ago(n: i64) -> NaiveDate {
    dsar_portal::clock::now().date() - Duration::days(n)
}

#[actix_web::test]
async fn a_phone_request_joins_the_queue_with_deadlines_from_its_receipt_date() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let (status, queue) = handler.get("/staff").await;
        assert_eq!(status, 200);
        assert!(
            queue.contains("href=\"/staff/requests/new\""),
            "queue links the form"
        );

        let received = days_ago(10);
        let (status, body) = enter(
            &handler,
            &phone_request(&received.to_string(), "paula.phone@example.net"),
        )
        .await;
        assert_eq!(status, 303, "{body}");
        let id = app.only_request_id();
        let (status, page) = handler.get(&format!("/staff/requests/{id}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("via phone"), "the channel is shown");
        assert!(page.contains("Entered DSR-"), "a flash names the reference");

        // CCPA: 45 calendar days after the day of receipt, not after the day of entry.
        let (received_at, due_on, source): (chrono::NaiveDateTime, NaiveDate, String) =
            app.db(|c| {
                requests::table
                    .select((requests::received_at, requests::due_on, requests::source))
                    .first(c)
                    .expect("request")
            });
        assert_eq!(received_at.date(), received);
        assert_eq!(due_on, received + Duration::days(45));
        assert_eq!(source, "phone");
        // Waiting for the person to confirm their address, it is counted aside in the
        // queue and listed one click away.
        let (_, queue) = handler.get("/staff").await;
        let reference = app.request_field(&id, "reference").expect("reference");
        assert!(queue.contains("/staff?status=submitted"), "{queue}");
        let (_, queue) = handler.get("/staff?status=submitted").await;
        assert!(queue.contains(&reference), "in the queue");
        assert!(queue.contains(&due_on.to_string()), "with its due date");

        // The audit trail names the staff member and the channel.
        let (actor, detail): (String, String) = app.db(|c| {
            audit_events::table
                .filter(audit_events::action.eq("request_submitted"))
                .select((audit_events::actor, audit_events::detail))
                .first(c)
                .expect("event")
        });
        assert_eq!(actor, format!("staff:{}", handler.id));
        let detail: serde_json::Value = serde_json::from_str(&detail).expect("json");
        assert_eq!(detail["entered"]["channel"], "phone");
        assert_eq!(detail["entered"]["received_on"], received.to_string());
        assert_eq!(detail["entered"]["verification"], "email_link");

        // The person gets the usual verification link…
        let mail = app.emails(1).await;
        assert_eq!(mail[0].to, "paula.phone@example.net");
        assert!(mail[0].text.contains("/verify/"), "{}", mail[0].text);
        // …and a full week to use it, although the request is ten days old.
        let state = app.state.clone();
        let closed = app.db(move |c| {
            dsar_portal::flows::expiry::close_unverified(&state, c, dsar_portal::clock::now(), 10)
                .expect("expiry")
        });
        assert_eq!(closed, 0, "not closed as unverified right after entry");
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("submitted")
        );
    })
    .await;
}

#[actix_web::test]
async fn staff_may_verify_the_person_otherwise_and_the_request_starts_confirmed() {
    each_backend(|app| async move {
        let admin = app.staff("admin").await;
        let mut fields = phone_request(&days_ago(3).to_string(), "lena.letter@example.net");
        fields[0].1 = "letter".into();
        fields[2].1 = "eu".into();
        fields.last_mut().expect("verify").1 = "otherwise".into();
        let (status, body) = enter(&admin, &fields).await;
        assert_eq!(status, 303, "{body}");
        let id = app.only_request_id();
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified")
        );
        let method: String = app.db(|c| {
            audit_events::table
                .filter(audit_events::action.eq("email_verified"))
                .select(audit_events::detail)
                .first(c)
                .expect("event")
        });
        assert!(method.contains("staff_verify_otherwise"), "{method}");
        let mail = app.emails(1).await;
        assert!(!mail[0].text.contains("/verify/"), "no verification link");
        assert!(mail[0].text.contains("/status/"), "{}", mail[0].text);
    })
    .await;
}

#[actix_web::test]
async fn auditors_cannot_enter_requests() {
    each_backend(|app| async move {
        let auditor = app.staff("auditor").await;
        let (status, _) = auditor.get(PAGE).await;
        assert_eq!(status, 403);
        let mut all = vec![("submission_id", "auditor-attempt-000001".to_string())];
        all.extend(phone_request(&days_ago(1).to_string(), "a@example.net"));
        let fields: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // The queue page carries a CSRF token the auditor may use.
        let (status, _) = auditor.post("/staff", PAGE, &fields).await;
        assert_eq!(status, 403);
        assert_eq!(app.count("requests"), 0);
    })
    .await;
}

#[actix_web::test]
async fn a_future_or_ancient_receipt_date_is_refused_with_a_message() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let future = (dsar_portal::clock::now().date() + Duration::days(2)).to_string();
        let (status, page) = enter(&handler, &phone_request(&future, "f@example.net")).await;
        assert_eq!(status, 422);
        assert!(page.contains("cannot be in the future"), "{page}");
        assert!(page.contains("Paula Phone"), "the typed fields are kept");

        let ancient = days_ago(400).to_string();
        let (status, page) = enter(&handler, &phone_request(&ancient, "f@example.net")).await;
        assert_eq!(status, 422);
        assert!(page.contains("at most a year ago"), "{page}");

        let (status, page) = enter(&handler, &phone_request("01/02/2027", "f@example.net")).await;
        assert_eq!(status, 422);
        assert!(
            page.contains("Enter the date the request was received"),
            "{page}"
        );

        let mut no_channel = phone_request(&days_ago(1).to_string(), "f@example.net");
        no_channel[0].1 = "fax".into();
        let (status, page) = enter(&handler, &no_channel).await;
        assert_eq!(status, 422);
        assert!(
            page.contains("Choose how the request reached you"),
            "{page}"
        );
        assert_eq!(app.count("requests"), 0);
    })
    .await;
}

#[actix_web::test]
async fn without_its_csrf_token_the_form_is_refused() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let fields = phone_request(&days_ago(1).to_string(), "c@example.net");
        let body = encode(
            &fields
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        );
        let r = handler
            .client
            .post(app.url(PAGE))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status().as_u16(), 403);
        assert_eq!(app.count("requests"), 0);
    })
    .await;
}

#[actix_web::test]
async fn sending_the_form_twice_enters_the_request_once() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        let (_, page) = handler.get(PAGE).await;
        let sid = hidden(&page, "submission_id");
        let fields = phone_request(&days_ago(2).to_string(), "twice@example.net");
        let mut all: Vec<(&str, &str)> = vec![("submission_id", sid.as_str())];
        all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        let (first, _) = handler.post(PAGE, PAGE, &all).await;
        let (second, _) = handler.post(PAGE, PAGE, &all).await;
        assert_eq!((first, second), (303, 303));
        assert_eq!(app.count("requests"), 1);
    })
    .await;
}
