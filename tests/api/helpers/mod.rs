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

/// The URL of a test server named by `var`, or `None` (with a note) to skip `suite`.
/// Under CI the variable is required: a missing server fails instead of skipping.
pub fn server_url(var: &str, suite: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok() => {
            panic!("CI is set but {var} is not: {suite} must run")
        }
        _ => {
            eprintln!("skipping {suite}: {var} is not set");
            None
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
    let client = new_client();
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
pub fn encode(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

// --- Reliability suite (tests/api/reliability.rs) -------------------------------------

mod app;
mod connector_inputs;
mod fake_server;
mod fixtures;
mod forms;
mod package;
mod processes;
mod staff;

pub use app::*;
pub use connector_inputs::*;
pub use fake_server::FakeServer;
pub use fixtures::*;
pub use forms::*;
pub use package::Package;
pub use processes::*;
pub use staff::*;
