//! The answer to a request: refusing it or fulfilling it, in whole or in part. A
//! decision is first checked and put in words (`decide`), which writes nothing, so the
//! confirmation page can show the exact notice; sending it (`answer`) stores it.

use super::{not_allowed, refused, required, Acting, Action, RESPONSE_CONTEXT};
use crate::db::models::pauses;
use crate::db::models::requests::RequestRow;
use crate::db::schema::requests as r;
use crate::db::DbConn;
use crate::domain::decisions::{self, Outcome};
use crate::domain::kinds::RequestKind;
use crate::domain::state::{Event, Status};
use crate::error::AppError;
use crate::flows::answer_notice::answer_notice;
use crate::flows::request_change::{self as change, Entry};
use crate::i18n::{key, msg};
use crate::state::AppState;
use diesel::prelude::*;
use serde_json::{json, Value};

/// A refusal or a fulfilment, checked, with everything its notice says.
pub struct Decision {
    pub step: Event,
    /// Its audit action, also the notice's template.
    pub action: &'static str,
    /// The `errors.actions` key of the step.
    what: &'static str,
    pub in_part: bool,
    /// The refusal reason's code and label.
    pub reason: Option<(&'static str, String)>,
    /// The staff member's words, trimmed.
    pub message: String,
    /// The status the request moves to.
    pub to: Status,
    /// The notice's data, before the request's own facts are added.
    pub notice: Value,
}

/// Checks a refusal or fulfilment of `row` and puts it in words; `None` for any other
/// action. Writes nothing.
pub fn decide(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    action: &Action,
) -> Result<Option<Decision>, AppError> {
    let d = match action {
        Action::Deny { code, message } => deny(state, row, code, message)?,
        Action::Fulfil { in_part, message } => {
            let kept = kept_reasons(conn, &row.id)?;
            fulfil(state, row, *in_part, message, kept)?
        }
        _ => return Ok(None),
    };
    Ok(Some(d))
}

fn deny(
    state: &AppState,
    row: &RequestRow,
    code: &str,
    message: &str,
) -> Result<Decision, AppError> {
    let what = key("errors.actions.refuse");
    let to = row
        .status
        .transition(Event::Denied)
        .map_err(|_| not_allowed(what))?;
    let reason = decisions::denial_reason(row.regime, code)
        .ok_or_else(|| AppError::BadRequest(msg("errors.choose_refusal_reason")))?;
    // The person is owed the reasons for this decision, written for this request: a
    // reason from the list alone is not enough (GDPR Art. 12(4), CCPA regulations
    // §§7022, 7024).
    if message.trim().is_empty() {
        return Err(AppError::BadRequest(msg("errors.explain_refusal")));
    }
    let message = required(message, key("errors.what.refusal_explanation"), 4000)?;
    let label = state.words(row.language.as_deref()).label(reason.label_key);
    let words = json!({"reason_label": label, "message": message,
                       "appeal_denied": row.kind == RequestKind::Appeal});
    Ok(Decision {
        step: Event::Denied,
        action: "denied",
        what,
        in_part: false,
        notice: answer_notice(state, row, to, false, words)?,
        reason: Some((reason.code, label)),
        message,
        to,
    })
}

/// The reasons connected systems gave for data their erasure kept on purpose (invoices
/// kept for tax law…), each once: the person is told what was kept and why.
fn kept_reasons(conn: &mut DbConn, request_id: &str) -> Result<Vec<String>, AppError> {
    use crate::domain::runs::{RunAction, RunStatus};
    let mut reasons: Vec<String> = Vec::new();
    for run in crate::db::models::connector_runs::for_request(conn, request_id)? {
        if run.action != RunAction::Erase || run.status != RunStatus::Done {
            continue;
        }
        let summary: Value = run
            .summary
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        for kept in summary
            .get("kept")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(reason) = kept.get("reason").and_then(Value::as_str) {
                if !reason.trim().is_empty() && !reasons.iter().any(|r| r == reason) {
                    reasons.push(reason.to_string());
                }
            }
        }
    }
    Ok(reasons)
}

fn fulfil(
    state: &AppState,
    row: &RequestRow,
    in_part: bool,
    message: &str,
    kept: Vec<String>,
) -> Result<Decision, AppError> {
    let what = key("errors.actions.fulfil");
    let to = row
        .status
        .transition(Event::Fulfilled)
        .map_err(|_| not_allowed(what))?;
    // A fulfilment in part is a refusal of the rest: the person is owed what was and
    // was not done, and why.
    if in_part && message.trim().is_empty() {
        return Err(AppError::BadRequest(msg("errors.explain_partial")));
    }
    let message = message.trim().to_string();
    if message.chars().count() > 4000 {
        required(&message, key("errors.what.fulfilment_message"), 4000)?;
    }
    let words = json!({"in_part": in_part, "message": message, "kept": kept});
    Ok(Decision {
        step: Event::Fulfilled,
        action: "fulfilled",
        what,
        in_part,
        notice: answer_notice(state, row, to, in_part, words)?,
        reason: None,
        message,
        to,
    })
}

/// Stores a checked decision and takes its step, with its notice.
pub(super) fn answer(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    d: Decision,
) -> Result<(), AppError> {
    let (state, now) = (by.state, by.now);
    let detail = match d.reason {
        Some((code, _)) => {
            pauses::close(conn, &row.id, now)?;
            diesel::update(r::table.find(&row.id))
                .set(r::denial_code.eq(code))
                .execute(conn)?;
            json!({"reason": code})
        }
        None => {
            let outcome = Outcome::of(d.in_part);
            diesel::update(r::table.find(&row.id))
                .set(r::outcome.eq(outcome))
                .execute(conn)?;
            json!({"outcome": outcome})
        }
    };
    diesel::update(r::table.find(&row.id))
        .set((
            r::responded_at.eq(now),
            r::response_enc.eq(state.cipher.encrypt(RESPONSE_CONTEXT, &d.message)),
        ))
        .execute(conn)?;
    let entry = Entry::new(by.actor, d.action, detail).notify(d.action, d.notice);
    change::step(state, conn, row, d.step, entry, now).map_err(refused(d.what))?;
    Ok(())
}
