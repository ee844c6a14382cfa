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
use std::sync::atomic::{AtomicBool, Ordering};

/// Messages claimed per pass.
pub const BATCH: usize = 50;

/// Sends up to one batch of due messages; returns how many were sent.
pub fn send_due(state: &AppState, mailer: &Mailer, stop: &AtomicBool) -> Result<usize, AppError> {
    let mut conn = state.pool.get()?;
    let jobs = &state.settings.worker;
    let mut sent = 0;
    for _ in 0..BATCH {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let now = crate::clock::now();
        let lease = now + jobs.mail_lease();
        let Some(row) = queued_write(&mut conn, |c| outbox::claim_next(c, now, lease))? else {
            break;
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
                    if keep_body {
                        outbox::mark_sent(c, &row.id, now)
                    } else {
                        // Sent: the live links in the body are no longer needed here.
                        // One statement: no reader ever sees a message marked sent that
                        // still holds its links and address.
                        sent_bodies::mark_sent_and_clear(c, &state.cipher, &row.id, &message, now)
                    }
                })?;
                sent += 1;
                tracing::info!(outbox_id = %row.id, template = %row.template, "email sent");
            }
            Err((class, permanent)) => {
                let attempts = row.attempts + 1;
                let policy = jobs.mail_retry();
                let give_up = permanent || policy.gives_up(attempts);
                let next = crate::clock::now() + policy.delay(attempts);
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
