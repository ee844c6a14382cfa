//! The staff audit log (`/staff/audit`): the most recent events, and on request a
//! check of the whole hash chain (a full walk, so not on every page view).

use super::actor_names::ActorNames;
use crate::db::models::audit::{self, AuditRow};
use crate::db::schema::audit_events;
use crate::db::DbConn;
use crate::error::AppError;
use crate::state::AppState;
use crate::templates::Templates;
use diesel::prelude::*;
use serde::Serialize;

/// How many of the latest events the page lists.
const SHOWN: i64 = 200;

/// The template's context of `pages/staff/audit`.
#[derive(Serialize)]
pub struct AuditPage {
    title: String,
    events: Vec<EventLine>,
    verified: bool,
    chain_ok: bool,
    chain_count: i64,
    broken_at: Option<i64>,
}

#[derive(Serialize)]
struct EventLine {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    request_id: Option<String>,
    to: Option<String>,
    detail: String,
}

/// The latest events, and with `verify` the chain checked from its first event.
pub fn load(state: &AppState, conn: &mut DbConn, verify: bool) -> Result<AuditPage, AppError> {
    let t = &state.templates;
    let rows: Vec<AuditRow> = audit_events::table
        .order(audit_events::seq.desc())
        .limit(SHOWN)
        .select(AuditRow::as_select())
        .load(conn)?;
    // Ok(events checked) or Err(the first broken sequence number).
    let chain = if verify {
        Some(audit::verify_chain(conn)?)
    } else {
        None
    };
    let actors = ActorNames::load(conn)?;
    Ok(AuditPage {
        title: t.phrase("titles.staff_audit", &[]),
        events: rows
            .into_iter()
            .map(|e| event_line(t, &actors, e))
            .collect(),
        verified: chain.is_some(),
        chain_ok: chain.is_some_and(|c| c.is_ok()),
        chain_count: chain.and_then(|c| c.ok()).unwrap_or(0),
        broken_at: chain.and_then(|c| c.err()),
    })
}

fn event_line(t: &Templates, actors: &ActorNames, e: AuditRow) -> EventLine {
    EventLine {
        seq: e.seq,
        at: t.timestamp_seconds(e.created_at),
        actor: actors.name(t, &e.actor),
        action: t.audit_action(&e.action),
        request_id: e.request_id,
        to: e.to_status.as_deref().map(|s| t.status(s)),
        detail: e.detail,
    }
}
