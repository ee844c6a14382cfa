//! The staff workspace: login, the deadline queue, the request page and its actions,
//! accounts, the audit log, metrics and the authorized-agent directory. Every handler
//! checks the session and the role.

pub mod accounts;
pub mod agents;
pub mod audit_log;
pub mod bulk;
mod form_again;
pub mod login;
pub mod manual_entry;
pub mod messages;
pub mod metrics;
pub mod oidc_login;
pub mod posted;
pub mod queue;
pub mod queue_export;
pub mod reply_templates;
pub mod request_page;
pub mod sessions;
pub mod tasks;

use crate::error::AppError;
use crate::state::AppState;
pub use crate::web::form::Form;
use crate::web::staff_session::CurrentStaff;
use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::Value;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::clients::rate_limit::Bucket;
    use crate::error::AppError;
    use crate::web::limit_first::limited;
    cfg.route("/staff/login", web::get().to(login::show))
        .route(
            "/staff/login",
            web::post()
                .to(login::submit)
                .wrap(limited::<AppError, _>(Bucket::Login)),
        )
        .route(
            "/staff/login/oidc",
            web::get()
                .to(oidc_login::start)
                .wrap(limited::<AppError, _>(Bucket::Login)),
        )
        // Not limited: without this browser's sealed sign-in it stops before any lookup,
        // and with it, it can be taken once.
        .route(
            "/staff/login/oidc/callback",
            web::get().to(oidc_login::callback),
        )
        .route("/staff/logout", web::post().to(login::logout))
        .route("/staff/password", web::get().to(login::password_form))
        .route("/staff/password", web::post().to(login::password_submit))
        .route("/staff/sessions", web::get().to(sessions::list))
        .route("/staff/sessions/end", web::post().to(sessions::end))
        .route("/staff", web::get().to(queue::show))
        .route("/staff/digest", web::post().to(queue::toggle_digest))
        .route("/staff/queue.csv", web::get().to(queue_export::csv))
        .route("/staff/queue/bulk", web::post().to(bulk::submit))
        // Before `/staff/requests/{id}`, which would otherwise take "new" for an id.
        .route("/staff/requests/new", web::get().to(manual_entry::show))
        .route("/staff/requests/new", web::post().to(manual_entry::submit))
        .route("/staff/requests/{id}", web::get().to(request_page::show))
        .route(
            "/staff/requests/{id}/action",
            web::post().to(request_page::act),
        )
        .route(
            "/staff/requests/{id}/messages",
            web::post().to(messages::send),
        )
        .route(
            "/staff/requests/{id}/run",
            web::post().to(request_page::run),
        )
        .route(
            "/staff/requests/{id}/package",
            web::post().to(request_page::send_package),
        )
        .route(
            "/staff/requests/{id}/documents/{doc}",
            web::get().to(request_page::document),
        )
        .route(
            "/staff/requests/{id}/documents/{doc}/review",
            web::post().to(request_page::review_document),
        )
        .route("/staff/requests/{id}/tasks", web::post().to(tasks::create))
        .route("/staff/tasks", web::get().to(tasks::list))
        .route("/staff/tasks/{id}", web::get().to(tasks::show))
        .route("/staff/tasks/{id}/files", web::post().to(tasks::upload))
        .route("/staff/tasks/{id}/done", web::post().to(tasks::done))
        .route(
            "/staff/tasks/{id}/reassign",
            web::post().to(tasks::reassign),
        )
        .route("/staff/accounts", web::get().to(accounts::list))
        .route("/staff/accounts", web::post().to(accounts::add))
        .route(
            "/staff/accounts/{id}/{op}",
            web::post().to(accounts::change),
        )
        .route("/staff/agents", web::get().to(agents::list))
        .route(
            "/staff/agents/{id}/disable",
            web::post().to(agents::disable),
        )
        .route("/staff/agents/{id}/enable", web::post().to(agents::enable))
        .route("/staff/templates", web::get().to(reply_templates::list))
        .route("/staff/templates", web::post().to(reply_templates::create))
        // Before `/staff/templates/{id}`, which would otherwise take "new" for an id.
        .route(
            "/staff/templates/new",
            web::get().to(reply_templates::new_form),
        )
        .route(
            "/staff/templates/{id}",
            web::get().to(reply_templates::edit_form),
        )
        .route(
            "/staff/templates/{id}",
            web::post().to(reply_templates::update),
        )
        .route(
            "/staff/templates/{id}/delete",
            web::post().to(reply_templates::delete),
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
    ctx: impl serde::Serialize,
) -> Result<HttpResponse, AppError> {
    let mut ctx = serde_json::to_value(ctx).map_err(AppError::internal)?;
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
    crate::web::render(state, &crate::web::language::Lang::staff(state), name, ctx)
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

const FLASH: &str = "staff_flash";

/// Keeps a one-line message for the next page this session renders, so that an action
/// can answer with a redirect (no resubmission on reload) and still say what it did.
pub fn set_flash(session: &Session, message: &str) -> Result<(), AppError> {
    session
        .insert(FLASH, message)
        .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))
}

/// The pending message, removed so that it is shown once. A value that no longer
/// decodes is dropped rather than failing the page.
pub fn take_flash(session: &Session) -> Option<String> {
    session.remove_as::<String>(FLASH).and_then(Result::ok)
}
