//! `/verify/{token}`: the email link. GET shows a confirm button and POST confirms, so
//! mail scanners that pre-fetch links cannot use up the single-use token.

use super::link_request::{LinkPage, LinkPost};
use crate::db::models::requests::RequestRow;
use crate::db::models::tokens::Purpose;
use crate::domain::state::Status;
use crate::error::AppError;
use crate::flows::verification::{self, LinkState};
use crate::state::AppState;
use crate::web::language::Lang;
use crate::web::{csrf, render, with_conn};
use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn show(state: web::Data<AppState>, link: LinkPage) -> Result<HttpResponse, AppError> {
    let LinkPage {
        token,
        session,
        lang,
    } = link;
    let t = token.clone();
    let link = with_conn(&state, move |_, conn| {
        verification::inspect(conn, Purpose::VerifyEmail, &t, crate::clock::now())
    })
    .await?;
    match link {
        LinkState::Valid(_, request) => {
            let lang = lang.about_request(&state, request.language.as_deref());
            render(
                &state,
                &lang,
                "pages/verify_confirm",
                json!({"title": lang.words(&state).phrase("titles.verify_confirm", &[]), "reference": request.reference,
                       "token": token, "csrf_token": csrf::token(&session)?}),
            )
        }
        other => {
            let filed_in = other.request().and_then(|r| r.language.clone());
            let lang = lang.about_request(&state, filed_in.as_deref());
            problem_page(
                &state,
                &session,
                &lang,
                verify_problem(other),
                &token,
                "verify",
            )
        }
    }
}

/// A confirmation link opened again after it confirmed the request (a second click,
/// or weeks later) says so and offers the status link by email, rather than "cannot
/// be used". It does not open the status page itself: confirmation links get
/// forwarded ("is this email genuine?"), and the status page shows what was asked
/// and lets its holder withdraw. A used link of a request still unconfirmed was
/// replaced by a newer one, and says that.
fn verify_problem(link: LinkState) -> Problem {
    match link {
        LinkState::Used(ref request) if was_confirmed(request) => Problem::Confirmed,
        other => other.into(),
    }
}

/// Whether the request got past the confirmation of its email (a used link of one
/// that did not was replaced by a newer link, or the request closed unconfirmed).
fn was_confirmed(request: &RequestRow) -> bool {
    match request.status {
        Status::Submitted | Status::ClosedUnverified => false,
        // Waiting for the consumer: the agent who clicked did confirm their address.
        Status::AwaitingConsumer => true,
        // Withdrawn before confirming leaves no verified time.
        _ => request.verified_at.is_some() || request.status.is_open(),
    }
}

pub async fn confirm(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    let LinkPost {
        token,
        session,
        lang,
        ..
    } = post;
    let t = token.clone();
    let outcome = with_conn(&state, move |state, conn| {
        verification::confirm(state, conn, &t, crate::clock::now())
    })
    .await?;
    match outcome {
        Ok(v) => {
            tracing::info!(kind = v.kind.as_str(), "email verified");
            let lang = lang.about_request(&state, v.language.as_deref());
            let t = lang.words(&state);
            render(
                &state,
                &lang,
                "pages/verified",
                json!({"title": t.phrase("titles.verified", &[]), "reference": v.reference, "kind_label": t.label(v.kind.label_key()),
                       "awaiting_consumer": v.awaiting_consumer,
                       "status_url": format!("/status/{}", v.status_secret)}),
            )
        }
        Err(problem) => {
            let filed_in = problem.request().and_then(|r| r.language.clone());
            let lang = lang.about_request(&state, filed_in.as_deref());
            problem_page(
                &state,
                &session,
                &lang,
                verify_problem(problem),
                &token,
                "verify",
            )
        }
    }
}

pub async fn resend(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    resend_link(state, post, Purpose::VerifyEmail).await
}

/// Shared by the verify and status pages' "send me a new link" buttons.
pub async fn resend_link(
    state: web::Data<AppState>,
    post: LinkPost,
    purpose: Purpose,
) -> Result<HttpResponse, AppError> {
    let lang = post.lang.clone();
    with_conn(&state, move |state, conn| {
        verification::resend(state, conn, purpose, &post.token, crate::clock::now())
    })
    .await?;
    link_sent(&state, &lang)
}

/// "A new link is on its way", whatever happened (nobody learns whether a link or an
/// address exists).
pub fn link_sent(state: &AppState, lang: &Lang) -> Result<HttpResponse, AppError> {
    render(
        state,
        lang,
        "pages/link_sent",
        json!({"title": lang.words(state).phrase("titles.link_sent", &[])}),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Expired,
    Used,
    /// A confirmation link whose request is confirmed: not a problem for the person.
    Confirmed,
    Unknown,
}

impl From<LinkState> for Problem {
    fn from(s: LinkState) -> Problem {
        match s {
            LinkState::Expired(_) => Problem::Expired,
            LinkState::Used(_) => Problem::Used,
            LinkState::Unknown | LinkState::Valid(..) => Problem::Unknown,
        }
    }
}

/// Expired, used or unknown link: say which, in plain words, and offer a new one where
/// that can help.
pub fn problem_page(
    state: &AppState,
    session: &Session,
    lang: &Lang,
    problem: Problem,
    token: &str,
    route: &str,
) -> Result<HttpResponse, AppError> {
    use actix_web::http::StatusCode;
    let (reason, can_resend, status) = match problem {
        Problem::Expired => ("expired", true, StatusCode::GONE),
        Problem::Used => ("used", true, StatusCode::GONE),
        Problem::Confirmed => ("confirmed", true, StatusCode::OK),
        Problem::Unknown => ("unknown", false, StatusCode::NOT_FOUND),
    };
    let title = if problem == Problem::Confirmed {
        crate::i18n::key("titles.link_confirmed")
    } else {
        crate::i18n::key("titles.link_problem")
    };
    let mut page = render(
        state,
        lang,
        "pages/link_problem",
        json!({"title": lang.words(state).phrase(title, &[]), "reason": reason,
               "expired": reason == "expired", "used": reason == "used",
               "confirmed": reason == "confirmed",
               "can_resend": can_resend, "resend_action": format!("/{route}/{token}/resend"),
               "csrf_token": csrf::token(session)?}),
    )?;
    *page.status_mut() = status;
    Ok(page)
}
