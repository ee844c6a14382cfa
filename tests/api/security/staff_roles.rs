//! Role escalation: every staff route enforces login and the member's role.

use super::*;

/// The staff routes open to anyone: the login page, its form, and the sign-in through
/// the identity provider (its refusals are tested in tests/api/staff_oidc/).
const PUBLIC_STAFF_ROUTES: &[(&str, &str)] = &[
    ("GET", "/staff/login"),
    ("POST", "/staff/login"),
    ("GET", "/staff/login/oidc"),
    ("GET", "/staff/login/oidc/callback"),
];

/// Every staff route except the public ones, with whether auditors and handlers may
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
    ("GET", "/staff/templates", true, true),
    ("GET", "/staff/templates/new", false, false),
    ("GET", "/staff/templates/{id}", false, false),
    ("POST", "/staff/templates", false, false),
    ("POST", "/staff/templates/{id}", false, false),
    ("POST", "/staff/templates/{id}/delete", false, false),
    ("GET", "/staff/queue.csv", true, true),
    ("POST", "/staff/queue/bulk", false, true),
    ("POST", "/staff/requests/{id}/messages", false, true),
    ("POST", "/staff/requests/{id}/tasks", false, true),
    ("GET", "/staff/tasks", true, true),
    ("GET", "/staff/tasks/{id}", true, true),
    ("POST", "/staff/tasks/{id}/files", false, true),
    ("POST", "/staff/tasks/{id}/done", false, true),
    ("POST", "/staff/tasks/{id}/reassign", false, true),
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
        "/staff/requests/{id}/messages" => vec![("body", v("Please send a copy of your ID."))],
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
    // Guard: the matrix covers every staff route but the public ones.
    let public: BTreeSet<(String, String)> = PUBLIC_STAFF_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let (open, staff_routes): (BTreeSet<_>, BTreeSet<_>) = registered(ROUTE_FILES[1].1)
        .into_iter()
        .partition(|route| public.contains(route));
    assert_eq!(
        open, public,
        "a public staff route is gone: update PUBLIC_STAFF_ROUTES"
    );
    let listed: BTreeSet<(String, String)> = STAFF_MATRIX
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        staff_routes, listed,
        "a staff route was added or removed: update STAFF_MATRIX in tests/api/security/staff_roles.rs"
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
