//! `/opt-out`: "Do Not Sell or Share My Personal Information" on one short screen.
//!
//! Opting out needs no proof of identity (CCPA §7026), so the page asks only where the
//! person lives (among the US places served that grant the right), an email address to
//! find their records and send a confirmation, and optionally a name. No correction
//! fields, no agent section (an agent uses the full form), no link to wait for.
//!
//! A browser sending Global Privacy Control is told the signal is already honoured for
//! it. Where the signal alone counts as a valid opt-out (California, §7025) it is
//! recorded on the first visit, with no form at all; the form then only extends the
//! opt-out to the records behind an email address.

use super::gpc;
use super::intake_submit::{store, submitted_page, EmailChoice};
use crate::db::models::audit;
use crate::domain::email_typos;
use crate::domain::intake::{validate, FieldErrors, RawIntake};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::error::AppError;
use crate::state::AppState;
use crate::templates::Templates;
use crate::web::form::Form;
use crate::web::language::Lang;
use crate::web::shown_errors::ShownErrors;
use crate::web::{csrf, render, with_writer};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// Session flag: this browser's GPC signal is already on record.
const GPC_RECORDED: &str = "gpc_recorded";

/// The places served whose law grants the opt-out.
fn places(state: &AppState) -> Vec<Jurisdiction> {
    state
        .settings
        .jurisdictions
        .iter()
        .copied()
        .filter(|j| j.offers(RequestKind::OptOut))
        .collect()
}

/// Where a browser's GPC signal is itself a valid opt-out, with no form (§7025).
fn signal_alone_counts(place: Jurisdiction) -> bool {
    place == Jurisdiction::California
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let served = places(&state);
    if served.is_empty() {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/requests/new"))
            .finish());
    }
    let signal = gpc::signal(&req);
    if signal && served.iter().copied().any(signal_alone_counts) {
        record_signal(&state, &session).await?;
    }
    let raw = RawIntake {
        jurisdiction: match served.as_slice() {
            [only] => only.as_str().to_string(),
            _ => String::new(),
        },
        ..RawIntake::default()
    };
    let sid = crate::crypto::tokens::random_id(16);
    page(
        &state,
        &session,
        &req,
        &raw,
        &FieldErrors::new(),
        &sid,
        None,
    )
}

/// A portal event, once per browser session: the signal carries no identity to file a
/// request under, and counting every page view would inflate the §7102 figures.
async fn record_signal(state: &web::Data<AppState>, session: &Session) -> Result<(), AppError> {
    if session.get::<bool>(GPC_RECORDED).ok().flatten() == Some(true) {
        return Ok(());
    }
    with_writer(state, None, |_, conn| {
        let detail =
            json!({"jurisdiction": "california", "basis": "ccpa_7025", "page": "/opt-out"});
        audit::append_portal_event(
            conn,
            "consumer",
            "gpc_opt_out_honoured",
            detail,
            crate::clock::now(),
        )?;
        Ok(())
    })
    .await?;
    // If the flag cannot be kept, the next visit records the signal again: harmless.
    let _ = session.insert(GPC_RECORDED, true);
    Ok(())
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = Form::parse(&req, &session, &state, &body)?;
    let choice = EmailChoice::read(&form);
    let raw = RawIntake {
        kind: RequestKind::OptOut.as_str().into(),
        jurisdiction: form.text("jurisdiction"),
        name: form.text("name"),
        email: choice.address(form.text("email")),
        ..RawIntake::default()
    };
    let sid = form
        .get("submission_id")
        .filter(|s| crate::domain::intake::usable_submission_id(s))
        .map_or_else(|| crate::crypto::tokens::random_id(16), str::to_string);
    let served = places(&state);
    let mut checked = validate(&raw, &served, &[]);
    if let Err(errors) = &mut checked {
        // Only the fields this page has: a place it does not offer reads as "choose".
        if errors.remove("kind").is_some() {
            errors.entry("jurisdiction".into()).or_default();
        }
    }
    let valid = match checked {
        Ok(valid) => valid,
        Err(errors) => {
            let suggestion = email_typos::suggest(&raw.email);
            return page(&state, &session, &req, &raw, &errors, &sid, suggestion);
        }
    };
    if !choice.kept(&raw.email) {
        if let Some(s) = email_typos::suggest(&raw.email) {
            return page(
                &state,
                &session,
                &req,
                &raw,
                &FieldErrors::new(),
                &sid,
                Some(s),
            );
        }
    }
    let gpc = gpc::signal(&req);
    let email = valid.email.as_str().to_string();
    let lang = Lang::of(&req);
    let done = store(&state, &lang, valid, None, gpc, sid).await?;
    submitted_page(&state, &lang, &done, &email, (gpc, false), false)
}

fn page(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    raw: &RawIntake,
    errors: &FieldErrors,
    submission_id: &str,
    suggestion: Option<String>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::of(req);
    let t = lang.words(state);
    let shown = ShownErrors::new(state, t, errors);
    let served = places(state);
    let choices: Vec<_> = served
        .iter()
        .map(|j| json!({"code": j.as_str(), "label": t.label(j.label_key()), "checked": raw.jurisdiction == j.as_str()}))
        .collect();
    let signal = gpc::signal(req);
    let ctx = json!({
        "title": t.phrase("titles.opt_out", &[]),
        "places": choices,
        "jurisdiction_error": errors.contains_key("jurisdiction").then(|| t.phrase("opt_out.place_missing", &[])),
        "name": {"value": raw.name, "error": shown.of("name")},
        "email": {"value": raw.email, "error": shown.of("email")},
        "errors": summary(t, &shown),
        "has_errors": !errors.is_empty(),
        "gpc": signal,
        "gpc_alone_counts": signal && served.iter().copied().any(signal_alone_counts),
        "suggestion": suggestion.map(|s| json!({"address": s, "typed": raw.email.trim()})),
        "csrf_token": csrf::token(session)?,
        "submission_id": submission_id,
    });
    let mut page = render(state, &lang, "pages/opt_out", ctx)?;
    if !errors.is_empty() {
        *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(page)
}

/// The summary, with the place's own words where the intake said "choose a kind".
fn summary(t: &Templates, shown: &ShownErrors<'_>) -> Vec<serde_json::Value> {
    let mut items = shown.summary_in_form_order();
    for item in &mut items {
        if item["anchor"] == "jurisdiction" {
            item["message"] = json!(t.phrase("opt_out.place_missing", &[]));
        }
    }
    items
}
