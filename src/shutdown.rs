//! How `serve` stops on SIGTERM (systemd, Docker, Kubernetes) or SIGINT (Ctrl-C).
//!
//! At the signal the listener closes and the background worker stops taking work. HTTP
//! requests in progress and the job a worker thread holds (an email being sent, a
//! connector call) then get `GRACE` to finish, side by side; an idle portal has nothing
//! to wait for and stops at once. Then the SQLite WAL is copied back and emptied
//! (`db::checkpointer`), and the process exits with success.
//!
//! The whole takes at most about 9 s (the grace, actix's one-second check of its
//! connections, the WAL's last truncation): inside the 10 s Docker and Kubernetes
//! allow before SIGKILL. A request still running after the grace has its connection
//! closed; a worker thread still busy is left to end with the process, and the job it
//! claimed (outbox message, connector run, DRP callback) is released (`db::lease`), so
//! the next start or another instance takes it up at once. Should the release fail (the
//! database is gone), the job is claimed again once its lease lapses.
//!
//! actix's own signal handling is off (`Application::build`): it treats SIGINT as a stop
//! without grace, and waits 300 ms more before ending the process.

use std::time::Duration;

/// How long requests in progress and the worker's jobs get after the signal.
pub const GRACE: Duration = Duration::from_secs(7);

/// Resolves at the first SIGTERM or SIGINT.
pub async fn signalled() {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            let (term, int) = (Box::pin(term.recv()), Box::pin(int.recv()));
            futures_util::future::select(term, int).await;
        }
        _ => {
            // Without handlers the signals keep their default action (the process ends
            // at once); say so rather than pretend to stop gracefully.
            tracing::warn!("could not listen for SIGTERM/SIGINT: stopping will not be graceful");
            std::future::pending::<()>().await;
        }
    }
}
