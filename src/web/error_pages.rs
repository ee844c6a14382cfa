//! Error pages in the portal's language and layout.
//!
//! `AppError::error_response` cannot reach the portal's state, so it writes a plain
//! English page. This middleware sees the error behind each HTML response and, when it
//! is an `AppError`, writes the page again from `pages/error` with the catalogue and
//! the organisation's branding; status and headers (`Retry-After`…) are kept. The JSON
//! API answers with `ApiError`, which it leaves alone. If the template fails, the plain
//! page stays: an error path must not depend on the template engine working.

use crate::error::AppError;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use serde_json::json;

pub async fn localise(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let page = match (
        res.request().app_data::<web::Data<AppState>>(),
        res.response()
            .error()
            .and_then(|e| e.as_error::<AppError>()),
    ) {
        (Some(state), Some(e)) if !is_redirect(e) => page_for(state, e),
        _ => None,
    };
    Ok(match page {
        Some(body) => res.map_body(|_, _| BoxBody::new(body)),
        None => res.map_into_boxed_body(),
    })
}

fn is_redirect(e: &AppError) -> bool {
    matches!(
        e,
        AppError::LoginRequired | AppError::PasswordChangeRequired
    )
}

fn page_for(state: &AppState, e: &AppError) -> Option<String> {
    let templates = &state.templates;
    let ctx = json!({
        "title": templates.label(e.title_key()),
        "message": templates.message(&e.public_message()),
        "org": state.org_context(),
    });
    templates
        .page("pages/error", &ctx)
        .map_err(|err| tracing::error!(error = %err, "error page template failed"))
        .ok()
}
