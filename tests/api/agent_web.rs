//! Authorized agents through the web form.
//!
//! An agent files for a consumer with a document proving their authority; the agent
//! proves their own email, the consumer confirms (signed permission) or not (power of
//! attorney), staff view the document, and both hear the outcome.

use crate::helpers::*;
use std::time::Duration;

pub(crate) const CONSUMER_NAME: &str = "Connie Consumer";
pub(crate) const CONSUMER_EMAIL: &str = "connie@example.com";
pub(crate) const AGENT_NAME: &str = "Avery Agentson";
pub(crate) const AGENT_EMAIL: &str = "avery@agents.example";
pub(crate) const AGENT_ORG: &str = "Privacy Helpers LLC";

/// A small but complete PDF: header at offset 0, version, and %%EOF at the end.
pub(crate) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// The consumer's and the agent's fields, as an agent fills them in.
pub(crate) fn agent_fields<'a>(kind: &'a str, authority: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", kind),
        ("name", CONSUMER_NAME),
        ("email", CONSUMER_EMAIL),
        ("agent", "yes"),
        ("agent_name", AGENT_NAME),
        ("agent_email", AGENT_EMAIL),
        ("agent_organisation", AGENT_ORG),
        ("agent_registration_number", "C1234567"),
        ("agent_authority", authority),
    ]
}

/// Opens the California form for `kind` and posts `fields` (plus the CSRF token and
/// submission id) as multipart/form-data with `file` as the agent's document.
pub(crate) async fn agent_submit(
    app: &TestApp,
    kind: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (u16, String) {
    let (status, page) = app
        .get(&format!(
            "/requests/new?jurisdiction=california&kind={kind}"
        ))
        .await;
    assert_eq!(status, 200, "form page");
    assert!(
        page.contains("enctype=\"multipart/form-data\""),
        "the form can carry a file"
    );
    let mut all = vec![("jurisdiction", "california")];
    all.extend_from_slice(fields);
    post_request_form_multipart(&app.client, &app.url("/requests"), &page, &all, file).await
}

/// Files an agent's access request with a PDF and follows the verification link the
/// agent receives. Returns the request id.
pub(crate) async fn file_as_agent_and_verify(app: &TestApp, authority: &str) -> String {
    let (status, page) = agent_submit(
        app,
        "access",
        &agent_fields("access", authority),
        Some(("permission.pdf", PDF)),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("DSR-"), "reference shown");
    let id = app.only_request_id();
    assert_eq!(
        app.request_field(&id, "status").as_deref(),
        Some("submitted")
    );

    // The agent proves their own email; the consumer gets no verification link.
    let mail = app
        .email_where("to verify", |m| m.text.contains("/verify/"))
        .await;
    assert_eq!(mail.to, AGENT_EMAIL, "the agent verifies ({})", app.backend);
    let verify = link_path(&mail.text, "/verify/");
    let (status, confirm) = app.get(&verify).await;
    assert_eq!(status, 200, "{confirm}");
    let (status, done) = app.post_with_csrf(&confirm, &verify).await;
    assert_eq!(status, 200, "{done}");
    id
}

/// One text column (aliased `v`) of every row a query returns.
pub(crate) fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    use diesel::sql_types::{Nullable, Text};
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = Nullable<Text>)]
        v: Option<String>,
    }
    let sql = sql.to_string();
    app.db(move |c| {
        diesel::sql_query(sql)
            .load::<V>(c)
            .expect("query")
            .into_iter()
            .filter_map(|r| r.v)
            .collect()
    })
}

pub(crate) async fn confirm_link(app: &TestApp) -> String {
    let mail = app
        .email_where("asking the consumer", |m| {
            m.text.contains("/confirm-agent/")
        })
        .await;
    assert_eq!(mail.to, CONSUMER_EMAIL, "the consumer is asked");
    assert!(mail.text.contains(AGENT_NAME), "{}", mail.text);
    link_path(&mail.text, "/confirm-agent/")
}

#[actix_web::test]
async fn signed_permission_is_confirmed_by_the_consumer_and_worked_to_fulfilment() {
    each_backend(|app| async move {
        let id = file_as_agent_and_verify(&app, "signed_permission").await;
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("awaiting_consumer"),
            "{}",
            app.backend
        );
        assert_eq!(app.count("request_agents"), 1);
        assert_eq!(app.count("documents"), 1);

        // The consumer confirms from their own mailbox.
        let link = confirm_link(&app).await;
        let (status, page) = app.get(&link).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains(AGENT_NAME), "the page names the agent");
        assert!(page.contains(AGENT_ORG));
        // GET decides nothing (mail scanners fetch links).
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("awaiting_consumer")
        );
        let csrf = hidden(&page, "csrf_token");
        let (status, _) = app.post_form(&link, &[("decision", "confirm")]).await;
        assert_eq!(status, 403, "the answer needs the CSRF token");
        let (status, done) = app
            .post_form(&link, &[("csrf_token", &csrf), ("decision", "maybe")])
            .await;
        assert_eq!(status, 400, "{done}");
        let (status, done) = app
            .post_form(&link, &[("csrf_token", &csrf), ("decision", "confirm")])
            .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified")
        );
        let confirmed = app
            .email_where("telling the agent", |m| {
                m.subject
                    .contains("the person confirmed you may act for them")
            })
            .await;
        assert_eq!(confirmed.to, AGENT_EMAIL);
        // The link is spent.
        let (status, _) = app.get(&link).await;
        assert_eq!(status, 409);

        // Staff open the document: served as what it is, never sniffed.
        let handler = app.staff("handler").await;
        let doc_id = texts(&app, "SELECT id AS v FROM documents")
            .pop()
            .expect("a document");
        let doc_path = format!("/staff/requests/{id}/documents/{doc_id}");
        let r = app.get_response(&doc_path).await;
        assert_ne!(r.status().as_u16(), 200, "not without a staff session");
        let r = handler.get_response(&doc_path).await;
        assert_eq!(r.status().as_u16(), 200);
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("content-type"), "application/pdf");
        assert_eq!(header("x-content-type-options"), "nosniff");
        let body = r.bytes().await.expect("body");
        assert_eq!(&body[..], PDF, "the bytes that were uploaded");
        let (status, _) = handler
            .get(&format!("/staff/requests/{id}/documents/no-such-doc"))
            .await;
        assert_eq!(status, 404);

        // Identity cannot be recorded before the agent's document is reviewed and accepted.
        let (s, page) = handler.record_identity_check(&id).await;
        assert_eq!(s, 409, "{page}");
        assert!(
            page.contains("Review the agent&#x27;s document first")
                || page.contains("Review the agent's document first"),
            "{page}"
        );
        let request_page = format!("/staff/requests/{id}");
        let (s, _) = handler
            .post(
                &request_page,
                &format!("{doc_path}/review"),
                &[("outcome", "rejected")],
            )
            .await;
        assert_eq!(s, 303);
        let (s, _) = handler.record_identity_check(&id).await;
        assert_eq!(s, 409, "a rejected document does not do either");
        let (s, _) = handler
            .post(
                &request_page,
                &format!("{doc_path}/review"),
                &[("outcome", "accepted")],
            )
            .await;
        assert_eq!(s, 303);
        assert_eq!(
            texts(&app, "SELECT review_outcome AS v FROM documents"),
            vec!["accepted".to_string()]
        );

        // Worked to fulfilment: the agent and the consumer both hear the outcome.
        handler.verify_and_fulfil(&id).await;
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("fulfilled")
        );
        for to in [AGENT_EMAIL, CONSUMER_EMAIL] {
            let mail = app
                .email_where("on completion", |m| {
                    m.to == to && m.text.contains("Your data is attached.")
                })
                .await;
            assert!(mail
                .subject
                .starts_with("We have answered your privacy request"));
        }
    })
    .await;
}

#[actix_web::test]
async fn a_consumer_who_refuses_closes_the_request() {
    each_backend(|app| async move {
        let id = file_as_agent_and_verify(&app, "signed_permission").await;
        let link = confirm_link(&app).await;
        let (status, page) = app.get(&link).await;
        assert_eq!(status, 200, "{page}");
        let csrf = hidden(&page, "csrf_token");
        let (status, done) = app
            .post_form(&link, &[("csrf_token", &csrf), ("decision", "refuse")])
            .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("withdrawn")
        );
        assert!(app.request_field(&id, "closed_at").is_some());
        let refused = app
            .email_where("telling the agent", |m| {
                m.subject.contains("the person did not authorise it")
            })
            .await;
        assert_eq!(refused.to, AGENT_EMAIL);

        // The same link again, either answer: a conflict, never a 500.
        for decision in ["refuse", "confirm"] {
            let (status, body) = app
                .post_form(&link, &[("csrf_token", &csrf), ("decision", decision)])
                .await;
            assert_eq!(status, 409, "{decision}: {body}");
        }
        let (status, _) = app.get(&link).await;
        assert_eq!(status, 409);
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("withdrawn")
        );
        // An unknown link is simply not found.
        let (status, _) = app.get("/confirm-agent/not-a-real-token").await;
        assert_eq!(status, 404);
    })
    .await;
}

#[actix_web::test]
async fn a_power_of_attorney_needs_no_consumer_confirmation() {
    each_backend(|app| async move {
        let id = file_as_agent_and_verify(&app, "power_of_attorney").await;
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified"),
            "{}",
            app.backend
        );
        // The status link (queued in the same transaction as any confirmation request)
        // goes to the agent; give the worker a moment more, then nothing asks the consumer.
        let status_mail = app
            .email_where("with the status link", |m| {
                m.subject.starts_with("Your privacy request") && m.subject.ends_with("is confirmed")
            })
            .await;
        assert_eq!(status_mail.to, AGENT_EMAIL);
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        let mails = app.emails(0).await;
        assert!(
            !mails.iter().any(|m| m.text.contains("/confirm-agent/")),
            "no confirmation link under a power of attorney"
        );
        // The consumer is only told that the agent filed (see `agent_notice`).
        assert!(
            mails
                .iter()
                .filter(|m| m.to == CONSUMER_EMAIL)
                .all(|m| m.subject.starts_with("A privacy request was made for you")),
            "the consumer is not asked for anything"
        );
        assert_eq!(
            texts(
                &app,
                "SELECT consumer_confirmation AS v FROM request_agents"
            ),
            vec!["not_required".to_string()]
        );
    })
    .await;
}

#[actix_web::test]
async fn uploads_that_are_not_what_they_claim_are_refused() {
    each_backend(|app| async move {
        let fields = agent_fields("access", "signed_permission");

        // An HTML page named like a PDF.
        let html: &[u8] = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        let (status, page) =
            agent_submit(&app, "access", &fields, Some(("permission.pdf", html))).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"agent_document-error\""), "{page}");
        assert!(page.contains("permission.pdf is not a PDF file"), "{page}");
        assert!(page.contains("aria-describedby=\"agent_document-hint agent_document-error\""));
        // What was typed is kept.
        assert!(page.contains(&format!("value=\"{AGENT_NAME}\"")));
        assert!(page.contains(&format!("value=\"{AGENT_EMAIL}\"")));
        assert!(!page.contains("<script>alert(1)</script>"));

        // A Windows program named like a PNG.
        let exe: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";
        let (status, page) = agent_submit(&app, "access", &fields, Some(("scan.png", exe))).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"agent_document-error\""));
        assert!(page.contains("scan.png is not a PNG image"), "{page}");

        // A cut-off PDF.
        let (status, page) = agent_submit(
            &app,
            "access",
            &fields,
            Some(("permission.pdf", &PDF[..PDF.len() - 7])),
        )
        .await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("incomplete or damaged"), "{page}");

        // No document at all.
        let (status, page) = agent_submit(&app, "access", &fields, None).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"agent_document-error\""));
        assert!(page.contains("Attach the signed permission or power of attorney"));

        // The agent names themselves as the consumer (case differs: still the same).
        let mut same = fields.clone();
        for f in same.iter_mut() {
            if f.0 == "agent_email" {
                f.1 = "Connie@Example.com";
            }
        }
        let (status, page) =
            agent_submit(&app, "access", &same, Some(("permission.pdf", PDF))).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"agent_email-error\""), "{page}");
        assert!(page.contains("Give your own email address here"));

        // No authority chosen.
        let no_authority: Vec<_> = fields
            .iter()
            .copied()
            .filter(|f| f.0 != "agent_authority")
            .collect();
        let (status, page) =
            agent_submit(&app, "access", &no_authority, Some(("permission.pdf", PDF))).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"agent_authority-error\""));

        // Nothing of any of it was stored or sent.
        assert_eq!(app.count("requests"), 0);
        assert_eq!(app.count("request_agents"), 0);
        assert_eq!(app.count("documents"), 0);
        assert_eq!(app.count("outbox"), 0);

        // The same form with a real PDF goes through.
        let (status, page) =
            agent_submit(&app, "access", &fields, Some(("permission.pdf", PDF))).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(app.count("requests"), 1);
    })
    .await;
}

#[actix_web::test]
async fn the_agent_and_their_document_are_encrypted_at_rest() {
    each_backend(|app| async move {
        let id = file_as_agent_and_verify(&app, "signed_permission").await;
        confirm_link(&app).await;
        let stored: Vec<String> = [
            "SELECT CAST(agent_name_enc AS TEXT) AS v FROM request_agents",
            "SELECT CAST(agent_email_enc AS TEXT) AS v FROM request_agents",
            "SELECT CAST(agent_email_index AS TEXT) AS v FROM request_agents",
            "SELECT CAST(organisation_enc AS TEXT) AS v FROM request_agents",
            "SELECT CAST(registration_number_enc AS TEXT) AS v FROM request_agents",
            "SELECT CAST(content_enc AS TEXT) AS v FROM documents",
            "SELECT CAST(detail AS TEXT) AS v FROM audit_events",
            "SELECT CAST(message_enc AS TEXT) AS v FROM outbox",
        ]
        .iter()
        .flat_map(|sql| texts(&app, sql))
        .collect();
        assert!(stored.len() >= 7, "rows were read: {}", stored.len());
        let all = stored.join("\n");
        let lower = all.to_lowercase();
        for secret in [
            AGENT_NAME,
            AGENT_EMAIL,
            AGENT_ORG,
            "C1234567",
            "%PDF",
            "%%EOF",
        ] {
            assert!(
                !lower.contains(&secret.to_lowercase()),
                "{secret} stored in plaintext ({})",
                app.backend
            );
        }
        // Not base64 of the document either (the content is encoded before encryption).
        assert!(
            !all.contains("JVBERi0xLj"),
            "base64 of %PDF-1. in plaintext"
        );
        // The document row itself still says what it is.
        assert_eq!(
            texts(&app, "SELECT media_type AS v FROM documents"),
            vec!["application/pdf".to_string()]
        );
        assert_eq!(
            texts(&app, "SELECT CAST(size_bytes AS TEXT) AS v FROM documents"),
            vec![PDF.len().to_string()]
        );
        assert_eq!(
            texts(
                &app,
                &format!("SELECT request_id AS v FROM documents WHERE request_id = '{id}'")
            )
            .len(),
            1
        );
    })
    .await;
}

#[actix_web::test]
async fn an_agents_opt_out_needs_the_document_too() {
    each_backend(|app| async move {
        let fields = agent_fields("opt_out", "signed_permission");
        let (status, page) = agent_submit(&app, "opt_out", &fields, None).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"agent_document-error\""));
        assert_eq!(app.count("requests"), 0);

        let (status, page) =
            agent_submit(&app, "opt_out", &fields, Some(("permission.pdf", PDF))).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("DSR-"), "reference shown");
        assert_eq!(app.count("requests"), 1);
        assert_eq!(app.count("request_agents"), 1);
        assert_eq!(app.count("documents"), 1);
        let id = app.only_request_id();
        assert_eq!(app.request_field(&id, "kind").as_deref(), Some("opt_out"));
        assert_ne!(
            app.request_field(&id, "status").as_deref(),
            Some("submitted"),
            "an opt-out needs no verification"
        );
    })
    .await;
}

#[actix_web::test]
async fn retention_removes_the_agent_and_their_document_and_keeps_the_authority() {
    each_backend(|app| async move {
        let id = file_as_agent_and_verify(&app, "power_of_attorney").await;
        let handler = app.staff("handler").await;
        let (s, page) = handler
            .act(
                &id,
                &[
                    ("action", "deny"),
                    ("code", "identity_not_verified"),
                    ("message", "Could not match."),
                ],
            )
            .await;
        assert_eq!(s, 303, "deny: {page}");
        app.exec(&format!(
            "UPDATE requests SET closed_at = '2022-01-01 00:00:00' WHERE id = '{id}'"
        ));
        let purged = app.run_retention(dsar_portal::clock::now());
        assert_eq!(purged, 1);

        // The document's content is gone, and it is marked deleted.
        assert!(texts(&app, "SELECT content_enc AS v FROM documents").is_empty());
        assert_eq!(
            texts(&app, "SELECT CAST(deleted_at AS TEXT) AS v FROM documents").len(),
            1
        );
        // The agent's details are empty values now; the authority stays for the record.
        let cipher = &app.state.cipher;
        for column in ["agent_name_enc", "agent_email_enc"] {
            let stored = texts(&app, &format!("SELECT {column} AS v FROM request_agents"));
            assert_eq!(stored.len(), 1, "{column}");
            let plain = cipher
                .decrypt("request_agents.value", &stored[0])
                .expect("still decrypts");
            assert_eq!(plain, "", "{column} kept after retention ({})", app.backend);
        }
        for column in [
            "agent_email_index",
            "organisation_enc",
            "registration_number_enc",
        ] {
            assert!(
                texts(&app, &format!("SELECT {column} AS v FROM request_agents")).is_empty(),
                "{column} kept after retention"
            );
        }
        assert_eq!(
            texts(&app, "SELECT authority AS v FROM request_agents"),
            vec!["power_of_attorney".to_string()]
        );
        // Staff can still open the request: the page shows the record without the data.
        let (s, page) = handler.get(&format!("/staff/requests/{id}")).await;
        assert_eq!(s, 200, "{page}");
        assert!(!page.contains(AGENT_NAME) && !page.contains(AGENT_EMAIL));
    })
    .await;
}
