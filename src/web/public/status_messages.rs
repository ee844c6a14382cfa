//! `POST /status/{token}/messages`: the person (or the agent who filed) writes to the
//! privacy team from the status page, with an optional document. While we wait for
//! information, this is their answer.
//!
//! The form is multipart (the document), read within the same limits and content
//! checks as an agent's proof of authority. A refused document or text comes back on
//! the status page with its reason and the text as typed (422), so nothing is lost.

use super::status::{request_behind, status_page, to_status};
use crate::domain::agent_filing::Document;
use crate::domain::documents::check_upload;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::multipart;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// The file input of the reply form.
const DOCUMENT_FIELD: &str = "document";

pub async fn write(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    token: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let mut form = multipart::parse(
        &req,
        &session,
        &state,
        multipart::bounded(&req, payload),
        DOCUMENT_FIELD,
    )
    .await?;
    let id = request_behind(&state, &token).await?;
    let body = form.text("body");
    let document = match form.take_file() {
        None => None,
        Some(file) => match check_upload(&file.filename, &file.bytes) {
            Ok(kind) => Some(Document {
                kind,
                bytes: file.bytes,
            }),
            Err(problem) => {
                let problem = state.templates.message(&problem.message());
                return refused(&state, &session, &token, &problem, &body).await;
            }
        },
    };
    let draft = body.clone();
    let sent = with_conn(&state, move |state, conn| {
        crate::flows::conversation::from_requester(
            state,
            conn,
            &id,
            &body,
            document,
            crate::clock::now(),
        )
    })
    .await;
    match sent {
        Ok(()) => Ok(to_status(&token)),
        Err(AppError::BadRequest(m)) => {
            let problem = state.templates.message(&m);
            refused(&state, &session, &token, &problem, &draft).await
        }
        Err(e) => Err(e),
    }
}

/// The status page again, the problem above the form and the text kept.
async fn refused(
    state: &web::Data<AppState>,
    session: &Session,
    token: &str,
    problem: &str,
    draft: &str,
) -> Result<HttpResponse, AppError> {
    status_page(
        state,
        session,
        token,
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"error": problem, "body": draft}),
    )
    .await
}
