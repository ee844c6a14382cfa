//! `/`: which rights a person has where they live, and the way to the form.

use crate::error::AppError;
use crate::state::AppState;
use crate::web::language::Lang;
use crate::web::render;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn home(state: web::Data<AppState>, lang: Lang) -> Result<HttpResponse, AppError> {
    let t = lang.words(&state);
    let places: Vec<_> = state
        .settings
        .jurisdictions
        .iter()
        .map(|j| {
            json!({
                "code": j.as_str(),
                "label": t.label(j.label_key()),
                "summary": t.label(j.rights_summary_key()),
                "kinds": j.kinds().iter().map(|k| json!({"code": k.as_str(), "label": t.label(k.label_key())})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let opt_out = state
        .settings
        .jurisdictions
        .iter()
        .any(|j| j.offers(crate::domain::kinds::RequestKind::OptOut));
    render(
        &state,
        &lang,
        "pages/home",
        json!({"places": places, "offers_opt_out": opt_out}),
    )
}

/// Liveness: the process serves HTTP. It checks nothing else, the database least of
/// all: an orchestrator restarts a process whose liveness fails, and restarting every
/// instance during a database outage mends nothing. Readiness, which does check the
/// database, is `/readyz`.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}
