//! `POST /api/v1/requests` and `GET /api/v1/status/{token}`.

use crate::domain::intake::{validate, RawIntake};
use crate::domain::source::Source;
use crate::error::{ApiError, AppError};
use crate::flows::intake::{submit_filing, Filing};
use crate::flows::status::{view, StatusLookup};
use crate::i18n::{english, msg};
use crate::json_body::{canonical, parse_object, read_as, Problem};
use crate::state::AppState;
use crate::web::{with_conn, with_writer};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// The body may hold anything; a body that is not a JSON object of the expected shape
/// is a 400 with the parser's own position hint, never a 500.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let is_json = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !is_json {
        return Ok(HttpResponse::UnsupportedMediaType().json(json!({
            "error": "unsupported_media_type",
            "message": "Send the request as JSON with Content-Type: application/json."
        })));
    }
    // Idempotency-Key lets an integration retry safely; without it every call is new.
    // An empty one counts as none. A key that is unusable (longer than the 200
    // characters the OpenAPI document allows, or not visible ASCII) is refused, not
    // ignored: ignoring it turned the client's safe retries into duplicate requests
    // without telling it (found by schemathesis's negative_data_rejection check,
    // fuzz/api.sh).
    let key = match req.headers().get("Idempotency-Key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok("") => None,
            Ok(k) if k.len() <= 200 => Some(format!("api:{k}")),
            _ => return Err(AppError::BadRequest(msg("errors.idempotency_key_invalid")).into()),
        },
    };
    // Problems are described without the values sent (they are personal data, and the
    // error reaches actix's debug log); a key given twice is refused, not overwritten.
    let bad = |p: Problem| match p {
        Problem::NotAnObject => AppError::BadRequest(msg("errors.body_not_object")),
        Problem::Json(problem) => {
            AppError::BadRequest(msg("errors.body_not_request").with("problem", problem))
        }
    };
    let object = parse_object(&body).map_err(bad)?;
    // A client's key is bound to its body: a retry of the same body (in any key order
    // or spacing) gets the first answer, another body under the key is refused. Keyed
    // digest, because the body holds personal data and the database must not let it be
    // guessed back.
    let digest = key
        .as_ref()
        .map(|_| state.indexer.index("api_body", &canonical(&object)));
    let raw: RawIntake = read_as(object).map_err(bad)?;
    let valid = match validate(&raw, &state.settings.jurisdictions, &state.identifier_rules) {
        Ok(v) => v,
        Err(errors) => {
            return Ok(HttpResponse::UnprocessableEntity().json(json!({
                "error": "validation_failed",
                "message": "Some fields need attention.",
                // The API answers in English, like its other messages.
                "errors": errors
                    .iter()
                    .map(|(field, ms)| (field, ms.iter().map(ToString::to_string).collect::<Vec<_>>()))
                    .collect::<std::collections::BTreeMap<_, _>>(),
            })));
        }
    };
    let key = key.unwrap_or_else(|| crate::crypto::tokens::random_id(16));
    // The person's emails follow the `Accept-Language` the integration passes on
    // (the language of the page the person used), when the portal offers it.
    let language = req
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| state.languages.negotiate(h))
        .map(str::to_string);
    let writer_key = key.clone();
    let done = with_writer(&state, Some(&writer_key), move |state, conn| {
        let filing = Filing {
            agent: None,
            source: Source::Api,
            gpc: false,
            email_attested: false,
            body_digest: digest.as_deref(),
            language: language.as_deref(),
        };
        submit_filing(state, conn, &valid, &filing, &key, crate::clock::now())
    })
    .await?;
    Ok(HttpResponse::Accepted().json(json!({
        "reference": done.reference,
        "status": done.status.as_str(),
        "due_at": done.due_on,
        "acknowledge_by": done.acknowledge_by,
        "verification": if done.kind.needs_verification() { "email_sent" } else { "not_required" },
    })))
}

pub async fn status(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = token.into_inner();
    // The JSON API speaks English; the view's words are not part of its answer.
    let in_english = crate::languages::Choice {
        code: "en".into(),
        chosen: true,
    };
    match with_conn(&state, move |state, conn| view(state, conn, &token, crate::clock::now(), &in_english)).await? {
        StatusLookup::Found(v) => Ok(HttpResponse::Ok().json(json!({
            "reference": v.reference,
            "kind": v.kind,
            "regime": v.regime,
            "status": v.status,
            // The API speaks English, whatever the pages' language.
            "step": english().text(v.step_key, &[]),
            "received_at": v.received_at,
            "due_at": v.due_date,
            "extended": v.extended,
            "timeline": v.timeline.iter().map(|e| json!({"at": e.at, "event": english().text(e.text_key, &[])})).collect::<Vec<_>>(),
        }))),
        StatusLookup::Expired => Err(AppError::Forbidden(msg("errors.status_link_expired"))
        .into()),
        StatusLookup::Unknown => Err(AppError::NotFound.into()),
    }
}
