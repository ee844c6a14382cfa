//! The Data Rights Protocol 1.0 endpoints (covered-business side), under `/v1/`.
//!
//! Thin handlers: they read the body and the bearer token, call `flows::drp`, and answer
//! with the protocol's JSON: a status object, or `{code, message, fatal}`.

use crate::db::models::drp::AgentRow;
use crate::drp::status::StatusObject;
use crate::error::AppError;
use crate::flows::drp::{self, Refusal};
use crate::state::AppState;
use crate::web::rate_limit::Bucket;
use crate::web::with_conn;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // One budget per client for every DRP call, checked before any body is read.
    let limited = || crate::web::limit_first::limited::<DrpError, _>(Bucket::Drp);
    cfg.route("/v1/agent/{agent_id}", web::post().to(pair).wrap(limited()))
        .route(
            "/v1/agent/{agent_id}",
            web::get().to(agent_info).wrap(limited()),
        )
        .route(
            "/v1/data-rights-request",
            web::post().to(exercise).wrap(limited()),
        )
        // Before DRP 0.9.3 the exercise URL had a trailing slash; agents may still use it.
        .route(
            "/v1/data-rights-request/",
            web::post().to(exercise).wrap(limited()),
        )
        .route(
            "/v1/data-rights-request/{id}",
            web::get().to(status).wrap(limited()),
        )
        .route(
            "/v1/data-rights-request/{id}",
            web::delete().to(revoke).wrap(limited()),
        );
}

fn json(status: u16, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .content_type("application/json")
        .json(body)
}

fn refused(r: &Refusal) -> HttpResponse {
    json(
        r.status,
        &crate::drp::status::error_body(r.status, &r.message, r.fatal),
    )
}

fn forbidden(message: &str) -> HttpResponse {
    json(403, &crate::drp::status::error_body(403, message, true))
}

/// The API is off until the business has a DRP id.
fn enabled(state: &AppState) -> Result<(), AppError> {
    state
        .settings
        .drp
        .business_id
        .as_ref()
        .map(|_| ())
        .ok_or(AppError::NotFound)
}

/// A portal error on a DRP endpoint (the API off, a rate limit, the database down),
/// answered like the protocol's own refusals: `{code, message, fatal}` in English, with
/// the status and `Retry-After` of the error. Never an HTML page: agents are programs.
#[derive(Debug)]
pub struct DrpError(AppError);

impl std::fmt::Display for DrpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<AppError> for DrpError {
    fn from(e: AppError) -> Self {
        DrpError(e)
    }
}

impl actix_web::ResponseError for DrpError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code().as_u16();
        // Worth retrying: the limit passes, the database comes back.
        let fatal = !matches!(
            self.0,
            AppError::TooManyRequests { .. } | AppError::Unavailable | AppError::Internal(_)
        );
        let message = self.0.public_message().to_string();
        self.0
            .response_builder()
            .json(crate::drp::status::error_body(status, &message, fatal))
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The agent the bearer token belongs to, or None (answered with 403).
async fn agent_of(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> Result<Option<AgentRow>, DrpError> {
    let Some(token) = bearer(req) else {
        return Ok(None);
    };
    Ok(with_conn(state, move |_, conn| {
        drp::authenticate(conn, &token, crate::clock::now())
    })
    .await?)
}

async fn pair(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, DrpError> {
    enabled(&state)?;
    let agent_id = path.into_inner();
    let outcome = with_conn(&state, move |state, conn| {
        drp::pair(state, conn, &agent_id, &body, crate::clock::now())
    })
    .await?;
    Ok(match outcome {
        Ok(paired) => json(200, &paired),
        Err(r) => {
            // The spec's answer to any failed pairing is a bare 403; the reason is logged
            // for the operator (agent ids are directory names, not personal data).
            tracing::info!(reason = %r.message, "DRP pairing refused");
            HttpResponse::Forbidden().finish()
        }
    })
}

async fn agent_info(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, DrpError> {
    enabled(&state)?;
    match agent_of(&state, &req).await? {
        Some(agent) if agent.id == *path => Ok(json(200, &serde_json::json!({}))),
        _ => Ok(HttpResponse::Forbidden().finish()),
    }
}

/// The common shape of the bearer-token endpoints: API on, rate limit, the token's
/// agent (403 without one), then the flow, answered as a status object or a refusal.
async fn as_agent<F>(
    state: web::Data<AppState>,
    req: HttpRequest,
    flow: F,
) -> Result<HttpResponse, DrpError>
where
    F: FnOnce(&AppState, &mut crate::db::DbConn, &AgentRow) -> drp::Outcome<StatusObject>
        + Send
        + 'static,
{
    enabled(&state)?;
    let Some(agent) = agent_of(&state, &req).await? else {
        return Ok(forbidden("missing, unknown or revoked bearer token"));
    };
    let outcome = with_conn(&state, move |state, conn| flow(state, conn, &agent)).await?;
    Ok(match outcome {
        Ok(status) => json(200, &status),
        Err(r) => refused(&r),
    })
}

async fn exercise(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, DrpError> {
    as_agent(state, req, move |state, conn, agent| {
        drp::exercise(state, conn, agent, &body, crate::clock::now())
    })
    .await
}

async fn status(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, DrpError> {
    let id = path.into_inner();
    as_agent(state, req, move |state, conn, agent| {
        drp::status_of(state, conn, agent, &id, crate::clock::now())
    })
    .await
}

async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, DrpError> {
    let id = path.into_inner();
    as_agent(state, req, move |state, conn, agent| {
        drp::revoke(state, conn, agent, &id, &body, crate::clock::now())
    })
    .await
}
