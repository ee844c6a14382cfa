//! Staff login, logout and the password change (required after a generated password).

use super::{page, redirect, Form};
use crate::error::AppError;
use crate::staff::{accounts, session};
use crate::state::AppState;
use crate::web::{csrf, render, with_conn};
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn show(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    render(
        &state,
        "pages/staff/login",
        json!({"title": state.templates.phrase("titles.staff_login", &[]), "csrf_token": csrf::token(&session)?, "error": null, "email": ""}),
    )
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Form::parse(&req, &session, &state, &body)?;
    let email = form.text("email");
    let password = form.text("password");
    // Three steps so that no database connection waits on Argon2: read the account,
    // verify on the hashing pool (always, against a dummy hash without an account),
    // then record the outcome.
    let e = email.clone();
    let row = with_conn(&state, move |_, conn| accounts::login_candidate(conn, &e)).await?;
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    let verified = state.hash_pool.verify(password, stored).await?;
    let outcome = with_conn(&state, move |state, conn| {
        accounts::finish_login(
            conn,
            row,
            verified,
            state.settings.staff.lockout_after,
            crate::clock::now(),
        )
    })
    .await?;
    match outcome {
        Ok(row) => {
            session::start(&session, &row.id)?;
            tracing::info!(staff_id = %row.id, "staff login");
            Ok(redirect(if row.must_change_password {
                "/staff/password"
            } else {
                "/staff"
            }))
        }
        Err(_) => {
            let mut resp = render(
                &state,
                "pages/staff/login",
                json!({"title": state.templates.phrase("titles.staff_login", &[]), "csrf_token": csrf::token(&session)?,
                       "error": state.templates.phrase("staff_login.failed", &[]),
                       "email": email}),
            )?;
            *resp.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
            Ok(resp)
        }
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    Form::parse(&req, &session, &state, &body)?;
    session::end(&session);
    Ok(redirect("/staff/login"))
}

pub async fn password_form(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, true).await?;
    page(
        &state,
        &session,
        &me,
        "pages/staff/password",
        json!({"title": state.templates.phrase("titles.staff_password", &[]), "must_change": me.must_change_password, "error": null}),
    )
}

pub async fn password_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, true).await?;
    let form = Form::parse(&req, &session, &state, &body)?;
    let (current, new, repeat) = (form.text("current"), form.text("new"), form.text("repeat"));
    if new != repeat {
        return page(
            &state,
            &session,
            &me,
            "pages/staff/password",
            json!({"title": state.templates.phrase("titles.staff_password", &[]), "must_change": me.must_change_password,
                           "error": state.templates.phrase("staff_password.differ", &[])}),
        );
    }
    let id = me.id.clone();
    let result = with_conn(&state, move |state, conn| {
        accounts::change_own_password(
            conn,
            &state.hasher,
            &id,
            &current,
            &new,
            crate::clock::now(),
        )
    })
    .await;
    match result {
        Ok(()) => {
            // A new session id after a credential change, like at login.
            session::start(&session, &me.id)?;
            Ok(redirect("/staff"))
        }
        Err(AppError::BadRequest(refusal)) => {
            let mut resp = page(
                &state,
                &session,
                &me,
                "pages/staff/password",
                json!({"title": state.templates.phrase("titles.staff_password", &[]), "must_change": me.must_change_password, "error": state.templates.message(&refusal)}),
            )?;
            *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e),
    }
}
