//! `/status/{token}`: the consumer's status page (a magic link; no guessable ids).

use super::verify::{problem_page, resend_link, Problem};
use crate::db::models::tokens::Purpose;
use crate::error::AppError;
use crate::flows::status::{view, StatusLookup};
use crate::i18n::msg;
use crate::state::AppState;
use crate::web::{render, with_conn};
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let t = token.clone();
    let found = with_conn(&state, move |state, conn| {
        view(conn, &state.templates, &t, crate::clock::now())
    })
    .await?;
    match found {
        StatusLookup::Found(v) => render(
            &state,
            "pages/status",
            json!({"title": state.templates.phrase("titles.status", &[]), "request": v, "token": token,
                   "csrf_token": crate::web::csrf::token(&session)?}),
        ),
        StatusLookup::Expired => problem_page(&state, &session, Problem::Expired, &token, "status"),
        StatusLookup::Unknown => problem_page(&state, &session, Problem::Unknown, &token, "status"),
    }
}

pub async fn resend(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    resend_link(
        state,
        req,
        session,
        token.into_inner(),
        body,
        Purpose::Status,
    )
    .await
}

/// Finds the open request behind a status link for a consumer action, after the
/// rate limit and the CSRF check.
async fn request_behind(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    session: &Session,
    token: &str,
    body: &[u8],
) -> Result<(String, crate::web::form::Form), AppError> {
    let form = crate::web::form::Form::parse(req, session, state, body)?;
    let t = token.to_string();
    match with_conn(state, move |state, conn| {
        view(conn, &state.templates, &t, crate::clock::now())
    })
    .await?
    {
        StatusLookup::Found(v) => Ok((v.request_id, form)),
        StatusLookup::Expired => Err(AppError::Forbidden(msg("errors.status_link_expired"))),
        StatusLookup::Unknown => Err(AppError::NotFound),
    }
}

pub async fn withdraw(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let (id, _) = request_behind(&state, &req, &session, &token, &body).await?;
    with_conn(&state, move |state, conn| {
        crate::flows::handling::withdraw(state, conn, &id, crate::clock::now())
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("/status/{token}")))
        .finish())
}

pub async fn appeal(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    token: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let (id, form) = request_behind(&state, &req, &session, &token, &body).await?;
    let reason = form.text("reason");
    let secret = with_conn(&state, move |state, conn| {
        crate::flows::handling::appeal(state, conn, &id, &reason, crate::clock::now())
    })
    .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("/status/{secret}")))
        .finish())
}
