//! `/staff/audit`: the most recent audit events, and on request (`?verify=1`) a check of
//! the whole hash chain (`views::audit_log`).

use super::page;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::audit_log;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpResponse};

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
    let model = with_conn(&state, move |state, conn| {
        audit_log::load(state, conn, verify)
    })
    .await?;
    page(&state, &session, &me, "pages/staff/audit", model)
}
