//! Staff actions that move a request towards its answer: acknowledging it, verifying
//! identity, asking for and receiving information, extending the period.

use super::EXTENSION_CONTEXT;
use super::{clock_of, deadlines_from, not_allowed, refused, required, stale, Acting};
use crate::db::models::pauses;
use crate::db::models::requests::{self, RequestRow};
use crate::db::schema::requests as r;
use crate::db::DbConn;
use crate::domain::deadlines;
use crate::domain::decisions::{self, VerificationLevel};
use crate::domain::state::Event;
use crate::error::AppError;
use crate::flows::request_change::{self as change, Entry};
use crate::i18n::{key, msg};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

pub(super) fn acknowledge(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
) -> Result<(), AppError> {
    let (state, now) = (by.state, by.now);
    if !requests::mark_acknowledged(conn, &row.id, now)? {
        return Err(not_allowed(key("errors.actions.second_acknowledgement")));
    }
    let on_time = row.acknowledge_by.is_none_or(|day| now.date() <= day);
    let words = state.words(row.language.as_deref());
    let notice = json!({
        "regime_label": words.label(row.regime.label_key()),
        "due_on": words.date(row.due_on),
    });
    let entry = Entry::new(by.actor, "acknowledged", json!({"on_time": on_time}))
        .notify("acknowledgement", notice);
    change::touch(state, conn, row, entry, now).map_err(stale)
}

pub(super) fn verify_identity(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    method: &str,
    points: Vec<String>,
    declaration: bool,
) -> Result<(VerificationLevel, usize), AppError> {
    let (state, now) = (by.state, by.now);
    let what = key("errors.actions.verify_identity");
    row.status
        .transition(Event::IdentityConfirmed)
        .map_err(|_| not_allowed(what))?;
    if !decisions::METHODS.iter().any(|(m, _)| *m == method) {
        return Err(AppError::BadRequest(msg(
            "errors.choose_verification_method",
        )));
    }
    // An agent's authority is part of verifying the request (§7063): their document
    // must have been reviewed and accepted first.
    crate::flows::agents::require_accepted_document(conn, &row.id)?;
    let points: Vec<String> = points
        .into_iter()
        .filter(|p| decisions::DATA_POINTS.iter().any(|(k, _)| k == p))
        .collect();
    let level = VerificationLevel::from_points(points.len(), declaration);
    let detail =
        json!({"method": method, "points": points, "declaration": declaration, "level": level});
    diesel::update(r::table.find(&row.id))
        .set((
            r::verification_level.eq(level),
            r::verification_detail.eq(detail.to_string()),
        ))
        .execute(conn)?;
    row.verification_level = Some(level);
    let words = state.words(row.language.as_deref());
    let notice = json!({
        "due_on": words.date(row.due_on),
        "level_label": words.label(level.label_key()),
    });
    let entry =
        Entry::new(by.actor, "identity_verified", detail).notify("identity_verified", notice);
    change::step(state, conn, row, Event::IdentityConfirmed, entry, now).map_err(refused(what))?;
    let searching = super::searches::start(by, conn, row)?;
    // Systems nobody can automate get their tasks in the same transaction.
    crate::flows::manual_tasks::create_missing(state, conn, row, by.actor, now)?;
    Ok((level, searching))
}

pub(super) fn request_information(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    message: &str,
) -> Result<bool, AppError> {
    let (state, now) = (by.state, by.now);
    let message = required(message, key("errors.what.info_request"), 4000)?;
    let what = key("errors.actions.request_info");
    row.status
        .transition(Event::InformationRequested)
        .map_err(|_| not_allowed(what))?;
    let pauses = decisions::clock_pauses(row.regime);
    if pauses {
        pauses::open(conn, &row.id, now)?;
    }
    // Kept on the request, so the status page can show the question beside its answer box.
    crate::flows::conversation::record_question(state, conn, &row.id, by.actor, &message, now)?;
    let notice = json!({
        "message": message, "clock_pauses": pauses,
        "contact_email_hint": state.settings.organisation.contact_email,
    });
    let entry = Entry::new(
        by.actor,
        "information_requested",
        json!({"clock_paused": pauses}),
    )
    .notify("info_requested", notice);
    change::step(state, conn, row, Event::InformationRequested, entry, now)
        .map_err(refused(what))?;
    Ok(pauses)
}

pub(super) fn information_received(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
) -> Result<(), AppError> {
    let (state, now) = (by.state, by.now);
    let what = key("errors.actions.record_reply");
    row.status
        .transition(Event::InformationReceived)
        .map_err(|_| not_allowed(what))?;
    pauses::close(conn, &row.id, now)?;
    let clock = clock_of(conn, row)?;
    let paused = i64::from(clock.paused_days);
    let dl = deadlines_from(state, row, clock);
    let due = deadlines::effective_due(&dl, row.extended);
    diesel::update(r::table.find(&row.id))
        .set((r::paused_days.eq(paused), r::due_on.eq(due)))
        .execute(conn)?;
    let detail = json!({"paused_days": paused, "runs_from": clock.runs_from, "due_on": due});
    let entry = Entry::new(by.actor, "information_received", detail);
    change::step(state, conn, row, Event::InformationReceived, entry, now)
        .map_err(refused(what))?;
    Ok(())
}

pub(super) fn extend(
    by: &Acting,
    conn: &mut DbConn,
    row: &mut RequestRow,
    reason: &str,
) -> Result<NaiveDate, AppError> {
    let (state, now) = (by.state, by.now);
    let reason = required(reason, key("errors.what.extension_reason"), 2000)?;
    let dl = super::deadlines_of(state, conn, row)?;
    if row.extended || !deadlines::can_extend(&dl, now.date()) {
        return Err(not_allowed(key("errors.actions.extension_once")));
    }
    let new_due = dl
        .extended_respond_by
        .ok_or_else(|| not_allowed(key("errors.actions.extension")))?;
    diesel::update(r::table.find(&row.id))
        .set((
            r::extended.eq(true),
            r::due_on.eq(new_due),
            r::extension_reason_enc.eq(state.cipher.encrypt(EXTENSION_CONTEXT, &reason)),
        ))
        .execute(conn)?;
    let words = state.words(row.language.as_deref());
    let notice = json!({
        "reason": reason,
        "original_due_on": words.date(dl.respond_by),
        "new_due_on": words.date(new_due),
    });
    let detail = json!({"original_due_on": dl.respond_by, "due_on": new_due});
    let entry = Entry::new(by.actor, "extended", detail).notify("extended", notice);
    change::touch(state, conn, row, entry, now).map_err(stale)?;
    Ok(new_due)
}
