//! Error pages in the portal's language and layout.
//!
//! `AppError::error_response` cannot reach the portal's state, so it writes a plain
//! English page. This middleware sees the error behind each response and, when it is an
//! `AppError`, writes the page again from `pages/error` with the catalogue and the
//! organisation's branding; status and headers (`Retry-After`…) are kept. The JSON API
//! (`ApiError`) and the DRP endpoints (`DrpError`) answer programs and are left alone.
//! If the template fails, the plain page is written in the portal's language: an error
//! path must not depend on the template engine working.
//!
//! A body over its limit is refused by actix's `Bytes` extractor before any handler
//! runs, with an English text of its own. A person's form gets the portal's page; a
//! program's body gets its API's error: the JSON API's `{error, message}` under `/api/`,
//! DRP's `{code, message, fatal}` under `/v1/` (an HTML page there broke clients that
//! read every answer as JSON).

use super::language::Lang;
use crate::error::{plain_error_page, ApiError, AppError};
use crate::i18n::msg;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, ResponseError};
use serde_json::json;

pub async fn localise(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    if let Some(answer) = program_refusal(&res) {
        return Ok(res.into_response(answer).map_into_boxed_body());
    }
    let state = res.request().app_data::<web::Data<AppState>>();
    let audience = reader(res.request().path());
    let page = match (state, res.response().error()) {
        (Some(state), Some(error)) => match error.as_error::<AppError>() {
            Some(e) if is_redirect(e) => None,
            Some(e) => Some(page_for(state, res.request(), e, audience)),
            None => error
                .as_error::<PayloadError>()
                .map(|p| page_for(state, res.request(), &payload_refusal(p), audience)),
        },
        _ => None,
    };
    Ok(match page {
        Some(body) => {
            let mut res = res.map_body(|_, _| BoxBody::new(body));
            // The extractor's refusal was plain text; the page is HTML.
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        None => res.map_into_boxed_body(),
    })
}

fn is_redirect(e: &AppError) -> bool {
    matches!(
        e,
        AppError::LoginRequired | AppError::PasswordChangeRequired
    )
}

/// Who reads the answers under a path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    People,
    /// The privacy team under `/staff`: their own layout, a way back to the queue.
    Staff,
    JsonApi,
    Drp,
}

fn reader(path: &str) -> Reader {
    if path == "/staff" || path.starts_with("/staff/") {
        Reader::Staff
    } else if path.starts_with("/api/") {
        Reader::JsonApi
    } else if path.starts_with("/v1/") {
        Reader::Drp
    } else {
        Reader::People
    }
}

/// A body the extractor refused on a program's path, answered as that API's error.
fn program_refusal<B>(res: &ServiceResponse<B>) -> Option<actix_web::HttpResponse> {
    let p = res.response().error()?.as_error::<PayloadError>()?;
    let refusal = match p {
        PayloadError::Overflow => {
            AppError::TooLarge(msg("errors.body_too_large").with("max", super::MAX_BODY / 1024))
        }
        _ => AppError::BadRequest(msg("errors.body_unreadable")),
    };
    match reader(res.request().path()) {
        Reader::People | Reader::Staff => None,
        Reader::JsonApi => Some(ApiError(refusal).error_response()),
        Reader::Drp => Some(super::drp::DrpError::from(refusal).error_response()),
    }
}

/// A body the extractor refused, as the refusal the portal words itself.
fn payload_refusal(p: &PayloadError) -> AppError {
    match p {
        PayloadError::Overflow => AppError::TooLarge(msg("errors.form_too_large")),
        _ => AppError::BadRequest(msg("errors.form_unreadable")),
    }
}

/// The page for `e`. Staff get it in the staff layout without its menu (`bare`): an
/// error page may be shown before anyone signed in, and must not depend on a database
/// lookup of who is signed in working.
fn page_for(state: &AppState, req: &HttpRequest, e: &AppError, audience: Reader) -> String {
    // A person's page speaks the language chosen for it; staff's the default.
    let lang = Lang::of(req);
    let templates = lang.words(state);
    let staff = audience == Reader::Staff;
    let message = match e {
        AppError::NotFound if staff => msg("staff_errors.not_found"),
        AppError::Internal(_) if staff => msg("staff_errors.internal"),
        _ => e.public_message(),
    };
    let ctx = json!({
        "title": templates.label(e.title_key()),
        "message": templates.message(&message),
        "org": state.org_context(),
        "languages": lang.links(state),
        "bare": staff,
    });
    let template = if staff {
        "pages/staff/error"
    } else {
        "pages/error"
    };
    templates.page(template, &ctx).unwrap_or_else(|err| {
        tracing::error!(error = %err, "error page template failed");
        plain_error_page(e, templates.catalogue())
    })
}
