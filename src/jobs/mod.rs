//! The background worker: one thread per portal instance that sends the outbox and
//! runs periodic housekeeping. Everything it does is claimed in the database, so
//! several instances on one PostgreSQL never do the same work twice.

pub mod reminders;
pub mod retention;
pub mod send_mail;
pub mod task_reminders;

use crate::mail::Mailer;
use crate::state::AppState;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Handle to stop the worker and wait for it.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
    /// To release, at stop, the jobs of threads still busy.
    pool: crate::db::DbPool,
}

impl Worker {
    pub fn start(state: Arc<AppState>, mailer: Mailer) -> Worker {
        let stop = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        let pool = state.pool.clone();
        // Mail and housekeeping on one thread, connector runs on another: a slow
        // analytics query must never hold up an email.
        let (s1, f1) = (state.clone(), stop.clone());
        let mail = std::thread::Builder::new()
            .name("dsar-worker".into())
            .spawn(move || run(&s1, &mailer, &f1));
        let (s2, f2) = (state, stop.clone());
        let runs = std::thread::Builder::new()
            .name("dsar-connectors".into())
            .spawn(move || run_connectors(&s2, &f2));
        for h in [mail, runs] {
            match h {
                Ok(h) => handles.push(h),
                Err(_) => tracing::error!("could not start a worker thread"),
            }
        }
        Worker {
            stop,
            handles,
            pool,
        }
    }

    /// Asks the threads to take no new work; they finish what they hold and end.
    pub fn stopper(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Stops the threads and waits for them until `deadline`. A thread still busy then
    /// (an email to a server that does not answer, a long connector call) is left to end
    /// with the process, and the job it claimed is released (`db::lease`), so the next
    /// start takes it up at once; should the release fail, the job waits for its lease to
    /// lapse. Returns how many threads were left.
    pub fn stop_by(mut self, deadline: Instant) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        while Instant::now() < deadline && self.handles.iter().any(|h| !h.is_finished()) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let (done, busy): (Vec<_>, Vec<_>) = self.handles.drain(..).partition(|h| h.is_finished());
        for h in done {
            let _ = h.join();
        }
        if busy.is_empty() {
            return 0;
        }
        let threads: Vec<_> = busy.iter().map(|h| h.thread().id()).collect();
        // A short wait: a database that is gone must not hold the stop up.
        let released = self
            .pool
            .get_timeout(Duration::from_secs(1))
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                crate::db::queued_write(&mut conn, |c| {
                    crate::db::lease::release_last_claims(c, &threads)
                })
                .map_err(|e| e.to_string())
            });
        match released {
            Ok(jobs) => tracing::warn!(
                threads = busy.len(),
                released_jobs = jobs,
                "worker threads still busy at stop; their jobs were released for the next start"
            ),
            Err(e) => tracing::warn!(
                threads = busy.len(),
                error = %e,
                "worker threads still busy at stop; their jobs are taken up again when their leases lapse"
            ),
        }
        busy.len()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Key of the PostgreSQL advisory lock held during a housekeeping pass.
pub const HOUSEKEEPING_LOCK: i64 = 4217302;

/// The periodic passes; each is idempotent, so a crash or restart between them is harmless.
/// On PostgreSQL one instance of a cluster runs them at a time: the others find the
/// advisory lock taken and skip that minute's pass. Returns whether this call ran them.
pub fn housekeeping(state: &AppState) -> bool {
    let Ok(mut conn) = state.pool.get() else {
        tracing::warn!("database unavailable; housekeeping postponed");
        return false;
    };
    match try_lock(&mut conn, "pg_try_advisory_lock") {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::warn!(error = %e, "housekeeping lock unavailable; pass postponed");
            return false;
        }
    }
    housekeeping_passes(state, &mut conn);
    // A session lock: released here, or by the server when the connection closes.
    if let Err(e) = try_lock(&mut conn, "pg_advisory_unlock") {
        tracing::warn!(error = %e, "could not release the housekeeping lock");
    }
    true
}

/// Calls `pg_try_advisory_lock` or `pg_advisory_unlock` on PostgreSQL; SQLite has one
/// instance per file and needs no lock (true).
fn try_lock(conn: &mut crate::db::DbConn, function: &str) -> diesel::QueryResult<bool> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Answer {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ok: bool,
    }
    match conn {
        crate::db::DbConn::Pg(pg) => diesel::sql_query(format!("SELECT {function}($1) AS ok"))
            .bind::<diesel::sql_types::BigInt, _>(HOUSEKEEPING_LOCK)
            .get_result::<Answer>(pg)
            .map(|a| a.ok),
        crate::db::DbConn::Sqlite(_) => Ok(true),
    }
}

fn housekeeping_passes(state: &AppState, conn: &mut crate::db::DbConn) {
    let now = crate::clock::now();
    let report = |what: &str, r: Result<usize, crate::error::AppError>| match r {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "{what}"),
        Err(e) => tracing::warn!(error = %e.public_message(), "{what}: pass failed"),
    };
    report(
        "closed unverified requests",
        crate::flows::expiry::close_unverified(state, conn, now, 200),
    );
    report(
        "queued deadline reminders",
        reminders::send_reminders(state, conn, now),
    );
    report(
        "queued manual task reminders",
        task_reminders::send(state, conn, now),
    );
    report(
        "queued staff digests",
        reminders::send_digests(state, conn, now),
    );
    report(
        "removed personal data past retention",
        retention::purge_expired(state, conn, now, 200),
    );
    report(
        "forgot DRP bodies past their replay window",
        crate::db::models::drp::forget_replays_before(conn, now).map_err(Into::into),
    );
    let staff = &state.settings.staff;
    let idle_since = now - chrono::Duration::minutes(staff.session_idle_minutes);
    let opened_before = now - chrono::Duration::hours(staff.session_absolute_hours);
    report(
        "removed expired staff sessions",
        crate::db::models::staff_sessions::delete_expired(conn, idle_since, opened_before)
            .map_err(Into::into),
    );
    report(
        "forgot expired sign-ins at the identity provider",
        crate::db::models::staff_oidc_states::forget_expired(conn, now).map_err(Into::into),
    );
    report(
        "forgot old login failures",
        crate::staff::throttle::forget_stale(conn, now).map_err(Into::into),
    );
    report(
        "deleted expired access packages",
        crate::db::models::exports::delete_expired(conn, now).map_err(Into::into),
    );
    let mail = &state.settings.mail;
    let sent_before = now - chrono::Duration::days(mail.keep_sent_bodies_days);
    report(
        "cleared the bodies of sent emails",
        crate::mail::sent_bodies::clear_sent_before(conn, &state.cipher, sent_before, now, 500)
            .map_err(crate::error::AppError::internal),
    );
    // After the passes that free space (cleared bodies, purged requests).
    report(
        "gave free pages of the database file back",
        crate::db::free_pages::release(conn).map_err(Into::into),
    );
    if mail.smtp.is_none() {
        let cutoff = std::time::SystemTime::from(now.and_utc())
            - Duration::from_secs(u64::try_from(mail.eml_keep_days).unwrap_or(0) * 86_400);
        report(
            "deleted expired .eml files",
            crate::mail::transport::expire_eml(&state.settings.mail_dir(), cutoff)
                .map_err(crate::error::AppError::internal),
        );
    }
}

fn run_connectors(state: &AppState, stop: &AtomicBool) {
    connector_loop(state, stop);
    crate::db::lease::forget_my_claims();
}

fn connector_loop(state: &AppState, stop: &AtomicBool) {
    let poll = Duration::from_millis(state.settings.worker.poll_milliseconds.max(50));
    while !stop.load(Ordering::SeqCst) {
        let worked = match state.pool.get() {
            Ok(mut conn) => {
                // DRP status callbacks are outbound HTTP like connector calls, so they
                // share this thread rather than the mail one.
                let called = if state.settings.drp.business_id.is_some() {
                    crate::flows::drp::send_callbacks(state, &mut conn, crate::clock::now())
                        .unwrap_or_else(|e| {
                            tracing::warn!(error = %e.public_message(), "DRP callback pass failed");
                            0
                        })
                } else {
                    0
                };
                let ran = crate::flows::connector_runs::run_next(state, &mut conn)
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e.public_message(), "connector run failed to record");
                        false
                    });
                ran || called > 0
            }
            Err(_) => false,
        };
        if !worked {
            let until = Instant::now() + poll;
            while Instant::now() < until && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(25));
            }
        }
    }
}

fn run(state: &AppState, mailer: &Mailer, stop: &AtomicBool) {
    mail_loop(state, mailer, stop);
    crate::db::lease::forget_my_claims();
}

fn mail_loop(state: &AppState, mailer: &Mailer, stop: &AtomicBool) {
    let poll = Duration::from_millis(state.settings.worker.poll_milliseconds.max(50));
    let housekeeping_every = Duration::from_secs(60);
    let mut last_housekeeping: Option<Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        let sent = send_mail::send_due(state, mailer, stop).unwrap_or_else(|e| {
            tracing::warn!(error = %e.public_message(), "outbox pass failed; will retry");
            0
        });
        if last_housekeeping.is_none_or(|t| t.elapsed() >= housekeeping_every) {
            last_housekeeping = Some(Instant::now());
            // Every periodic pass (expiry, reminders, digests, retention, packages, DRP
            // replays, expired staff sessions, old login failures); it postpones itself when the database is unavailable.
            housekeeping(state);
        }
        if sent >= send_mail::BATCH {
            // A full batch: more are likely waiting, so go on without the pause (a
            // burst of requests would otherwise be mailed at one batch per poll).
            continue;
        }
        // Sleep in small steps so a stop request is honoured quickly.
        let until = Instant::now() + poll;
        while Instant::now() < until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}
