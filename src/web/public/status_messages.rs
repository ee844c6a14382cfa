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
use crate::i18n::msg;
use crate::i18n::Message;
use crate::state::AppState;
use crate::web::form::Form;
use crate::web::language::Lang;
use crate::web::multipart::{self, UploadedFile};
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};

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
    let (body, upload) = read(&req, &session, &state, payload).await?;
    let id = request_behind(&state, &token).await?;
    let document = match upload {
        None => None,
        Some(file) => match check_upload(&file.filename, &file.bytes) {
            Ok(kind) => Some(Document {
                kind,
                bytes: file.bytes,
            }),
            Err(problem) => {
                let lang = Lang::of(&req);
                return refused(&state, &session, &lang, &token, &problem.message(), &body).await;
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
            refused(&state, &session, &Lang::of(&req), &token, &m, &draft).await
        }
        Err(e) => Err(e),
    }
}

/// The message and its file, its CSRF token checked. The page sends multipart (the file
/// input); a form without a file may come url-encoded, read as every other form is.
async fn read(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    payload: web::Payload,
) -> Result<(String, Option<UploadedFile>), AppError> {
    if req
        .content_type()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        let mut form = multipart::parse(
            req,
            session,
            state,
            multipart::bounded(req, payload),
            DOCUMENT_FIELD,
        )
        .await?;
        return Ok((form.text("body"), form.take_file()));
    }
    let body = web::Bytes::from_request(req, &mut payload.into_inner())
        .await
        .map_err(|e| match e.as_response_error().status_code() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(msg("errors.form_too_large")),
            _ => AppError::BadRequest(msg("errors.form_unreadable")),
        })?;
    let form = Form::parse(req, session, state, &body)?;
    Ok((form.text("body"), None))
}

/// The status page again, the problem above the form and the text kept.
async fn refused(
    state: &web::Data<AppState>,
    session: &Session,
    lang: &Lang,
    token: &str,
    problem: &Message,
    draft: &str,
) -> Result<HttpResponse, AppError> {
    status_page(
        state,
        session,
        lang,
        token,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some((problem, draft)),
    )
    .await
}
