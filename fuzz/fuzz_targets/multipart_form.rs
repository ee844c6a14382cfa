//! The multipart request form (an agent's filing with its document): the whole body
//! through `web::multipart::bounded` (the capped actix-multipart reader the intake
//! handler builds) and `web::multipart::read`, with its field, size and file limits.
//!
//! Input: one byte choosing the chunk size the body arrives in (1 to 256 bytes), the
//! Content-Type header's value up to the first `\n`, then the body.
//!
//! The reader gives up after 30 s without progress (actix-multipart can wait for ever
//! on a body cut inside a boundary, actix/actix-web#3202). The runtime's clock is
//! paused, so tokio jumps to that deadline as soon as nothing else can run, and such
//! inputs cost microseconds instead of 30 real seconds.
//!
//! Checks: no panic; a refusal is a 400 or a 413, never an internal error; what is
//! accepted is within the documented limits.
#![no_main]

use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::test::TestRequest;
use actix_web::web::Bytes;
use dsar_portal::domain::documents::{clean_filename, MAX_DOCUMENT_BYTES};
use dsar_portal::error::AppError;
use dsar_portal::web::multipart::{
    bounded, read, MAX_TEXT_BYTES, MAX_TEXT_FIELDS, MAX_TEXT_FIELD_BYTES,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const FILE_FIELD: &str = "agent_document";
const FIELDS: [&str; 6] = [
    "csrf_token",
    "kind",
    "name",
    "email",
    "details",
    "agent_name",
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a current-thread runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk) + 1;
    let (content_type, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let mut req = TestRequest::post();
    if let Ok(v) = HeaderValue::from_bytes(content_type) {
        req = req.insert_header((CONTENT_TYPE, v));
    }
    let req = req.to_http_request();
    let chunks: Vec<Result<Bytes, PayloadError>> = body
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let payload = bounded(&req, futures_util::stream::iter(chunks));

    match runtime().block_on(read(payload, FILE_FIELD)) {
        Ok(form) => {
            // The reader keeps its fields private; look at those the seeds use.
            let mut total = 0;
            for name in FIELDS {
                let values = form.all(name);
                assert!(values.len() <= MAX_TEXT_FIELDS);
                for value in values {
                    assert!(value.len() <= MAX_TEXT_FIELD_BYTES);
                    total += name.len() + value.len();
                }
            }
            assert!(total <= MAX_TEXT_BYTES);
            if let Some(file) = form.file() {
                assert_eq!(file.field, FILE_FIELD);
                assert!(file.bytes.len() <= MAX_DOCUMENT_BYTES);
                assert_eq!(clean_filename(&file.filename), file.filename);
            }
        }
        Err(AppError::BadRequest(m) | AppError::TooLarge(m)) => assert!(!m.is_empty()),
        Err(other) => panic!("a multipart body was refused with {other:?}"),
    }
});
