//! `/status/{token}`: the consumer's status page (a magic link; no guessable ids).

use super::link_request::{LinkPage, LinkPost};
use super::verify::{problem_page, resend_link, Problem};
use crate::db::models::tokens::Purpose;
use crate::error::AppError;
use crate::flows::status::{view, StatusLookup};
use crate::i18n::{msg, Message};
use crate::languages::Choice;
use crate::state::AppState;
use crate::web::language::Lang;
use crate::web::{render, with_conn};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn show(state: web::Data<AppState>, link: LinkPage) -> Result<HttpResponse, AppError> {
    let LinkPage {
        token,
        session,
        lang,
    } = link;
    status_page(&state, &session, &lang, &token, StatusCode::OK, None).await
}

/// The status page, or the page saying why its link cannot be used; `refused` holds what
/// a refused message form had (its problem and the text typed), shown again with `code`.
pub(super) async fn status_page(
    state: &web::Data<AppState>,
    session: &Session,
    lang: &Lang,
    token: &str,
    code: StatusCode,
    refused: Option<(&Message, &str)>,
) -> Result<HttpResponse, AppError> {
    let t = token.to_string();
    let choice = lang.choice().clone();
    let found = with_conn(state, move |state, conn| {
        match view(state, conn, &t, crate::clock::now(), &choice)? {
            StatusLookup::Found(v) => {
                let words = choice
                    .about_request(&state.languages, v.language.as_deref())
                    .words(&state.languages);
                let extras = crate::views::status_page::load(state, words, conn, &v.request_id)?;
                Ok(Ok((v, extras)))
            }
            other => Ok(Err(other)),
        }
    })
    .await?;
    match found {
        Ok((v, extras)) => {
            let lang = lang.clone().about_request(state, v.language.as_deref());
            let form = match refused {
                Some((problem, draft)) => {
                    json!({"error": lang.words(state).message(problem), "body": draft})
                }
                None => json!({"error": null, "body": ""}),
            };
            let mut page = render(
                state,
                &lang,
                "pages/status",
                json!({"title": lang.words(state).phrase("titles.status", &[]), "request": v,
                       "extras": extras, "form": form, "token": token,
                       "csrf_token": crate::web::csrf::token(session)?}),
            )?;
            *page.status_mut() = code;
            Ok(page)
        }
        Err(StatusLookup::Expired) => {
            problem_page(state, session, lang, Problem::Expired, token, "status")
        }
        Err(_) => problem_page(state, session, lang, Problem::Unknown, token, "status"),
    }
}

/// `GET /status/{token}/withdraw`: what withdrawing means, with a confirm button and a
/// way back. Nothing is withdrawn by opening it.
pub async fn confirm_withdraw(
    state: web::Data<AppState>,
    link: LinkPage,
) -> Result<HttpResponse, AppError> {
    let LinkPage {
        token,
        session,
        lang,
    } = link;
    match look_up(&state, &token, lang.choice()).await? {
        StatusLookup::Found(v) if v.can_withdraw => {
            let lang = lang.about_request(&state, v.language.as_deref());
            render(
                &state,
                &lang,
                "pages/withdraw_confirm",
                json!({"title": lang.words(&state).phrase("titles.withdraw_confirm", &[]), "request": v,
                       "token": token, "csrf_token": crate::web::csrf::token(&session)?}),
            )
        }
        // Already closed: the status page says how it stands.
        StatusLookup::Found(_) => Ok(to_status(&token)),
        StatusLookup::Expired => {
            problem_page(&state, &session, &lang, Problem::Expired, &token, "status")
        }
        StatusLookup::Unknown => {
            problem_page(&state, &session, &lang, Problem::Unknown, &token, "status")
        }
    }
}

pub async fn resend(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    resend_link(state, post, Purpose::Status).await
}

async fn look_up(
    state: &web::Data<AppState>,
    token: &str,
    page: &Choice,
) -> Result<StatusLookup, AppError> {
    let t = token.to_string();
    let page = page.clone();
    with_conn(state, move |state, conn| {
        view(state, conn, &t, crate::clock::now(), &page)
    })
    .await
}

/// The open request behind a status link, for a consumer action.
pub(super) async fn request_behind(
    state: &web::Data<AppState>,
    token: &str,
) -> Result<String, AppError> {
    let any = Choice {
        code: state.languages.default_code().to_string(),
        chosen: false,
    };
    match look_up(state, token, &any).await? {
        StatusLookup::Found(v) => Ok(v.request_id),
        StatusLookup::Expired => Err(AppError::Forbidden(msg("errors.status_link_expired"))),
        StatusLookup::Unknown => Err(AppError::NotFound),
    }
}

/// Back to the status page the link `secret` opens.
pub(super) fn to_status(secret: &str) -> HttpResponse {
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
