//! Manual systems: tasks for the systems nobody can automate.
//!
//! Each test spawns its own portal (SQLite in a temp dir, and PostgreSQL in a fresh
//! database when `TEST_DATABASE_URL` is set) with one manual system, `crm`, whose
//! owner is a staff account created here.

mod closing;
mod creation;
mod erasure_note;
mod export_upload;
mod reminders;
mod stale_and_roles;

use crate::helpers::*;
use diesel::prelude::*;
use dsar_portal::config::ConnectorConfig;
use dsar_portal::db::models::manual_tasks::{self as tasks, TaskRow};
use dsar_portal::domain::roles::Role;

pub const OWNER: &str = "crm-lead@staff.example";
pub const INSTRUCTIONS: &str =
    "Export the contact from Salesforce: Reports, Contacts, Export as CSV.";

/// A portal with the manual system `crm` owned by `OWNER`, due 5 days early.
pub async fn app_with_crm(backend: &Backend) -> TestApp {
    spawn_app_with(backend, |s| {
        s.connectors.push(ConnectorConfig {
            name: "crm".into(),
            kind: "manual".into(),
            owner: Some(OWNER.into()),
            instructions: Some(INSTRUCTIONS.into()),
            days_before_due: 5,
            ..ConnectorConfig::default()
        })
    })
    .await
}

/// The account `email` with `role`, logged in.
pub async fn account(app: &TestApp, email: &str, role: Role) -> Staff {
    let state = app.state.clone();
    let e = email.to_string();
    let (row, _) = app.db(move |c| {
        dsar_portal::staff::accounts::create(
            c,
            &state.hasher,
            &e,
            role,
            Some(STAFF_PASSWORD),
            "test",
            dsar_portal::clock::now(),
        )
        .expect("create staff")
    });
    let mut staff = Staff::anonymous(app);
    let (status, _) = staff.login(email, STAFF_PASSWORD).await;
    assert_eq!(status, 303, "login");
    staff.id = row.id;
    staff.email = email.into();
    staff
}

/// A request of `kind` whose email and identity are verified (the owner must exist
/// before, so the task is theirs); returns its id.
pub async fn verified_request(app: &TestApp, handler: &Staff, kind: &str) -> String {
    let (id, _) = verified(app, "eu", kind, "jane@example.com").await;
    let (s, page) = handler.record_identity_check(&id).await;
    assert_eq!(s, 303, "verify: {page}");
    id
}

pub fn tasks_of(app: &TestApp, request_id: &str) -> Vec<TaskRow> {
    let id = request_id.to_string();
    app.db(move |c| tasks::for_request(c, &id).expect("tasks"))
}

/// The audit actions recorded on a request, in order, with their details.
pub fn audit_of(app: &TestApp, request_id: &str) -> Vec<(String, String)> {
    use dsar_portal::db::schema::audit_events as a;
    let id = request_id.to_string();
    app.db(move |c| {
        a::table
            .filter(a::request_id.eq(id))
            .order(a::seq.asc())
            .select((a::action, a::detail))
            .load(c)
            .expect("audit")
    })
}

/// Posts a multipart form to `action` with the CSRF token of `page_path` and `fields`.
pub async fn post_file(
    app: &TestApp,
    who: &Staff,
    page_path: &str,
    action: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> (u16, String) {
    let (_, page) = who.get(page_path).await;
    let csrf = hidden(&page, "csrf_token");
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    let r = who
        .client
        .post(app.url(action))
        .header("content-type", multipart_content_type())
        .header("origin", app.address.as_str())
        .body(multipart_body_with(&all, "file", Some(file)))
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}
