//! CSRF: every state-changing route needs the form's token and our origin.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// HTML form of the public site (and the staff login, before any session): CSRF
    /// token in the session cookie + Origin check.
    PublicForm,
    /// HTML form behind a staff session: the same CSRF check.
    StaffForm,
    /// The JSON API: no cookies or session involved, so nothing to forge; it only
    /// accepts `application/json`, which a cross-site form cannot send.
    JsonApi,
    /// Connector callbacks: an HMAC signature of the body with the connector's secret.
    Hmac,
    /// DRP under /v1: Ed25519-signed bodies and/or a bearer token, no cookies.
    Drp,
    /// Staff sign-in through the identity provider: GETs (the provider sends the
    /// browser back with a link), whose answer must carry the `state` kept in this
    /// browser's encrypted cookie and not yet used (tests/api/staff_oidc/).
    OidcState,
}

/// Every POST/DELETE route of the application and what protects it. The guard in the
/// test fails when a route is added to the route files without being listed here.
const STATE_CHANGING: &[(&str, &str, Guard)] = &[
    ("POST", "/requests", Guard::PublicForm),
    ("POST", "/opt-out", Guard::PublicForm),
    ("POST", "/requests/change-address", Guard::PublicForm),
    ("POST", "/requests/confirm/{handle}", Guard::PublicForm),
    ("POST", "/confirm-agent/{token}", Guard::PublicForm),
    ("POST", "/verify/{token}", Guard::PublicForm),
    ("POST", "/verify/{token}/resend", Guard::PublicForm),
    ("POST", "/status", Guard::PublicForm),
    ("POST", "/status/{token}/resend", Guard::PublicForm),
    ("POST", "/status/{token}/withdraw", Guard::PublicForm),
    ("POST", "/status/{token}/appeal", Guard::PublicForm),
    ("POST", "/status/{token}/messages", Guard::PublicForm),
    ("POST", "/download/{token}", Guard::PublicForm),
    ("POST", "/staff/login", Guard::PublicForm),
    ("GET", "/staff/login/oidc", Guard::OidcState),
    ("GET", "/staff/login/oidc/callback", Guard::OidcState),
    ("POST", "/staff/logout", Guard::StaffForm),
    ("POST", "/staff/password", Guard::StaffForm),
    ("POST", "/staff/sessions/end", Guard::StaffForm),
    ("POST", "/staff/digest", Guard::StaffForm),
    ("POST", "/staff/queue/bulk", Guard::StaffForm),
    ("POST", "/staff/templates", Guard::StaffForm),
    ("POST", "/staff/templates/{id}", Guard::StaffForm),
    ("POST", "/staff/templates/{id}/delete", Guard::StaffForm),
    ("POST", "/staff/requests/new", Guard::StaffForm),
    ("POST", "/staff/requests/{id}/action", Guard::StaffForm),
    ("POST", "/staff/requests/{id}/run", Guard::StaffForm),
    ("POST", "/staff/requests/{id}/messages", Guard::StaffForm),
    ("POST", "/staff/requests/{id}/package", Guard::StaffForm),
    ("POST", "/staff/requests/{id}/tasks", Guard::StaffForm),
    ("POST", "/staff/tasks/{id}/files", Guard::StaffForm),
    ("POST", "/staff/tasks/{id}/done", Guard::StaffForm),
    ("POST", "/staff/tasks/{id}/reassign", Guard::StaffForm),
    (
        "POST",
        "/staff/requests/{id}/documents/{doc}/review",
        Guard::StaffForm,
    ),
    ("POST", "/staff/accounts", Guard::StaffForm),
    ("POST", "/staff/accounts/{id}/{op}", Guard::StaffForm),
    ("POST", "/staff/agents/{id}/disable", Guard::StaffForm),
    ("POST", "/staff/agents/{id}/enable", Guard::StaffForm),
    ("POST", "/api/v1/requests", Guard::JsonApi),
    ("POST", "/api/v1/connectors/{name}/callback", Guard::Hmac),
    ("POST", "/v1/agent/{agent_id}", Guard::Drp),
    ("POST", "/v1/data-rights-request", Guard::Drp),
    ("POST", "/v1/data-rights-request/", Guard::Drp),
    ("DELETE", "/v1/data-rights-request/{id}", Guard::Drp),
];

#[actix_web::test]
async fn every_state_changing_route_needs_the_csrf_token_and_our_origin() {
    // Guard: the list above is the application's complete set of state-changing routes.
    assert_no_routes_elsewhere();
    // GETs change nothing, but for the sign-in through the identity provider.
    let registered: BTreeSet<(String, String)> = all_routes()
        .into_iter()
        .filter(|(m, p)| (m != "GET" && m != "HEAD") || p.starts_with("/staff/login/oidc"))
        .collect();
    let listed: BTreeSet<(String, String)> = STATE_CHANGING
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        registered, listed,
        "a state-changing route was added or removed: update STATE_CHANGING in \
         tests/api/security/csrf.rs (and test its CSRF defence)"
    );

    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.drp.business_id = Some("CB_SEC".into())).await;
        let request_id = file_as_agent(&app, "connie@example.com", "avery@agents.example").await;
        let doc = document_of(&app, &request_id);
        let victim = app.staff("handler").await;
        let agent = register_drp_agent(&app, "AA_CSRF", 3);
        let admin = app.staff("admin").await;
        let version_before = app.request_field(&request_id, "version");
        let fill = |p: &str| {
            p.replace("{token}", &"A".repeat(43))
                .replace("{handle}", &"A".repeat(43))
                .replace("{doc}", &doc)
                .replace("{op}", "enable")
                .replace("{name}", "nosuch")
                .replace("{agent_id}", agent)
                .replace(
                    "{id}",
                    if p.starts_with("/staff/accounts/") {
                        victim.id.as_str()
                    } else if p.starts_with("/staff/agents/") {
                        agent
                    } else {
                        request_id.as_str()
                    },
                )
        };
        // Public forms use this browser's session, staff forms the admin's.
        let (_, page) = app.get("/requests/new?jurisdiction=eu").await;
        let public_csrf = hidden(&page, "csrf_token");
        let (_, page) = admin.get("/staff").await;
        let staff_csrf = hidden(&page, "csrf_token");
        // Another session's token is as wrong as a made-up one.
        let (_, page) = Staff::anonymous(&app).get("/staff/login").await;
        let foreign_csrf = hidden(&page, "csrf_token");

        let mut forms: Vec<_> = STATE_CHANGING
            .iter()
            .filter(|(_, _, g)| matches!(g, Guard::PublicForm | Guard::StaffForm))
            .collect();
        // Logging out ends the admin's session: last.
        forms.sort_by_key(|(_, p, _)| *p == "/staff/logout");
        for (_, pattern, guard) in forms {
            let (client, csrf) = match guard {
                Guard::StaffForm => (&admin.client, staff_csrf.as_str()),
                _ => (&app.client, public_csrf.as_str()),
            };
            let url = app.url(&fill(pattern));
            let what = format!("{pattern} ({})", app.backend);
            // Defence: the synchronizer token (csrf::verify) — missing, made up, or
            // another session's.
            for body in [
                String::new(),
                encode(&[("csrf_token", "forged")]),
                encode(&[("csrf_token", &foreign_csrf)]),
            ] {
                let r = post_raw(client, &url, body.clone(), None).await;
                assert_eq!(r.status(), 403, "{what} with body {body:?}");
            }
            // Defence: the Origin check (csrf::check_origin), even with the right token.
            for origin in [
                "https://evil.example",
                "null",
                "http://127.0.0.1.evil.example",
            ] {
                let r = post_raw(client, &url, encode(&[("csrf_token", csrf)]), Some(origin)).await;
                assert_eq!(r.status(), 403, "{what} from Origin {origin}");
            }
            // Control: the right token from our own origin gets past the check (so the
            // 403s above came from it), and junk input is never a 500.
            let r = post_raw(
                client,
                &url,
                encode(&[("csrf_token", csrf)]),
                Some(&app.address),
            )
            .await;
            let s = r.status().as_u16();
            assert!(s != 403 && s < 500, "{what}: control answered {s}");
        }

        // The request form's multipart variant (an agent's filing) checks the same
        // token (web::multipart::parse).
        for (token, origin) in [
            (None, None),
            (Some("forged"), None),
            (Some(public_csrf.as_str()), Some("https://evil.example")),
        ] {
            let mut fields = vec![("jurisdiction", "california"), ("kind", "access")];
            if let Some(t) = token {
                fields.push(("csrf_token", t));
            }
            let mut rb = app
                .client
                .post(app.url("/requests"))
                .header("content-type", crate::helpers::multipart_content_type())
                .body(crate::helpers::multipart_body(
                    &fields,
                    Some(("p.pdf", PDF)),
                ));
            if let Some(o) = origin {
                rb = rb.header("origin", o);
            }
            let r = rb.send().await.expect("POST");
            assert_eq!(r.status(), 403, "multipart {token:?} {origin:?}");
        }

        // Not form routes: what a cross-site page could send gets nowhere.
        // JSON API: a form (urlencoded or text/plain, the "simple" types a page may
        // post cross-site) is refused before anything is read.
        let body = json!({"jurisdiction": "eu", "kind": "access", "name": "J",
                          "email": "j@x.example"})
        .to_string();
        for ct in [
            "application/x-www-form-urlencoded",
            "text/plain",
            "multipart/form-data",
        ] {
            let r = app
                .client
                .post(app.url("/api/v1/requests"))
                .header("content-type", ct)
                .header("origin", "https://evil.example")
                .body(body.clone())
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status(), 415, "API with {ct}");
            // No CORS grant that would let a foreign page read or preflight it.
            assert!(r.headers().get("access-control-allow-origin").is_none());
        }
        // Callback without a signature; DRP without a signature or bearer token.
        let r = app
            .client
            .post(app.url("/api/v1/connectors/nosuch/callback"))
            .body("{}")
            .send()
            .await
            .expect("POST");
        assert!(r.status().is_client_error(), "callback: {}", r.status());
        for (method, path) in [
            (reqwest::Method::POST, format!("/v1/agent/{agent}")),
            (reqwest::Method::POST, "/v1/data-rights-request".into()),
            (reqwest::Method::POST, "/v1/data-rights-request/".into()),
            (
                reqwest::Method::DELETE,
                format!("/v1/data-rights-request/{request_id}"),
            ),
        ] {
            let r = admin
                .client
                .request(method.clone(), app.url(&path))
                .header("origin", "https://evil.example")
                .body("not signed")
                .send()
                .await
                .expect("DRP");
            assert_eq!(
                r.status(),
                403,
                "{method} {path}: the staff cookie is no credential"
            );
        }
        // Nothing was changed by any refused request (the controls changed no request
        // either: they lacked the fields an action needs): one request, untouched.
        assert_eq!(app.count("requests"), 1, "{}", app.backend);
        assert_eq!(app.request_field(&request_id, "version"), version_before);
    }
}
