//! The staff workspace: login, the deadline queue, the request page and its actions,
//! accounts, the audit log and metrics. Every handler checks the session and the role.

pub mod accounts;
pub mod audit_log;
pub mod login;
pub mod metrics;
pub mod queue;
pub mod request_page;

use crate::error::AppError;
use crate::staff::session::CurrentStaff;
use crate::state::AppState;
pub use crate::web::form::Form;
use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::Value;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/login", web::get().to(login::show))
        .route("/staff/login", web::post().to(login::submit))
        .route("/staff/logout", web::post().to(login::logout))
        .route("/staff/password", web::get().to(login::password_form))
        .route("/staff/password", web::post().to(login::password_submit))
        .route("/staff", web::get().to(queue::show))
        .route("/staff/digest", web::post().to(queue::toggle_digest))
        .route("/staff/requests/{id}", web::get().to(request_page::show))
        .route(
            "/staff/requests/{id}/action",
            web::post().to(request_page::act),
        )
        .route(
            "/staff/requests/{id}/run",
            web::post().to(request_page::run),
        )
        .route(
            "/staff/requests/{id}/package",
            web::post().to(request_page::send_package),
        )
        .route("/staff/accounts", web::get().to(accounts::list))
        .route("/staff/accounts", web::post().to(accounts::add))
        .route(
            "/staff/accounts/{id}/{op}",
            web::post().to(accounts::change),
        )
        .route("/staff/audit", web::get().to(audit_log::show))
        .route("/staff/metrics", web::get().to(metrics::show))
        .route("/staff/metrics.csv", web::get().to(metrics::csv));
}

/// Renders a staff page with the navigation context (who is logged in, their role).
pub fn page(
    state: &AppState,
    session: &Session,
    me: &CurrentStaff,
    name: &str,
    mut ctx: Value,
) -> Result<HttpResponse, AppError> {
    if let Value::Object(map) = &mut ctx {
        map.insert(
            "me".into(),
            serde_json::json!({
                "email": me.email, "role": me.role.as_str(),
                "is_admin": me.role.can_manage_staff(),
                "can_work": me.role.can_work_requests(),
                "digest_opt_in": me.digest_opt_in,
            }),
        );
        map.insert(
            "csrf_token".into(),
            crate::web::csrf::token(session)?.into(),
        );
    }
    crate::web::render(state, name, ctx)
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}
