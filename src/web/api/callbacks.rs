//! `POST /api/v1/connectors/{name}/callback`: a webhook system answering, later, a call
//! it accepted with `202`. Signed like the calls (HMAC-SHA256 over timestamp and body,
//! with the connector's secret, ±300 s), accepted once per call.

use crate::connectors::webhook::{parse_answer, verify, DEFAULT_REPLAY_WINDOW_SECS};
use crate::connectors::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::error::{ApiError, AppError};
use crate::i18n::msg;
use crate::state::AppState;
use crate::web::with_conn;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    let cfg = state
        .settings
        .connectors
        .iter()
        .find(|c| c.name == name && c.kind == "webhook")
        .ok_or(AppError::NotFound)?;
    // Without a usable secret nothing can be verified: refuse, never accept unsigned.
    let secret = cfg
        .secret_token()
        .map_err(|_| AppError::Forbidden(msg("errors.callback_refused")))?;
    let header = |h: &str| {
        req.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let now = crate::clock::now().and_utc().timestamp();
    if !verify(
        secret.as_bytes(),
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &body,
        now,
        DEFAULT_REPLAY_WINDOW_SECS,
    ) {
        return Ok(HttpResponse::Forbidden().finish());
    }
    let envelope: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| AppError::BadRequest(msg("errors.body_not_json")))?;
    let call_id = envelope["run_id"].as_str().unwrap_or_default().to_string();
    let event = envelope["event"].as_str().unwrap_or_default().to_string();
    let answer = parse_answer(&event, &body)
        .map_err(|e| AppError::BadRequest(msg("errors.callback_unreadable").with("problem", e)))?;
    with_conn(&state, move |state, conn| {
        crate::flows::connector_runs::complete_callback(state, conn, &name, &call_id, &answer)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "accepted"})))
}
