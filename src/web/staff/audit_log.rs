//! `/staff/audit`: the most recent audit events and the chain's state, for auditors.

use super::page;
use crate::db::models::audit::{self, AuditRow};
use crate::db::schema::audit_events;
use crate::error::AppError;
use crate::staff::session;
use crate::state::AppState;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde_json::json;

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let (rows, chain) = with_conn(&state, |_, conn| {
        let rows: Vec<AuditRow> = audit_events::table
            .order(audit_events::seq.desc())
            .limit(200)
            .select(AuditRow::as_select())
            .load(conn)?;
        Ok((rows, audit::verify_chain(conn)?))
    })
    .await?;
    let events: Vec<_> = rows
        .iter()
        .map(|e| {
            json!({"seq": e.seq, "at": e.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                        "actor": e.actor, "action": e.action, "request_id": e.request_id,
                        "to": e.to_status, "detail": e.detail})
        })
        .collect();
    page(
        &state,
        &session,
        &me,
        "pages/staff/audit",
        json!({
            "title": "Audit log",
            "events": events,
            "chain_ok": chain.is_ok(),
            "chain_count": chain.unwrap_or(0),
            "broken_at": chain.err(),
        }),
    )
}
