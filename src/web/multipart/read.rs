//! Reading the parts of a multipart body into memory within hard limits: so many text
//! fields of so many bytes, one file no larger than a document may be, and a deadline
//! for each next piece.

use super::{
    MultipartForm, UploadedFile, IDLE_TIMEOUT, MAX_TEXT_BYTES, MAX_TEXT_FIELDS,
    MAX_TEXT_FIELD_BYTES,
};
use crate::domain::documents::{clean_filename, UploadProblem, MAX_DOCUMENT_BYTES};
use crate::error::AppError;
use crate::i18n::msg;
use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::error::PayloadError;
use futures_util::stream::{Stream, StreamExt};
use std::time::Duration;

/// Reads a multipart form into memory without any CSRF check: handlers behind a
/// session use [`parse`]. Limits:
///
/// - at most [`MAX_TEXT_FIELDS`] text fields, each value at most
///   [`MAX_TEXT_FIELD_BYTES`], names and values together at most [`MAX_TEXT_BYTES`];
///   text must be UTF-8;
/// - at most one file part, and only under `file_field` (a part with a file name under
///   any other name is refused); it is read only up to [`MAX_DOCUMENT_BYTES`], and the
///   first byte beyond that ends the request, so an oversized upload is never buffered;
/// - an empty file input (a part with an empty file name and no bytes, which browsers
///   send when nothing was chosen) gives `file: None`;
/// - reading gives up when nothing arrives for [`IDLE_TIMEOUT`].
///
/// Every refusal is a `BadRequest` in plain words, except a document or body over its
/// limit, which is `TooLarge` (413).
pub async fn read(payload: Multipart, file_field: &str) -> Result<MultipartForm, AppError> {
    read_within(payload, file_field, IDLE_TIMEOUT).await
}

/// [`read`], giving up once nothing has arrived for `idle`.
pub(super) async fn read_within(
    mut payload: Multipart,
    file_field: &str,
    idle: Duration,
) -> Result<MultipartForm, AppError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut text_bytes = 0usize;
    let mut file = None;
    let mut file_parts = 0usize;

    while let Some(part) = next(&mut payload, idle).await? {
        let mut part = part.map_err(multipart_problem)?;
        // actix-multipart insists on a name for multipart/form-data; other multipart
        // kinds may have nameless parts, which no form of ours sends.
        let Some(name) = part.name().filter(|n| !n.is_empty()).map(str::to_owned) else {
            return Err(not_multipart());
        };
        let raw_filename = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);

        if name == file_field {
            file_parts += 1;
            if file_parts > 1 {
                return Err(AppError::BadRequest(msg("errors.upload_one_document")));
            }
            let bytes = collect(&mut part, MAX_DOCUMENT_BYTES, idle)
                .await?
                .ok_or_else(|| AppError::TooLarge(UploadProblem::TooLarge.message()))?;
            let raw_filename = raw_filename.unwrap_or_default();
            if raw_filename.is_empty() && bytes.is_empty() {
                continue; // Nothing was chosen.
            }
            file = Some(UploadedFile {
                field: name,
                filename: clean_filename(&raw_filename),
                bytes,
            });
        } else if raw_filename.is_some() {
            return Err(AppError::BadRequest(msg("errors.upload_no_other_files")));
        } else {
            if fields.len() >= MAX_TEXT_FIELDS {
                return Err(AppError::BadRequest(msg("errors.form_too_many_fields")));
            }
            text_bytes += name.len();
            let room = MAX_TEXT_BYTES.saturating_sub(text_bytes);
            let bytes = collect(&mut part, MAX_TEXT_FIELD_BYTES.min(room), idle)
                .await?
                .ok_or_else(|| {
                    AppError::BadRequest(if room < MAX_TEXT_FIELD_BYTES {
                        msg("errors.form_text_too_long")
                    } else {
                        msg("errors.form_field_too_long")
                    })
                })?;
            text_bytes += bytes.len();
            let value = String::from_utf8(bytes)
                .map_err(|_| AppError::BadRequest(msg("errors.form_text_unreadable")))?;
            fields.push((name, value));
        }
    }
    Ok(MultipartForm { fields, file })
}

/// A part's bytes, or `None` as soon as they would go over `limit`: the rest is not
/// read, so at most `limit` bytes are ever held.
async fn collect(
    part: &mut Field,
    limit: usize,
    idle: Duration,
) -> Result<Option<Vec<u8>>, AppError> {
    // No capacity from the sender's Content-Length: it is only a claim.
    let mut buf = Vec::new();
    while let Some(chunk) = next(part, idle).await? {
        let chunk = chunk.map_err(multipart_problem)?;
        if chunk.len() > limit - buf.len() {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf))
}

/// The next item of a stream, or an error once nothing has come for `idle`.
///
/// Besides stalled connections this guards against a bug in actix-multipart 0.7.2
/// (actix/actix-web#3202): a body that ends in the middle of a boundary leaves the
/// parser waiting for ever instead of reporting it incomplete.
async fn next<S>(stream: &mut S, idle: Duration) -> Result<Option<S::Item>, AppError>
where
    S: Stream + Unpin,
{
    actix_web::rt::time::timeout(idle, stream.next())
        .await
        .map_err(|_| interrupted())
}

fn interrupted() -> AppError {
    AppError::BadRequest(msg("errors.form_interrupted"))
}

pub(super) fn not_multipart() -> AppError {
    AppError::BadRequest(msg("errors.form_not_multipart"))
}

fn multipart_problem(e: MultipartError) -> AppError {
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => not_multipart(),
        // Only [`bounded`] produces this: the whole body went over MAX_REQUEST_BYTES.
        MultipartError::Payload(PayloadError::Overflow) => {
            AppError::TooLarge(UploadProblem::TooLarge.message())
        }
        MultipartError::Incomplete | MultipartError::Payload(_) => interrupted(),
        _ => AppError::BadRequest(msg("errors.form_unreadable")),
    }
}
