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
        include_str!("../../../src/web/public/mod.rs"),
    ),
    (
        "src/web/staff/mod.rs",
        include_str!("../../../src/web/staff/mod.rs"),
    ),
    (
        "src/web/api/mod.rs",
        include_str!("../../../src/web/api/mod.rs"),
    ),
    (
        "src/web/drp/mod.rs",
        include_str!("../../../src/web/drp/mod.rs"),
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
                "{rel} registers routes: add it to ROUTE_FILES in tests/api/security/mod.rs"
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
    let mut all = vec![
        ("jurisdiction", "california"),
        ("kind", "access"),
        ("agent", "yes"),
        ("agent_authority", "signed_permission"),
    ];
    all.extend_from_slice(fields);
    post_request_form_multipart(client, &format!("{base}/requests"), &page, &all, file).await
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

mod csrf;
mod injection;
mod links;
mod logging;
mod login_timing;
mod redirects;
mod staff_roles;
