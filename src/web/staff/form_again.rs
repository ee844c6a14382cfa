//! A request page's form that was not applied, shown again: the page with what the
//! staff member typed kept in its textareas, and why (a colliding edit answers 409).

use super::{page, Form};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::request_page::{self, FormError};
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, ResponseError};
use std::collections::BTreeMap;

/// What a request page's form carried that the page shows again: the text typed in
/// each textarea (by its id) and the choices of the refusal and fulfilment forms.
pub(super) struct Kept {
    form: &'static str,
    drafts: BTreeMap<String, String>,
    reason: String,
    in_part: bool,
}

impl Kept {
    pub(super) fn of(form: &Form) -> Kept {
        let action = form.get("action").unwrap_or_default();
        // "Back to edit" names the form it returns to.
        let which = if action == "back" {
            form.get("form").unwrap_or_default()
        } else {
            action
        };
        let (name, textarea, field) = match which {
            "request_info" => ("request_info", "info-message", "message"),
            "extend" => ("extend", "extend-reason", "reason"),
            "fulfil" => ("fulfil", "fulfil-message", "message"),
            "deny" => ("deny", "deny-message", "message"),
            "note" => ("note", "note-body", "body"),
            "verify" => ("verify", "", ""),
            "assign" => ("assign", "", ""),
            _ => ("", "", ""),
        };
        let mut drafts = BTreeMap::new();
        let typed = form.text(field);
        if !textarea.is_empty() && !typed.is_empty() {
            drafts.insert(textarea.to_string(), typed);
        }
        Kept {
            form: name,
            drafts,
            reason: form.text("code"),
            in_part: form.get("in_part") == Some("yes"),
        }
    }
}

/// The request page again, with what the staff member typed kept and, for a refused
/// form, the reason (a colliding edit says so and answers 409; bad input its 4xx).
/// Errors that are not about the form (no such request, a server fault) stay errors.
pub(super) async fn again(
    state: &web::Data<AppState>,
    session: &Session,
    me: &session::CurrentStaff,
    id: &str,
    kept: Kept,
    error: Option<AppError>,
) -> Result<HttpResponse, AppError> {
    let (status, form_error) = match &error {
        None => (StatusCode::OK, FormError::default()),
        Some(AppError::Conflict(m)) | Some(AppError::BadRequest(m)) => {
            let conflict = matches!(error, Some(AppError::Conflict(_)))
                && m.key == "errors.request_changed_reload";
            let message = match conflict {
                true => state.templates.phrase("staff_decision.conflict", &[]),
                false => m.in_words(state.templates.catalogue()),
            };
            let form = kept.form.to_string();
            (
                error.as_ref().map_or(StatusCode::OK, |e| e.status_code()),
                FormError {
                    form,
                    message,
                    conflict,
                },
            )
        }
        Some(_) => return Err(error.unwrap_or(AppError::NotFound)),
    };
    let today = crate::clock::now().date();
    let target = id.to_string();
    let mut model = with_conn(state, move |state, conn| {
        request_page::load(state, conn, &target, today, None)
    })
    .await?;
    model.drafts.extend(kept.drafts);
    model.form_error = form_error;
    model.chosen_reason = kept.reason;
    model.in_part_checked = kept.in_part;
    let mut response = page(state, session, me, "pages/staff/request", model)?;
    *response.status_mut() = status;
    Ok(response)
}
