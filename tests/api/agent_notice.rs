//! The person an agent filed for hears of it, even when the law forbids asking them to
//! confirm (a power of attorney, an opt-out): a notice naming the agent, the request and
//! how to object. The staff page says whose email was proved.

use crate::agent_web::{
    agent_fields, agent_submit, confirm_link, file_as_agent_and_verify, texts, AGENT_NAME,
    AGENT_ORG, CONSUMER_EMAIL, PDF,
};
use crate::helpers::*;

const NOTICE_SUBJECT: &str = "A privacy request was made for you";
const CONTACT: &str = "privacy@test-org.example";

const AGENT_PROVED: &str = "Agent's email verified";
const PERSON_PROVED: &str = "Person's email verified";

/// The page shows `label` (as written, or with its apostrophe escaped).
fn says(page: &str, label: &str) -> bool {
    page.contains(label) || page.contains(&label.replace('\'', "&#x27;"))
}

/// How many times the audit trail records that the person was told.
fn notices_audited(app: &TestApp) -> usize {
    texts(
        app,
        "SELECT action AS v FROM audit_events WHERE action = 'consumer_told_of_agent'",
    )
    .len()
}

#[actix_web::test]
async fn the_person_is_told_when_an_agent_with_a_power_of_attorney_files() {
    each_backend(|app| async move {
        let id = file_as_agent_and_verify(&app, "power_of_attorney").await;
        let reference = app.request_field(&id, "reference").expect("reference");
        let notice = app
            .email_where("telling the person", |m| {
                m.to == CONSUMER_EMAIL && m.subject.starts_with(NOTICE_SUBJECT)
            })
            .await;
        for (part, body) in [("text", &notice.text), ("html", &notice.html)] {
            assert!(body.contains(AGENT_NAME), "{part} names the agent: {body}");
            assert!(body.contains(AGENT_ORG), "{part} names the organisation");
            assert!(body.contains(&reference), "{part} gives the reference");
            assert!(body.contains("Get a copy of my data"), "{part}: the kind");
            assert!(body.contains(CONTACT), "{part}: where to object");
            assert!(
                !body.contains("/confirm-agent/"),
                "{part}: nothing to confirm"
            );
        }
        assert_eq!(notices_audited(&app), 1, "{}", app.backend);
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified"),
            "the request goes on without the person's answer"
        );

        // Only the agent proved an email: the page says so.
        let handler = app.staff("handler").await;
        let (s, page) = handler.get(&format!("/staff/requests/{id}")).await;
        assert_eq!(s, 200);
        assert!(says(&page, AGENT_PROVED), "{page}");
        assert!(!says(&page, PERSON_PROVED), "{page}");
    })
    .await;
}

#[actix_web::test]
async fn the_person_is_told_of_an_agents_opt_out() {
    each_backend(|app| async move {
        let fields = agent_fields("opt_out", "signed_permission");
        let (status, page) =
            agent_submit(&app, "opt_out", &fields, Some(("permission.pdf", PDF))).await;
        assert_eq!(status, 200, "{page}");
        let notice = app
            .email_where("telling the person", |m| {
                m.to == CONSUMER_EMAIL && m.subject.starts_with(NOTICE_SUBJECT)
            })
            .await;
        assert!(notice.text.contains(AGENT_NAME), "{}", notice.text);
        assert_eq!(notices_audited(&app), 1, "{}", app.backend);
    })
    .await;
}

#[actix_web::test]
async fn a_person_who_confirms_is_asked_not_told_and_their_email_counts_as_verified() {
    each_backend(|app| async move {
        let id = file_as_agent_and_verify(&app, "signed_permission").await;
        let handler = app.staff("handler").await;
        let path = format!("/staff/requests/{id}");
        let (_, page) = handler.get(&path).await;
        assert!(says(&page, PERSON_PROVED), "{page}");
        assert!(!says(&page, AGENT_PROVED), "{page}");

        let link = confirm_link(&app).await;
        let (_, question) = app.get(&link).await;
        let (status, _) = app
            .post_page(&question, &link, &[("decision", "confirm")])
            .await;
        assert_eq!(status, 200);
        let (_, page) = handler.get(&path).await;
        assert!(says(&page, PERSON_PROVED), "{page}");
        assert!(
            !app.emails(0)
                .await
                .iter()
                .any(|m| m.subject.starts_with(NOTICE_SUBJECT)),
            "the person was asked, so no separate notice"
        );
        assert_eq!(notices_audited(&app), 0);
    })
    .await;
}
