//! Reading multipart bodies: limits, malformed and cut-off bodies, and the CSRF check.

use super::read::read_within;
use super::*;
use actix_session::SessionExt;
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_TYPE, ORIGIN};
use actix_web::test::TestRequest;
use actix_web::web::Bytes;
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
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
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
