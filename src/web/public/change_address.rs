//! `/requests/change-address`: "Wrong address? Change it" on the page that follows a
//! request (`flows::address_change` replaces the address of the unconfirmed request).
//!
//! Who may change it: the browser that filed it, and only it. When the request is
//! filed, a one-time secret is kept in that browser's session (an encrypted, HttpOnly,
//! SameSite=Strict cookie) beside the request's id; the change form carries the secret,
//! and a change must present it with the CSRF token. Each change spends it and issues a
//! new one, so a form shown once cannot be posted twice; another browser, or this one
//! after it closed, has nothing to present.

use super::intake_submit::{submitted_page, EmailChoice};
use crate::crypto::tokens;
use crate::domain::email_typos;
use crate::domain::intake::EmailAddress;
use crate::domain::state::Status;
use crate::error::AppError;
use crate::flows::intake::Submitted;
use crate::flows::request_change::Refused;
use crate::i18n::{msg, Message};
use crate::state::AppState;
use crate::web::form::Form;
use crate::web::language::Lang;
use crate::web::{csrf, render, with_conn};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

const SESSION_KEY: &str = "address_change";

/// What the filing browser holds: which request, and the secret of its next change.
#[derive(Serialize, Deserialize)]
struct Grant {
    request_id: String,
    reference: String,
    secret: String,
}

/// Lets this browser change the address of the request just filed, when it is one
/// whose address is still unconfirmed. Some(()) when the change is offered.
pub(super) fn allow(session: &Session, done: &Submitted) -> Option<()> {
    if done.status != Status::Submitted || !done.kind.needs_verification() {
        session.remove(SESSION_KEY);
        return None;
    }
    let grant = Grant {
        request_id: done.id.clone(),
        reference: done.reference.clone(),
        secret: tokens::random_id(24),
    };
    session.insert(SESSION_KEY, grant).ok()
}

fn grant(session: &Session) -> Result<Grant, AppError> {
    session
        .get::<Grant>(SESSION_KEY)
        .ok()
        .flatten()
        // 400, not 403: nothing is refused to this browser, it has no request to change.
        .ok_or_else(|| AppError::BadRequest(msg("change_address.not_this_browser")))
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let grant = grant(&session)?;
    page(&state, &session, &Lang::of(&req), &grant, &Typed::default())
}

pub async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Form::parse(&req, &session, &state, &body)?;
    let held = grant(&session)?;
    let presented = form.get("change_secret").unwrap_or_default();
    if !tokens::same(&tokens::hash(presented), &tokens::hash(&held.secret)) {
        return Err(AppError::Forbidden(msg("change_address.form_used")));
    }
    let choice = EmailChoice::read(&form);
    let typed = choice.address(form.text("email"));
    let email = match EmailAddress::parse(&typed) {
        Ok(email) => email,
        Err(error) => return again(&state, &session, &req, &held, typed, Some(error)),
    };
    if !choice.kept(&typed) && email_typos::suggest(&typed).is_some() {
        return again(&state, &session, &req, &held, typed, None);
    }
    let id = held.request_id.clone();
    let to = email.clone();
    // Its own transaction, not a group-commit batch: it changes an existing request
    // (see `with_writer`).
    let outcome = with_conn(&state, move |state, conn| {
        crate::flows::address_change::replace(state, conn, &id, &to, crate::clock::now())
    })
    .await?;
    match outcome {
        Ok(done) => {
            tracing::info!("request address changed before confirmation");
            let offered = allow(&session, &done).is_some();
            submitted_page(
                &state,
                &Lang::of(&req),
                &done,
                email.as_str(),
                (false, false),
                offered,
            )
        }
        Err(Refused::Failed(e)) => Err(e),
        Err(Refused::NotAllowed | Refused::Stale) => {
            session.remove(SESSION_KEY);
            Err(AppError::Conflict(msg("change_address.too_late")))
        }
    }
}

/// What was typed on the change page, with its error or a likely typo.
#[derive(Default)]
struct Typed {
    email: String,
    error: Option<Message>,
}

fn again(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    grant: &Grant,
    email: String,
    error: Option<Message>,
) -> Result<HttpResponse, AppError> {
    let failed = error.is_some();
    let mut page = page(
        state,
        session,
        &Lang::of(req),
        grant,
        &Typed { email, error },
    )?;
    if failed {
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(page)
}

fn page(
    state: &AppState,
    session: &Session,
    lang: &Lang,
    grant: &Grant,
    typed: &Typed,
) -> Result<HttpResponse, AppError> {
    let t = lang.words(state);
    let error = typed.error.as_ref().map(|m| t.message(m));
    let suggestion = error
        .is_none()
        .then(|| email_typos::suggest(&typed.email))
        .flatten();
    render(
        state,
        lang,
        "pages/change_address",
        json!({
            "title": t.phrase("titles.change_address", &[]),
            "reference": grant.reference,
            "email": {"value": typed.email, "error": error},
            "suggestion": suggestion.map(|s| json!({"address": s, "typed": typed.email.trim()})),
            "csrf_token": csrf::token(session)?,
            "change_secret": grant.secret,
            "has_errors": typed.error.is_some(),
        }),
    )
}
