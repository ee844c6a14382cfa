//! Staff login, logout and the password change (required after a generated password).

use super::{page, redirect};
use crate::error::AppError;
use crate::staff::login::Attempt;
use crate::staff::{accounts, device, throttle};
use crate::state::AppState;
use crate::web::form_post::{FormPost, Posted};
use crate::web::staff_session::{self as session, CurrentStaff};
use crate::web::{csrf, render, with_conn};
use actix_session::Session;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// Who is trying to log in or to prove their password: the client's key and the
/// account its known-device cookie vouches for, if any.
fn attempt(state: &AppState, req: &HttpRequest) -> Attempt {
    let key = throttle::client_key(&state.indexer, crate::web::client_ip(req, state));
    let known = req
        .cookie(device::COOKIE)
        .and_then(|c| device::verify(&state.indexer, c.value(), crate::clock::now()));
    Attempt::new(key, known, &state.settings.staff)
}

/// The browser in short for the sessions page (`staff_sessions.client`).
pub(super) fn client_of(req: &HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(session::client_label)
        .unwrap_or_default()
}

/// The known-device cookie for `staff_id`, renewed at each successful login.
fn device_cookie(state: &AppState, staff_id: &str) -> Cookie<'static> {
    let value = device::issue(&state.indexer, staff_id, crate::clock::now());
    Cookie::build(device::COOKIE, value)
        .path("/staff")
        .http_only(true)
        .secure(state.settings.uses_tls())
        .same_site(SameSite::Strict)
        .max_age(time::Duration::days(device::VALID_DAYS))
        .finish()
}

/// The login page, with the refusal of the attempt before it and the email it named.
/// With an identity provider it offers its button; the password form shows unless
/// password login is off, and then still when asked for (`?password`, for the
/// break-glass accounts) or after a password attempt.
fn login_page(
    state: &AppState,
    session: &Session,
    error: Option<String>,
    email: &str,
    password_asked: bool,
) -> Result<HttpResponse, AppError> {
    let oidc = state.oidc.as_ref().map(|p| p.settings());
    let provider = oidc.map(|o| {
        state.templates.phrase(
            "staff_login.with_provider",
            &[("provider", &o.display_name)],
        )
    });
    let password_form = oidc.is_none_or(|o| o.password_login) || password_asked;
    render(
        state,
        &crate::web::language::Lang::staff(state),
        "pages/staff/login",
        json!({"title": state.templates.phrase("titles.staff_login", &[]), "csrf_token": csrf::token(session)?,
               "error": error, "email": email, "provider": provider, "password_form": password_form}),
    )
}

/// Whether the password form may log `email` in: always without an identity provider
/// or while password login stays on, otherwise only for a break-glass login.
pub(super) fn password_allowed(state: &AppState, email: &str) -> bool {
    match state.oidc.as_ref().map(|p| p.settings()) {
        None => true,
        Some(o) => crate::domain::sign_in::password_allowed(
            o.password_login,
            &o.break_glass_logins(&accounts::first_admin_email(&state.settings)),
            email,
        ),
    }
}

/// The password form, with the refusal of the attempt before it.
fn password_page(
    state: &AppState,
    session: &Session,
    me: &CurrentStaff,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    page(
        state,
        session,
        me,
        "pages/staff/password",
        json!({"title": state.templates.phrase("titles.staff_password", &[]), "must_change": me.must_change_password, "error": error}),
    )
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let password_asked =
        form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, _)| k == "password");
    login_page(&state, &session, None, "", password_asked)
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    post: FormPost,
) -> Result<HttpResponse, AppError> {
    let FormPost { form, session, .. } = post;
    let email = form.text("email");
    let password = form.text("password");
    // Three steps so that no database connection waits on Argon2: read the account,
    // verify on the hashing pool (always, against a dummy hash without an account),
    // then record the outcome.
    let e = email.clone();
    let who = attempt(&state, &req);
    let row = with_conn(&state, move |_, conn| {
        crate::staff::login::candidate(conn, &e)
    })
    .await?;
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    // Verified whatever the outcome, so that the answer takes as long for every login;
    // with password login off, a right password of an account outside the break-glass
    // list counts as a failure.
    let verified =
        state.hash_pool.verify(password, stored).await? && password_allowed(&state, &email);
    let outcome = with_conn(&state, move |_, conn| {
        crate::staff::login::finish(conn, row, verified, &who, crate::clock::now())
    })
    .await?;
    match outcome {
        Ok(row) => {
            session::start(&state, &session, &row.id, client_of(&req)).await?;
            tracing::info!(staff_id = %row.id, "staff login");
            let mut resp = redirect(if row.must_change_password {
                "/staff/password"
            } else {
                "/staff"
            });
            resp.add_cookie(&device_cookie(&state, &row.id))
                .map_err(|e| AppError::internal(anyhow::anyhow!("cookie: {e}")))?;
            Ok(resp)
        }
        Err(_) => {
            let failed = state.templates.phrase("staff_login.failed", &[]);
            let mut resp = login_page(&state, &session, Some(failed), &email, true)?;
            *resp.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
            Ok(resp)
        }
    }
}

pub async fn logout(state: web::Data<AppState>, post: FormPost) -> Result<HttpResponse, AppError> {
    session::end(&state, &post.session).await?;
    Ok(redirect("/staff/login"))
}

pub async fn password_form(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, true).await?;
    password_page(&state, &session, &me, None)
}

/// The password change; the one staff form a password still to change may post.
pub async fn password_submit(
    state: web::Data<AppState>,
    posted: Posted,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &posted.session, true).await?;
    let form = posted.form()?;
    let Posted { req, session, .. } = posted;
    let (current, new, repeat) = (form.text("current"), form.text("new"), form.text("repeat"));
    if new != repeat {
        let differ = state.templates.phrase("staff_password.differ", &[]);
        return password_page(&state, &session, &me, Some(differ));
    }
    let (id, session_id) = (me.id.clone(), me.session_id.clone());
    let who = attempt(&state, &req);
    let result = with_conn(&state, move |state, conn| {
        accounts::change_own_password(
            conn,
            &state.hasher,
            &id,
            &session_id,
            &current,
            &new,
            &who,
            crate::clock::now(),
        )
    })
    .await;
    match result {
        Ok(()) => {
            // The change ended every session of the account; this browser gets a new
            // one (and a new cookie session id), like at login.
            session::start(&state, &session, &me.id, client_of(&req)).await?;
            Ok(redirect("/staff"))
        }
        Err(AppError::LoginRequired) => {
            // Too many wrong answers in this session: it was ended on the server.
            session.purge();
            Err(AppError::LoginRequired)
        }
        Err(AppError::BadRequest(refusal)) => {
            let refusal = state.templates.message(&refusal);
            let mut resp = password_page(&state, &session, &me, Some(refusal))?;
            *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}
