//! Cross-site scripting, template injection and email header injection go nowhere.

use super::*;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";
const TEMPLATE: &str = "{{7*7}}";
const JS_URL: &str = "javascript:alert(1)";

/// An HTML document carries the payloads only as text: no tag or `javascript:` link
/// from them.
fn assert_inert(what: &str, html: &str) {
    assert!(!html.contains("<script>alert"), "raw <script> in {what}");
    assert!(!html.contains("<img src=x"), "raw <img> in {what}");
    assert!(
        !html.to_lowercase().contains("href=\"javascript:"),
        "js link in {what}"
    );
}

#[actix_web::test]
async fn consumer_and_agent_input_is_escaped_in_every_page_and_email() {
    each_backend(|app| async move {
        let everything = format!("{SCRIPT} {IMG} {TEMPLATE} {JS_URL}");
        // A consumer's correction request with a payload in every free field.
        let (s, page) = app
            .submit(
                "eu",
                &[
                    ("kind", "correction"),
                    ("name", SCRIPT),
                    ("email", "xss@example.com"),
                    ("id_account_id", &format!("{TEMPLATE}{IMG}")),
                    ("details", &everything),
                    ("correction_current", &format!("{SCRIPT}{JS_URL}")),
                    ("correction_requested", &format!("{IMG}{TEMPLATE}")),
                ],
            )
            .await;
        assert_eq!(s, 200, "{page}");
        assert_inert("submitted page", &page);
        let id = app.request_id(&link_path(&page, "DSR-"));
        let verify = link_path(
            &app.email_where("to verify", |m| m.to == "xss@example.com")
                .await
                .text,
            "/verify/",
        );
        let (_, confirm) = app.get(&verify).await;
        let (_, done) = app.post_with_csrf(&confirm, &verify).await;
        let status = link_path(&done, "/status/");

        // Staff page. Defence: handlebars escapes every {{value}} (no triple-stash) and
        // never compiles what people typed.
        let admin = app.staff("admin").await;
        let (s, staff_page) = admin.get(&format!("/staff/requests/{id}")).await;
        assert_eq!(s, 200);
        assert_inert("staff request page", &staff_page);
        assert!(
            staff_page.contains("&lt;script&gt;alert(1)"),
            "name shown escaped"
        );
        assert!(
            staff_page.contains(TEMPLATE),
            "{{{{7*7}}}} shown as typed, not evaluated"
        );
        // Staff text that reaches the consumer (status page, emails) is escaped too.
        let (s, _) = admin
            .act(&id, &[("action", "request_info"), ("message", &everything)])
            .await;
        assert_eq!(s, 303);
        let (_, status_page) = app.get(&status).await;
        assert_inert("status page", &status_page);

        // An agent's filing: the agent's fields and the consumer's name.
        let (s, page) = agent_post(
            &app.client,
            &app.address,
            &[
                ("name", IMG),
                ("email", "connie@example.com"),
                ("agent_name", SCRIPT),
                ("agent_email", "avery@agents.example"),
                ("agent_organisation", &format!("{TEMPLATE} {IMG}")),
                ("agent_registration_number", JS_URL),
            ],
            Some(("permission.pdf", PDF)),
        )
        .await;
        assert_eq!(s, 200, "{page}");
        let agent_id = app.request_id(&link_path(&page, "DSR-"));
        // Kept input on a refused filing (no document) is escaped as well.
        let (s, refused) = agent_post(
            &app.client,
            &app.address,
            &[
                ("name", IMG),
                ("email", "c2@example.com"),
                ("agent_name", SCRIPT),
                ("agent_email", "a2@agents.example"),
                ("agent_organisation", IMG),
            ],
            None,
        )
        .await;
        assert_eq!(s, 422);
        assert_inert("refused agent form", &refused);
        let verify = link_path(
            &app.email_where("to the agent", |m| m.to == "avery@agents.example")
                .await
                .text,
            "/verify/",
        );
        let (_, confirm) = app.get(&verify).await;
        app.post_with_csrf(&confirm, &verify).await;
        let ask = app
            .email_where("to the consumer", |m| m.text.contains("/confirm-agent/"))
            .await;
        assert!(
            ask.text.contains(TEMPLATE),
            "text email shows the organisation as typed"
        );
        let (s, confirm_page) = app.get(&link_path(&ask.text, "/confirm-agent/")).await;
        assert_eq!(s, 200);
        assert_inert("confirm-agent page", &confirm_page);
        assert!(
            confirm_page.contains("&lt;script&gt;alert(1)"),
            "agent name escaped"
        );
        assert!(confirm_page.contains(TEMPLATE));
        let (_, staff_agent) = admin.get(&format!("/staff/requests/{agent_id}")).await;
        assert_inert("staff page of the agent's request", &staff_agent);
        assert!(
            staff_agent.contains(JS_URL),
            "registration number shown as text"
        );

        // Every email sent so far: HTML parts inert, and wherever a template payload
        // shows, it shows as typed (never evaluated as a template).
        let mails = app.emails(0).await;
        assert!(
            mails.iter().any(|m| m.html.contains(TEMPLATE)),
            "a payload reached an email"
        );
        for m in &mails {
            assert_inert(&format!("email {:?}", m.subject), &m.html);
            for part in [&m.text, &m.html] {
                assert!(!part.contains("7*7") || part.contains(TEMPLATE));
            }
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------
// 7. Email header injection
// ---------------------------------------------------------------------------------

/// The header block of a raw message, unfolded: (lower-case name, value) per header.
fn headers_of(raw: &str) -> Vec<(String, String)> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let head = head.split("\n\n").next().unwrap_or(head);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = out.last_mut() {
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_lowercase(), v.trim().to_string()));
        }
    }
    out
}

#[actix_web::test]
async fn header_injection_through_names_and_emails_goes_nowhere() {
    each_backend(|app| async move {
        let evil_emails = [
            "jane@example.com\r\nBcc: evil@example.com",
            "jane@example.com\nBcc: evil@example.com",
            "jane@example.com\rBcc: evil@example.com",
            "jane@example.com%0d%0aBcc: evil@example.com",
            "jane@example.com%0D%0ABcc:evil@example.com",
            "jane@example.com, evil@example.com",
            "Jane <jane@example.com>, evil@example.com",
            "\"jane\r\nBcc: evil@example.com\"@example.com",
        ];
        let evil_names = ["Jane\r\nBcc: evil@example.com", "Jane\nBcc: evil@example.com"];
        // Form and JSON API. Defence: EmailAddress::parse / PersonName::parse refuse
        // control characters and anything but one address.
        for email in evil_emails {
            let (s, _) = app
                .submit("eu", &[("kind", "access"), ("name", "Jane"), ("email", email)])
                .await;
            assert_eq!(s, 422, "form email {email:?} ({})", app.backend);
            let r = app
                .client
                .post(app.url("/api/v1/requests"))
                .json(&json!({"jurisdiction": "eu", "kind": "access", "name": "Jane", "email": email}))
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status(), 422, "API email {email:?}");
        }
        for name in evil_names {
            let (s, _) = app
                .submit("eu", &[("kind", "access"), ("name", name), ("email", "jane@example.com")])
                .await;
            assert_eq!(s, 422, "form name {name:?}");
            let r = app
                .client
                .post(app.url("/api/v1/requests"))
                .json(&json!({"jurisdiction": "eu", "kind": "access", "name": name,
                              "email": "jane@example.com"}))
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status(), 422, "API name {name:?}");
        }
        // The agent's email and name (multipart form).
        for (agent_name, agent_email) in [
            ("Avery", "avery@agents.example\r\nBcc: evil@example.com"),
            ("Avery\r\nBcc: evil@example.com", "avery@agents.example"),
        ] {
            let (s, _) = agent_post(
                &app.client,
                &app.address,
                &[("name", "Connie"), ("email", "connie@example.com"),
                  ("agent_name", agent_name), ("agent_email", agent_email)],
                Some(("p.pdf", PDF)),
            )
            .await;
            assert_eq!(s, 422, "agent {agent_name:?} {agent_email:?}");
        }
        assert_eq!(app.count("requests"), 0, "nothing stored ({})", app.backend);

        // What validation lets through still produces no extra header: a name that
        // merely reads like a header, an address with a percent sign.
        // Defence: lettre builds the headers from one parsed Mailbox.
        for (name, email) in [
            ("Jane Bcc: evil@example.com", "jane@example.com"),
            ("Jane", "jane%0d%0abcc@example.com"),
        ] {
            let (s, page) = app
                .submit("eu", &[("kind", "access"), ("name", name), ("email", email)])
                .await;
            assert_eq!(s, 200, "{page}");
        }
        app.emails(2).await;
        let dir = app.data_dir.join("mail");
        let mut seen = 0;
        for path in crate::helpers::eml_files(&dir) {
            let raw = std::fs::read_to_string(&path).expect("eml");
            let headers = headers_of(&raw);
            let named = |n: &str| headers.iter().filter(|(k, _)| k == n).count();
            assert_eq!(named("to"), 1, "{raw}");
            assert_eq!(named("bcc") + named("cc"), 0, "{raw}");
            let to = &headers.iter().find(|(k, _)| k == "to").expect("to").1;
            assert_eq!(to.matches('@').count(), 1, "one recipient: {to}");
            assert!(!headers.iter().any(|(_, v)| v.contains("evil@")), "{raw}");
            seen += 1;
        }
        assert_eq!(seen, 2);
    })
    .await;
}
