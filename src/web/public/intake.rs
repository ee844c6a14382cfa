//! `/requests/new`: the request form (sent to `intake_submit`).
//!
//! Without JavaScript the form comes in two steps: first where the person lives (that
//! decides the law, so which kinds of request exist and the deadlines), then the form
//! for that place.

use super::gpc;
use crate::domain::agent_filing::RawAgent;
use crate::domain::filing_for::FilingFor;
use crate::domain::intake::{FieldErrors, RawIntake};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::language::Lang;
use crate::web::shown_errors::ShownErrors;
use crate::web::{csrf, render};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    jurisdiction: Option<String>,
    kind: Option<String>,
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
    let kind = query.kind.as_deref().and_then(RequestKind::parse);
    let Some(place) = place else {
        return choose_place(&state, &Lang::of(&req), kind);
    };
    let raw = RawIntake {
        jurisdiction: place.as_str().into(),
        kind: kind
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
            filing_for: None,
            agent: &no_agent,
            suggestion: None,
        },
        &FieldErrors::new(),
        &submission_id,
    )
    .map(|(_, body)| body)
}

/// The first step without JavaScript: where the person lives, carrying the kind of
/// request a link asked for to the form.
fn choose_place(
    state: &AppState,
    lang: &Lang,
    kind: Option<RequestKind>,
) -> Result<HttpResponse, AppError> {
    let t = lang.words(state);
    let places: Vec<_> = state
        .settings
        .jurisdictions
        .iter()
        .map(|j| json!({"code": j.as_str(), "label": t.label(j.label_key()), "summary": t.label(j.rights_summary_key())}))
        .collect();
    render(
        state,
        lang,
        "pages/choose_jurisdiction",
        json!({"places": places, "kind": kind.map(|k| k.as_str())}),
    )
}

/// The form as typed (the consumer's part and, when filing as one, the agent's), to
/// show it again beside its errors or with a likely typo in the email address.
pub(super) struct Typed<'a> {
    pub consumer: &'a RawIntake,
    /// The answer to "who is this for?"; None until answered.
    pub filing_for: Option<FilingFor>,
    pub agent: &'a RawAgent,
    /// The address the person probably meant (`domain::email_typos`).
    pub suggestion: Option<&'a str>,
}

/// Renders the form for `place` with what was typed and any errors beside their fields.
pub(super) fn form_page(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    place: Jurisdiction,
    typed: &Typed<'_>,
    errors: &FieldErrors,
    submission_id: &str,
) -> Result<(StatusCode, HttpResponse), AppError> {
    let (raw, agent) = (typed.consumer, typed.agent);
    let lang = Lang::of(req);
    let t = lang.words(state);
    let shown = ShownErrors::new(state, t, errors);
    let error_of = |field: &str| shown.of(field);
    let kinds: Vec<_> = place
        .kinds()
        .iter()
        .map(|k| {
            json!({"code": k.as_str(), "label": t.label(k.label_key()), "description": t.label(k.description_key()),
                   "checked": raw.kind == k.as_str()})
        })
        .collect();
    let identifiers = shown.identifier_fields(&raw.identifiers);
    let summary = shown.summary_in_form_order();
    let acting = typed.filing_for.is_some_and(FilingFor::is_agent);
    let text = |name: &str, value: &str| json!({"value": value, "error": error_of(name)});
    let ctx = json!({
        "title": t.phrase("titles.request_form", &[]),
        "place": {"code": place.as_str(), "label": t.label(place.label_key()), "summary": t.label(place.rights_summary_key())},
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
        // A place without the opt-out is not told about a signal it has no use for.
        "gpc": gpc::signal(req) && place.offers(RequestKind::OptOut),
        "filing_for": typed.filing_for.map(FilingFor::as_form),
        "suggestion": typed.suggestion.map(|s| json!({"address": s, "typed": raw.email.trim()})),
        "csrf_token": csrf::token(session)?,
        "submission_id": submission_id,
        "agent": {
            "acting": acting,
            // A file input never comes back filled: after errors or a "did you mean",
            // the agent is told to attach the document again.
            "attach_again": acting && (!errors.is_empty() || typed.suggestion.is_some()),
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
    let mut page = render(state, &lang, "pages/request_form", ctx)?;
    *page.status_mut() = status;
    Ok((status, page))
}
