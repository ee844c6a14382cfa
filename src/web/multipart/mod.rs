//! Reading a `multipart/form-data` POST (a form carrying one document) with hard
//! limits, together with its CSRF check: the counterpart of [`super::form::Form`] for
//! forms with a file input.
//!
//! Everything is read into memory, bounded: the app-wide `PayloadConfig` (64 KiB) does
//! not apply to a multipart stream, so the limits below are the only ones. Use
//! [`bounded`] to build the `Multipart` from the raw payload so that the whole body,
//! including part headers that `actix-multipart` buffers without a limit of its own, is
//! capped too.
//!
//! `read.rs` reads the parts within the limits, `bounded.rs` caps the raw body before
//! the parser sees it; this file holds the form they produce and its CSRF check.

mod bounded;
mod read;
#[cfg(test)]
mod tests;

pub use bounded::bounded;
pub use read::read;

use crate::domain::documents::MAX_DOCUMENT_BYTES;
use crate::error::AppError;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::{HttpMessage, HttpRequest};
use read::not_multipart;
use std::fmt;
use std::time::Duration;

/// Text fields per form; the longest form has well under this.
pub const MAX_TEXT_FIELDS: usize = 50;

/// One text field's value.
pub const MAX_TEXT_FIELD_BYTES: usize = 16 * 1024;

/// All text fields together, names and values (the same budget as an ordinary form,
/// see [`super::MAX_BODY`]).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The whole request body when read through [`bounded`]: the largest document, all
/// the text, and generous room for boundaries and part headers.
pub const MAX_REQUEST_BYTES: usize = MAX_DOCUMENT_BYTES + MAX_TEXT_BYTES + 64 * 1024;

/// How long reading waits for the next bytes before giving up. Generous for a phone
/// on a poor connection, which still sends something every few seconds.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The parts of a multipart form: its text fields and at most one file.
pub struct MultipartForm {
    fields: Vec<(String, String)>,
    file: Option<UploadedFile>,
}

/// The one file a form carried. `bytes` are as sent and not yet checked: pass them to
/// [`crate::domain::documents::check_upload`] before storing anything.
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// The sender's file name, cleaned (final path component, no control characters,
    /// at most 200 characters); may be empty.
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl MultipartForm {
    /// The last value of a text field, as with [`super::form::Form::get`].
    pub fn get(&self, name: &str) -> Option<&str> {
        super::form::last_value(&self.fields, name)
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        super::form::all_values(&self.fields, name)
    }

    /// The uploaded file; `None` when the file input was left empty.
    pub fn file(&self) -> Option<&UploadedFile> {
        self.file.as_ref()
    }

    /// Takes the file out, so its bytes can be moved into storage without a copy.
    pub fn take_file(&mut self) -> Option<UploadedFile> {
        self.file.take()
    }
}

// Hand-written so that logging a form never writes what a person typed or sent.
impl fmt::Debug for MultipartForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("MultipartForm")
            .field("fields", &names)
            .field("file", &self.file)
            .finish()
    }
}

impl fmt::Debug for UploadedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadedFile")
            .field("field", &self.field)
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// Reads and verifies a multipart form POST: nothing in it is returned unless its
/// CSRF token and origin checked out (see [`super::csrf::verify`]).
///
/// The token is one of the fields, so the body has to be read, within [`read`]'s
/// limits, before it can be checked; when the check fails the form, document included,
/// is dropped without anyone having seen it.
pub async fn parse(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    payload: Multipart,
    file_field: &str,
) -> Result<MultipartForm, AppError> {
    // Refuse other multipart kinds (multipart/mixed…) before reading any of the body.
    if !req
        .content_type()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return Err(not_multipart());
    }
    let form = read(payload, file_field).await?;
    verified(req, session, &state.public_url, form)
}

/// The form, only if its CSRF token and origin are right; otherwise it is dropped.
fn verified(
    req: &HttpRequest,
    session: &Session,
    public_url: &str,
    form: MultipartForm,
) -> Result<MultipartForm, AppError> {
    super::csrf::verify(req, session, form.get(super::csrf::FIELD), public_url)?;
    Ok(form)
}
