//! The person's side of a request: a status page that tells the truth about a partial
//! answer or a refusal, a question answered from the status page with a document (which
//! ends the pause), messages both ways (stored, audited, announced by email without
//! their text), and a withdrawal that needs its own confirmation.

use crate::agent_web::PDF;
use crate::helpers::*;

/// The status page's request reference.
async fn reference_of(app: &TestApp, status_path: &str) -> String {
    let (_, page) = app.get(status_path).await;
    link_path(&page, "DSR-")
}

/// Posts the status page's message form as a browser does (multipart), with the page's
/// CSRF token and the app client's session.
async fn write(
    app: &TestApp,
    status_path: &str,
    body: &str,
    file: Option<(&str, &[u8])>,
) -> (u16, String) {
    write_to(
        app,
        status_path,
        &format!("{status_path}/messages"),
        body,
        file,
    )
    .await
}

/// `write` to `action` with the CSRF token of the page at `page_path`.
async fn write_to(
    app: &TestApp,
    page_path: &str,
    action: &str,
    body: &str,
    file: Option<(&str, &[u8])>,
) -> (u16, String) {
    let (_, page) = app.get(page_path).await;
    let csrf = hidden(&page, "csrf_token");
    let r = app
        .client
        .post(app.url(action))
        .header("content-type", multipart_content_type())
        .body(multipart_body_with(
            &[("csrf_token", &csrf), ("body", body)],
            "document",
            file,
        ))
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

/// Audit actions of a request, oldest first.
fn actions(app: &TestApp, id: &str) -> Vec<String> {
    use diesel::prelude::*;
    use dsar_portal::db::schema::audit_events as a;
    let id = id.to_string();
    app.db(move |c| {
        a::table
            .filter(a::request_id.eq(id))
            .order(a::seq.asc())
            .select(a::action)
            .load(c)
            .expect("audit")
    })
}

#[actix_web::test]
async fn a_partial_fulfilment_says_what_was_not_done_and_where_to_turn() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "eu", "access", "part@example.com").await;
        let handler = app.staff("handler").await;
        let (s, page) = handler.record_identity_check(&id).await;
        assert_eq!(s, 303, "{page}");
        let why = "We sent your orders; your support chats are held under a legal hold.";
        handler
            .act_ok(
                &id,
                &[("action", "fulfil"), ("in_part", "yes"), ("message", why)],
            )
            .await;
        let (_, page) = app.get(&status_path).await;
        // Not the green "done": its own badge and words.
        assert!(
            page.contains("status-badge status-fulfilled_in_part"),
            "{page}"
        );
        assert!(
            !page.contains("Done: your request has been completed."),
            "{page}"
        );
        assert!(page.contains("Completed in part"), "{page}");
        // The staff member's explanation, and the GDPR's complaint right with the authority.
        assert!(page.contains("legal hold"), "{page}");
        assert!(
            page.contains("lodge a complaint with a supervisory authority"),
            "{page}"
        );
        assert!(page.contains("judicial remedy"), "{page}");
    })
    .await;
}

#[actix_web::test]
async fn a_refusal_shows_its_reason_and_the_route_each_law_gives() {
    each_backend(|app| async move {
        let handler = app.staff("handler").await;
        // California: the reason, the words, and the CPPA.
        let (ca, ca_path) = verified(&app, "california", "access", "ca-refused@example.com").await;
        let (_, page) = handler.get(&format!("/staff/requests/{ca}")).await;
        let code = hidden_option(&page);
        handler
            .act_ok(
                &ca,
                &[
                    ("action", "deny"),
                    ("code", &code),
                    ("message", "We hold nothing under that address."),
                ],
            )
            .await;
        let (_, page) = app.get(&ca_path).await;
        assert!(
            page.contains("We hold nothing under that address."),
            "{page}"
        );
        assert!(
            page.contains("California Privacy Protection Agency"),
            "{page}"
        );
        let mail = app
            .email_where("refusal", |m| {
                m.to == "ca-refused@example.com" && m.text.contains("We hold nothing")
            })
            .await;
        assert!(
            mail.text.contains("California Privacy Protection Agency"),
            "{}",
            mail.text
        );
        // Another US state: appeal first, then the Attorney General.
        let (us, us_path) = verified(&app, "us_other", "access", "va-refused@example.com").await;
        let (_, page) = handler.get(&format!("/staff/requests/{us}")).await;
        let code = hidden_option(&page);
        handler
            .act_ok(
                &us,
                &[
                    ("action", "deny"),
                    ("code", &code),
                    ("message", "No account matches."),
                ],
            )
            .await;
        let (_, page) = app.get(&us_path).await;
        assert!(page.contains("No account matches."), "{page}");
        assert!(
            page.contains("If we keep our decision after your appeal"),
            "{page}"
        );
        assert!(page.contains("/appeal\""), "the appeal form: {page}");
    })
    .await;
}

/// The first refusal reason the request page offers.
fn hidden_option(page: &str) -> String {
    let at = page.find("name=\"code\"").expect("the refusal reasons");
    let rest = &page[at..];
    let v = rest.find("<option value=\"").expect("an option") + "<option value=\"".len();
    let rest = &rest[v..];
    let rest = if rest.starts_with('"') {
        // A "choose one" option without a value comes first.
        let n = rest.find("<option value=\"").expect("a reason") + "<option value=\"".len();
        &rest[n..]
    } else {
        rest
    };
    rest[..rest.find('"').expect("end")].to_string()
}

#[actix_web::test]
async fn a_question_is_answered_with_a_document_from_the_status_page_and_the_pause_ends() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "eu", "access", "asked@example.com").await;
        let reference = reference_of(&app, &status_path).await;
        let handler = app.staff("handler").await;
        handler
            .act_ok(
                &id,
                &[
                    ("action", "request_info"),
                    ("message", "Which customer number is yours?"),
                ],
            )
            .await;
        let (_, page) = app.get(&status_path).await;
        assert!(page.contains("Which customer number is yours?"), "{page}");
        assert!(
            page.contains("the time limit for our answer is paused"),
            "{page}"
        );
        assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
        assert!(
            page.contains("(later by the days we wait for your answer)"),
            "{page}"
        );
        let open_pauses = || app.count("request_pauses WHERE ended_at IS NULL");
        assert_eq!(open_pauses(), 1);

        let (s, page) = write(
            &app,
            &status_path,
            "It is C-1234; the invoice is attached.",
            Some(("invoice.pdf", PDF)),
        )
        .await;
        assert_eq!(s, 303, "{page}");
        assert_ne!(
            app.request_field(&id, "status").as_deref(),
            Some("awaiting_information")
        );
        assert_eq!(open_pauses(), 0, "the answer closed the pause");
        let done = actions(&app, &id);
        assert!(
            done.ends_with(&[
                "message_received".to_string(),
                "information_received".to_string()
            ]),
            "{done:?}"
        );
        assert_eq!(app.count("documents"), 1);

        // Staff see the answer and open its document from the request page.
        let (_, page) = handler.get(&format!("/staff/requests/{id}")).await;
        assert!(
            page.contains("It is C-1234; the invoice is attached."),
            "{page}"
        );
        let doc = link_path(&page, &format!("/staff/requests/{id}/documents/"));
        let r = handler.get_response(&doc).await;
        assert_eq!(r.status().as_u16(), 200);
        // Staff are told without the person's words.
        let mail = app
            .email_where("staff told", |m| {
                m.to == handler.email
                    && m.subject.contains(&reference)
                    && m.subject.contains("Answer received")
            })
            .await;
        assert!(!mail.text.contains("C-1234"), "{}", mail.text);
    })
    .await;
}

#[actix_web::test]
async fn a_ccpa_question_says_the_clock_keeps_running() {
    each_backend(|app| async move {
        let (id, status_path) =
            verified(&app, "california", "access", "ca-asked@example.com").await;
        let handler = app.staff("handler").await;
        handler
            .act_ok(
                &id,
                &[
                    ("action", "request_info"),
                    ("message", "Which store did you buy from?"),
                ],
            )
            .await;
        let (_, page) = app.get(&status_path).await;
        assert!(page.contains("Which store did you buy from?"), "{page}");
        assert!(page.contains("does not pause the time limit"), "{page}");
        assert!(!page.contains("(later by the days we wait"), "{page}");
        assert!(
            !page.contains("the time limit for our answer is paused"),
            "{page}"
        );
        assert_eq!(app.count("request_pauses"), 0);
    })
    .await;
}

#[actix_web::test]
async fn a_refused_file_stores_nothing_and_keeps_the_text() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "eu", "access", "badfile@example.com").await;
        let handler = app.staff("handler").await;
        handler
            .act_ok(
                &id,
                &[
                    ("action", "request_info"),
                    ("message", "Please send proof of address."),
                ],
            )
            .await;
        let html: &[u8] = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        let (s, page) = write(
            &app,
            &status_path,
            "Here is my utility bill.",
            Some(("bill.pdf", html)),
        )
        .await;
        assert_eq!(s, 422, "{page}");
        assert!(page.contains("bill.pdf is not a PDF file"), "{page}");
        assert!(
            page.contains("Here is my utility bill.</textarea>"),
            "{page}"
        );
        assert_eq!(app.count("request_messages WHERE purpose = 'answer'"), 0);
        assert_eq!(app.count("documents"), 0);
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("awaiting_information")
        );
        // An empty message without a file is refused in words, not stored.
        let (s, page) = write(&app, &status_path, "   ", None).await;
        assert_eq!(s, 422, "{page}");
        assert!(page.contains("Your message was not sent"), "{page}");
    })
    .await;
}

#[actix_web::test]
async fn messages_go_both_ways_audited_and_announced_without_their_text() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "eu", "access", "talk@example.com").await;
        let reference = reference_of(&app, &status_path).await;
        let handler = app.staff("handler").await;
        let page_path = format!("/staff/requests/{id}");
        let (s, page) = handler
            .post(
                &page_path,
                &format!("{page_path}/messages"),
                &[("body", "We found two accounts; we will send both.")],
            )
            .await;
        assert_eq!(s, 303, "{page}");
        assert!(actions(&app, &id).contains(&"message_sent".to_string()));
        let mail = app
            .email_where("message notice", |m| {
                m.to == "talk@example.com" && m.subject.contains("new message")
            })
            .await;
        assert!(
            !mail.text.contains("two accounts"),
            "no text in email: {}",
            mail.text
        );
        assert!(mail.text.contains("/status/"), "{}", mail.text);
        // Stored encrypted.
        assert_eq!(
            app.count("request_messages WHERE body_enc LIKE '%two accounts%'"),
            0
        );

        let (_, page) = app.get(&status_path).await;
        assert!(
            page.contains("We found two accounts; we will send both."),
            "{page}"
        );
        let (s, page) = write(&app, &status_path, "Thank you, both are mine.", None).await;
        assert_eq!(s, 303, "{page}");
        assert!(actions(&app, &id).contains(&"message_received".to_string()));
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified")
        );
        app.email_where("staff notice", |m| {
            m.to == handler.email && m.subject.contains(&reference)
        })
        .await;
        let (_, page) = handler.get(&page_path).await;
        assert!(page.contains("Thank you, both are mine."), "{page}");
    })
    .await;
}

#[actix_web::test]
async fn withdrawing_needs_the_confirmation_post() {
    each_backend(|app| async move {
        let (id, status_path) = verified(&app, "eu", "deletion", "leave@example.com").await;
        let (_, page) = app.get(&status_path).await;
        // The status page links to the confirmation; it holds no withdrawing form.
        assert!(
            page.contains(&format!("href=\"{status_path}/withdraw\"")),
            "{page}"
        );
        assert!(
            !page.contains(&format!("action=\"{status_path}/withdraw\"")),
            "{page}"
        );
        let confirm_path = format!("{status_path}/withdraw");
        let (s, confirm) = app.get(&confirm_path).await;
        assert_eq!(s, 200);
        assert!(confirm.contains("No, keep my request"), "{confirm}");
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified"),
            "opening it withdraws nothing"
        );
        let (s, _) = app.post_with_csrf(&confirm, &confirm_path).await;
        assert!(s == 303 || s == 200, "{s}");
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("withdrawn")
        );
        // Closed: the confirmation page leads back to the status page.
        let (_, page) = app.get(&confirm_path).await;
        assert!(!page.contains("No, keep my request"), "{page}");
    })
    .await;
}

#[actix_web::test]
async fn one_status_link_neither_reads_nor_writes_another_request() {
    each_backend(|app| async move {
        let (a, a_path) = verified(&app, "eu", "access", "alice@example.com").await;
        let (_, b_path) = verified(&app, "eu", "access", "bob@example.com").await;
        let handler = app.staff("handler").await;
        let a_page = format!("/staff/requests/{a}");
        handler
            .post(
                &a_page,
                &format!("{a_page}/messages"),
                &[("body", "Alice, your file is ready.")],
            )
            .await;
        let (s, _) = write(&app, &b_path, "Bob writes here.", None).await;
        assert_eq!(s, 303);
        let (_, page) = app.get(&b_path).await;
        assert!(!page.contains("Alice, your file is ready."), "{page}");
        let (_, page) = app.get(&a_path).await;
        assert!(!page.contains("Bob writes here."), "{page}");
        // A made-up token reaches nothing.
        let forged = "/status/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let (s, _) = write_to(
            &app,
            &b_path,
            &format!("{forged}/messages"),
            "Let me in.",
            None,
        )
        .await;
        assert!(s == 404 || s == 403, "{s}");
        assert_eq!(app.count("request_messages WHERE author <> 'staff'"), 1);
    })
    .await;
}
