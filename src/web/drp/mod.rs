//! The Data Rights Protocol 1.0 endpoints (covered-business side), under `/v1/`.
//!
//! Thin handlers: they read the body and the bearer token, call `flows::drp`, and answer
//! with the protocol's JSON: a status object, or `{code, message, fatal}`.

mod error;

pub use error::DrpError;

use crate::clients::rate_limit::Bucket;
use crate::db::models::drp::AgentRow;
use crate::drp::status::StatusObject;
use crate::error::AppError;
use crate::flows::drp::{self, Refusal};
use crate::state::AppState;
use crate::web::with_conn;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

/// Every path under `/v1/` belongs to DRP: a path no endpoint serves and a method an
/// endpoint does not take are answered in the protocol's JSON too, not by the portal's
/// HTML 404 (actix's own answer to a wrong method on a known path is that same 404).
pub fn routes(cfg: &mut web::ServiceConfig) {
    // One budget per client for every DRP call, checked before any body is read.
    let limited = || crate::web::limit_first::limited::<DrpError, _>(Bucket::Drp);
    let wrong_method = |allow: &'static str| {
        web::to(move || async move { Err::<HttpResponse, _>(DrpError::MethodNotAllowed { allow }) })
    };
    cfg.service(
        web::scope("/v1")
            .service(
                web::resource("/agent/{agent_id}")
                    .route(web::post().to(pair).wrap(limited()))
                    .route(web::get().to(agent_info).wrap(limited()))
                    .default_service(wrong_method("GET, POST")),
            )
            .service(
                web::resource("/data-rights-request")
                    .route(web::post().to(exercise).wrap(limited()))
                    .default_service(wrong_method("POST")),
            )
            // Before DRP 0.9.3 the exercise URL had a trailing slash; agents may still
            // use it.
            .service(
                web::resource("/data-rights-request/")
                    .route(web::post().to(exercise).wrap(limited()))
                    .default_service(wrong_method("POST")),
            )
            .service(
                web::resource("/data-rights-request/{id}")
                    .route(web::get().to(status).wrap(limited()))
                    .route(web::delete().to(revoke).wrap(limited()))
                    .default_service(wrong_method("GET, DELETE")),
            )
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(DrpError::NoSuchEndpoint)
            })),
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

/// A missing or wrong bearer token. No request changes, so not fatal (§3.06).
fn forbidden(message: &str) -> HttpResponse {
    json(403, &crate::drp::status::error_body(403, message, false))
}

/// The API is off until the business has a DRP id. (Calls are rate limited by the
/// routes' middleware, before any body is read.)
fn admitted(state: &AppState) -> Result<(), DrpError> {
    state
        .settings
        .drp
        .business_id
        .as_ref()
        .ok_or(AppError::NotFound)?;
    Ok(())
}

/// The signed body, read here rather than by actix's `Bytes` extractor, whose refusals
/// (too large, unreadable) would reach the agent as the portal's HTML error page.
async fn read_body(payload: web::Payload) -> Result<web::Bytes, DrpError> {
    match payload.to_bytes_limited(crate::web::MAX_BODY).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(DrpError::Unreadable),
        Err(_) => Err(DrpError::TooLarge),
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
    payload: web::Payload,
) -> Result<HttpResponse, DrpError> {
    admitted(&state)?;
    let body = read_body(payload).await?;
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
    admitted(&state)?;
    // §2.06.1 asks for a 403; only a pairing refusal has an empty body (§2.05.1), so
    // this one carries the error object like every other.
    match agent_of(&state, &req).await? {
        Some(agent) if agent.id == *path => Ok(json(200, &serde_json::json!({}))),
        _ => Ok(forbidden(
            "missing, unknown or revoked bearer token, or one of another agent",
        )),
    }
}

/// The common shape of the bearer-token endpoints, once admitted: the token's agent
/// (403 without one), then the flow, answered as a status object or a refusal.
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
    payload: web::Payload,
) -> Result<HttpResponse, DrpError> {
    admitted(&state)?;
    let body = read_body(payload).await?;
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
    admitted(&state)?;
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
    payload: web::Payload,
) -> Result<HttpResponse, DrpError> {
    admitted(&state)?;
    let body = read_body(payload).await?;
    let id = path.into_inner();
    as_agent(state, req, move |state, conn, agent| {
        drp::revoke(state, conn, agent, &id, &body, crate::clock::now())
    })
    .await
}
