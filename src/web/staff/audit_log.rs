//! `/staff/audit`: the most recent audit events, and on request (`?verify=1`) a check of
//! the whole hash chain (a full walk, so not on every page view).

use super::page;
use crate::db::models::audit::{self, AuditRow};
use crate::db::schema::audit_events;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde_json::json;

#[derive(Debug, serde::Deserialize)]
pub struct AuditQuery {
    verify: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    q: Result<web::Query<AuditQuery>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let verify = q
        .ok()
        .and_then(|q| q.verify.clone())
        .is_some_and(|v| v == "1");
    let (rows, chain, actors) = with_conn(&state, move |_, conn| {
        let rows: Vec<AuditRow> = audit_events::table
            .order(audit_events::seq.desc())
            .limit(200)
            .select(AuditRow::as_select())
            .load(conn)?;
        let chain = if verify {
            Some(audit::verify_chain(conn)?)
        } else {
            None
        };
        Ok((rows, chain, super::actors::ActorNames::load(conn)?))
    })
    .await?;
    let events: Vec<_> = rows
        .iter()
        .map(|e| {
            json!({"seq": e.seq, "at": state.templates.timestamp_seconds(e.created_at),
                        "actor": actors.name(&state.templates, &e.actor), "action": state.templates.audit_action(&e.action), "request_id": e.request_id,
                        "to": e.to_status.as_deref().map(|s| state.templates.status(s)), "detail": e.detail})
        })
        .collect();
    page(
        &state,
        &session,
        &me,
        "pages/staff/audit",
        json!({
            "title": state.templates.phrase("titles.staff_audit", &[]),
            "events": events,
            "verified": chain.is_some(),
            "chain_ok": chain.is_some_and(|c| c.is_ok()),
            "chain_count": chain.and_then(|c| c.ok()).unwrap_or(0),
            "broken_at": chain.and_then(|c| c.err()),
        }),
    )
}
