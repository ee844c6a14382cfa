//! `/status/{token}`: the consumer's status page (a magic link; no guessable ids).

use super::link_request::{LinkPage, LinkPost};
use super::verify::{problem_page, resend_link, Problem};
use crate::db::models::tokens::Purpose;
use crate::error::AppError;
use crate::flows::status::{view, StatusLookup};
use crate::i18n::msg;
use crate::state::AppState;
use crate::web::{render, with_conn};
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn show(state: web::Data<AppState>, link: LinkPage) -> Result<HttpResponse, AppError> {
    let LinkPage { token, session } = link;
    match look_up(&state, &token).await? {
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

pub async fn resend(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    resend_link(state, post, Purpose::Status).await
}

async fn look_up(state: &web::Data<AppState>, token: &str) -> Result<StatusLookup, AppError> {
    let t = token.to_string();
    with_conn(state, move |state, conn| {
        view(state, conn, &t, crate::clock::now())
    })
    .await
}

/// The open request behind a status link, for a consumer action.
async fn request_behind(state: &web::Data<AppState>, token: &str) -> Result<String, AppError> {
    match look_up(state, token).await? {
        StatusLookup::Found(v) => Ok(v.request_id),
        StatusLookup::Expired => Err(AppError::Forbidden(msg("errors.status_link_expired"))),
        StatusLookup::Unknown => Err(AppError::NotFound),
    }
}

/// Back to the status page the link `secret` opens.
fn to_status(secret: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/status/{secret}")))
        .finish()
}

pub async fn withdraw(
    state: web::Data<AppState>,
    post: LinkPost,
) -> Result<HttpResponse, AppError> {
    let id = request_behind(&state, &post.token).await?;
    with_conn(&state, move |state, conn| {
        crate::flows::handling::withdraw(state, conn, &id, crate::clock::now())
    })
    .await?;
    Ok(to_status(&post.token))
}

pub async fn appeal(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    let id = request_behind(&state, &post.token).await?;
    let reason = post.form.text("reason");
    let secret = with_conn(&state, move |state, conn| {
        crate::flows::handling::appeal(state, conn, &id, &reason, crate::clock::now())
    })
    .await?;
    Ok(to_status(&secret))
}
