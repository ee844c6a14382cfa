//! The notices the law requires, read as the person receives them: the CCPA
//! acknowledgement at confirmation (§7021(a)), the answer to a deletion (§7022), the
//! reasons behind every refusal, appeals against answers given only in part, the
//! complaint authority of the person's own place, and a GDPR clock stopped on the day
//! of receipt.

use crate::helpers::*;
use dsar_portal::domain::deadlines::{self, Regime, Track};

/// The status page's request reference, to pick the emails about one request.
async fn reference_of(app: &TestApp, status_path: &str) -> String {
    let (_, page) = app.get(status_path).await;
    link_path(&page, "DSR-")
}

/// The id of the appeal filed against request `id`, if any.
fn appeal_of(app: &TestApp, id: &str) -> Option<String> {
    use diesel::prelude::*;
    use dsar_portal::db::schema::requests as r;
    let id = id.to_string();
    app.db(move |c| {
        r::table
            .filter(r::appeal_of.eq(id))
            .select(r::id)
            .first(c)
            .optional()
            .expect("query")
    })
}

#[actix_web::test]
async fn a_ccpa_request_is_acknowledged_when_it_is_confirmed_with_how_it_will_be_handled() {
    each_backend(|app| async move {
        let (ca, ca_status) = verified(&app, "california", "deletion", "ca@example.com").await;
        let (eu, _) = verified(&app, "eu", "deletion", "eu@example.com").await;

        // Recorded as the acknowledgement, by the portal, on time, without a staff click.
        assert!(app.request_field(&ca, "acknowledged_at").is_some());
        assert_eq!(
            app.request_field(&eu, "acknowledged_at"),
            None,
            "the GDPR has no acknowledgement"
        );
        let (_, status_page) = app.get(&ca_status).await;
        assert!(
            status_page.contains("We confirmed that we received your request."),
            "the person sees it on the timeline: {status_page}"
        );
        let auditor = app.staff("auditor").await;
        let (_, page) = auditor.get(&format!("/staff/requests/{ca}")).await;
        assert!(page.contains(&app.request_field(&ca, "acknowledged_at").expect("at")[..10]));

        // The confirmation says how the request will be processed, how identity is
        // verified, and when to expect the answer (§7021(a)).
        let mail = app
            .email_where("confirming the CCPA request", |m| {
                m.to == "ca@example.com" && m.text.contains("/status/")
            })
            .await;
        assert!(
            mail.text.contains("How we will handle your request"),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains("delete it, in our own systems"),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains("two or three pieces of information"),
            "{}",
            mail.text
        );
        let due = app.request_field(&ca, "due_on").expect("due");
        let due = chrono::NaiveDate::parse_from_str(&due[..10], "%Y-%m-%d").expect("date");
        assert!(
            mail.text.contains(&app.state.templates.date(due)),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("at most 45 more days"), "{}", mail.text);
        assert!(mail.html.contains("How we will handle your request"));
        let eu_mail = app
            .email_where("confirming the GDPR request", |m| {
                m.to == "eu@example.com" && m.text.contains("/status/")
            })
            .await;
        assert!(!eu_mail.text.contains("How we will handle your request"));

        // Once only: a staff member's acknowledgement is refused as a second one.
        let handler = app.staff("handler").await;
        let (s, _) = handler.act(&ca, &[("action", "acknowledge")]).await;
        assert_eq!(s, 409, "acknowledged once");
    })
    .await;
}

#[actix_web::test]
async fn every_refusal_needs_reasons_written_for_the_request() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "why@example.com").await;
        let handler = app.staff("handler").await;
        for reason in ["identity_not_verified", "no_data", "exemption_legal_claims"] {
            let (s, page) = handler
                .act(
                    &id,
                    &[("action", "deny"), ("code", reason), ("message", "  ")],
                )
                .await;
            assert_eq!(s, 400, "{reason} without reasons");
            assert!(
                page.contains("a reason from the list alone is not enough"),
                "{page}"
            );
        }
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified")
        );
        assert_eq!(app.request_field(&id, "denial_code"), None);
        let (_, page) = handler.get(&format!("/staff/requests/{id}")).await;
        assert!(
            page.contains(r#"id="deny-message" name="message" rows="3" required"#),
            "{page}"
        );
    })
    .await;
}

#[actix_web::test]
async fn a_deletion_answer_says_what_was_done_that_a_record_is_kept_and_offers_the_opt_out() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.organisation.sells_or_shares = true).await;
        let handler = app.staff("handler").await;

        // Complied with: said in so many words, with the §7101 record.
        let (done, _) = verified(&app, "california", "deletion", "done@example.com").await;
        handler.verify_and_fulfil(&done).await;
        let mail = app
            .email_where("deletion done", |m| {
                m.to == "done@example.com" && m.subject.contains("answered")
            })
            .await;
        assert!(
            mail.text
                .contains("We have deleted the personal information we hold about you"),
            "{}",
            mail.text
        );
        assert!(
            mail.text
                .contains("we keep a record of your request and of our answer"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("for 24 months"), "{}", mail.text);
        assert!(
            !mail.text.contains("/opt-out"),
            "nothing was refused: {}",
            mail.text
        );

        // Refused: the reasons, the record, and the opt-out offer with its link.
        let (refused, _) = verified(&app, "california", "deletion", "refused@example.com").await;
        handler
            .act_ok(
                &refused,
                &[
                    ("action", "deny"),
                    ("code", "exemption_legal_obligation"),
                    (
                        "message",
                        "Your invoices must be kept for seven years under tax law.",
                    ),
                ],
            )
            .await;
        let mail = app
            .email_where("deletion refused", |m| {
                m.to == "refused@example.com" && m.text.contains("tax law")
            })
            .await;
        assert!(
            mail.text
                .contains("Would you like us to stop selling or sharing yours?"),
            "{}",
            mail.text
        );
        let opt_out = link_path(&mail.text, "/opt-out");
        assert_eq!(opt_out, "/opt-out");
        assert!(mail
            .html
            .contains(&format!("href=\"{}/opt-out\"", app.state.public_url)));
        assert!(
            mail.text.contains("we keep a record of your request"),
            "{}",
            mail.text
        );
        let (s, page) = app.get(&opt_out).await;
        assert_eq!(s, 200, "the offered link leads to the opt-out form");
        assert!(page.contains("action=\"/opt-out\""));

        // In part: what was kept, why, and the same offer.
        let (part, _) = verified(&app, "california", "deletion", "part@example.com").await;
        let (s, _) = handler.record_identity_check(&part).await;
        assert_eq!(s, 303);
        handler
            .act_ok(
                &part,
                &[
                    ("action", "fulfil"),
                    ("in_part", "yes"),
                    ("message", "Order history kept for warranty claims."),
                ],
            )
            .await;
        let mail = app
            .email_where("deletion in part", |m| {
                m.to == "part@example.com" && m.text.contains("warranty")
            })
            .await;
        assert!(
            mail.text
                .contains("We have deleted part of the personal information"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("/opt-out"), "{}", mail.text);

        // The GDPR has no opt-out of sale to offer.
        let (eu, _) = verified(&app, "eu", "deletion", "eu-del@example.com").await;
        handler
            .act_ok(
                &eu,
                &[
                    ("action", "deny"),
                    ("code", "exemption_legal_claims"),
                    ("message", "A court case about your account is open."),
                ],
            )
            .await;
        let mail = app
            .email_where("GDPR deletion refused", |m| {
                m.to == "eu-del@example.com" && m.text.contains("court case")
            })
            .await;
        assert!(!mail.text.contains("/opt-out"), "{}", mail.text);
        assert!(mail.text.contains("we keep a record of your request"));
    }
}

#[actix_web::test]
async fn without_sale_or_sharing_a_refused_deletion_offers_no_opt_out() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "deletion", "nosale@example.com").await;
        let handler = app.staff("handler").await;
        handler
            .act_ok(
                &id,
                &[
                    ("action", "deny"),
                    ("code", "exemption_legal_obligation"),
                    ("message", "Payroll records are kept by law."),
                ],
            )
            .await;
        let mail = app
            .email_where("refused, no sale", |m| {
                m.to == "nosale@example.com" && m.text.contains("Payroll")
            })
            .await;
        assert!(!mail.text.contains("/opt-out"), "{}", mail.text);
    })
    .await;
}

#[actix_web::test]
async fn a_us_state_answer_in_part_carries_the_appeal_and_can_be_appealed() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "us_other", "access", "part-us@example.com").await;
        let handler = app.staff("handler").await;
        let (s, _) = handler.record_identity_check(&id).await;
        assert_eq!(s, 303);
        handler
            .act_ok(
                &id,
                &[
                    ("action", "fulfil"),
                    ("in_part", "yes"),
                    ("message", "Call recordings are not included."),
                ],
            )
            .await;
        let mail = app
            .email_where("answered in part (US state)", |m| {
                m.to == "part-us@example.com" && m.text.contains("Call recordings")
            })
            .await;
        assert!(
            mail.text
                .contains("you can appeal it from your request's status page"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("within 60 days"));

        let (_, page) = app.get(&status_path).await;
        assert!(page.contains("Appeal this decision"), "{page}");
        let (s, _) = app
            .post_page(
                &page,
                &format!("{status_path}/appeal"),
                &[("reason", "I want the recordings too.")],
            )
            .await;
        assert_eq!(s, 303);
        assert!(
            appeal_of(&app, &id).is_some(),
            "the appeal is a request of its own"
        );
        app.email_where("appeal received", |m| {
            m.to == "part-us@example.com" && m.subject.contains("appeal")
        })
        .await;

        // Fulfilled in whole: nothing to appeal.
        let (whole, whole_status) =
            verified(&app, "us_other", "access", "whole-us@example.com").await;
        handler.verify_and_fulfil(&whole).await;
        let (_, page) = app.get(&whole_status).await;
        assert!(!page.contains("Appeal this decision"));
        let mail = app
            .email_where("answered in whole", |m| {
                m.to == "whole-us@example.com" && m.subject.contains("answered")
            })
            .await;
        assert!(!mail.text.contains("appeal"), "{}", mail.text);
    })
    .await;
}

#[actix_web::test]
async fn complaints_go_to_the_authority_of_the_persons_place() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.organisation.complaint_authorities.insert(
                "eu".into(),
                "the Irish Data Protection Commission (dataprotection.ie)".into(),
            );
        })
        .await;
        let handler = app.staff("handler").await;
        let refuse = |id: String| {
            let handler = &handler;
            async move {
                handler
                    .act_ok(
                        &id,
                        &[
                            ("action", "deny"),
                            ("code", "manifestly_unfounded_or_excessive"),
                            ("message", "The fifth identical request this month."),
                        ],
                    )
                    .await;
            }
        };
        let (uk, _) = verified(&app, "uk", "access", "uk@example.com").await;
        let (eu, _) = verified(&app, "eu", "access", "eu@example.com").await;
        refuse(uk).await;
        refuse(eu).await;
        let uk_mail = app
            .email_where("UK refusal", |m| {
                m.to == "uk@example.com" && m.text.contains("fifth")
            })
            .await;
        assert!(
            uk_mail
                .text
                .contains("the Information Commissioner's Office (ICO)"),
            "{}",
            uk_mail.text
        );
        assert!(!uk_mail.text.contains("Irish"));
        let eu_mail = app
            .email_where("EU refusal", |m| {
                m.to == "eu@example.com" && m.text.contains("fifth")
            })
            .await;
        assert!(
            eu_mail
                .text
                .contains("the Irish Data Protection Commission"),
            "{}",
            eu_mail.text
        );
        assert!(!eu_mail.text.contains("Information Commissioner"));

        // A refused appeal (US state laws) names whom to complain to.
        let (us, us_status) = verified(&app, "us_other", "deletion", "us@example.com").await;
        handler
            .act_ok(
                &us,
                &[
                    ("action", "deny"),
                    ("code", "exemption_legal_obligation"),
                    ("message", "Tax records."),
                ],
            )
            .await;
        let (_, page) = app.get(&us_status).await;
        let (s, _) = app
            .post_page(
                &page,
                &format!("{us_status}/appeal"),
                &[("reason", "Please look again.")],
            )
            .await;
        assert_eq!(s, 303);
        let appeal = appeal_of(&app, &us).expect("the appeal");
        handler
            .act_ok(
                &appeal,
                &[
                    ("action", "deny"),
                    ("code", "exemption_legal_obligation"),
                    ("message", "Tax law still applies."),
                ],
            )
            .await;
        let mail = app
            .email_where("appeal refused", |m| {
                m.to == "us@example.com" && m.text.contains("Tax law still applies")
            })
            .await;
        assert!(
            mail.text
                .contains("submit a complaint to the Attorney General of your state"),
            "{}",
            mail.text
        );
    }
}

#[actix_web::test]
async fn a_gdpr_question_sent_on_the_day_of_receipt_starts_the_month_at_the_answer() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "eu", "access", "paused@example.com").await;
        let reference = reference_of(&app, &status_path).await;
        let handler = app.staff("handler").await;
        handler.act_ok(&id, &[("action", "request_info"), ("message", "Which account is yours?")]).await;
        // The request came in on 30 January and the question went out that afternoon;
        // the answer arrives today.
        app.exec(&format!(
            "UPDATE requests SET received_at = '2026-01-30 09:00:00' WHERE id = '{id}';
             UPDATE request_pauses SET started_at = '2026-01-30 15:00:00' WHERE request_id = '{id}';"
        ));
        handler.act_ok(&id, &[("action", "info_received")]).await;
        let today = dsar_portal::clock::now().date();
        let expected = deadlines::compute(Regime::Gdpr, Track::Standard, today, 0, &app.state.holidays);
        let due = app.request_field(&id, "due_on").expect("due");
        assert_eq!(&due[..10], expected.respond_by.to_string(), "one month from the answer ({reference})");
        // The extension the page offers runs from the answer too.
        let (_, page) = handler.get(&format!("/staff/requests/{id}")).await;
        let extended = expected.extended_respond_by.expect("GDPR extends");
        assert!(page.contains(&extended.to_string()), "{page}");
    })
    .await;
}
