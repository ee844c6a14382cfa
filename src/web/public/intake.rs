//! `/requests/new` and `POST /requests`: the request form.
//!
//! Without JavaScript the form comes in two steps: first where the person lives (that
//! decides the law, so which kinds of request exist and the deadlines), then the form
//! for that place.

use super::gpc;
use crate::domain::agent_filing::{self, RawAgent};
use crate::domain::intake::{validate, FieldErrors, RawIntake};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::domain::source::Source;
use crate::error::AppError;
use crate::flows::intake::{submit_filing, Filing};
use crate::i18n::msg;
use crate::state::AppState;
use crate::web::form::Form;
use crate::web::multipart::{self, MultipartForm};
use crate::web::shown_errors::ShownErrors;
use crate::web::MAX_BODY;
use crate::web::{csrf, render, with_writer};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::HttpMessage;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

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
            .map(|j| json!({"code": j.as_str(), "label": state.templates.label(j.label_key()), "summary": state.templates.label(j.rights_summary_key())}))
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
    let no_agent = RawAgent::default();
    form_page(
        &state,
        &session,
        &req,
        place,
        &Typed {
            consumer: &raw,
            acting: false,
            agent: &no_agent,
        },
        &FieldErrors::new(),
        &submission_id,
    )
    .map(|(_, body)| body)
}

/// The form as typed (the consumer's part and, when filing as one, the agent's), to
/// show it again beside its errors.
struct Typed<'a> {
    consumer: &'a RawIntake,
    acting: bool,
    agent: &'a RawAgent,
}

/// Renders the form for `place` with what was typed and any errors beside their fields.
fn form_page(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    place: Jurisdiction,
    typed: &Typed<'_>,
    errors: &FieldErrors,
    submission_id: &str,
) -> Result<(StatusCode, HttpResponse), AppError> {
    let (raw, agent) = (typed.consumer, typed.agent);
    let shown = ShownErrors::new(state, errors);
    let error_of = |field: &str| shown.of(field);
    let kinds: Vec<_> = place
        .kinds()
        .iter()
        .map(|k| {
            json!({"code": k.as_str(), "label": state.templates.label(k.label_key()), "description": state.templates.label(k.description_key()),
                   "checked": raw.kind == k.as_str()})
        })
        .collect();
    let identifiers = shown.identifier_fields(&raw.identifiers);
    let summary = shown.summary();
    let text = |name: &str, value: &str| json!({"value": value, "error": error_of(name)});
    let ctx = json!({
        "title": state.templates.phrase("titles.request_form", &[]),
        "place": {"code": place.as_str(), "label": state.templates.label(place.label_key()), "summary": state.templates.label(place.rights_summary_key())},
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
        "agent": {
            "open": typed.acting,
            "acting": typed.acting,
            "name": text("agent_name", &agent.name),
            "email": text("agent_email", &agent.email),
            "organisation": text("agent_organisation", &agent.organisation),
            "registration_number": text("agent_registration_number", &agent.registration_number),
            "authority": agent.authority,
            "authority_error": error_of("agent_authority"),
            "document_error": error_of("agent_document"),
            "acting_error": error_of("agent"),
        },
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

/// The request form's fields however they were sent: url-encoded (no document) or
/// multipart (the agent's document).
enum Fields {
    Plain(Form),
    Multipart(MultipartForm),
}

impl Fields {
    fn get(&self, name: &str) -> Option<&str> {
        match self {
            Fields::Plain(f) => f.get(name),
            Fields::Multipart(f) => f.get(name),
        }
    }
}

async fn read_fields(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    payload: web::Payload,
) -> Result<Fields, AppError> {
    if req
        .content_type()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        let form = multipart::parse(
            req,
            session,
            state,
            multipart::bounded(req, payload),
            AGENT_DOCUMENT_FIELD,
        )
        .await?;
        return Ok(Fields::Multipart(form));
    }
    let mut body = web::BytesMut::new();
    let mut payload = payload;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::BadRequest(msg("errors.form_unreadable")))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(AppError::TooLarge(msg("errors.form_too_large")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fields::Plain(Form::parse(req, session, state, &body)?))
}

/// The file input of the agent's proof of authority.
const AGENT_DOCUMENT_FIELD: &str = "agent_document";

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let mut form = read_fields(&req, &session, &state, payload).await?;
    let upload = match &mut form {
        Fields::Multipart(m) => m.take_file(),
        Fields::Plain(_) => None,
    };
    let form = form;
    let get = |name: &str| form.get(name);

    // Honeypot: people never see this field; bots fill it. Answer as if accepted.
    if get("website").is_some_and(|v| !v.trim().is_empty()) {
        tracing::info!("intake honeypot triggered; submission dropped");
        return render(
            &state,
            "pages/submitted",
            json!({"title": state.templates.phrase("titles.submitted", &[]), "reference": null}),
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

    let acting = get("agent").is_some_and(|v| v == "yes");
    let raw_agent = RawAgent {
        name: get("agent_name").unwrap_or_default().into(),
        email: get("agent_email").unwrap_or_default().into(),
        organisation: get("agent_organisation").unwrap_or_default().into(),
        registration_number: get("agent_registration_number").unwrap_or_default().into(),
        authority: get("agent_authority").unwrap_or_default().into(),
    };
    let consumer = validate(&raw, &state.settings.jurisdictions, &state.identifier_rules);
    // The agent's part counts only when they said they are one; its errors join the
    // consumer's so that the page lists everything at once.
    let agent = acting.then(|| {
        let consumer_email = consumer.as_ref().ok().map(|v| &v.email);
        agent_filing::validate(
            &raw_agent,
            upload
                .as_ref()
                .map(|u| (u.filename.as_str(), u.bytes.as_slice())),
            consumer_email,
        )
    });
    let (consumer, agent) = match (consumer, agent) {
        (Ok(c), None) => (Ok(c), None),
        (Ok(c), Some(Ok(a))) => {
            if c.name.is_none() {
                let mut errors = FieldErrors::new();
                errors.insert(
                    "name".into(),
                    vec![msg("agent_filing.consumer_name_missing")],
                );
                (Err(errors), None)
            } else {
                (Ok(c), Some(a))
            }
        }
        (Ok(_), Some(Err(agent_errors))) => (Err(agent_errors), None),
        (Err(mut errors), Some(Err(agent_errors))) => {
            errors.extend(agent_errors);
            (Err(errors), None)
        }
        (Err(errors), _) => (Err(errors), None),
    };
    let valid = match consumer {
        Ok(v) => v,
        Err(errors) => {
            let place = Jurisdiction::parse(&raw.jurisdiction)
                .filter(|j| state.settings.jurisdictions.contains(j));
            return match place {
                Some(place) => {
                    let typed = Typed {
                        consumer: &raw,
                        acting,
                        agent: &raw_agent,
                    };
                    form_page(
                        &state,
                        &session,
                        &req,
                        place,
                        &typed,
                        &errors,
                        &submission_id,
                    )
                    .map(|(_, page)| page)
                }
                None => Err(AppError::BadRequest(msg("errors.choose_place_again"))),
            };
        }
    };
    // An agent's opt-out is the agent's claim, not the consumer's browser signal.
    let gpc = gpc::signal(&req) && valid.kind == RequestKind::OptOut && agent.is_none();
    let email = agent
        .as_ref()
        .map_or(valid.email.as_str(), |a| a.agent.email.as_str())
        .to_string();
    let by_agent = agent.is_some();
    let done = with_writer(&state, move |state, conn| {
        let filing = Filing {
            agent: agent.as_ref(),
            source: Source::Web,
            gpc,
            email_attested: false,
            body_digest: None,
        };
        submit_filing(
            state,
            conn,
            &valid,
            &filing,
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
            "title": state.templates.phrase("titles.submitted", &[]),
            "reference": done.reference,
            "kind_label": state.templates.label(done.kind.label_key()),
            "needs_verification": done.kind.needs_verification(),
            "email": email,
            "regime_label": state.templates.label(done.regime.label_key()),
            "due_on": state.templates.date(done.due_on),
            "acknowledge_by": done.acknowledge_by.map(|d| state.templates.date(d)),
            "link_hours": state.settings.verification.email_link_hours,
            "gpc": gpc,
            "by_agent": by_agent,
        }),
    )
}
