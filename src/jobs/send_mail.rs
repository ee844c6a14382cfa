//! Sending the outbox: claim a message (a lease in the database), send it, mark it sent.
//! Failures back off exponentially; permanent refusals and exhausted attempts are marked
//! failed and stay visible. A message marked sent is never sent again.

use crate::db::models::outbox;
use crate::db::queued_write;
use crate::error::AppError;
use crate::mail::outbox::decode;
use crate::mail::sent_bodies;
use crate::mail::Mailer;
use crate::state::AppState;
use chrono::Duration;
use std::sync::atomic::{AtomicBool, Ordering};

/// Delay before attempt `n + 1`: `base` seconds doubling, capped at 1 h.
pub fn backoff(base: i64, attempts: i64) -> Duration {
    let secs = base.max(1).saturating_mul(1i64 << attempts.clamp(0, 12));
    Duration::seconds(secs.min(3600))
}

/// Messages claimed per pass.
pub const BATCH: usize = 50;

/// Sends up to one batch of due messages; returns how many were sent.
pub fn send_due(state: &AppState, mailer: &Mailer, stop: &AtomicBool) -> Result<usize, AppError> {
    let mut conn = state.pool.get()?;
    let now = crate::clock::now();
    let due = outbox::due(&mut conn, now, BATCH as i64)?;
    let mut sent = 0;
    for id in due {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let now = crate::clock::now();
        let lease = now + Duration::minutes(5);
        let Some(row) = queued_write(&mut conn, |c| outbox::claim(c, &id, now, lease))? else {
            continue;
        };
        let result = decode(&state.cipher, &row)
            .and_then(|m| m.to_mime(&state.settings.mail.from).map(|mime| (m, mime)))
            .map_err(|_| ("message could not be decoded or built", true))
            .and_then(|(m, mime)| {
                mailer
                    .send(&mime)
                    .map(|()| m)
                    .map_err(|f| (f.class, f.permanent))
            });
        match result {
            Ok(message) => {
                let keep_body = state.settings.mail.keep_sent_bodies_days > 0;
                queued_write(&mut conn, |c| {
                    let now = crate::clock::now();
                    outbox::mark_sent(c, &row.id, now)?;
                    // Sent: the live links in the body are no longer needed here.
                    if !keep_body {
                        sent_bodies::clear(c, &state.cipher, &row.id, &message, now)?;
                    }
                    Ok::<(), diesel::result::Error>(())
                })?;
                sent += 1;
                tracing::info!(outbox_id = %row.id, template = %row.template, "email sent");
            }
            Err((class, permanent)) => {
                let attempts = row.attempts + 1;
                let give_up = permanent || attempts >= state.settings.worker.max_mail_attempts;
                let next = crate::clock::now()
                    + backoff(state.settings.worker.mail_retry_base_seconds, row.attempts);
                queued_write(&mut conn, |c| {
                    outbox::mark_failed_attempt(c, &row.id, class, next, give_up)
                })?;
                tracing::warn!(outbox_id = %row.id, attempts, give_up, error = class, "email not sent");
                if !permanent {
                    // The server is likely down for everyone: stop this pass, retry later.
                    break;
                }
            }
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(30, 0).num_seconds(), 30);
        assert_eq!(backoff(30, 1).num_seconds(), 60);
        assert_eq!(backoff(30, 3).num_seconds(), 240);
        assert_eq!(backoff(30, 50).num_seconds(), 3600);
        assert!(backoff(30, -3).num_seconds() >= 30);
        assert_eq!(backoff(0, 0).num_seconds(), 1);
    }
}
