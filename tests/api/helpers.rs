//! Test harness: `spawn_app` starts the real server on port 0 with its own database
//! (a temp SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set)
//! and a cookie-keeping client that drives it like a browser.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use dsar_portal::config::Settings;
use dsar_portal::state::AppState;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// SQLite always; PostgreSQL too when TEST_DATABASE_URL is set. Under CI the variable
/// is required, so a missing server fails the run instead of silently skipping.
pub fn backends() -> Vec<Backend> {
    let mut list = vec![Backend::Sqlite];
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => list.push(Backend::Postgres(url)),
        _ if std::env::var("CI").is_ok() => {
            panic!("CI is set but TEST_DATABASE_URL is not: the PostgreSQL suite must run")
        }
        _ => {}
    }
    list
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    pub backend: &'static str,
    pub data_dir: PathBuf,
    /// (email, one-time password) of the admin created at first start.
    pub first_admin: (String, String),
    _dir: tempfile::TempDir,
    pg_cleanup: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, db)) = self.pg_cleanup.take() {
            if let Ok(mut c) = diesel::PgConnection::establish(&admin_url) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}

pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        ..Settings::default()
    };
    s.organisation.name = "Test Org".into();
    s.organisation.contact_email = "privacy@test-org.example".into();
    s.worker.poll_milliseconds = 50;
    s.rate_limits.intake_per_minute = 1000;
    s.rate_limits.token_pages_per_minute = 1000;
    s.rate_limits.login_per_minute = 1000;
    s.identifiers = vec![dsar_portal::config::IdentifierConfig {
        name: "account_id".into(),
        label: "Account ID".into(),
        help: "Shown under Settings in your account".into(),
        required: false,
    }];
    s
}

fn fresh_postgres(admin_url: &str) -> (String, String) {
    let name = format!("dsar_test_{}", uuid_simple());
    let mut admin =
        diesel::PgConnection::establish(admin_url).expect("TEST_DATABASE_URL must be reachable");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    (format!("{base}/{name}{query}"), name)
}

fn uuid_simple() -> String {
    dsar_portal::clock::new_id().replace('-', "")
}

pub async fn spawn_app(backend: &Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: &Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = test_settings(dir.path());
    let mut pg_cleanup = None;
    if let Backend::Postgres(admin) = backend {
        let (url, name) = fresh_postgres(admin);
        settings.database_url = Some(url);
        pg_cleanup = Some((admin.clone(), name));
    }
    tweak(&mut settings);
    let data_dir = settings.data_dir.clone();
    let app = dsar_portal::Application::build(settings).expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    let first_admin = app
        .report
        .first_admin
        .clone()
        .expect("a fresh database gets an admin");
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        state,
        backend: backend.name(),
        data_dir,
        first_admin,
        _dir: dir,
        pg_cleanup,
    }
}

/// Runs `test` once per backend, each with a freshly spawned app.
pub async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        test(spawn_app(&backend).await).await;
    }
}

/// A received email, decoded.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn parse_email(raw: &[u8]) -> Email {
    let msg = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("parsable email");
    let to = msg
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_string();
    Email {
        to,
        subject: msg.subject().unwrap_or_default().to_string(),
        text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: msg.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
    }
}

/// Extracts the value of a hidden input from a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden field {name} in page"))
        + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_string()
}

/// The path of the first link in `text` that starts with `prefix` (e.g. "/verify/").
pub fn link_path(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in: {text}"));
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || "/-_".contains(c)))
        .unwrap_or(rest.len());
    rest[..end].to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(fields))
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// Opens the form for `jurisdiction` and submits `fields` with its CSRF token and
    /// submission id, like a browser would.
    pub async fn submit(&self, jurisdiction: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let (status, page) = self
            .get(&format!("/requests/new?jurisdiction={jurisdiction}"))
            .await;
        assert_eq!(status, 200, "form page");
        let csrf = hidden(&page, "csrf_token");
        let sid = hidden(&page, "submission_id");
        let mut all: Vec<(&str, &str)> = vec![
            ("csrf_token", &csrf),
            ("submission_id", &sid),
            ("jurisdiction", jurisdiction),
        ];
        all.extend_from_slice(fields);
        self.post_form("/requests", &all).await
    }

    /// Follows a page's form that needs only the CSRF token (verify, resend).
    pub async fn post_with_csrf(&self, page: &str, action: &str) -> (u16, String) {
        let csrf = hidden(page, "csrf_token");
        self.post_form(action, &[("csrf_token", &csrf)]).await
    }

    /// Waits until at least `n` emails were written, and returns them oldest first.
    pub async fn emails(&self, n: usize) -> Vec<Email> {
        let dir = self.data_dir.join("mail");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut files = eml_files(&dir);
            if files.len() >= n || Instant::now() > deadline {
                files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
                let emails: Vec<Email> = files
                    .iter()
                    .map(|p| parse_email(&std::fs::read(p).expect("read eml")))
                    .collect();
                assert!(
                    emails.len() >= n,
                    "expected {n} emails, found {} ({})",
                    emails.len(),
                    self.backend
                );
                return emails;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the one email that matches `pred` (file times are too coarse to order
    /// emails written in the same instant, so tests pick emails by content).
    pub async fn email_where(&self, what: &str, pred: impl Fn(&Email) -> bool) -> Email {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found: Vec<Email> = self
                .emails(0)
                .await
                .into_iter()
                .filter(|e| pred(e))
                .collect();
            match found.len() {
                1 => return found.into_iter().next().expect("one"),
                0 if Instant::now() < deadline => {
                    actix_web::rt::time::sleep(Duration::from_millis(50)).await
                }
                n => panic!("expected one email {what}, found {n} ({})", self.backend),
            }
        }
    }

    /// Adds a DRP agent to the directory, as the operator does with `agents add`.
    pub fn add_drp_agent(&self, id: &str, verify_key: &str) {
        let (id, key) = (id.to_owned(), verify_key.to_owned());
        self.db(move |c| {
            dsar_portal::flows::drp_directory::add_agent(
                c,
                &id,
                &format!("Agent {id}"),
                &key,
                "test",
                dsar_portal::clock::now(),
            )
            .expect("agent added")
        });
    }

    /// Runs blocking database code against the app's own pool.
    pub fn db<T>(&self, f: impl FnOnce(&mut dsar_portal::db::DbConn) -> T) -> T {
        let mut conn = self.state.pool.get().expect("connection");
        f(&mut conn)
    }

    pub fn exec(&self, sql: &str) {
        self.db(|c| c.batch_execute(sql).expect("sql"));
    }

    pub fn count(&self, table: &str) -> i64 {
        use diesel::sql_types::BigInt;
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        self.db(|c| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result::<N>(c)
                .expect("count")
                .n
        })
    }

    /// Files a request through the form, confirms the email, and returns the status
    /// page path.
    pub async fn file_and_verify(&self, jurisdiction: &str, kind: &str, email: &str) -> String {
        let (status, page) = self
            .submit(
                jurisdiction,
                &[("kind", kind), ("name", "Jane Doe"), ("email", email)],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let mail = self
            .email_where("to confirm", |m| {
                m.to == email && m.text.contains("/verify/")
            })
            .await;
        let verify = link_path(&mail.text, "/verify/");
        let (status, confirm) = self.get(&verify).await;
        assert_eq!(status, 200);
        let (status, done) = self.post_with_csrf(&confirm, &verify).await;
        assert_eq!(status, 200, "{done}");
        link_path(&done, "/status/")
    }
}

/// Files and verifies a request; returns (request id, status page path).
pub async fn verified(app: &TestApp, place: &str, kind: &str, email: &str) -> (String, String) {
    let status_path = app.file_and_verify(place, kind, email).await;
    let (_, page) = app.get(&status_path).await;
    let reference = link_path(&page, "DSR-");
    (app.request_id(&reference), status_path)
}

/// A logged-in staff member with their own cookie jar.
pub struct Staff {
    pub client: reqwest::Client,
    pub email: String,
    pub id: String,
    base: String,
}

pub const STAFF_PASSWORD: &str = "a perfectly long password";

impl Staff {
    /// A browser with no session yet (for login tests).
    pub fn anonymous(app: &TestApp) -> Staff {
        Staff {
            client: new_client(),
            email: String::new(),
            id: String::new(),
            base: app.address.clone(),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// Posts a form found on `page_path`, with that page's CSRF token added.
    pub async fn post(
        &self,
        page_path: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        let r = self.post_response(page_path, action, fields).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// `post`, answering the whole response (for its headers).
    pub async fn post_response(
        &self,
        page_path: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (_, page) = self.get(page_path).await;
        let csrf = hidden(&page, "csrf_token");
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(format!("{}{action}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&all))
            .send()
            .await
            .expect("POST")
    }

    /// Runs an action on a request page with the version the page shows.
    pub async fn act(&self, request_id: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let path = format!("/staff/requests/{request_id}");
        let (status, page) = self.get(&path).await;
        assert_eq!(status, 200, "{page}");
        let version = hidden(&page, "version");
        let mut all = vec![("version", version.as_str())];
        all.extend_from_slice(fields);
        self.post(&path, &format!("{path}/action"), &all).await
    }

    /// Runs an action that must be accepted (the answer leads back to the request).
    pub async fn act_ok(&self, request_id: &str, fields: &[(&str, &str)]) {
        let (status, page) = self.act(request_id, fields).await;
        assert_eq!(status, 303, "{fields:?}: {page}");
    }

    /// Posts an identity check by matching three data points; returns the answer.
    pub async fn record_identity_check(&self, request_id: &str) -> (u16, String) {
        self.act(
            request_id,
            &[
                ("action", "verify"),
                ("method", "data_points"),
                ("points", "name"),
                ("points", "account_id"),
                ("points", "postal_address"),
                ("declaration", "yes"),
            ],
        )
        .await
    }

    /// Records an identity check by matching data points, then fulfils the request;
    /// both steps must be accepted.
    pub async fn verify_and_fulfil(&self, request_id: &str) {
        let (s, page) = self.record_identity_check(request_id).await;
        assert_eq!(s, 303, "verify: {page}");
        let (s, page) = self
            .act(
                request_id,
                &[("action", "fulfil"), ("message", "Your data is attached.")],
            )
            .await;
        assert_eq!(s, 303, "fulfil: {page}");
    }
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    /// Creates an account with a known password and logs it in.
    pub async fn staff(&self, role: &str) -> Staff {
        self.staff_with_jar(role).await.0
    }

    /// Like `staff`, with the browser's cookie jar, so a test can copy the session
    /// cookie out of it (to replay it as an attacker who captured it would).
    pub async fn staff_with_jar(
        &self,
        role: &str,
    ) -> (Staff, std::sync::Arc<reqwest::cookie::Jar>) {
        let email = format!("{role}-{}@staff.example", &uuid_simple()[20..]);
        let state = self.state.clone();
        let e = email.clone();
        let role = dsar_portal::domain::roles::Role::parse(role).expect("role");
        let (row, _) = self.db(move |c| {
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
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let staff = Staff {
            client: crate::session_helpers::client_with_jar(jar.clone()),
            email: email.clone(),
            id: row.id,
            base: self.address.clone(),
        };
        let (status, _) = staff
            .post(
                "/staff/login",
                "/staff/login",
                &[("email", &email), ("password", STAFF_PASSWORD)],
            )
            .await;
        assert_eq!(status, 303, "login");
        (staff, jar)
    }

    /// The id of the one request a test filed.
    pub fn only_request_id(&self) -> String {
        use diesel::prelude::*;
        use dsar_portal::db::schema::requests as r;
        self.db(|c| r::table.select(r::id).first(c).expect("a request"))
    }

    /// The id of the request with `reference`.
    pub fn request_id(&self, reference: &str) -> String {
        use diesel::prelude::*;
        use dsar_portal::db::schema::requests as r;
        let wanted = reference.to_string();
        self.db(move |c| {
            r::table
                .filter(r::reference.eq(wanted))
                .select(r::id)
                .first(c)
                .expect("request")
        })
    }

    /// One retention pass as the worker runs it, at `at`; returns how many requests
    /// lost their personal data.
    pub fn run_retention(&self, at: chrono::NaiveDateTime) -> usize {
        let state = self.state.clone();
        self.db(move |c| {
            dsar_portal::jobs::retention::purge_expired(&state, c, at, 100).expect("retention")
        })
    }

    /// A column of one request, as text (tests read state the pages do not show).
    pub fn request_field(&self, id: &str, column: &str) -> Option<String> {
        use diesel::sql_types::{Nullable, Text};
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct V {
            #[diesel(sql_type = Nullable<Text>)]
            v: Option<String>,
        }
        let sql = format!("SELECT CAST({column} AS TEXT) AS v FROM requests WHERE id = '{id}'");
        self.db(|c| diesel::sql_query(sql).get_result::<V>(c).expect("field").v)
    }
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

// --- Reliability suite (tests/api/reliability.rs) -------------------------------------

/// A database for a portal that a reliability test runs as a separate process: `url` is
/// None on SQLite (the portal's default file in its data folder), or a fresh PostgreSQL
/// database that is dropped with this guard.
pub struct RelDatabase {
    pub url: Option<String>,
    cleanup: Option<(String, String)>,
}

impl Drop for RelDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, db)) = self.cleanup.take() {
            if let Ok(mut c) = diesel::PgConnection::establish(&admin_url) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}

pub fn rel_database(backend: &Backend) -> RelDatabase {
    match backend {
        Backend::Sqlite => RelDatabase {
            url: None,
            cleanup: None,
        },
        Backend::Postgres(admin) => {
            let (url, name) = fresh_postgres(admin);
            RelDatabase {
                url: Some(url),
                cleanup: Some((admin.clone(), name)),
            }
        }
    }
}

/// A second portal instance on `first`'s database, sharing its data folder (keys, so it
/// can read what the first encrypted, and the `.eml` folder). The first app drops the
/// database; drop this one first.
pub async fn rel_spawn_second(first: &TestApp, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = test_settings(&first.data_dir);
    settings.database_url = first.state.settings.database_url.clone();
    tweak(&mut settings);
    let data_dir = settings.data_dir.clone();
    let app = dsar_portal::Application::build(settings).expect("second instance builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: new_client(),
        state,
        backend: first.backend,
        data_dir,
        first_admin: first.first_admin.clone(),
        _dir: dir,
        pg_cleanup: None,
    }
}

// ---- Added for tests/api/security.rs ----

/// A fresh PostgreSQL database next to the one `admin_url` names: (url, name). Drop it
/// with [`drop_postgres_database`] (for servers started outside `spawn_app`).
pub fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    fresh_postgres(admin_url)
}

pub fn drop_postgres_database(admin_url: &str, name: &str) {
    if let Ok(mut c) = diesel::PgConnection::establish(admin_url) {
        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

impl Staff {
    /// A browser with no session yet for a server at `base` (e.g. the real binary
    /// started as a subprocess, which has no `TestApp`).
    pub fn anonymous_at(base: &str) -> Staff {
        Staff {
            client: new_client(),
            email: String::new(),
            id: String::new(),
            base: base.to_string(),
        }
    }
}

/// The finished `.eml` files in a mail folder (the portal writes each under a temporary
/// name first and renames it into place).
pub fn eml_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default()
}

/// The boundary of the multipart bodies `multipart_body` builds.
pub const MULTIPART_BOUNDARY: &str = "----dsarTestBoundaryQ3x9f7";

/// The Content-Type header that goes with `multipart_body`.
pub fn multipart_content_type() -> String {
    format!("multipart/form-data; boundary={MULTIPART_BOUNDARY}")
}

/// A multipart/form-data body as a browser writes it: the text fields, then the file (if
/// any) in the request form's `agent_document` input.
pub fn multipart_body(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, value) in fields {
        b.extend_from_slice(format!("--{MULTIPART_BOUNDARY}\r\n").as_bytes());
        b.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        b.extend_from_slice(value.as_bytes());
        b.extend_from_slice(b"\r\n");
    }
    if let Some((filename, bytes)) = file {
        b.extend_from_slice(format!("--{MULTIPART_BOUNDARY}\r\n").as_bytes());
        b.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"agent_document\"; \
                 filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{MULTIPART_BOUNDARY}--\r\n").as_bytes());
    b
}

/// A port nothing listens on at the moment of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Plain SMTP (no TLS, no login) on this machine's `port`.
pub fn local_smtp(port: u16) -> dsar_portal::config::SmtpSettings {
    dsar_portal::config::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: "none".into(),
        username: None,
        password_env: None,
        password_file: None,
        timeout_seconds: 5,
    }
}

/// A webhook connector named `name` calling `base_url`, unsigned until a test sets
/// its secret; the Matomo fields keep their neutral values.
pub fn webhook_config(name: &str, base_url: &str) -> dsar_portal::config::ConnectorConfig {
    dsar_portal::config::ConnectorConfig {
        name: name.into(),
        kind: "webhook".into(),
        url_env: None,
        url_file: None,
        table_prefix: String::new(),
        site_ids: Vec::new(),
        user_id_from: "email".into(),
        user_id_salt_env: None,
        purge_orphaned_actions: false,
        search_user_id_column: true,
        batch_size: 100,
        base_url: Some(base_url.into()),
        token_env: None,
        token_file: None,
        timeout_seconds: 5,
    }
}
