//! `/staff/audit`: the audit log, filtered by request, actor, action and dates and
//! paged by keyset, and on request (`?verify=1`) a check of the whole hash chain
//! (`views::audit_log`). Filters that cannot be read answer 400 with the form and a
//! message, never an error page.

use super::page;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::audit_log::{self, AuditQuery};
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    q: Option<web::Query<AuditQuery>>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let q = q.map(web::Query::into_inner).unwrap_or_default();
    let model = with_conn(&state, move |state, conn| audit_log::load(state, conn, &q)).await?;
    let refused = !model.errors.is_empty();
    let mut response = page(&state, &session, &me, "pages/staff/audit", model)?;
    if refused {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}
