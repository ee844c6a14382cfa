//! Open redirects: every redirect stays on the site.

use super::*;

const EVIL_TARGETS: &[&str] = &[
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
];

/// A redirect stays on this site: a path, not `//host` or `/\host` (which browsers
/// read as another host), no scheme.
fn assert_local(what: &str, loc: &str) {
    assert!(
        loc.starts_with('/')
            && !loc.starts_with("//")
            && !loc.contains('\\')
            && !loc.contains("://")
            && !loc.contains("evil"),
        "{what} redirects to {loc:?}"
    );
}

#[actix_web::test]
async fn redirects_never_leave_the_site() {
    each_backend(|app| async move {
        let status = app
            .file_and_verify("eu", "access", "jane@example.com")
            .await;
        let id = app.only_request_id();
        let agent = register_drp_agent(&app, "AA_REDIR", 5);
        let admin = app.staff("admin").await;
        let handler = app.staff("handler").await;
        let mut checked = 0;
        for evil in EVIL_TARGETS {
            let q = encode(&[
                ("next", evil),
                ("return_to", evil),
                ("redirect", evil),
                ("url", evil),
            ]);
            let extra = [("next", *evil), ("return_to", *evil), ("redirect", *evil)];
            let mut locs: Vec<(String, reqwest::Response)> = Vec::new();
            // Anonymous: the login redirect, logout. (`/opt-out` is a page, not a redirect.)
            let anon = Staff::anonymous(&app);
            for path in [format!("/staff?{q}"), format!("/staff/requests/{id}?{q}")] {
                let r = anon.get_response(&path).await;
                locs.push((path, r));
            }
            let mut fields = vec![
                ("email", handler.email.as_str()),
                ("password", STAFF_PASSWORD),
            ];
            fields.extend_from_slice(&extra);
            let r = post_page_form(
                &anon.client,
                &app.url("/staff/login"),
                &app.url(&format!("/staff/login?{q}")),
                &fields,
            )
            .await;
            locs.push(("login".into(), r));
            let r = post_page_form(
                &anon.client,
                &app.url("/staff"),
                &app.url(&format!("/staff/logout?{q}")),
                &extra,
            )
            .await;
            locs.push(("logout".into(), r));
            // Staff actions that answer with a redirect.
            let (_, page) = admin.get(&format!("/staff/requests/{id}")).await;
            let csrf = hidden(&page, "csrf_token");
            let version = app.request_field(&id, "version").expect("version");
            let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
                (
                    format!("/staff/requests/{id}/action"),
                    vec![
                        ("version", version.as_str()),
                        ("action", "note"),
                        ("body", "x"),
                    ],
                ),
                ("/staff/digest".into(), vec![("digest", "on")]),
                (format!("/staff/agents/{agent}/disable"), vec![]),
                (format!("/staff/agents/{agent}/enable"), vec![]),
                (format!("/staff/accounts/{}/enable", handler.id), vec![]),
            ];
            for (path, mut fields) in posts {
                fields.push(("csrf_token", &csrf));
                fields.extend_from_slice(&extra);
                let r = post_raw(
                    &admin.client,
                    &app.url(&format!("{path}?{q}")),
                    encode(&fields),
                    None,
                )
                .await;
                locs.push((path, r));
            }
            // Defence: every Location is a fixed path or one built from a fixed prefix.
            for (what, r) in &locs {
                assert!(
                    r.status().is_redirection(),
                    "{what} with {evil}: {}",
                    r.status()
                );
                assert_local(
                    &format!("{what} with {evil} ({})", app.backend),
                    &location(r),
                );
                checked += 1;
            }
        }
        assert!(checked >= 54);
        // The consumer's withdrawal (once: it closes the request) comes back to its
        // own status page whatever it is given.
        let evil = EVIL_TARGETS[0];
        let q = encode(&[("next", evil), ("return_to", evil)]);
        let r = post_page_form(
            &app.client,
            &app.url(&status),
            &app.url(&format!("{status}/withdraw?{q}")),
            &[("next", evil), ("return_to", evil)],
        )
        .await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            location(&r),
            status,
            "withdraw comes back to its status page"
        );
        // Paths that look like another host are no redirect at all.
        for path in [
            "//evil.example/",
            "/\\evil.example",
            "/%2F%2Fevil.example",
            "/%5Cevil.example",
        ] {
            let r = app
                .client
                .get(format!("{}{path}", app.address))
                .send()
                .await
                .expect("GET");
            assert!(
                !r.status().is_redirection(),
                "{path}: {} {}",
                r.status(),
                location(&r)
            );
        }
    })
    .await;
}
