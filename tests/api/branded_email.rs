//! Emails look like the organisation: every HTML part in one branded layout (name,
//! colour, logo), its links as buttons that keep to a phone's width, and the same link
//! as the text part.

use crate::helpers::*;

/// A 1×1 PNG, enough to be sniffed as one.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Widths written into an HTML part: `width="N"` and `width: Npx` (not `max-width`).
fn fixed_widths(html: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for (i, _) in html.match_indices("width") {
        if html[..i].ends_with("max-") || html[..i].ends_with("min-") {
            continue;
        }
        let rest = html[i + "width".len()..].trim_start_matches(['=', ':', ' ', '"']);
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let unit = &rest[digits.len()..];
        if !digits.is_empty() && !unit.starts_with('%') {
            found.push(digits.parse().unwrap_or(u32::MAX));
        }
    }
    found
}

#[actix_web::test]
async fn the_html_part_carries_the_brand_the_button_and_the_text_parts_link() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("tempdir");
        let logo = dir.path().join("logo.png");
        std::fs::write(&logo, PNG).expect("logo");
        let app = spawn_app_with(&backend, |s| {
            s.organisation.name = "Acme Widgets".into();
            s.organisation.primary_colour = "#7a1f5c".into();
            s.organisation.logo_file = Some(logo.clone());
        })
        .await;
        app.submit("eu", JANE_ACCESS).await;
        let mail = app.emails(1).await.remove(0);
        let link = link_path(&mail.text, "/verify/");

        let html = &mail.html;
        assert!(html.contains("Acme Widgets"), "{html}");
        assert!(
            html.contains("#7a1f5c"),
            "the organisation's colour: {html}"
        );
        // The logo, at the portal's public address (the test server's is fixed before
        // its port is known), not attached.
        let public_logo = format!("src=\"{}/static/logo\"", app.state.public_url);
        assert!(
            html.contains(&public_logo),
            "the logo, at the portal: {html}"
        );
        // The button is a table cell in the colour holding the link.
        let button = html.find("class=\"email-button\"").expect("a button");
        let after = &html[button..];
        assert!(after.contains("background: #7a1f5c"));
        let url = format!("{}{link}", app.state.public_url);
        assert!(after.contains(&format!("href=\"{url}\"")), "{after}");
        assert!(after.contains("Confirm my email address"));
        // The same link as the text part, and the text part is not wrapped in HTML.
        assert!(mail.text.contains(&url));
        assert!(!mail.text.contains('<'));
    }
}

#[actix_web::test]
async fn no_html_part_is_wider_than_a_phone() {
    each_backend(|app| async move {
        let (id, _) = verified(&app, "california", "access", "jane@example.com").await;
        let handler = app.staff("handler").await;
        handler.record_identity_check(&id).await;
        handler
            .act_ok(&id, &[("action", "extend"), ("reason", "Archived records")])
            .await;
        handler
            .act_ok(&id, &[("action", "fulfil"), ("message", "Done.")])
            .await;
        app.email_where("on completion", |m| m.text.contains("Done."))
            .await;
        let mails = app.emails(4).await;
        for mail in &mails {
            let html = &mail.html;
            assert!(
                !html.contains("partials") && html.contains("Test Org"),
                "{}",
                mail.subject
            );
            assert!(html.contains("max-width: 600px"), "{}", mail.subject);
            let wide: Vec<u32> = fixed_widths(html)
                .into_iter()
                .filter(|w| *w > 100)
                .collect();
            assert!(wide.is_empty(), "{}: fixed widths {wide:?}", mail.subject);
            // Long addresses wrap instead of pushing the card wider.
            assert!(html.contains("overflow-wrap: anywhere"), "{}", mail.subject);
        }
    })
    .await;
}

#[test]
fn the_width_check_finds_fixed_widths() {
    assert_eq!(
        fixed_widths(r#"<table width="640" style="width: 700px; max-width: 600px">"#),
        vec![640, 700]
    );
    assert!(
        fixed_widths(r#"<table width="100%" style="width: 100%; max-width: 600px">"#).is_empty()
    );
}
