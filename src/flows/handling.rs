//! Working a request: the staff actions and the consumer's own (withdraw, appeal).
//!
//! Every action runs in one write transaction that first checks the version the person
//! acting saw (two staff on one request: the second is told to reload, never a lost
//! update), then applies the state machine, updates the row, appends the audit event
//! and queues the notice the consumer must receive.

use super::emails;
use super::intake::{issue_token, DETAILS_CONTEXT};
use crate::db::models::audit::{self, NewEvent};
use crate::db::models::identities::{self, IdentityRow};
use crate::db::models::requests::{self, RequestRow};
use crate::db::models::tokens::Purpose;
use crate::db::models::{notes, pauses};
use crate::db::schema::requests as r;
use crate::db::{write_tx, DbConn};
use crate::domain::deadlines::{self, Deadlines, Regime};
use crate::domain::decisions::{self, VerificationLevel};
use crate::domain::kinds::RequestKind;
use crate::domain::pauses::{clock_start, ClockStart};
use crate::domain::state::{Event, Status};
use crate::error::AppError;
use crate::i18n::{key, msg};
use crate::state::AppState;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{json, Value};

pub const EXTENSION_CONTEXT: &str = "requests.extension_reason";
pub const RESPONSE_CONTEXT: &str = "requests.response";

/// One staff action, as submitted from the request page.
#[derive(Debug, Clone)]
pub enum Action {
    Acknowledge,
    VerifyIdentity {
        method: String,
        points: Vec<String>,
        declaration: bool,
    },
    RequestInformation {
        message: String,
    },
    InformationReceived,
    Extend {
        reason: String,
    },
    Deny {
        code: String,
        message: String,
    },
    Fulfil {
        in_part: bool,
        message: String,
    },
    Assign {
        staff_id: Option<String>,
    },
    Note {
        body: String,
    },
}

pub struct Parsed {
    pub kind: RequestKind,
    pub regime: Regime,
    pub status: Status,
}

pub fn parsed(row: &RequestRow) -> Result<Parsed, AppError> {
    let bad = || AppError::internal(anyhow::anyhow!("stored request has unknown values"));
    Ok(Parsed {
        kind: RequestKind::parse(&row.kind).ok_or_else(bad)?,
        regime: Regime::parse(&row.regime).ok_or_else(bad)?,
        status: Status::parse(&row.status).ok_or_else(bad)?,
    })
}

/// The deadlines of a stored request, derived from its receipt date and its recorded
/// pauses (never from an earlier due date).
pub fn deadlines_of(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
) -> Result<Deadlines, AppError> {
    let clock = clock_of(conn, row)?;
    deadlines_from(state, row, clock)
}

/// The deadlines of `row` once its pauses are known.
fn deadlines_from(
    state: &AppState,
    row: &RequestRow,
    clock: ClockStart,
) -> Result<Deadlines, AppError> {
    let p = parsed(row)?;
    Ok(deadlines::compute(
        p.regime,
        p.kind.track(),
        clock.runs_from,
        clock.paused_days,
        &state.holidays,
    ))
}

/// Where the request's response period runs from, after its recorded pauses.
fn clock_of(conn: &mut DbConn, row: &RequestRow) -> Result<ClockStart, AppError> {
    Ok(clock_start(
        row.received_at.date(),
        &pauses::for_request(conn, &row.id)?,
    ))
}

fn conflict() -> AppError {
    AppError::Conflict(msg("errors.request_changed_reload"))
}

/// `action` is an `errors.actions` key: what the staff member tried, in words.
fn not_allowed(action: &'static str) -> AppError {
    AppError::Conflict(msg("errors.not_possible_now").with_label("action", action))
}

/// `what` is an `errors.what` key: the text that was asked for, in words.
fn required(text: &str, what: &'static str, max: usize) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::BadRequest(
            msg("errors.text_required").with_label("what", what),
        ));
    }
    if t.chars().count() > max {
        return Err(AppError::BadRequest(
            msg("errors.text_too_long")
                .with_label("what", what)
                .with("max", max),
        ));
    }
    Ok(t.to_string())
}

/// Bumps the version (the caller checked it inside this transaction) and stamps the row.
fn touch(conn: &mut DbConn, row: &RequestRow, now: NaiveDateTime) -> Result<(), AppError> {
    let n = diesel::update(r::table.find(&row.id).filter(r::version.eq(row.version)))
        .set((r::version.eq(row.version + 1), r::updated_at.eq(now)))
        .execute(conn)?;
    if n == 1 {
        Ok(())
    } else {
        Err(conflict())
    }
}

#[allow(clippy::too_many_arguments)]
fn record(
    conn: &mut DbConn,
    row: &RequestRow,
    actor: &str,
    action: &str,
    from: Option<Status>,
    to: Option<Status>,
    detail: Value,
    consumer_visible: bool,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    audit::append(
        conn,
        NewEvent {
            request_id: Some(&row.id),
            actor,
            action,
            from_status: from.map(Status::as_str),
            to_status: to.map(Status::as_str),
            detail,
            consumer_visible,
        },
        now,
    )?;
    Ok(())
}

/// Queues a consumer notice with a fresh status link.
fn notify(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    template: &str,
    mut data: Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let secret = issue_token(
        conn,
        &row.id,
        Purpose::Status,
        now + Duration::days(state.settings.verification.status_link_days),
        now,
    )?;
    let kind = parsed(row)?.kind;
    if let Value::Object(map) = &mut data {
        map.insert("reference".into(), row.reference.clone().into());
        map.insert(
            "kind_label".into(),
            state.templates.label(kind.label_key()).into(),
        );
        map.insert(
            "status_url".into(),
            format!("{}/status/{secret}", state.public_url).into(),
        );
        // Complaints go to the authority of the place the person lives.
        map.insert(
            "authority".into(),
            state
                .settings
                .organisation
                .complaint_authority(&row.jurisdiction)
                .into(),
        );
    }
    let to = emails::requester_email(state, conn, &row.id)?;
    emails::queue(state, conn, &row.id, template, &to, data.clone(), now)?;
    // The consumer hears the outcome of what an agent asked for in their name.
    if matches!(template, "fulfilled" | "denied") {
        let consumer = emails::subject_email(state, conn, &row.id)?;
        if consumer != to {
            emails::queue(state, conn, &row.id, template, &consumer, data, now)?;
        }
    }
    Ok(())
}

fn transition(
    row: &RequestRow,
    event: Event,
    what: &'static str,
) -> Result<(Status, Status), AppError> {
    let from = parsed(row)?.status;
    let to = from.transition(event).map_err(|_| not_allowed(what))?;
    Ok((from, to))
}

fn set_status(
    conn: &mut DbConn,
    row: &RequestRow,
    to: Status,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    diesel::update(r::table.find(&row.id))
        .set((
            r::status.eq(to.as_str()),
            r::closed_at.eq((!to.is_open()).then_some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Applies `action` by `actor` to request `id`, which the actor saw at `version`.
pub fn apply(
    state: &AppState,
    conn: &mut DbConn,
    id: &str,
    version: i64,
    actor: &str,
    action: Action,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let row = requests::find(conn, id)?;
        if row.version != version {
            return Err(conflict());
        }
        let p = parsed(&row)?;
        if !p.status.is_open() && !matches!(action, Action::Note { .. }) {
            return Err(not_allowed(key("errors.actions.change_closed")));
        }
        touch(conn, &row, now)?;
        match action {
            Action::Acknowledge => {
                if !requests::mark_acknowledged(conn, &row.id, now)? {
                    return Err(not_allowed(key("errors.actions.second_acknowledgement")));
                }
                let on_time = row.acknowledge_by.is_none_or(|by| now.date() <= by);
                record(
                    conn,
                    &row,
                    actor,
                    "acknowledged",
                    None,
                    None,
                    json!({"on_time": on_time}),
                    true,
                    now,
                )?;
                notify(
                    state,
                    conn,
                    &row,
                    "acknowledgement",
                    json!({
                    "regime_label": state.templates.label(p.regime.label_key()), "due_on": state.templates.date(row.due_on)}),
                    now,
                )?;
            }
            Action::VerifyIdentity {
                method,
                points,
                declaration,
            } => {
                let (from, to) = transition(
                    &row,
                    Event::IdentityConfirmed,
                    key("errors.actions.verify_identity"),
                )?;
                if !decisions::METHODS.iter().any(|(m, _)| *m == method) {
                    return Err(AppError::BadRequest(msg(
                        "errors.choose_verification_method",
                    )));
                }
                // An agent's authority is part of verifying the request (§7063): their
                // document must have been reviewed and accepted first.
                super::agents::require_accepted_document(conn, &row.id)?;
                let points: Vec<String> = points
                    .into_iter()
                    .filter(|p| decisions::DATA_POINTS.iter().any(|(k, _)| k == p))
                    .collect();
                let level = VerificationLevel::from_points(points.len(), declaration);
                let detail = json!({"method": method, "points": points, "declaration": declaration, "level": level.as_str()});
                diesel::update(r::table.find(&row.id))
                    .set((
                        r::verification_level.eq(level.as_str()),
                        r::verification_detail.eq(detail.to_string()),
                    ))
                    .execute(conn)?;
                set_status(conn, &row, to, now)?;
                record(
                    conn,
                    &row,
                    actor,
                    "identity_verified",
                    Some(from),
                    Some(to),
                    detail,
                    true,
                    now,
                )?;
                notify(
                    state,
                    conn,
                    &row,
                    "identity_verified",
                    json!({
                    "due_on": state.templates.date(row.due_on), "level_label": state.templates.label(level.label_key())}),
                    now,
                )?;
            }
            Action::RequestInformation { message } => {
                let message = required(&message, key("errors.what.info_request"), 4000)?;
                let (from, to) = transition(
                    &row,
                    Event::InformationRequested,
                    key("errors.actions.request_info"),
                )?;
                let pauses = decisions::clock_pauses(p.regime);
                if pauses {
                    pauses::open(conn, &row.id, now)?;
                }
                set_status(conn, &row, to, now)?;
                record(
                    conn,
                    &row,
                    actor,
                    "information_requested",
                    Some(from),
                    Some(to),
                    json!({"clock_paused": pauses}),
                    true,
                    now,
                )?;
                notify(
                    state,
                    conn,
                    &row,
                    "info_requested",
                    json!({
                    "message": message, "clock_pauses": pauses,
                    "contact_email_hint": state.settings.organisation.contact_email}),
                    now,
                )?;
            }
            Action::InformationReceived => {
                let (from, to) = transition(
                    &row,
                    Event::InformationReceived,
                    key("errors.actions.record_reply"),
                )?;
                pauses::close(conn, &row.id, now)?;
                let clock = clock_of(conn, &row)?;
                let paused = i64::from(clock.paused_days);
                let dl = deadlines_from(state, &row, clock)?;
                let due = deadlines::effective_due(&dl, row.extended);
                diesel::update(r::table.find(&row.id))
                    .set((r::paused_days.eq(paused), r::due_on.eq(due)))
                    .execute(conn)?;
                set_status(conn, &row, to, now)?;
                record(
                    conn,
                    &row,
                    actor,
                    "information_received",
                    Some(from),
                    Some(to),
                    json!({"paused_days": paused, "runs_from": clock.runs_from, "due_on": due}),
                    true,
                    now,
                )?;
            }
            Action::Extend { reason } => {
                let reason = required(&reason, key("errors.what.extension_reason"), 2000)?;
                let dl = deadlines_of(state, conn, &row)?;
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
                        r::extension_reason_enc
                            .eq(state.cipher.encrypt(EXTENSION_CONTEXT, &reason)),
                    ))
                    .execute(conn)?;
                record(
                    conn,
                    &row,
                    actor,
                    "extended",
                    None,
                    None,
                    json!({"original_due_on": dl.respond_by, "due_on": new_due}),
                    true,
                    now,
                )?;
                notify(
                    state,
                    conn,
                    &row,
                    "extended",
                    json!({
                    "reason": reason, "original_due_on": state.templates.date(dl.respond_by), "new_due_on": state.templates.date(new_due)}),
                    now,
                )?;
            }
            Action::Deny { code, message } => {
                let reason = decisions::denial_reason(p.regime, &code)
                    .ok_or_else(|| AppError::BadRequest(msg("errors.choose_refusal_reason")))?;
                // The person is owed the reasons for this decision, written for this
                // request: a reason from the list alone is not enough (GDPR Art. 12(4),
                // CCPA regulations §§7022, 7024).
                if message.trim().is_empty() {
                    return Err(AppError::BadRequest(msg("errors.explain_refusal")));
                }
                let message = required(&message, key("errors.what.refusal_explanation"), 4000)?;
                let (from, to) = transition(&row, Event::Denied, key("errors.actions.refuse"))?;
                pauses::close(conn, &row.id, now)?;
                diesel::update(r::table.find(&row.id))
                    .set((
                        r::denial_code.eq(reason.code),
                        r::responded_at.eq(now),
                        r::response_enc.eq(state.cipher.encrypt(RESPONSE_CONTEXT, &message)),
                    ))
                    .execute(conn)?;
                set_status(conn, &row, to, now)?;
                record(
                    conn,
                    &row,
                    actor,
                    "denied",
                    Some(from),
                    Some(to),
                    json!({"reason": reason.code}),
                    true,
                    now,
                )?;
                notify(
                    state,
                    conn,
                    &row,
                    "denied",
                    super::answer_notice::answer_notice(
                        state,
                        &row,
                        &p,
                        to,
                        false,
                        json!({"reason_label": state.templates.label(reason.label_key), "message": message,
                        "appeal_denied": p.kind == RequestKind::Appeal}),
                    )?,
                    now,
                )?;
            }
            Action::Fulfil { in_part, message } => {
                let (from, to) = transition(&row, Event::Fulfilled, key("errors.actions.fulfil"))?;
                let message = message.trim().to_string();
                if in_part && message.is_empty() {
                    return Err(AppError::BadRequest(msg("errors.explain_partial")));
                }
                let outcome = if in_part { "part" } else { "whole" };
                diesel::update(r::table.find(&row.id))
                    .set((
                        r::outcome.eq(outcome),
                        r::responded_at.eq(now),
                        r::response_enc.eq(state.cipher.encrypt(RESPONSE_CONTEXT, &message)),
                    ))
                    .execute(conn)?;
                set_status(conn, &row, to, now)?;
                record(
                    conn,
                    &row,
                    actor,
                    "fulfilled",
                    Some(from),
                    Some(to),
                    json!({"outcome": outcome}),
                    true,
                    now,
                )?;
                notify(
                    state,
                    conn,
                    &row,
                    "fulfilled",
                    super::answer_notice::answer_notice(
                        state,
                        &row,
                        &p,
                        to,
                        in_part,
                        json!({"in_part": in_part, "message": message}),
                    )?,
                    now,
                )?;
            }
            Action::Assign { staff_id } => {
                if let Some(s) = &staff_id {
                    let ok = crate::db::models::staff::find(conn, s)?
                        .is_some_and(|st| !st.disabled && st.role != "auditor");
                    if !ok {
                        return Err(AppError::BadRequest(msg("errors.choose_assignee")));
                    }
                }
                diesel::update(r::table.find(&row.id))
                    .set(r::assignee_id.eq(&staff_id))
                    .execute(conn)?;
                record(
                    conn,
                    &row,
                    actor,
                    "assigned",
                    None,
                    None,
                    json!({"assignee": staff_id}),
                    false,
                    now,
                )?;
            }
            Action::Note { body } => {
                let body = required(&body, key("errors.what.note"), 10_000)?;
                let staff_id = actor.strip_prefix("staff:").unwrap_or(actor);
                notes::insert(
                    conn,
                    &row.id,
                    staff_id,
                    &state.cipher.encrypt(notes::BODY_CONTEXT, &body),
                    now,
                )?;
                record(
                    conn,
                    &row,
                    actor,
                    "note_added",
                    None,
                    None,
                    json!({}),
                    false,
                    now,
                )?;
            }
        }
        Ok(())
    })
}

/// The consumer withdraws their request from its status page.
pub fn withdraw(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        withdraw_as(state, conn, request_id, "consumer", now)
    })
}

/// Withdrawal inside the caller's transaction, by `actor` (the consumer from the status
/// page, a DRP agent revoking, the consumer refusing an agent).
pub fn withdraw_as(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    {
        let row = requests::find(conn, request_id)?;
        let (from, to) = transition(&row, Event::Withdrawn, key("errors.actions.withdraw"))?;
        touch(conn, &row, now)?;
        pauses::close(conn, &row.id, now)?;
        set_status(conn, &row, to, now)?;
        record(
            conn,
            &row,
            actor,
            "withdrawn",
            Some(from),
            Some(to),
            json!({}),
            true,
            now,
        )?;
        let to_addr = emails::requester_email(state, conn, &row.id)?;
        emails::queue(
            state,
            conn,
            &row.id,
            "withdrawn",
            &to_addr,
            json!({
            "reference": row.reference, "kind_label": state.templates.label(parsed(&row)?.kind.label_key())}),
            now,
        )
    }
}

/// The consumer appeals a refusal (US state laws): a request of its own, 60 days,
/// linked to the original. Returns the new status-link secret.
pub fn appeal(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let reason = required(reason, key("errors.what.appeal_reason"), 5000)?;
    write_tx(conn, |conn| {
        let original = requests::find(conn, request_id)?;
        let p = parsed(&original)?;
        let in_part = original.outcome.as_deref() == Some("part");
        if !decisions::answer_can_be_appealed(p.regime, p.kind, p.status, in_part) {
            return Err(not_allowed(key("errors.actions.appeal")));
        }
        let already: i64 = r::table
            .filter(r::appeal_of.eq(&original.id))
            .count()
            .get_result(conn)?;
        if already > 0 {
            return Err(AppError::Conflict(msg("errors.already_appealed")));
        }
        let dl = deadlines::compute(
            p.regime,
            RequestKind::Appeal.track(),
            now.date(),
            0,
            &state.holidays,
        );
        let id = crate::clock::new_id();
        let details = crate::domain::intake::RequestDetails {
            details: reason.clone(),
            ..Default::default()
        };
        let details = serde_json::to_string(&details).map_err(AppError::internal)?;
        let row = RequestRow {
            id: id.clone(),
            reference: super::intake::new_reference(conn)?,
            kind: RequestKind::Appeal.as_str().into(),
            jurisdiction: original.jurisdiction.clone(),
            regime: original.regime.clone(),
            status: Status::EmailVerified.as_str().into(),
            source: "status_page".into(),
            gpc: false,
            received_at: now,
            due_on: dl.respond_by,
            acknowledge_by: None,
            paused_days: 0,
            extended: false,
            details_enc: Some(state.cipher.encrypt(DETAILS_CONTEXT, &details)),
            submission_key: crate::crypto::tokens::hash(&format!("appeal:{}", original.id)),
            verified_at: original.verified_at,
            closed_at: None,
            version: 0,
            updated_at: now,
            assignee_id: original.assignee_id.clone(),
            acknowledged_at: None,
            verification_level: original.verification_level.clone(),
            verification_detail: original.verification_detail.clone(),
            extension_reason_enc: None,
            outcome: None,
            denial_code: None,
            response_enc: None,
            responded_at: None,
            appeal_of: Some(original.id.clone()),
            purged_at: None,
            submission_body: None,
        };
        requests::insert(conn, &row)?;
        // The same person: copy their identities (re-encrypted under fresh nonces).
        let copies: Vec<IdentityRow> = identities::for_request(conn, &original.id)?
            .into_iter()
            .map(|i| -> Result<IdentityRow, AppError> {
                let plain = state
                    .cipher
                    .decrypt(identities::VALUE_CONTEXT, &i.value_enc)
                    .map_err(AppError::internal)?;
                Ok(IdentityRow {
                    id: crate::clock::new_id(),
                    request_id: id.clone(),
                    kind: i.kind,
                    value_enc: state.cipher.encrypt(identities::VALUE_CONTEXT, &plain),
                    blind_index: i.blind_index,
                    created_at: now,
                })
            })
            .collect::<Result<_, _>>()?;
        identities::insert_all(conn, &copies)?;
        record(
            conn,
            &original,
            "consumer",
            "appealed",
            None,
            None,
            json!({"appeal_id": id}),
            true,
            now,
        )?;
        record(
            conn,
            &row,
            "consumer",
            "appeal_submitted",
            None,
            Some(Status::EmailVerified),
            json!({"appeal_of": original.id, "due_on": row.due_on}),
            true,
            now,
        )?;
        let secret = issue_token(
            conn,
            &id,
            Purpose::Status,
            now + Duration::days(state.settings.verification.status_link_days),
            now,
        )?;
        let to = emails::requester_email(state, conn, &id)?;
        emails::queue(
            state,
            conn,
            &id,
            "appeal_received",
            &to,
            json!({
            "reference": row.reference, "original_reference": original.reference,
            "due_on": state.templates.date(row.due_on), "status_url": format!("{}/status/{secret}", state.public_url)}),
            now,
        )?;
        Ok(secret)
    })
}
