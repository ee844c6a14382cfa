//! The raw request body capped before actix-multipart sees it: a whole-body byte limit,
//! and boundaries too short for the parser refused rather than let it panic.

use super::MAX_REQUEST_BYTES;
use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest};
use futures_util::stream::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

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
