//! Attacks the portal must withstand, one test per defence (see docs/SECURITY.md).
//!
//! Each assertion names the defence it guards: removing that defence makes it fail.
//! Already covered elsewhere and not repeated here: session fixation and logout
//! (`staff_access::login_renews_the_session_and_logout_ends_it`), login lockout
//! (`staff_access::login_reveals_nothing_and_locks_after_repeated_failures`), plaintext
//! at rest (`audit_and_encryption::personal_data_is_not_stored_in_plaintext`), security
//! headers (`pages::every_response_carries_security_headers`).

use crate::helpers::*;
use crate::process::Server;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use dsar_portal::db::models::tokens::{self as token_rows, Purpose, TokenRow};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------

/// The route files, read at compile time so that a new route recompiles this test.
const ROUTE_FILES: &[(&str, &str)] = &[
    (
        "src/web/public/mod.rs",
        include_str!("../../src/web/public/mod.rs"),
    ),
    (
        "src/web/staff/mod.rs",
        include_str!("../../src/web/staff/mod.rs"),
    ),
    (
        "src/web/api/mod.rs",
        include_str!("../../src/web/api/mod.rs"),
    ),
    (
        "src/web/drp/mod.rs",
        include_str!("../../src/web/drp/mod.rs"),
    ),
];

/// The first `web::<method>()` in `chunk`, upper-cased.
fn first_method(chunk: &str) -> Option<String> {
    ["get", "post", "delete", "put", "patch", "head"]
        .iter()
        .filter_map(|m| chunk.find(&format!("web::{m}()")).map(|i| (i, *m)))
        .min()
        .map(|(_, m)| m.to_uppercase())
}

/// (METHOD, path) of every `.route("path", web::method()…)` in a routes file, and of
/// every `.route(web::method()…)` of a `web::resource("path")`, under the file's
/// `web::scope("prefix")` when it has one (the DRP endpoints).
fn registered(src: &str) -> Vec<(String, String)> {
    let flat = src.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut routes: Vec<(String, String)> = flat
        .split(".route(")
        .skip(1)
        .filter_map(|chunk| {
            let chunk = chunk.trim_start();
            let path = chunk.strip_prefix('"')?.split('"').next()?.to_string();
            // The route's own method is the first `web::<method>()` after its path.
            Some((first_method(chunk)?, path))
        })
        .collect();
    let scope = flat
        .split("web::scope(\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("");
    for chunk in flat.split("web::resource(\"").skip(1) {
        let Some((path, rest)) = chunk.split_once('"') else {
            continue;
        };
        // Up to the next resource; a `.route(` of this one starts with its method.
        for route in rest.split(".route(").skip(1) {
            let route = route.trim_start();
            if let Some(method) = first_method(route).filter(|_| route.starts_with("web::")) {
                routes.push((method, format!("{scope}{path}")));
            }
        }
    }
    routes
}

fn all_routes() -> Vec<(String, String)> {
    ROUTE_FILES
        .iter()
        .flat_map(|(_, src)| registered(src))
        .collect()
}

/// Guard: routes are registered only in [`ROUTE_FILES`], so enumerating those files
/// enumerates the application.
fn assert_no_routes_elsewhere() {
    let known: BTreeSet<&str> = ROUTE_FILES.iter().map(|(p, _)| *p).collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let registers = [
                "web::post()",
                "web::delete()",
                "web::put()",
                "web::patch()",
                "#[post(",
                "#[delete(",
                "#[put(",
                "#[patch(",
                "web::resource(",
            ]
            .iter()
            .any(|m| text.contains(m));
            assert!(
                !registers || known.contains(rel.as_str()),
                "{rel} registers routes: add it to ROUTE_FILES in tests/api/security.rs"
            );
        }
    }
}

/// A small valid PDF; the marker lets the log test look for document bytes.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Title (DOC-SECRET-BYTES-4242) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
const DOC_MARKER: &str = "DOC-SECRET-BYTES-4242";

/// Posts the California form as multipart (an agent's filing), with the form's CSRF
/// token and submission id added, from `client` (which keeps the session).
async fn agent_post(
    client: &reqwest::Client,
    base: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> (u16, String) {
    let page = client
        .get(format!(
            "{base}/requests/new?jurisdiction=california&kind=access"
        ))
        .send()
        .await
        .expect("GET form")
        .text()
        .await
        .expect("form");
    let csrf = hidden(&page, "csrf_token");
    let sid = hidden(&page, "submission_id");
    let mut all: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("submission_id", &sid),
        ("jurisdiction", "california"),
        ("kind", "access"),
        ("agent", "yes"),
        ("agent_authority", "signed_permission"),
    ];
    all.extend_from_slice(fields);
    let r = client
        .post(format!("{base}/requests"))
        .header("content-type", crate::helpers::multipart_content_type())
        .body(crate::helpers::multipart_body(&all, file))
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

/// Files an agent's request with a PDF for `consumer_email`; returns the request id.
async fn file_as_agent(app: &TestApp, consumer_email: &str, agent_email: &str) -> String {
    let (status, page) = agent_post(
        &app.client,
        &app.address,
        &[
            ("name", "Connie Consumer"),
            ("email", consumer_email),
            ("agent_name", "Avery Agent"),
            ("agent_email", agent_email),
        ],
        Some(("permission.pdf", PDF)),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    app.request_id(&link_path(&page, "DSR-"))
}

/// The id of the one document of a request.
fn document_of(app: &TestApp, request_id: &str) -> String {
    use diesel::prelude::*;
    use dsar_portal::db::schema::documents as d;
    let rid = request_id.to_string();
    app.db(move |c| {
        d::table
            .filter(d::request_id.eq(rid))
            .select(d::id)
            .first(c)
            .expect("document")
    })
}

/// Issues a link token of `purpose` for a request straight into the database (as the
/// flows do), returning the secret that would go into the link.
fn issue_token(app: &TestApp, request_id: &str, purpose: Purpose) -> String {
    let t = dsar_portal::crypto::tokens::generate();
    let now = dsar_portal::clock::now();
    let row = TokenRow {
        id: dsar_portal::clock::new_id(),
        request_id: request_id.to_string(),
        purpose: purpose.as_str().to_string(),
        token_hash: t.hash,
        expires_at: now + chrono::Duration::days(1),
        used_at: None,
        created_at: now,
    };
    app.db(move |c| token_rows::insert(c, &row).expect("token"));
    t.secret
}

/// Registers a DRP agent with a fixed key; returns its id.
fn register_drp_agent(app: &TestApp, id: &'static str, seed: u8) -> &'static str {
    let key = STANDARD.encode(
        SigningKey::from_bytes(&[seed; 32])
            .verifying_key()
            .to_bytes(),
    );
    app.add_drp_agent(id, &key);
    id
}

async fn post_raw(
    client: &reqwest::Client,
    url: &str,
    body: String,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut rb = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(o) = origin {
        rb = rb.header("origin", o);
    }
    rb.send().await.expect("POST")
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap_or("<binary>").to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------
// 1. CSRF on every state-changing route
// ---------------------------------------------------------------------------------

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
}

/// Every POST/DELETE route of the application and what protects it. The guard in the
/// test fails when a route is added to the route files without being listed here.
const STATE_CHANGING: &[(&str, &str, Guard)] = &[
    ("POST", "/requests", Guard::PublicForm),
    ("POST", "/requests/confirm/{handle}", Guard::PublicForm),
    ("POST", "/confirm-agent/{token}", Guard::PublicForm),
    ("POST", "/verify/{token}", Guard::PublicForm),
    ("POST", "/verify/{token}/resend", Guard::PublicForm),
    ("POST", "/status/{token}/resend", Guard::PublicForm),
    ("POST", "/status/{token}/withdraw", Guard::PublicForm),
    ("POST", "/status/{token}/appeal", Guard::PublicForm),
    ("POST", "/download/{token}", Guard::PublicForm),
    ("POST", "/staff/login", Guard::PublicForm),
    ("POST", "/staff/logout", Guard::StaffForm),
    ("POST", "/staff/password", Guard::StaffForm),
    ("POST", "/staff/sessions/end", Guard::StaffForm),
    ("POST", "/staff/digest", Guard::StaffForm),
    ("POST", "/staff/requests/new", Guard::StaffForm),
    ("POST", "/staff/requests/{id}/action", Guard::StaffForm),
    ("POST", "/staff/requests/{id}/run", Guard::StaffForm),
    ("POST", "/staff/requests/{id}/package", Guard::StaffForm),
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
    let registered: BTreeSet<(String, String)> = all_routes()
        .into_iter()
        .filter(|(m, _)| m != "GET" && m != "HEAD")
        .collect();
    let listed: BTreeSet<(String, String)> = STATE_CHANGING
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        registered, listed,
        "a state-changing route was added or removed: update STATE_CHANGING in \
         tests/api/security.rs (and test its CSRF defence)"
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

// ---------------------------------------------------------------------------------
// 2. Role escalation on every staff route
// ---------------------------------------------------------------------------------

/// Every staff route except the login page, with whether auditors and handlers may
/// use it (administrators may use all). From `domain::roles`: auditors never write,
/// only administrators manage accounts and DRP agents; everyone may change their own
/// password and digest preference and log out.
const STAFF_MATRIX: &[(&str, &str, bool, bool)] = &[
    // (method, path, auditor, handler)
    ("GET", "/staff", true, true),
    ("GET", "/staff/password", true, true),
    ("GET", "/staff/sessions", true, true),
    ("GET", "/staff/requests/new", false, true),
    ("GET", "/staff/requests/{id}", true, true),
    ("GET", "/staff/requests/{id}/documents/{doc}", true, true),
    ("GET", "/staff/accounts", false, false),
    ("GET", "/staff/agents", false, false),
    ("GET", "/staff/audit", true, true),
    ("GET", "/staff/metrics", true, true),
    ("GET", "/staff/metrics.csv", true, true),
    ("POST", "/staff/digest", true, true),
    ("POST", "/staff/password", true, true),
    ("POST", "/staff/sessions/end", true, true),
    ("POST", "/staff/requests/new", false, true),
    ("POST", "/staff/requests/{id}/action", false, true),
    ("POST", "/staff/requests/{id}/run", false, true),
    ("POST", "/staff/requests/{id}/package", false, true),
    (
        "POST",
        "/staff/requests/{id}/documents/{doc}/review",
        false,
        true,
    ),
    ("POST", "/staff/accounts", false, false),
    ("POST", "/staff/accounts/{id}/{op}", false, false),
    ("POST", "/staff/agents/{id}/disable", false, false),
    ("POST", "/staff/agents/{id}/enable", false, false),
    ("POST", "/staff/logout", true, true),
];

fn staff_fields(path: &str, version: &str) -> Vec<(&'static str, String)> {
    let v = |s: &str| s.to_string();
    match path {
        "/staff/requests/{id}/action" => vec![
            ("version", v(version)),
            ("action", v("note")),
            ("body", v("written by someone who may not")),
        ],
        "/staff/requests/{id}/run" => vec![("connector", v("none")), ("action", v("find"))],
        "/staff/requests/{id}/documents/{doc}/review" => vec![("outcome", v("accepted"))],
        "/staff/accounts" => vec![("email", v("mole@staff.example")), ("role", v("admin"))],
        "/staff/password" => vec![
            ("current", v("not my password")),
            ("new", v("a new long password 1")),
            ("repeat", v("a new long password 1")),
        ],
        "/staff/digest" => vec![("digest", v("on"))],
        _ => vec![],
    }
}

/// Calls one staff route as `client`: a plain GET, or a POST with the route's fields
/// (`staff_fields`, at the request's current version) and `csrf`.
async fn call_staff_route(
    app: &TestApp,
    client: &reqwest::Client,
    method: &str,
    url: &str,
    path: &str,
    request_id: &str,
    csrf: &str,
) -> reqwest::Response {
    if method == "GET" {
        return client.get(url).send().await.expect("GET");
    }
    let version = app.request_field(request_id, "version").unwrap_or_default();
    let mut fields = staff_fields(path, &version);
    fields.push(("csrf_token", csrf.to_string()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post_raw(client, url, encode(&pairs), None).await
}

#[actix_web::test]
async fn every_staff_route_enforces_login_and_role() {
    // Guard: the matrix covers every staff route (but the public login page).
    let staff_routes: BTreeSet<(String, String)> = registered(ROUTE_FILES[1].1)
        .into_iter()
        .filter(|(_, p)| p != "/staff/login")
        .collect();
    let listed: BTreeSet<(String, String)> = STAFF_MATRIX
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        staff_routes, listed,
        "a staff route was added or removed: update STAFF_MATRIX in tests/api/security.rs"
    );

    for backend in backends() {
        let app = spawn_app(&backend).await;
        let id = file_as_agent(&app, "connie@example.com", "avery@agents.example").await;
        let doc = document_of(&app, &id);
        let agent = register_drp_agent(&app, "AA_ROLES", 4);
        let target = app.staff("handler").await; // the account others try to change
        let auditor = app.staff("auditor").await;
        let handler = app.staff("handler").await;
        let admin = app.staff("admin").await;
        let fill = |p: &str| {
            p.replace("{doc}", &doc).replace("{op}", "disable").replace(
                "{id}",
                if p.starts_with("/staff/accounts/") {
                    target.id.as_str()
                } else if p.starts_with("/staff/agents/") {
                    agent
                } else {
                    id.as_str()
                },
            )
        };
        let state_now = |app: &TestApp| {
            (
                app.request_field(&id, "version"),
                app.count("staff"),
                app.count("audit_events"),
            )
        };

        // With no session: every GET goes to the login page; every POST is refused
        // (to the login page, or 403 when its form token is not the session's).
        // Defence: session::current at the top of every staff handler.
        let anon = Staff::anonymous(&app);
        let (_, login_page) = anon.get("/staff/login").await;
        let anon_csrf = hidden(&login_page, "csrf_token");
        let before = state_now(&app);
        for (method, path, _, _) in STAFF_MATRIX {
            let url = app.url(&fill(path));
            let r = call_staff_route(&app, &anon.client, method, &url, path, &id, &anon_csrf).await;
            let s = r.status().as_u16();
            assert!(
                (s == 303 && location(&r) == "/staff/login") || (s == 403 && *method == "POST"),
                "{method} {path} without a session: {s} {} ({})",
                location(&r),
                app.backend
            );
        }
        assert_eq!(state_now(&app), before, "nothing changed without a session");

        // Auditors and handlers: refused exactly where their role may not go.
        // Defence: require_worker / require_admin in each handler.
        for (who, member) in [("auditor", &auditor), ("handler", &handler)] {
            let (_, page) = member.get("/staff").await;
            let csrf = hidden(&page, "csrf_token");
            for (method, path, auditor_may, handler_may) in STAFF_MATRIX {
                if *path == "/staff/logout" {
                    continue; // below, once the rest is done
                }
                let allowed = if who == "auditor" {
                    *auditor_may
                } else {
                    *handler_may
                };
                let before = state_now(&app);
                let url = app.url(&fill(path));
                let r =
                    call_staff_route(&app, &member.client, method, &url, path, &id, &csrf).await;
                let s = r.status().as_u16();
                let what = format!("{who} {method} {path} ({})", app.backend);
                if allowed {
                    assert!(s != 403 && s < 500, "{what}: {s}");
                    assert_ne!(location(&r), "/staff/login", "{what}: logged out");
                } else {
                    assert_eq!(s, 403, "{what}");
                    // A refusal changes nothing (no event, no account, no new version).
                    assert_eq!(state_now(&app), before, "{what} changed something");
                }
            }
            let r = post_raw(
                &member.client,
                &app.url("/staff/logout"),
                encode(&[("csrf_token", &csrf)]),
                None,
            )
            .await;
            assert_eq!(r.status(), 303);
        }
        // What the refusals protected is untouched: the target account and the agent.
        let target_row = app.db({
            let tid = target.id.clone();
            move |c| dsar_portal::db::models::staff::find(c, &tid).expect("find")
        });
        assert!(!target_row.expect("target").disabled);
        assert!(app
            .db(|c| dsar_portal::db::models::drp::find_agent(c, "AA_ROLES").expect("agent"))
            .expect("agent")
            .disabled_at
            .is_none());

        // Control: an administrator may do all of it (so the 403s were the role's).
        let (_, page) = admin.get("/staff").await;
        let csrf = hidden(&page, "csrf_token");
        for (method, path, _, _) in STAFF_MATRIX {
            let url = app.url(&fill(path));
            let r = call_staff_route(&app, &admin.client, method, &url, path, &id, &csrf).await;
            let s = r.status().as_u16();
            assert!(
                s != 403 && s < 500,
                "admin {method} {path}: {s} ({})",
                app.backend
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// 3. IDOR: one request's links never reach another's
// ---------------------------------------------------------------------------------

fn is_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[actix_web::test]
async fn links_and_ids_of_one_request_never_reach_another() {
    each_backend(|app| async move {
        let status_a = app
            .file_and_verify("eu", "access", "alice@example.com")
            .await;
        let status_b = app.file_and_verify("eu", "access", "bob@example.com").await;
        let (_, page_a) = app.get(&status_a).await;
        let (_, page_b) = app.get(&status_b).await;
        let ref_a = link_path(&page_a, "DSR-");
        let ref_b = link_path(&page_b, "DSR-");
        let id_a = app.request_id(&ref_a);
        let id_b = app.request_id(&ref_b);
        // Defence: the status page is looked up by the token's hash alone.
        assert_ne!(ref_a, ref_b);
        assert!(!page_a.contains(&ref_b) && !page_b.contains(&ref_a));

        // Tokens carry a purpose; each route accepts only its own (find_by_hash filters
        // on purpose). An unused verify link and a download link for A:
        let (_, _) = app
            .submit(
                "eu",
                &[
                    ("kind", "access"),
                    ("name", "Carol"),
                    ("email", "carol@example.com"),
                ],
            )
            .await;
        let verify_c = link_path(
            &app.email_where("to Carol", |m| m.to == "carol@example.com")
                .await
                .text,
            "/verify/",
        );
        let download_a = issue_token(&app, &id_a, Purpose::Download);
        let confirm_a = issue_token(&app, &id_a, Purpose::ConfirmAgent);
        let status_token = status_a.trim_start_matches("/status/");
        let verify_token = verify_c.trim_start_matches("/verify/");
        for (path, what) in [
            (format!("/verify/{status_token}"), "status token as verify"),
            (format!("/status/{verify_token}"), "verify token as status"),
            (format!("/status/{download_a}"), "download token as status"),
            (
                format!("/status/{confirm_a}"),
                "confirm-agent token as status",
            ),
            (
                format!("/download/{status_token}"),
                "status token as download",
            ),
            (
                format!("/confirm-agent/{status_token}"),
                "status token as confirm-agent",
            ),
            (
                format!("/api/v1/status/{verify_token}"),
                "verify token in the API",
            ),
        ] {
            let (s, page) = app.get(&path).await;
            assert_eq!(s, 404, "{what} ({}): {page}", app.backend);
            assert!(!page.contains(&ref_a), "{what} leaks the reference");
        }
        // The real links still work (so the 404s are the purpose check).
        assert_eq!(app.get(&format!("/download/{download_a}")).await.0, 410);
        assert_eq!(app.get(&verify_c).await.0, 200);
        let (_, form) = app.get("/requests/new?jurisdiction=eu").await;
        let confirm_post = app
            .post_form(
                &format!("/verify/{status_token}"),
                &[("csrf_token", &hidden(&form, "csrf_token"))],
            )
            .await;
        assert_eq!(confirm_post.0, 404, "a status token cannot verify");

        // No sequential or guessable ids in public URLs: tokens are 32 random bytes
        // (43 base64url characters), references random, and the internal request ids
        // (UUID v7, time-ordered) never leave the staff pages.
        for link in [&status_a, &status_b, &verify_c] {
            let token = link.rsplit('/').next().expect("token");
            assert!(is_token(token), "{link}");
        }
        for r in [&ref_a, &ref_b] {
            assert!(
                r.len() == 13
                    && r.starts_with("DSR-")
                    && r[4..]
                        .chars()
                        .all(|c| c == '-' || c.is_ascii_alphanumeric()),
                "{r}"
            );
        }
        let mut public = vec![page_a.clone(), page_b.clone()];
        for m in app.emails(0).await {
            public.push(m.text);
            public.push(m.html);
        }
        for text in &public {
            assert!(
                !text.contains(&id_a) && !text.contains(&id_b),
                "internal id in {text}"
            );
        }
    })
    .await;
}

#[actix_web::test]
async fn a_document_is_served_only_under_its_own_request() {
    each_backend(|app| async move {
        let a = file_as_agent(&app, "connie@example.com", "avery@agents.example").await;
        let b = file_as_agent(&app, "other@example.com", "other@agents.example").await;
        let (doc_a, doc_b) = (document_of(&app, &a), document_of(&app, &b));
        let staff = app.staff("admin").await;
        // Control: each document under its own request.
        assert_eq!(
            staff
                .get(&format!("/staff/requests/{a}/documents/{doc_a}"))
                .await
                .0,
            200
        );
        assert_eq!(
            staff
                .get(&format!("/staff/requests/{b}/documents/{doc_b}"))
                .await
                .0,
            200
        );
        // Defence: documents::find filters on request id and document id together.
        let (s, body) = staff
            .get(&format!("/staff/requests/{a}/documents/{doc_b}"))
            .await;
        assert_eq!(s, 404, "B's document under A ({})", app.backend);
        assert!(!body.contains(DOC_MARKER));
        let (s, _) = staff
            .post(
                &format!("/staff/requests/{a}"),
                &format!("/staff/requests/{a}/documents/{doc_b}/review"),
                &[("outcome", "accepted")],
            )
            .await;
        assert_eq!(s, 404, "B's document reviewed under A");
        let reviewed: Option<String> = app.db({
            let doc_b = doc_b.clone();
            move |c| {
                use diesel::prelude::*;
                use dsar_portal::db::schema::documents as d;
                d::table
                    .filter(d::id.eq(doc_b))
                    .select(d::review_outcome)
                    .first(c)
                    .expect("row")
            }
        });
        assert_eq!(reviewed, None);
    })
    .await;
}

// ---------------------------------------------------------------------------------
// 4. Token brute force
// ---------------------------------------------------------------------------------

#[actix_web::test]
async fn link_guessing_is_rate_limited_across_link_routes() {
    const LIMIT: u32 = 10;
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.rate_limits.enabled = true;
            s.rate_limits.token_pages_per_minute = LIMIT;
        })
        .await;
        app.submit(
            "eu",
            &[
                ("kind", "access"),
                ("name", "J"),
                ("email", "j@example.com"),
            ],
        )
        .await;
        let real = issue_token(&app, &app.only_request_id(), Purpose::Status);
        // Guesses spread over every link route share one budget per client
        // (Bucket::TokenPages), so switching routes gains nothing.
        let routes = [
            "/status/",
            "/verify/",
            "/confirm-agent/",
            "/download/",
            "/api/v1/status/",
            "/requests/confirm/",
        ];
        for i in 0..LIMIT as usize {
            let guess = dsar_portal::crypto::tokens::generate().secret;
            let (s, _) = app
                .get(&format!("{}{guess}", routes[i % routes.len()]))
                .await;
            assert_eq!(s, 404, "guess {i} ({})", app.backend);
        }
        // Defence: web::limit before any lookup; even the right token waits now.
        for path in [format!("/status/{real}"), format!("/verify/{real}")] {
            let r = app.client.get(app.url(&path)).send().await.expect("GET");
            assert_eq!(r.status(), 429, "{path} after {LIMIT} guesses");
            assert!(r.headers().contains_key("retry-after"));
        }
    }
}

#[actix_web::test]
async fn malformed_tokens_are_a_clean_404_on_every_link_route() {
    each_backend(|app| async move {
        let long = "A".repeat(4000);
        let shapes = [
            "A".to_string(),
            "A".repeat(42),
            "A".repeat(44),
            long,
            format!("{}+", "A".repeat(42)),
            format!("{}=", "A".repeat(42)),
            "%2e%2e%2f%2e%2e%2fetc%2fpasswd".into(),
            "%00".into(),
            "%C3%A4%C3%B6".into(),
            "'%20OR%201=1--".into(),
            "%FF%FE".into(),
        ];
        for route in [
            "/status/",
            "/verify/",
            "/confirm-agent/",
            "/download/",
            "/api/v1/status/",
            "/requests/confirm/",
        ] {
            for shape in &shapes {
                let path = format!("{route}{shape}");
                let (s, body) = app.get(&path).await;
                // Defence: hash_presented refuses anything that is not 32 bytes of
                // base64url before the database is asked.
                assert_eq!(s, 404, "{path} ({})", app.backend);
                assert!(!body.contains("went wrong"), "{path}: {body}");
            }
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------
// 5. Login timing: unknown and known emails cost the same
// ---------------------------------------------------------------------------------

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[actix_web::test]
async fn login_takes_as_long_for_unknown_emails_as_for_known_ones() {
    const N: usize = 15;
    for backend in backends() {
        // No lockout and no rate limit, so that every attempt runs the full check.
        let app = spawn_app_with(&backend, |s| {
            s.rate_limits.enabled = false;
            s.staff.lockout_after = 1_000_000;
        })
        .await;
        let known = app.staff("handler").await.email;
        let anon = Staff::anonymous(&app);
        let (_, page) = anon.get("/staff/login").await;
        let csrf = hidden(&page, "csrf_token");
        let attempt = |email: String| {
            let body = encode(&[
                ("csrf_token", &csrf),
                ("email", &email),
                ("password", "certainly not the password"),
            ]);
            let client = anon.client.clone();
            let url = app.url("/staff/login");
            async move {
                let t = Instant::now();
                let r = post_raw(&client, &url, body, None).await;
                assert_eq!(r.status(), 401);
                t.elapsed()
            }
        };
        // Warm up both paths, then interleave so that drift affects both alike.
        attempt(known.clone()).await;
        attempt("warm@nowhere.example".into()).await;
        let (mut k, mut u) = (Vec::new(), Vec::new());
        for i in 0..N {
            k.push(attempt(known.clone()).await);
            u.push(attempt(format!("nobody-{i}@nowhere.example")).await);
        }
        let (mk, mu) = (median(k), median(u));
        eprintln!(
            "login timing ({}): known email, wrong password: median {:.1} ms; \
             unknown email: median {:.1} ms ({N} each)",
            app.backend,
            mk.as_secs_f64() * 1e3,
            mu.as_secs_f64() * 1e3
        );
        // Defence: Hasher::verify runs Argon2 against a dummy hash for unknown emails;
        // without it an unknown email answers in a fraction of the time.
        let ratio = mk.as_secs_f64().max(mu.as_secs_f64()) / mk.as_secs_f64().min(mu.as_secs_f64());
        assert!(ratio < 3.0, "medians differ {ratio:.1}x ({})", app.backend);
    }
}

// ---------------------------------------------------------------------------------
// 6. Cross-site scripting and template injection
// ---------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------
// 8. Open redirects
// ---------------------------------------------------------------------------------

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
            // Anonymous: the login redirect, the opt-out shortcut, logout.
            let anon = Staff::anonymous(&app);
            for path in [
                format!("/staff?{q}"),
                format!("/staff/requests/{id}?{q}"),
                format!("/opt-out?{q}"),
            ] {
                let r = anon.client.get(app.url(&path)).send().await.expect("GET");
                locs.push((path, r));
            }
            let (_, login_page) = anon.get("/staff/login").await;
            let csrf = hidden(&login_page, "csrf_token");
            let mut fields = vec![
                ("csrf_token", csrf.as_str()),
                ("email", handler.email.as_str()),
                ("password", STAFF_PASSWORD),
            ];
            fields.extend_from_slice(&extra);
            let r = post_raw(
                &anon.client,
                &app.url(&format!("/staff/login?{q}")),
                encode(&fields),
                None,
            )
            .await;
            locs.push(("login".into(), r));
            let (_, page) = anon.get("/staff").await;
            let csrf = hidden(&page, "csrf_token");
            let mut fields = vec![("csrf_token", csrf.as_str())];
            fields.extend_from_slice(&extra);
            let r = post_raw(
                &anon.client,
                &app.url(&format!("/staff/logout?{q}")),
                encode(&fields),
                None,
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
        assert!(checked >= 60);
        // The consumer's withdrawal (once: it closes the request) comes back to its
        // own status page whatever it is given.
        let evil = EVIL_TARGETS[0];
        let q = encode(&[("next", evil), ("return_to", evil)]);
        let (_, page) = app.get(&status).await;
        let csrf = hidden(&page, "csrf_token");
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("next", evil),
            ("return_to", evil),
        ];
        let r = post_raw(
            &app.client,
            &app.url(&format!("{status}/withdraw?{q}")),
            encode(&fields),
            None,
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

// ---------------------------------------------------------------------------------
// 9. No personal data, tokens, passwords or documents in the logs
// ---------------------------------------------------------------------------------

/// Emails the binary wrote as `.eml` files.
async fn mails_in(dir: &std::path::Path, n: usize) -> Vec<Email> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mails: Vec<Email> = crate::helpers::eml_files(dir)
            .into_iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| parse_email(&b))
            .collect();
        if mails.len() >= n || Instant::now() > deadline {
            assert!(
                mails.len() >= n,
                "expected {n} emails, found {}",
                mails.len()
            );
            return mails;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn mail_to(dir: &std::path::Path, to: &str, containing: &str) -> Email {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(m) = mails_in(dir, 0)
            .await
            .into_iter()
            .find(|m| m.to == to && m.text.contains(containing))
        {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "no email to {to} with {containing}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// base64(signature ‖ JSON), the DRP envelope.
fn drp_seal(key: &SigningKey, body: &Value) -> String {
    let json = body.to_string().into_bytes();
    let mut combined = key.sign(&json).to_bytes().to_vec();
    combined.extend_from_slice(&json);
    STANDARD.encode(combined)
}

fn drp_claims(agent: &str, business: &str) -> Value {
    let now = chrono::Utc::now();
    let ts =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({"agent-id": agent, "business-id": business,
           "issued-at": ts(now - chrono::Duration::seconds(2)),
           "expires-at": ts(now + chrono::Duration::minutes(5)),
           "drp.version": "1.0"})
}

#[actix_web::test]
async fn a_whole_flow_at_debug_level_logs_no_personal_data_or_secrets() {
    for backend in backends() {
        run_logged_flow(&backend).await;
    }
}

async fn run_logged_flow(backend: &Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut pg = None;
    let database_line = match backend {
        Backend::Sqlite => String::new(),
        Backend::Postgres(admin) => {
            let (url, name) = fresh_postgres_database(admin);
            pg = Some((admin.clone(), name));
            format!("database_url = {url:?}\n")
        }
    };
    const ADMIN_EMAIL: &str = "root.admin@ops-secret.example";
    const BUSINESS: &str = "CB_LOGS";
    let config = dir.path().join("dsar-portal.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:0\"\ndata_dir = {data:?}\nlog = \"debug\"\n{database_line}\
             [organisation]\nname = \"Log Test Org\"\ncontact_email = \"privacy@logtest.example\"\n\
             [staff]\nfirst_admin_email = \"{ADMIN_EMAIL}\"\n\
             [rate_limits]\nenabled = false\n\
             [worker]\npoll_milliseconds = 50\n\
             [drp]\nbusiness_id = \"{BUSINESS}\"\n\
             [[identifiers]]\nname = \"account_id\"\nlabel = \"Account ID\"\n"
        ),
    )
    .expect("config");
    let server = Server::start(&config);
    let base = server.address().await;
    let banner = server.line_with("first admin :").await;
    let one_time = banner
        .rsplit(" / ")
        .next()
        .expect("password")
        .trim()
        .to_string();
    let mail_dir = data.join("mail");

    // Everything personal or secret the flow sends; none of it may be logged.
    let mut secrets: Vec<String> = vec![ADMIN_EMAIL.into(), one_time.clone(), DOC_MARKER.into()];
    const NEW_PASSWORD: &str = "Admins-Own-Passphrase-8841";
    const WRONG_PASSWORD: &str = "Guessed-Wrong-Password-1177";
    let consumer = [
        ("name", "Lorelei Logtest"),
        ("email", "lorelei.logtest@person.example"),
        ("id_account_id", "ACCT-7781-SECRET"),
        ("details", "Secret details about my account 5521"),
    ];
    secrets.extend(consumer.iter().map(|(_, v)| v.to_string()));
    secrets.extend(
        [
            NEW_PASSWORD,
            WRONG_PASSWORD,
            "Connie Confirmlog",
            "connie.confirmlog@person.example",
            "Agatha Agentlog",
            "agatha@agentlog.example",
            "Agentlog Org Secret",
            "REG-99-SECRET",
            "Apinya Apiperson",
            "apinya.api@person.example",
            "Drusilla Drplog",
            "drusilla.drp@person.example",
        ]
        .map(String::from),
    );

    let browser = new_client();
    // 1. A consumer files through the form, confirms the email, opens the status page.
    let page = browser
        .get(format!("{base}/requests/new?jurisdiction=eu"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    let csrf = hidden(&page, "csrf_token");
    secrets.push(csrf.clone());
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("submission_id", "submission-abcdefghijklmnop"),
        ("jurisdiction", "eu"),
        ("kind", "access"),
    ];
    fields.extend_from_slice(&consumer);
    let r = post_raw(&browser, &format!("{base}/requests"), encode(&fields), None).await;
    assert_eq!(r.status(), 200);
    let verify = link_path(
        &mail_to(&mail_dir, consumer[1].1, "/verify/").await.text,
        "/verify/",
    );
    let page = browser
        .get(format!("{base}{verify}"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    let r = post_raw(
        &browser,
        &format!("{base}{verify}"),
        encode(&[("csrf_token", &hidden(&page, "csrf_token"))]),
        None,
    )
    .await;
    let done = r.text().await.expect("page");
    let status = link_path(&done, "/status/");
    let status_page = browser
        .get(format!("{base}{status}"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    let reference = link_path(&status_page, "DSR-");
    secrets.push(verify.trim_start_matches("/verify/").into());
    secrets.push(status.trim_start_matches("/status/").into());
    // A wrong link too (the 404 path logs as well).
    let _ = browser
        .get(format!("{base}/status/{}", "B".repeat(43)))
        .send()
        .await;

    // 2. The JSON API.
    let r = browser
        .post(format!("{base}/api/v1/requests"))
        .json(&json!({"jurisdiction": "california", "kind": "deletion",
                      "name": "Apinya Apiperson", "email": "apinya.api@person.example"}))
        .send()
        .await
        .expect("API");
    assert_eq!(r.status(), 202);

    // 3. An agent files with a PDF; the agent verifies, the consumer confirms.
    let (s, page) = agent_post(
        &browser,
        &base,
        &[
            ("name", "Connie Confirmlog"),
            ("email", "connie.confirmlog@person.example"),
            ("agent_name", "Agatha Agentlog"),
            ("agent_email", "agatha@agentlog.example"),
            ("agent_organisation", "Agentlog Org Secret"),
            ("agent_registration_number", "REG-99-SECRET"),
        ],
        Some(("permission.pdf", PDF)),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    let agent_reference = link_path(&page, "DSR-");
    let verify = link_path(
        &mail_to(&mail_dir, "agatha@agentlog.example", "/verify/")
            .await
            .text,
        "/verify/",
    );
    let page = browser
        .get(format!("{base}{verify}"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    post_raw(
        &browser,
        &format!("{base}{verify}"),
        encode(&[("csrf_token", &hidden(&page, "csrf_token"))]),
        None,
    )
    .await;
    let confirm = link_path(
        &mail_to(
            &mail_dir,
            "connie.confirmlog@person.example",
            "/confirm-agent/",
        )
        .await
        .text,
        "/confirm-agent/",
    );
    let page = browser
        .get(format!("{base}{confirm}"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("page");
    let r = post_raw(
        &browser,
        &format!("{base}{confirm}"),
        encode(&[
            ("csrf_token", &hidden(&page, "csrf_token")),
            ("decision", "confirm"),
        ]),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    secrets.push(verify.trim_start_matches("/verify/").into());
    secrets.push(confirm.trim_start_matches("/confirm-agent/").into());

    // 4. Staff: a failed login for a known and an unknown email, the first admin's
    // one-time password and its change, then the work on both requests.
    let staff = Staff::anonymous_at(&base);
    for email in [ADMIN_EMAIL, "ghost.user@ops-secret.example"] {
        let (s, _) = staff
            .post(
                "/staff/login",
                "/staff/login",
                &[("email", email), ("password", WRONG_PASSWORD)],
            )
            .await;
        assert_eq!(s, 401);
    }
    secrets.push("ghost.user@ops-secret.example".into());
    let (s, _) = staff
        .post(
            "/staff/login",
            "/staff/login",
            &[("email", ADMIN_EMAIL), ("password", &one_time)],
        )
        .await;
    assert_eq!(s, 303);
    let (s, _) = staff
        .post(
            "/staff/password",
            "/staff/password",
            &[
                ("current", &one_time),
                ("new", NEW_PASSWORD),
                ("repeat", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(s, 303);
    // Searching by email goes through the query string; it must not be logged either.
    let (s, _) = staff
        .get(&format!("/staff?q={}", "lorelei.logtest%40person.example"))
        .await;
    assert_eq!(s, 200);
    let find = |reference: String| {
        let staff = &staff;
        async move {
            let (_, queue) = staff.get(&format!("/staff?q={reference}")).await;
            // The first row's link, not the queue's "enter a request" link above the table.
            let rows = &queue[queue.find("<table").expect("queue table")..];
            link_path(rows, "/staff/requests/")
                .trim_start_matches("/staff/requests/")
                .to_string()
        }
    };
    let id = find(reference).await;
    staff.verify_and_fulfil(&id).await;
    let agent_id = find(agent_reference).await;
    let (_, page) = staff.get(&format!("/staff/requests/{agent_id}")).await;
    let doc_link = link_path(&page, &format!("/staff/requests/{agent_id}/documents/"));
    let doc = doc_link
        .split("/documents/")
        .nth(1)
        .and_then(|d| d.split('/').next())
        .expect("doc")
        .to_string();
    let r = staff
        .client
        .get(format!("{base}/staff/requests/{agent_id}/documents/{doc}"))
        .send()
        .await
        .expect("GET");
    assert!(r
        .bytes()
        .await
        .expect("doc")
        .windows(DOC_MARKER.len())
        .any(|w| w == DOC_MARKER.as_bytes()));
    let (s, _) = staff
        .post(
            &format!("/staff/requests/{agent_id}"),
            &format!("/staff/requests/{agent_id}/documents/{doc}/review"),
            &[("outcome", "accepted")],
        )
        .await;
    assert_eq!(s, 303);

    // 5. A DRP agent (added on the command line) pairs and files an opt-out.
    let key = SigningKey::from_bytes(&[21; 32]);
    let add = Command::new(env!("CARGO_BIN_EXE_dsar-portal"))
        .args([
            "--config",
            &config.to_string_lossy(),
            "agents",
            "add",
            "--id",
            "AA_LOGS",
            "--name",
            "Log Agent",
            "--verify-key",
            &STANDARD.encode(key.verifying_key().to_bytes()),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DSAR_LOG", "warn")
        .output()
        .expect("agents add");
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let r = browser
        .post(format!("{base}/v1/agent/AA_LOGS"))
        .header("content-type", "text/plain")
        .body(drp_seal(&key, &drp_claims("AA_LOGS", BUSINESS)))
        .send()
        .await
        .expect("pair");
    assert_eq!(r.status(), 200);
    let paired: Value = r.json().await.expect("json");
    let bearer = paired["token"].as_str().expect("token").to_string();
    let mut body = drp_claims("AA_LOGS", BUSINESS);
    for (k, v) in [
        ("exercise", json!("sale:opt-out")),
        ("regime", json!("ccpa")),
        ("name", json!("Drusilla Drplog")),
        ("email", json!("drusilla.drp@person.example")),
        ("email_verified", json!(true)),
    ] {
        body[k] = v;
    }
    let r = browser
        .post(format!("{base}/v1/data-rights-request"))
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "text/plain")
        .body(drp_seal(&key, &body))
        .send()
        .await
        .expect("exercise");
    assert!(r.status().is_success(), "exercise: {}", r.status());
    secrets.push(bearer);

    // Every email the flow caused has been written; then stop and read the log.
    mail_to(&mail_dir, consumer[1].1, "/status/").await;
    let output = server.stop();
    // Read once the server has stopped, so that every file is complete.
    let mails = mails_in(&mail_dir, 5).await;
    if let Some((admin, name)) = pg {
        drop_postgres_database(&admin, &name);
    }

    let text = output.join("\n");
    // The log was really on, at debug level, and saw the flow (so absence means
    // something): requests by route pattern, logins, verifications.
    assert!(
        text.contains("DEBUG"),
        "debug logging on ({}):\n{text}",
        backend.name()
    );
    for expected in [
        "/status/{token}",
        "/verify/{token}",
        "staff login",
        "email verified",
        "/v1/data-rights-request",
    ] {
        assert!(
            text.contains(expected),
            "log mentions {expected:?}:\n{text}"
        );
    }
    // The one line the spec requires: the first admin's one-time password, once, at
    // first start. That line alone is exempt.
    let with_password: Vec<&String> = output.iter().filter(|l| l.contains(&one_time)).collect();
    assert_eq!(
        with_password.len(),
        1,
        "the one-time password is printed once"
    );
    assert!(with_password[0].contains("first admin :"));
    // Link tokens from every email, too.
    for m in &mails {
        for prefix in ["/verify/", "/status/", "/confirm-agent/", "/download/"] {
            if m.text.contains(prefix) {
                secrets.push(
                    link_path(&m.text, prefix)
                        .trim_start_matches(prefix)
                        .to_string(),
                );
            }
        }
    }
    // Defence: the request log records route patterns, never paths or queries;
    // handlers log kinds and ids; Sensitive<T>/EmailAddress redact in Debug.
    for line in output.iter().filter(|l| !l.contains("first admin :")) {
        let lower = line.to_lowercase();
        for s in &secrets {
            let s_lower = s.to_lowercase();
            assert!(
                !lower.contains(&s_lower) && !lower.contains(&s_lower.replace('@', "%40")),
                "the log ({}) contains {s:?}:\n{line}",
                backend.name()
            );
        }
    }
}
