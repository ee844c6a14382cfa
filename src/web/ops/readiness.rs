//! `GET /readyz`: can this instance do its work right now?
//!
//! Checks, each with a short time limit so that a hanging dependency answers "timeout"
//! instead of hanging the load balancer's probe:
//! - `database`: a query through the pool (every request needs it);
//! - `mail`: with SMTP, a connection and EHLO (STARTTLS when configured, no login);
//!   with `.eml` files, that the mail folder takes a file;
//! - `connector:<name>`: each configured connector's own connection check; one that
//!   could not be built from its configuration is `misconfigured`.
//!
//! The answer is 200 `{"status":"ready","checks":{…}}` or 503 with `"not_ready"`. It names
//! each check and a one-word verdict, never the reason (that goes to the log): reasons
//! can carry host names and server replies, and this endpoint needs no login.
//!
//! Every check runs on a thread of its own and is waited for at most `CHECK_TIMEOUT`.
//! A check that hangs past it (a database whose network path stalls after the connection
//! was made: the pool's wait has a limit, the query itself none) answers "timeout", and
//! is not started again while it still hangs: later probes answer "timeout" at once, so
//! stalled checks hold one thread (and for the database one connection) each, however
//! often the load balancer probes.
//!
//! Mail and connector checks reach other systems, so their verdicts are kept for
//! `EXTERNAL_TTL`: a load balancer probing every second does not become a stream of SMTP
//! connections. The database is asked at every probe. `?exclude=mail` (or `connectors`, or `connector:<name>`) leaves checks
//! out, for a load balancer that should keep serving when only those are down.

use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// How long the verdict of a check against another system is reused.
pub const EXTERNAL_TTL: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Failed,
    Timeout,
    Misconfigured,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Failed => "failed",
            Verdict::Timeout => "timeout",
            Verdict::Misconfigured => "misconfigured",
        }
    }
}

/// Recent verdicts of external checks, and which checks are still running (a check
/// that hangs past its time limit is not started a second time).
#[derive(Default)]
pub struct Cache {
    verdicts: Mutex<HashMap<String, (Instant, Verdict)>>,
    running: Arc<Mutex<HashSet<String>>>,
}

pub async fn show(
    state: web::Data<AppState>,
    ops: web::Data<super::Ops>,
    req: HttpRequest,
) -> HttpResponse {
    let excluded: Vec<String> = crate::web::form_pairs(req.query_string().as_bytes())
        .into_iter()
        .filter(|(k, _)| k == "exclude")
        .map(|(_, v)| v)
        .collect();
    let checks = web::block(move || run_checks(&state, &ops.readiness, &excluded))
        .await
        .unwrap_or_else(|_| BTreeMap::from([("checks".to_string(), Verdict::Failed)]));
    let ready = checks.values().all(|v| *v == Verdict::Ok);
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": checks
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect::<Map<String, Value>>(),
    });
    let mut answer = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    answer
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body)
}

fn is_excluded(name: &str, excluded: &[String]) -> bool {
    excluded
        .iter()
        .any(|e| e == name || (e == "connectors" && name.starts_with("connector:")))
}

/// Runs the checks (blocking; on actix's thread pool), all in parallel.
fn run_checks(state: &AppState, cache: &Cache, excluded: &[String]) -> BTreeMap<String, Verdict> {
    let mut checks = BTreeMap::new();
    let mut pending = Vec::new();
    if !is_excluded("mail", excluded) {
        let settings = state.settings.clone();
        pending.push(cache.start("mail", EXTERNAL_TTL, move || check_mail(&settings)));
    }
    for (name, built) in &state.connectors {
        let key = format!("connector:{name}");
        if is_excluded(&key, excluded) {
            continue;
        }
        match built {
            Err(problem) => {
                tracing::warn!(check = %key, "not ready: {problem}");
                checks.insert(key, Verdict::Misconfigured);
            }
            Ok(connector) => {
                let connector = connector.clone();
                pending.push(cache.start(&key, EXTERNAL_TTL, move || {
                    connector.check().map_err(|e| e.to_string())
                }));
            }
        }
    }
    if !is_excluded("database", excluded) {
        let pool = state.pool.clone();
        pending.push(cache.start("database", Duration::ZERO, move || check_database(&pool)));
    }
    for started in pending {
        let (name, verdict) = cache.finish(started);
        checks.insert(name, verdict);
    }
    checks
}

fn check_database(pool: &crate::db::DbPool) -> Result<(), String> {
    use crate::db::schema::audit_head;
    use diesel::prelude::*;
    // r2d2 retries a refused connection until its wait ends and only then says why: a
    // wait shorter than the check's limit reports a database that is down as "failed",
    // not as "timeout".
    let mut conn = pool
        .get_timeout(CHECK_TIMEOUT * 2 / 3)
        .map_err(|e| e.to_string())?;
    audit_head::table
        .count()
        .get_result::<i64>(&mut conn)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn check_mail(settings: &crate::config::Settings) -> Result<(), String> {
    match &settings.mail.smtp {
        None => {
            // The worker writes `.eml` files here: prove a file can be created.
            let probe = settings
                .mail_dir()
                .join(format!(".readyz-{}.probe", crate::clock::new_id()));
            crate::private_fs::write_new(&probe, b"").map_err(|e| format!("mail folder: {e}"))?;
            std::fs::remove_file(&probe).map_err(|e| format!("mail folder: {e}"))
        }
        Some(smtp) => {
            // Connect and say hello, without logging in: that needs no password and
            // leaves no failed-login trail on the server.
            let mut probe = settings.clone();
            if let Some(s) = probe.mail.smtp.as_mut() {
                s.username = None;
                s.timeout_seconds = s.timeout_seconds.min(CHECK_TIMEOUT.as_secs());
            }
            let mailer = crate::mail::Mailer::from_settings(&probe)
                .map_err(|e| format!("SMTP {}:{}: {e}", smtp.host, smtp.port))?;
            mailer
                .test_connection()
                .map_err(|e| format!("SMTP {}:{}: {e}", smtp.host, smtp.port))
        }
    }
}

/// A check running on its own thread, or a verdict already known.
pub enum Started {
    Known(String, Verdict),
    Running(String, mpsc::Receiver<Verdict>, Instant),
}

impl Cache {
    /// Starts `check` on its own thread unless a verdict younger than `reuse` is cached
    /// or an earlier run is still going (which then counts as a timeout).
    fn start(
        &self,
        name: &str,
        reuse: Duration,
        check: impl FnOnce() -> Result<(), String> + Send + 'static,
    ) -> Started {
        if let Some(v) = self.fresh(name, reuse) {
            return Started::Known(name.to_string(), v);
        }
        let Ok(mut running) = self.running.lock() else {
            return Started::Known(name.to_string(), Verdict::Failed);
        };
        if !running.insert(name.to_string()) {
            return Started::Known(name.to_string(), Verdict::Timeout);
        }
        drop(running);
        let (tx, rx) = mpsc::channel();
        let (owned, registry) = (name.to_string(), self.running.clone());
        // A plain thread: connectors run their own async runtime, which must not be
        // started from a thread that belongs to another one.
        let spawned = std::thread::Builder::new()
            .name("readyz-check".into())
            .spawn(move || {
                let verdict = match check() {
                    Ok(()) => Verdict::Ok,
                    Err(problem) => {
                        tracing::warn!(check = %owned, "not ready: {problem}");
                        Verdict::Failed
                    }
                };
                if let Ok(mut r) = registry.lock() {
                    r.remove(&owned);
                }
                let _ = tx.send(verdict);
            });
        match spawned {
            Ok(_) => Started::Running(name.to_string(), rx, Instant::now()),
            Err(_) => {
                if let Ok(mut r) = self.running.lock() {
                    r.remove(name);
                }
                Started::Known(name.to_string(), Verdict::Failed)
            }
        }
    }

    /// Waits for a started check (within its time limit) and remembers the verdict.
    fn finish(&self, started: Started) -> (String, Verdict) {
        match started {
            Started::Known(name, v) => (name, v),
            Started::Running(name, rx, since) => {
                let left = CHECK_TIMEOUT.saturating_sub(since.elapsed());
                let verdict = rx.recv_timeout(left).unwrap_or_else(|_| {
                    tracing::warn!(check = %name, "not ready: no answer within {CHECK_TIMEOUT:?}");
                    Verdict::Timeout
                });
                if let Ok(mut cached) = self.verdicts.lock() {
                    cached.insert(name.clone(), (Instant::now(), verdict));
                }
                (name, verdict)
            }
        }
    }

    fn fresh(&self, name: &str, reuse: Duration) -> Option<Verdict> {
        let cached = self.verdicts.lock().ok()?;
        cached
            .get(name)
            .filter(|(at, _)| at.elapsed() < reuse)
            .map(|(_, v)| *v)
    }
}
