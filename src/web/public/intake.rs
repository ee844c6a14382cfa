//! `/requests/new` and `POST /requests`: the request form.
//!
//! Without JavaScript the form comes in two steps: first where the person lives (that
//! decides the law, so which kinds of request exist and the deadlines), then the form
//! for that place.

use super::gpc;
use crate::domain::intake::{validate, FieldErrors, RawIntake};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::error::AppError;
use crate::flows::intake::{submit as submit_request, Source};
use crate::state::AppState;
use crate::web::form::Form;
use crate::web::rate_limit::Bucket;
use crate::web::{csrf, limit, render, with_conn};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    jurisdiction: Option<String>,
    kind: Option<String>,
}

/// "Do Not Sell or Share My Personal Information" target.
pub async fn opt_out_shortcut(state: web::Data<AppState>) -> HttpResponse {
    let served = &state.settings.jurisdictions;
    let target = if served.contains(&Jurisdiction::California) {
        "/requests/new?jurisdiction=california&kind=opt_out"
    } else if served.contains(&Jurisdiction::UsOther) {
        "/requests/new?jurisdiction=us_other&kind=opt_out"
    } else {
        "/requests/new"
    };
    HttpResponse::SeeOther()
        .insert_header(("Location", target))
        .finish()
}

pub async fn new_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    query: Result<web::Query<NewQuery>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let query = query.map(|q| q.into_inner()).unwrap_or(NewQuery {
        jurisdiction: None,
        kind: None,
    });
    let place = query
        .jurisdiction
        .as_deref()
        .and_then(Jurisdiction::parse)
        .filter(|j| state.settings.jurisdictions.contains(j));
    let Some(place) = place else {
        let places: Vec<_> = state
            .settings
            .jurisdictions
            .iter()
            .map(|j| json!({"code": j.as_str(), "label": j.label(), "summary": j.rights_summary()}))
            .collect();
        return render(
            &state,
            "pages/choose_jurisdiction",
            json!({"places": places, "kind": query.kind.as_deref().and_then(RequestKind::parse).map(|k| k.as_str())}),
        );
    };
    let raw = RawIntake {
        jurisdiction: place.as_str().into(),
        kind: query
            .kind
            .as_deref()
            .and_then(RequestKind::parse)
            .filter(|k| place.offers(*k))
            .map(|k| k.as_str().to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    let submission_id = crate::crypto::tokens::random_id(16);
    form_page(
        &state,
        &session,
        &req,
        place,
        &raw,
        &FieldErrors::new(),
        &submission_id,
    )
    .map(|(_, body)| body)
}

/// Renders the form for `place` with what was typed and any errors beside their fields.
fn form_page(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    place: Jurisdiction,
    raw: &RawIntake,
    errors: &FieldErrors,
    submission_id: &str,
) -> Result<(StatusCode, HttpResponse), AppError> {
    let error_of = |field: &str| -> Value {
        errors
            .get(field)
            .map(|m| Value::String(m.join(" ")))
            .unwrap_or(Value::Null)
    };
    let kinds: Vec<_> = place
        .kinds()
        .iter()
        .map(|k| {
            json!({"code": k.as_str(), "label": k.label(), "description": k.description(),
                   "checked": raw.kind == k.as_str()})
        })
        .collect();
    let identifiers: Vec<_> = state
        .settings
        .identifiers
        .iter()
        .map(|i| {
            json!({"name": i.name, "label": i.label, "help": i.help, "required": i.required,
                   "value": raw.identifiers.get(&i.name).cloned().unwrap_or_default(),
                   "error": error_of(&format!("identifiers.{}", i.name))})
        })
        .collect();
    let summary: Vec<_> = errors
        .iter()
        .map(|(field, messages)| {
            json!({"anchor": field.replace('.', "-"), "message": messages.join(" ")})
        })
        .collect();
    let text = |name: &str, value: &str| json!({"value": value, "error": error_of(name)});
    let ctx = json!({
        "title": "Make a privacy request",
        "place": {"code": place.as_str(), "label": place.label(), "summary": place.rights_summary()},
        "kinds": kinds,
        "kind_error": error_of("kind"),
        "jurisdiction_error": error_of("jurisdiction"),
        "name": text("name", &raw.name),
        "email": text("email", &raw.email),
        "details": text("details", &raw.details),
        "correction_current": text("correction_current", &raw.correction_current),
        "correction_requested": text("correction_requested", &raw.correction_requested),
        "direct_marketing": raw.direct_marketing,
        "offers_correction": place.offers(RequestKind::Correction),
        "offers_objection": place.offers(RequestKind::Objection),
        "offers_opt_out": place.offers(RequestKind::OptOut),
        "identifiers": identifiers,
        "errors": summary,
        "has_errors": !errors.is_empty(),
        "gpc": gpc::signal(req),
        "csrf_token": csrf::token(session)?,
        "submission_id": submission_id,
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(state, "pages/request_form", ctx)?;
    *page.status_mut() = status;
    Ok((status, page))
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    limit(&state, &req, Bucket::Intake)?;
    let form = Form::parse(&req, &session, &state, &body)?;
    let get = |name: &str| form.get(name);

    // Honeypot: people never see this field; bots fill it. Answer as if accepted.
    if get("website").is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!("intake honeypot triggered; submission dropped");
        return render(
            &state,
            "pages/submitted",
            json!({"title": "Request received", "reference": null}),
        );
    }

    let mut raw = RawIntake {
        kind: get("kind").unwrap_or_default().into(),
        jurisdiction: get("jurisdiction").unwrap_or_default().into(),
        name: get("name").unwrap_or_default().into(),
        email: get("email").unwrap_or_default().into(),
        details: get("details").unwrap_or_default().into(),
        correction_current: get("correction_current").unwrap_or_default().into(),
        correction_requested: get("correction_requested").unwrap_or_default().into(),
        direct_marketing: get("direct_marketing").is_some_and(|v| v == "yes"),
        ..Default::default()
    };
    for rule in &state.identifier_rules {
        if let Some(v) = get(&format!("id_{}", rule.name)) {
            raw.identifiers.insert(rule.name.clone(), v.to_string());
        }
    }
    // A usable submission id makes resubmits idempotent; a missing or odd one gets a
    // fresh id (the request is still taken, just without double-submit protection).
    let submission_id = get("submission_id")
        .filter(|s| {
            (16..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| crate::crypto::tokens::random_id(16));

    let valid = match validate(&raw, &state.settings.jurisdictions, &state.identifier_rules) {
        Ok(v) => v,
        Err(errors) => {
            let place = Jurisdiction::parse(&raw.jurisdiction)
                .filter(|j| state.settings.jurisdictions.contains(j));
            return match place {
                Some(place) => {
                    form_page(&state, &session, &req, place, &raw, &errors, &submission_id)
                        .map(|(_, page)| page)
                }
                None => Err(AppError::BadRequest(
                    "Please start again and choose where you live.".into(),
                )),
            };
        }
    };
    let gpc = gpc::signal(&req) && valid.kind == RequestKind::OptOut;
    let email = valid.email.as_str().to_string();
    let done = with_conn(&state, move |state, conn| {
        submit_request(
            state,
            conn,
            &valid,
            Source::Web,
            gpc,
            &submission_id,
            crate::clock::now(),
        )
    })
    .await?;
    if done.created {
        tracing::info!(
            kind = done.kind.as_str(),
            regime = done.regime.as_str(),
            "request received"
        );
    }
    render(
        &state,
        "pages/submitted",
        json!({
            "title": "Request received",
            "reference": done.reference,
            "kind_label": done.kind.label(),
            "needs_verification": done.kind.needs_verification(),
            "email": email,
            "regime_label": done.regime.label(),
            "due_on": done.due_on.format("%-d %B %Y").to_string(),
            "acknowledge_by": done.acknowledge_by.map(|d| d.format("%-d %B %Y").to_string()),
            "link_hours": state.settings.verification.email_link_hours,
            "gpc": gpc,
        }),
    )
}
