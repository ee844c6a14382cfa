//! `/status/{token}`: the consumer's status page (a magic link; no guessable ids).

use super::verify::{problem_page, resend_link, Problem};
use crate::db::models::tokens::Purpose;
use crate::error::AppError;
use crate::flows::status::{view, StatusLookup};
use crate::state::AppState;
use crate::web::rate_limit::Bucket;
use crate::web::{limit, render, with_conn};
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req, Bucket::TokenPages)?;
    let token = token.into_inner();
    let t = token.clone();
    let found = with_conn(&state, move |_, conn| view(conn, &t, crate::clock::now())).await?;
    match found {
        StatusLookup::Found(v) => render(
            &state,
            "pages/status",
            json!({"title": "Your request", "request": v}),
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
