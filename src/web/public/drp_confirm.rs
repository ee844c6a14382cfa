//! `/requests/confirm/{handle}`: the `user_verification_url` an authorized agent gets
//! for a DRP request that waits for the person (DRP §3.02.1). GET shows a button and
//! nothing about the request; POST (CSRF-checked, rate limited) has the email link sent
//! again to the address on file and answers the same whatever happened.

use super::link_request::LinkPost;
use super::verify::link_sent;
use crate::error::AppError;
use crate::flows::drp_verification;
use crate::state::AppState;
use crate::web::language::Lang;
use crate::web::{csrf, render, with_conn};
use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

/// The parameters §3.02.1 has the agent add. `redirect_to` is accepted and not used:
/// the person confirms by the email link, later and elsewhere, so there is no moment
/// of success to redirect at, and following an agent-supplied URL from here would make
/// the page an open redirect.
#[derive(Debug, Deserialize)]
pub struct AgentParams {
    request_id: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    lang: Lang,
    handle: web::Path<String>,
    params: Result<web::Query<AgentParams>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    // A query that does not parse names no request this handle could be checked for.
    let request_id = params
        .map_err(|_| AppError::NotFound)?
        .into_inner()
        .request_id;
    let handle = handle.into_inner();
    let h = handle.clone();
    let allowed = with_conn(&state, move |_, conn| {
        drp_verification::page_allowed(conn, &h, request_id.as_deref(), crate::clock::now())
    })
    .await?;
    if !allowed {
        return Err(AppError::NotFound);
    }
    render(
        &state,
        &lang,
        "pages/drp_confirm",
        json!({
            "title": lang.words(&state).phrase("titles.drp_confirm", &[]),
            "action_url": format!("/requests/confirm/{handle}"),
            "csrf_token": csrf::token(&session)?,
        }),
    )
}

pub async fn send(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    let lang = post.lang.clone();
    with_conn(&state, move |state, conn| {
        drp_verification::send_link(state, conn, &post.token, crate::clock::now())
    })
    .await?;
    link_sent(&state, &lang)
}
