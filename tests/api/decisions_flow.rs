//! Deciding deliberately: a refusal or fulfilment first shows the exact notice for
//! confirmation; a refused form or a colliding edit shows the page again with what was
//! typed; every action says what it did; the timeline speaks in words.

use crate::helpers::*;

const EXPLANATION: &str = "We hold no account <b>for</b> this address & nothing else.";

/// The text between `open` and the next `close` in `html`.
fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html.find(open).map(|i| i + open.len()).expect(open);
    let end = html[start..].find(close).expect(close);
    &html[start..start + end]
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x3D;", "=")
        .replace("&#x60;", "`")
        .replace("&amp;", "&")
}

#[actix_web::test]
async fn a_refusal_without_a_reason_is_refused_on_the_form_with_the_text_kept() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "rex@example.com").await;
        let handler = app.staff("handler").await;
        let (_, page) = handler.get(&format!("/staff/requests/{id}")).await;
        assert!(
            page.contains(r#"<option value="">Choose a reason</option>"#),
            "no default reason"
        );
        let (s, page) = handler
            .act(
                &id,
                &[
                    ("action", "deny"),
                    ("code", ""),
                    ("message", "Written for staff"),
                ],
            )
            .await;
        assert_eq!(s, 400, "{page}");
        assert!(page.contains("Choose a reason for the refusal."));
        assert!(
            page.contains(r#"id="deny-error""#),
            "the message sits on the form"
        );
        assert!(
            page.contains(">Written for staff</textarea>"),
            "the text is kept"
        );
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified")
        );
    })
    .await;
}

#[actix_web::test]
async fn the_preview_is_the_notice_that_is_then_emailed() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "pia@example.com").await;
        let handler = app.staff("handler").await;
        let fields = [
            ("action", "deny"),
            ("code", "no_data"),
            ("message", EXPLANATION),
        ];
        let (s, page) = handler
            .act(&id, &[fields.as_slice(), &[("confirmed", "no")]].concat())
            .await;
        assert_eq!(s, 200, "{page}");
        assert!(page.contains("Check the notice before it is sent"));
        assert!(!page.contains("<b>for</b>"), "the typed text is escaped");
        let shown = unescape(between(
            &page,
            r#"<pre class="notice-preview" tabindex="0" aria-labelledby="notice-text">"#,
            "</pre>",
        ));
        assert!(shown.contains(EXPLANATION), "{shown}");
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified"),
            "nothing sent yet"
        );

        // "Back to edit" keeps what was typed and the chosen reason.
        let (s, back) = handler
            .act(
                &id,
                &[
                    ("action", "back"),
                    ("form", "deny"),
                    ("code", "no_data"),
                    ("message", EXPLANATION),
                ],
            )
            .await;
        assert_eq!(s, 200);
        assert!(back.contains(r#"<option value="no_data" selected>"#));
        assert!(
            back.contains("&lt;b&gt;for&lt;&#x2F;b&gt;") || back.contains("&lt;b&gt;for&lt;/b&gt;"),
            "the textarea is refilled"
        );

        let (s, _) = handler.act(&id, &fields).await;
        assert_eq!(s, 303);
        let sent = app
            .email_where("the refusal", |m| m.text.contains("nothing else"))
            .await;
        let link = sent
            .text
            .lines()
            .find(|l| l.contains("/status/"))
            .expect("status link")
            .trim()
            .to_string();
        assert_eq!(
            sent.text
                .replace("\r\n", "\n")
                .replace(&link, "[the person's own status link]")
                .trim(),
            shown.trim()
        );
    })
    .await;
}

#[actix_web::test]
async fn a_colliding_edit_answers_409_and_keeps_the_text() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "col@example.com").await;
        let handler = app.staff("handler").await;
        let path = format!("/staff/requests/{id}");
        let (_, page) = handler.get(&path).await;
        let seen = hidden(&page, "version");
        handler
            .act_ok(
                &id,
                &[("action", "note"), ("body", "Someone else was here")],
            )
            .await;
        let (s, page) = handler
            .post(
                &path,
                &format!("{path}/action"),
                &[
                    ("version", &seen),
                    ("action", "deny"),
                    ("code", "no_data"),
                    ("message", "My careful words"),
                    ("confirmed", "yes"),
                ],
            )
            .await;
        assert_eq!(s, 409, "{page}");
        assert!(page.contains("Someone changed this request while you were editing"));
        assert!(page.contains(">My careful words</textarea>"));
        assert!(
            page.contains("Someone else was here"),
            "the current state is shown"
        );
        assert_eq!(
            app.request_field(&id, "status").as_deref(),
            Some("email_verified")
        );
    })
    .await;
}

#[actix_web::test]
async fn a_fulfilment_in_part_needs_its_explanation() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "part@example.com").await;
        let handler = app.staff("handler").await;
        let (s, _) = handler.record_identity_check(&id).await;
        assert_eq!(s, 303);
        let (s, page) = handler
            .act(
                &id,
                &[("action", "fulfil"), ("in_part", "yes"), ("message", " ")],
            )
            .await;
        assert_eq!(s, 400, "{page}");
        assert!(page.contains(r#"id="fulfil-error""#));
        assert!(
            page.contains(r#"id="in_part" name="in_part" value="yes" checked"#),
            "the box stays ticked"
        );
        let (s, page) = handler
            .act(
                &id,
                &[("action", "fulfil"), ("message", ""), ("confirmed", "no")],
            )
            .await;
        assert_eq!(s, 200, "a whole fulfilment may go without words: {page}");
        assert!(page.contains("You are marking this request fulfilled in whole."));
    })
    .await;
}

#[actix_web::test]
async fn every_action_says_what_it_did_and_the_timeline_speaks_in_words() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "flash@example.com").await;
        let handler = app.staff("handler").await;
        let path = format!("/staff/requests/{id}");
        let (_, page) = handler.get(&path).await;
        assert!(
            page.contains("Verify the person&#x27;s identity.")
                || page.contains("Verify the person's identity."),
            "next step"
        );
        let version = hidden(&page, "version");
        let r = handler
            .post_response(
                &path,
                &format!("{path}/action"),
                &[
                    ("version", &version),
                    ("action", "verify"),
                    ("method", "data_points"),
                    ("points", "name"),
                    ("points", "account_id"),
                    ("declaration", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
        let location = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            location.ends_with("#package"),
            "lands on the next step (no systems here: the package): {location}"
        );
        let (_, page) = handler.get(&path).await;
        assert!(
            page.contains("Identity verified to a reasonable degree of certainty (2 data points). The person was told."),
            "{page}"
        );
        let (_, again) = handler.get(&path).await;
        assert!(
            !again.contains("Identity verified to a reasonable"),
            "shown once"
        );

        for (fields, said) in [
            (vec![("action", "note"), ("body", "Checked")], "Note added."),
            (
                vec![("action", "extend"), ("reason", "Many systems")],
                "Deadline extended to",
            ),
            (
                vec![("action", "fulfil"), ("message", "Done.")],
                "Request fulfilled and closed.",
            ),
        ] {
            handler.act_ok(&id, &fields).await;
            let (_, page) = handler.get(&path).await;
            assert!(page.contains(said), "{said}: {page}");
        }
        let (_, page) = handler.get(&path).await;
        let timeline = between(&page, r#"<ol class="timeline staff-timeline">"#, "</ol>");
        assert!(!timeline.contains('{'), "{timeline}");
        assert!(timeline.contains("Verified to a reasonable degree of certainty (2 data points), by"), "{timeline}");
        assert!(timeline.contains("Complied with in whole."), "{timeline}");
    })
    .await;
}
