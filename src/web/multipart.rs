//! Reading a `multipart/form-data` POST (a form carrying one document) with hard
//! limits, together with its CSRF check: the counterpart of [`super::form::Form`] for
//! forms with a file input.
//!
//! Everything is read into memory, bounded: the app-wide `PayloadConfig` (64 KiB) does
//! not apply to a multipart stream, so the limits below are the only ones. Use
//! [`bounded`] to build the `Multipart` from the raw payload so that the whole body,
//! including part headers that `actix-multipart` buffers without a limit of its own, is
//! capped too.

use crate::domain::documents::{clean_filename, UploadProblem, MAX_DOCUMENT_BYTES};
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use actix_multipart::{Field, Multipart, MultipartError};
use actix_session::Session;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest};
use futures_util::stream::{Stream, StreamExt};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
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
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
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
async fn read_within(
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

fn not_multipart() -> AppError {
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

/// A `Multipart` over the raw request body that ends with an error once the body goes
/// over [`MAX_REQUEST_BYTES`]. Use it in handlers that take `web::Payload` instead of
/// the `Multipart` extractor: actix-multipart buffers part headers and any preamble
/// until it finds their end, so without this a sender could make it hold an unbounded
/// amount of memory before [`read`]'s limits ever apply.
pub fn bounded<S>(req: &HttpRequest, payload: S) -> Multipart
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin + 'static,
{
    // actix-multipart 0.7.2 panics on a boundary shorter than 4 bytes: looking for the
    // first boundary it slices each line as `line[2..len - 2]` once the line is at least
    // as long as the boundary, so `boundary=a` and a body "--\n" panic ("slice index
    // starts at 2 but ends at 1"), which kills the worker thread, before any CSRF check
    // (found by fuzz/fuzz_targets/multipart_form.rs; fixed upstream in 0.8). Browsers
    // and HTTP clients use boundaries of 20 characters or more, so such a body is
    // refused as not multipart: without the Content-Type the reader answers
    // `ContentTypeMissing`, which `read` turns into a 400.
    let no_headers = actix_web::http::header::HeaderMap::new();
    let headers = if boundary_too_short(req) {
        &no_headers
    } else {
        req.headers()
    };
    Multipart::new(
        headers,
        Capped {
            inner: payload,
            seen: 0,
            limit: MAX_REQUEST_BYTES,
            done: false,
        },
    )
}

/// Shorter boundaries make actix-multipart 0.7.2 panic (see [`bounded`]).
const MIN_BOUNDARY_BYTES: usize = 4;

/// Whether the Content-Type names a boundary too short to hand to actix-multipart,
/// parsed as actix-multipart parses it.
fn boundary_too_short(req: &HttpRequest) -> bool {
    matches!(req.mime_type(), Ok(Some(m))
        if m.get_param(actix_web::mime::BOUNDARY)
            .is_some_and(|b| b.as_str().len() < MIN_BOUNDARY_BYTES))
}

struct Capped<S> {
    inner: S,
    seen: usize,
    limit: usize,
    done: bool,
}

impl<S> Stream for Capped<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen = self.seen.saturating_add(chunk.len());
                if self.seen > self.limit {
                    self.done = true;
                    Poll::Ready(Some(Err(PayloadError::Overflow)))
                } else {
                    Poll::Ready(Some(Ok(chunk)))
                }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_session::SessionExt;
    use actix_web::http::header::{CONTENT_TYPE, ORIGIN};
    use actix_web::test::TestRequest;
    use actix_web::FromRequest;

    const BOUNDARY: &str = "----dsarTestBoundary7MA4YWxkTrZu0gW";
    const FILE_FIELD: &str = "document";

    enum Part<'a> {
        Text(&'a str, &'a [u8]),
        File(&'a str, &'a str, &'a [u8]),
    }

    /// A body as a browser writes it.
    fn body(parts: &[Part<'_>]) -> Vec<u8> {
        let mut b = Vec::new();
        for part in parts {
            b.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            match part {
                Part::Text(name, value) => {
                    b.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                            .as_bytes(),
                    );
                    b.extend_from_slice(value);
                }
                Part::File(name, filename, bytes) => {
                    b.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{name}\"; \
                             filename=\"{filename}\"\r\nContent-Type: application/pdf\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    b.extend_from_slice(bytes);
                }
            }
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        b
    }

    fn content_type() -> String {
        format!("multipart/form-data; boundary={BOUNDARY}")
    }

    /// Reads a body through the `Multipart` extractor, as a handler would get it.
    async fn read_with(content_type: &str, body: Vec<u8>) -> Result<MultipartForm, AppError> {
        let (req, mut payload) = TestRequest::post()
            .insert_header((CONTENT_TYPE, content_type))
            .set_payload(body)
            .to_http_parts();
        let multipart = Multipart::from_request(&req, &mut payload)
            .await
            .expect("the extractor itself never fails");
        read(multipart, FILE_FIELD).await
    }

    async fn read_body(body: Vec<u8>) -> Result<MultipartForm, AppError> {
        read_with(&content_type(), body).await
    }

    fn refused(result: Result<MultipartForm, AppError>) -> String {
        match result {
            Err(AppError::BadRequest(m) | AppError::TooLarge(m)) => m.to_string(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    const PDF: &[u8] = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\r\n--not-a-boundary\r\n%%EOF\n";

    #[actix_web::test]
    async fn reads_text_fields_and_the_file() {
        let form = read_body(body(&[
            Part::Text("csrf_token", b"tok"),
            Part::Text("agent_name", "Zoë Agent".as_bytes()),
            Part::Text("kind", b"access"),
            Part::Text("kind", b"deletion"),
            Part::File(FILE_FIELD, "../../Users/ann/per\tmission.pdf", PDF),
            Part::Text("after_file", b"still read"),
        ]))
        .await
        .expect("a valid form");
        assert_eq!(form.get("agent_name"), Some("Zoë Agent"));
        assert_eq!(form.get("kind"), Some("deletion"));
        assert_eq!(form.all("kind"), vec!["access", "deletion"]);
        assert_eq!(form.text("missing"), "");
        assert_eq!(form.get("after_file"), Some("still read"));
        let file = form.file().expect("the file");
        assert_eq!(file.field, FILE_FIELD);
        assert_eq!(file.filename, "permission.pdf");
        assert_eq!(file.bytes, PDF);
        // Debug output names fields but shows no values.
        let debug = format!("{form:?}");
        assert!(debug.contains("agent_name") && !debug.contains("Zoë"));
    }

    #[actix_web::test]
    async fn reads_a_body_that_arrives_in_small_chunks() {
        let raw = body(&[
            Part::Text("name", b"Ann"),
            Part::File(FILE_FIELD, "scan.pdf", PDF),
        ]);
        let chunks: Vec<Result<Bytes, PayloadError>> = raw
            .chunks(7)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let req = TestRequest::post()
            .insert_header((CONTENT_TYPE, content_type()))
            .to_http_request();
        let form = read(
            bounded(&req, futures_util::stream::iter(chunks)),
            FILE_FIELD,
        )
        .await
        .expect("a valid form");
        assert_eq!(form.get("name"), Some("Ann"));
        assert_eq!(form.file().map(|f| f.bytes.as_slice()), Some(PDF));
    }

    #[actix_web::test]
    async fn an_empty_file_input_means_no_file() {
        let form = read_body(body(&[
            Part::Text("name", b"Ann"),
            Part::File(FILE_FIELD, "", b""),
        ]))
        .await
        .expect("a valid form");
        assert!(form.file().is_none());
        // A named but empty file is kept, so check_upload can say it is empty.
        let mut form = read_body(body(&[Part::File(FILE_FIELD, "scan.pdf", b"")]))
            .await
            .expect("a valid form");
        assert_eq!(form.take_file().map(|f| f.bytes.len()), Some(0));
        assert!(form.file().is_none());
    }

    #[actix_web::test]
    async fn only_one_file_and_only_in_the_file_field() {
        let two = refused(
            read_body(body(&[
                Part::File(FILE_FIELD, "a.pdf", PDF),
                Part::File(FILE_FIELD, "b.pdf", PDF),
            ]))
            .await,
        );
        assert!(two.starts_with("Please attach only one document"));
        let elsewhere = refused(read_body(body(&[Part::File("avatar", "a.pdf", PDF)])).await);
        assert!(elsewhere.contains("no other files"));
    }

    #[actix_web::test]
    async fn an_oversized_file_is_refused() {
        let mut big = vec![b'x'; MAX_DOCUMENT_BYTES + 1];
        let message = refused(read_body(body(&[Part::File(FILE_FIELD, "big.pdf", &big)])).await);
        assert!(message.starts_with("The document is larger than 10 MB"));
        // Exactly the limit is read (whether it is a document is check_upload's call).
        big.pop();
        let form = read_body(body(&[Part::File(FILE_FIELD, "big.pdf", &big)]))
            .await
            .expect("at the limit");
        assert_eq!(form.file().map(|f| f.bytes.len()), Some(MAX_DOCUMENT_BYTES));
    }

    #[actix_web::test]
    async fn field_count_and_size_limits() {
        let names: Vec<String> = (0..=MAX_TEXT_FIELDS).map(|i| format!("f{i}")).collect();
        let parts: Vec<Part<'_>> = names.iter().map(|n| Part::Text(n, b"v")).collect();
        assert!(read_body(body(&parts[..MAX_TEXT_FIELDS])).await.is_ok());
        let many = refused(read_body(body(&parts)).await);
        assert!(many.contains("more fields"));

        let long = vec![b'a'; MAX_TEXT_FIELD_BYTES + 1];
        let one = refused(read_body(body(&[Part::Text("note", &long)])).await);
        assert!(one.starts_with("One of the text fields is too long"));
        assert!(read_body(body(&[Part::Text("note", &long[1..])]))
            .await
            .is_ok());

        let chunk = vec![b'a'; 15 * 1024];
        let parts: Vec<Part<'_>> = (0..5).map(|_| Part::Text("note", &chunk)).collect();
        let total = refused(read_body(body(&parts)).await);
        assert!(total.contains("too long altogether"));
    }

    #[actix_web::test]
    async fn non_utf8_text_is_refused() {
        let message = refused(read_body(body(&[Part::Text("name", b"Ann \xFF")])).await);
        assert!(message.contains("could not read"));
    }

    #[actix_web::test]
    async fn only_multipart_form_data_is_read() {
        let message =
            refused(read_with("application/x-www-form-urlencoded", b"name=Ann".to_vec()).await);
        assert_eq!(message, "This form must be sent as multipart/form-data.");
        let (req, mut payload) = TestRequest::post()
            .set_payload(b"name=Ann".to_vec())
            .to_http_parts();
        let multipart = Multipart::from_request(&req, &mut payload)
            .await
            .expect("the extractor itself never fails");
        let message = refused(read(multipart, FILE_FIELD).await);
        assert_eq!(message, "This form must be sent as multipart/form-data.");
    }

    /// Regression (fuzz/fuzz_targets/multipart_form.rs): a boundary of fewer than 4
    /// bytes made actix-multipart 0.7.2 panic on a line "--" before the first boundary.
    #[actix_web::test]
    async fn a_very_short_boundary_is_refused_not_a_panic() {
        for boundary in ["a", "ab", "abc", "\"\""] {
            for body in [&b"--\n"[..], b"--\r\n", b"\n", b"-\n--a--\r\n"] {
                let req = TestRequest::post()
                    .insert_header((
                        CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    ))
                    .to_http_request();
                let stream = futures_util::stream::iter([Ok(Bytes::from_static(body))]);
                let message = refused(read(bounded(&req, stream), FILE_FIELD).await);
                assert_eq!(message, "This form must be sent as multipart/form-data.");
            }
        }
        // Four bytes are enough for the parser, and are read as usual.
        let req = TestRequest::post()
            .insert_header((CONTENT_TYPE, "multipart/form-data; boundary=abcd"))
            .to_http_request();
        let body =
            b"--abcd\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAnn\r\n--abcd--\r\n";
        let stream = futures_util::stream::iter([Ok(Bytes::from_static(body))]);
        let form = read(bounded(&req, stream), FILE_FIELD).await.expect("read");
        assert_eq!(form.get("name"), Some("Ann"));
    }

    #[actix_web::test]
    async fn a_cut_off_body_is_refused() {
        let mut raw = body(&[Part::File(FILE_FIELD, "scan.pdf", PDF)]);
        // Cut inside the closing boundary: actix-multipart 0.7.2 would wait for ever.
        raw.truncate(raw.len() - 30);
        let (req, mut payload) = TestRequest::post()
            .insert_header((CONTENT_TYPE, content_type()))
            .set_payload(raw)
            .to_http_parts();
        let multipart = Multipart::from_request(&req, &mut payload)
            .await
            .expect("the extractor itself never fails");
        let message = refused(read_within(multipart, FILE_FIELD, Duration::from_millis(200)).await);
        assert!(
            message.contains("stopped before it was complete"),
            "{message}"
        );

        // Cut inside the file: reported by actix-multipart itself, no waiting.
        let content = b"a file without any line breaks in it";
        let mut raw = body(&[Part::File(FILE_FIELD, "scan.pdf", content)]);
        let closing = format!("\r\n--{BOUNDARY}--\r\n").len();
        raw.truncate(raw.len() - closing - 10);
        let message = refused(read_body(raw).await);
        assert!(
            message.contains("stopped before it was complete"),
            "{message}"
        );
    }

    #[actix_web::test]
    async fn bounded_caps_the_whole_body() {
        // One endless part header: without the cap actix-multipart would keep buffering.
        let mut raw =
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"x\"; ").into_bytes();
        raw.resize(MAX_REQUEST_BYTES + 1, b'a');
        let chunks: Vec<Result<Bytes, PayloadError>> = raw
            .chunks(64 * 1024)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let req = TestRequest::post()
            .insert_header((CONTENT_TYPE, content_type()))
            .to_http_request();
        let message = refused(
            read(
                bounded(&req, futures_util::stream::iter(chunks)),
                FILE_FIELD,
            )
            .await,
        );
        assert!(message.starts_with("The document is larger than 10 MB"));
    }

    #[actix_web::test]
    async fn csrf_is_checked_after_reading() {
        let req = TestRequest::post()
            .insert_header((CONTENT_TYPE, content_type()))
            .to_http_request();
        let session = req.get_session();
        let token = super::super::csrf::token(&session).expect("a token");
        let url = "http://localhost:8080";

        let good = read_body(body(&[
            Part::Text(super::super::csrf::FIELD, token.as_bytes()),
            Part::File(FILE_FIELD, "scan.pdf", PDF),
        ]))
        .await
        .expect("a valid form");
        let form = verified(&req, &session, url, good).expect("the right token");
        assert!(form.file().is_some());

        for bad_token in [Some("forged"), None] {
            let mut parts = vec![Part::File(FILE_FIELD, "scan.pdf", PDF)];
            if let Some(t) = bad_token {
                parts.push(Part::Text(super::super::csrf::FIELD, t.as_bytes()));
            }
            let form = read_body(body(&parts)).await.expect("a valid form");
            assert!(matches!(
                verified(&req, &session, url, form),
                Err(AppError::Forbidden(_))
            ));
        }

        let cross_site = TestRequest::post()
            .insert_header((ORIGIN, "https://evil.example"))
            .to_http_request();
        let form = read_body(body(&[Part::Text(
            super::super::csrf::FIELD,
            token.as_bytes(),
        )]))
        .await
        .expect("a valid form");
        assert!(matches!(
            verified(&cross_site, &session, url, form),
            Err(AppError::Forbidden(_))
        ));
    }
}
