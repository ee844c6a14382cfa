//! `/status` without a token: a person asks for a fresh status link by email. The
//! page answers the same for every address (`flows::lost_link`); the address is
//! never logged.

use crate::error::AppError;
use crate::flows::lost_link::{self, LostLinkAsk};
use crate::state::AppState;
use crate::web::form_post::FormPost;
use crate::web::language::Lang;
use crate::web::{csrf, render, with_conn};
use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpResponse};
use serde_json::json;

/// The longest reference anyone could mean; longer input is not looked up.
const MAX_REFERENCE: usize = 40;

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    form_page(&state, &session, &lang, "", "", None)
}

pub async fn send(state: web::Data<AppState>, post: FormPost) -> Result<HttpResponse, AppError> {
    let FormPost {
        form,
        session,
        lang,
    } = post;
    let t = lang.words(&state);
    let typed_email = form.text("email");
    let typed_reference = form.text("reference");
    let email = match crate::domain::intake::EmailAddress::parse(&typed_email) {
        Ok(email) => email,
        Err(message) => {
            let error = t.message(&message);
            let mut page = form_page(
                &state,
                &session,
                &lang,
                &typed_email,
                &typed_reference,
                Some(error),
            )?;
            *page.status_mut() = StatusCode::BAD_REQUEST;
            return Ok(page);
        }
    };
    let reference = Some(typed_reference.trim())
        .filter(|r| !r.is_empty())
        // Too long to be a reference: nothing would match, so nothing is looked up.
        .map(|r| r.chars().take(MAX_REFERENCE + 1).collect::<String>());
    let ask = LostLinkAsk { email, reference };
    // Looked up and sent after the answer: a known address costs decryption and queued
    // mail, an unknown one nothing, so waiting for it would let the response time tell
    // whether someone has requests here. The answer is the same page either way.
    let working = state.clone();
    actix_web::rt::spawn(async move {
        let done = with_conn(&working, move |state, conn| {
            lost_link::send(state, conn, &ask, crate::clock::now())
        })
        .await;
        match done {
            Ok(sent) => tracing::info!(links = sent, "status links asked for by email"),
            Err(e) => {
                tracing::warn!(error = %e.public_message(), "status links asked for by email: not sent")
            }
        }
    });
    render(
        &state,
        &lang,
        "pages/link_sent",
        json!({"title": t.phrase("titles.link_sent", &[]),
               "body_key": crate::i18n::key("link_sent.by_email")}),
    )
}

fn form_page(
    state: &AppState,
    session: &Session,
    lang: &Lang,
    email: &str,
    reference: &str,
    email_error: Option<String>,
) -> Result<HttpResponse, AppError> {
    render(
        state,
        lang,
        "pages/status_lost",
        json!({"title": lang.words(state).phrase("titles.status_lost", &[]),
               "email": email, "reference": reference, "email_error": email_error,
               "csrf_token": csrf::token(session)?}),
    )
}
