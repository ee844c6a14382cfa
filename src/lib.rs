//! dsar-portal: a self-hosted portal for data-subject-rights requests.
//!
//! `Application::build` turns settings into a bound server and a worker; `main.rs`
//! adds the command line. See docs/ARCHITECTURE.md for how a request flows through.

pub mod backoff;
pub mod branding;
pub mod clients;
pub mod clock;
pub mod config;
pub mod connectors;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod drp;
pub mod error;
pub mod flows;
pub mod i18n;
pub mod jobs;
pub mod json_body;
pub mod languages;
pub mod mail;
pub mod ops;
pub mod package;
pub mod private_fs;
pub mod sensitive;
pub mod shutdown;
pub mod staff;
pub mod state;
pub mod templates;
pub mod views;
pub mod web;

use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::{web as aw, App, HttpServer};
use anyhow::Context;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

/// What start-up did, for the operator (printed by `serve`).
#[derive(Debug, Clone)]
pub struct StartupReport {
    pub address: String,
    pub database: String,
    pub mail: String,
    pub data_dir: PathBuf,
    pub keys_created: Vec<PathBuf>,
    pub migrations_applied: usize,
    /// (email, one-time password) of the admin created on this first start.
    pub first_admin: Option<(String, String)>,
}

pub struct Application {
    server: Server,
    port: u16,
    worker: Option<jobs::Worker>,
    /// When a signal asked the portal to stop: the worker's grace counts from then.
    stop_began: Arc<std::sync::OnceLock<std::time::Instant>>,
    pub state: Arc<state::AppState>,
    pub report: StartupReport,
}

/// Creates the data folder, owner-only: it holds the database, keys and outgoing mail.
/// One that already exists readable by others is brought to 0700, loudly: a local
/// account could otherwise read the database or a live link in an `.eml` file.
pub fn ensure_data_dir(settings: &config::Settings) -> anyhow::Result<()> {
    let dir = &settings.data_dir;
    if dir.exists() && private_fs::readable_by_others(dir) {
        tracing::warn!(
            data_dir = %dir.display(),
            "the data folder was readable by other accounts on this machine; it is now owner-only (0700)"
        );
    }
    private_fs::ensure_dir(dir)
        .with_context(|| format!("cannot create the data folder {}", dir.display()))
}

/// Opens the database pool and applies migrations (used by `serve` and `migrate`).
pub fn prepare_database(settings: &config::Settings) -> anyhow::Result<(db::DbPool, usize)> {
    ensure_data_dir(settings)?;
    let url = settings.database_url();
    if db::Backend::from_url(&url) == db::Backend::Sqlite {
        let path = std::path::Path::new(url.trim_start_matches("sqlite://"));
        if !url.contains(":memory:") {
            private_fs::prepare_sqlite_file(path)?;
        }
    }
    let pool = db::build_pool(&url, settings.database_pool_size)?;
    let mut conn = pool.get().context("cannot open a database connection")?;
    let applied = db::run_migrations(&mut conn)?;
    Ok((pool, applied))
}

impl Application {
    pub fn build(settings: config::Settings) -> anyhow::Result<Application> {
        ensure_data_dir(&settings)?;
        let (keys, keys_created) = crypto::Keys::load(&settings.key_sources())?;
        let (pool, migrations_applied) = prepare_database(&settings)?;
        let mailer = mail::Mailer::from_settings(&settings)?;
        if settings.mail.smtp.is_none() && settings.uses_tls() {
            // A public portal writing mail to files: each holds live links until
            // housekeeping deletes it.
            tracing::warn!(
                mail_dir = %settings.mail_dir().display(),
                keep_days = settings.mail.eml_keep_days,
                "no SMTP server is set: emails are written as .eml files holding live verification, status and download links; they are deleted after mail.eml_keep_days"
            );
        }
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let local = listener.local_addr()?;
        let report = StartupReport {
            address: format!("http://{local}"),
            database: describe_database(&settings.database_url()),
            mail: match &settings.mail.smtp {
                Some(s) => format!("SMTP {}:{}", s.host, s.port),
                None => format!(".eml files in {}", settings.mail_dir().display()),
            },
            data_dir: settings.data_dir.clone(),
            keys_created,
            migrations_applied,
            first_admin: None,
        };
        let worker_enabled = settings.worker.enabled;
        let tls = settings.uses_tls();
        let state = Arc::new(state::AppState::new(settings, pool, &keys)?);
        let mut report = report;
        report.first_admin = {
            let s = &state.settings;
            let email = staff::accounts::first_admin_email(s);
            let mut conn = state.pool.get()?;
            staff::accounts::ensure_first_admin(&mut conn, &state.hasher, &email, clock::now())
                .map_err(|e| {
                    anyhow::anyhow!("cannot create the first admin: {}", e.public_message())
                })?
        };
        let data = aw::Data::from(state.clone());
        let ops = aw::Data::new(web::ops::Ops::new(&state.settings)?);
        let session_key = Key::from(&keys.session);
        // actix's default: one HTTP worker per core.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let max_connections = state.settings.limits.max_connections;
        web::fd_limit::raise(max_connections);
        let server = HttpServer::new(move || {
            let session =
                SessionMiddleware::builder(CookieSessionStore::default(), session_key.clone())
                    .cookie_name(session_cookie_name(tls).into())
                    .cookie_secure(tls)
                    .cookie_http_only(true)
                    .cookie_same_site(SameSite::Strict)
                    .cookie_content_security(CookieContentSecurity::Private)
                    .session_lifecycle(BrowserSession::default())
                    .build();
            App::new()
                .app_data(data.clone())
                .app_data(ops.clone())
                .app_data(aw::PayloadConfig::new(web::MAX_BODY))
                // Innermost: bodies get a deadline, and one address a bounded number of
                // requests in progress, before any handler or extractor runs.
                .wrap(actix_web::middleware::from_fn(web::body_deadline::bound))
                .wrap(actix_web::middleware::from_fn(web::client_slots::hold))
                // Paths carry secret tokens: log the route pattern, never the path.
                .wrap(
                    actix_web::middleware::Logger::new("%{route}xi %s %Dms")
                        .custom_request_replace("route", |req| {
                            req.match_pattern().unwrap_or_else(|| "(no route)".into())
                        }),
                )
                // Inside `localise`, so an error page speaks the language chosen here.
                .wrap(actix_web::middleware::from_fn(web::language::remember))
                .wrap(actix_web::middleware::from_fn(web::error_pages::localise))
                .wrap(actix_web::middleware::from_fn(
                    web::ops::http_metrics::record,
                ))
                .wrap(web::headers::security_headers(tls))
                .wrap(session)
                .configure(web::routes)
                .default_service(aw::to(|| async {
                    Err::<actix_web::HttpResponse, _>(error::AppError::NotFound)
                }))
        })
        .workers(workers)
        .max_connections(max_connections.div_ceil(workers))
        .listen(listener)?
        // `shutdown` handles the signals and says how the portal stops.
        .disable_signals()
        .shutdown_timeout(shutdown::GRACE.as_secs())
        .run();
        let worker = worker_enabled.then(|| jobs::Worker::start(state.clone(), mailer));
        Ok(Application {
            server,
            port: local.port(),
            stop_began: Arc::default(),
            worker,
            state,
            report,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then stops as `shutdown` describes (`serve`).
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let stopper = self.worker.as_ref().map(jobs::Worker::stopper);
        let began = self.stop_began.clone();
        actix_web::rt::spawn(async move {
            shutdown::signalled().await;
            let _ = began.set(std::time::Instant::now());
            tracing::info!(
                grace_seconds = shutdown::GRACE.as_secs(),
                "stopping: no new connections or jobs; work in progress may finish"
            );
            if let Some(stop) = stopper {
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            handle.stop(true).await;
        });
        self.run_until_stopped().await
    }

    /// Serves until the server stops (a handle's `stop`, or the signal), then stops the
    /// worker within the grace and leaves the SQLite WAL empty.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        // No request runs any more; the worker's grace counts from the signal.
        let deadline =
            *self.stop_began.get().unwrap_or(&std::time::Instant::now()) + shutdown::GRACE;
        let (worker, state) = (self.worker, self.state);
        let stopped = actix_web::rt::task::spawn_blocking(move || {
            if let Some(w) = worker {
                w.stop_by(deadline);
            }
            state.checkpointer.stop();
        })
        .await;
        if stopped.is_err() {
            tracing::warn!("the worker or the last WAL checkpoint failed while stopping");
        }
        result
    }
}

/// Under https the session cookie takes the `__Host-` prefix: browsers then accept it
/// only if it is Secure, for Path=/ and without a Domain (as actix-session sets it), so
/// a sibling subdomain or a plain-http page cannot plant or overwrite it. Over plain
/// http (a local trial) a Secure cookie would not be kept, so the prefix cannot be used.
pub fn session_cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-dsar_session"
    } else {
        "dsar_session"
    }
}

/// A database URL without its password, for messages.
pub fn describe_database(url: &str) -> String {
    match db::Backend::from_url(url) {
        db::Backend::Sqlite => format!("SQLite {url}"),
        db::Backend::Postgres => {
            let redacted = match (url.find("://"), url.rfind('@')) {
                (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
                _ => url.to_string(),
            };
            format!("PostgreSQL {redacted}")
        }
    }
}
