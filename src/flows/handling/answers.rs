//! The answer to a request: refusing it or fulfilling it, in whole or in part.

use super::{not_allowed, refused, required, Acting, RESPONSE_CONTEXT};
use crate::db::models::pauses;
use crate::db::models::requests::RequestRow;
use crate::db::schema::requests as r;
use crate::db::DbConn;
use crate::domain::decisions::{self, Outcome};
use crate::domain::kinds::RequestKind;
use crate::domain::state::Event;
use crate::error::AppError;
use crate::flows::answer_notice::answer_notice;
use crate::flows::request_change::{self as change, Entry};
use crate::i18n::{key, msg};
use diesel::prelude::*;
use serde_json::{json, Value};

pub(super) fn deny(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    code: &str,
    message: &str,
) -> Result<(), AppError> {
    let (state, now) = (by.state, by.now);
    let reason = decisions::denial_reason(row.regime, code)
        .ok_or_else(|| AppError::BadRequest(msg("errors.choose_refusal_reason")))?;
    // The person is owed the reasons for this decision, written for this request: a
    // reason from the list alone is not enough (GDPR Art. 12(4), CCPA regulations
    // §§7022, 7024).
    if message.trim().is_empty() {
        return Err(AppError::BadRequest(msg("errors.explain_refusal")));
    }
    let message = required(message, key("errors.what.refusal_explanation"), 4000)?;
    let what = key("errors.actions.refuse");
    row.status
        .transition(Event::Denied)
        .map_err(|_| not_allowed(what))?;
    pauses::close(conn, &row.id, now)?;
    diesel::update(r::table.find(&row.id))
        .set(r::denial_code.eq(reason.code))
        .execute(conn)?;
    let answer = Answer {
        step: Event::Denied,
        action: "denied",
        what,
        in_part: false,
        detail: json!({"reason": reason.code}),
        words: json!({"reason_label": state.templates.label(reason.label_key), "message": message,
                      "appeal_denied": row.kind == RequestKind::Appeal}),
    };
    answered(by, conn, row, &message, answer)
}

pub(super) fn fulfil(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    in_part: bool,
    message: &str,
) -> Result<(), AppError> {
    let what = key("errors.actions.fulfil");
    row.status
        .transition(Event::Fulfilled)
        .map_err(|_| not_allowed(what))?;
    let message = message.trim().to_string();
    if in_part && message.is_empty() {
        return Err(AppError::BadRequest(msg("errors.explain_partial")));
    }
    let outcome = Outcome::of(in_part);
    diesel::update(r::table.find(&row.id))
        .set(r::outcome.eq(outcome))
        .execute(conn)?;
    let answer = Answer {
        step: Event::Fulfilled,
        action: "fulfilled",
        what,
        in_part,
        detail: json!({"outcome": outcome}),
        words: json!({"in_part": in_part, "message": message}),
    };
    answered(by, conn, row, &message, answer)
}

/// How a request is answered: the step, its audit action (also the notice's template)
/// and what the notice says besides the staff member's words.
struct Answer {
    step: Event,
    action: &'static str,
    /// The `errors.actions` key of the step, for a refusal.
    what: &'static str,
    in_part: bool,
    detail: Value,
    words: Value,
}

/// Stores the staff member's words, then takes the answering step with its notice.
fn answered(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    message: &str,
    answer: Answer,
) -> Result<(), AppError> {
    let (state, now) = (by.state, by.now);
    diesel::update(r::table.find(&row.id))
        .set((
            r::responded_at.eq(now),
            r::response_enc.eq(state.cipher.encrypt(RESPONSE_CONTEXT, message)),
        ))
        .execute(conn)?;
    let to = row
        .status
        .transition(answer.step)
        .map_err(|_| not_allowed(answer.what))?;
    let notice = answer_notice(state, row, to, answer.in_part, answer.words)?;
    let entry = Entry::new(by.actor, answer.action, answer.detail).notify(answer.action, notice);
    change::step(state, conn, row, answer.step, entry, now).map_err(refused(answer.what))?;
    Ok(())
}
