//! Everything under `/v1/` that is not the protocol's own answer, answered as the
//! protocol's error object (§3.06): `{code, message, fatal}` as `application/json`, in
//! English, never an HTML page. Agents are programs.
//!
//! That covers the portal's errors (the API off, a rate limit, the database down), a
//! path no endpoint serves (404), a method an endpoint does not take (405 with
//! `Allow`), and a body that cannot be read or is over the limit. None of these moves
//! a request to a final state, so none is `fatal`: §3.06 reserves it for that.

use crate::error::AppError;
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

#[derive(Debug)]
pub enum DrpError {
    /// A portal error, with its status and `Retry-After`.
    Portal(AppError),
    /// No DRP endpoint at this path.
    NoSuchEndpoint,
    /// The path is an endpoint, the method is not one it takes.
    MethodNotAllowed { allow: &'static str },
    /// The body is longer than `web::MAX_BODY`.
    TooLarge,
    /// The body could not be read (the connection broke, a bad transfer encoding).
    Unreadable,
}

impl std::fmt::Display for DrpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DrpError::Portal(e) => e.public_message().fmt(f),
            DrpError::NoSuchEndpoint => f.write_str(
                "no such endpoint; DRP 1.0 serves /v1/agent/{agent-id} and \
                 /v1/data-rights-request[/{request_id}]",
            ),
            DrpError::MethodNotAllowed { allow } => {
                write!(
                    f,
                    "this endpoint does not take that method; it takes {allow}"
                )
            }
            DrpError::TooLarge => write!(
                f,
                "the body is too large: at most {} bytes",
                crate::web::MAX_BODY
            ),
            DrpError::Unreadable => f.write_str("the body could not be read"),
        }
    }
}

impl From<AppError> for DrpError {
    fn from(e: AppError) -> Self {
        DrpError::Portal(e)
    }
}

impl actix_web::ResponseError for DrpError {
    fn status_code(&self) -> StatusCode {
        match self {
            DrpError::Portal(e) => e.status_code(),
            DrpError::NoSuchEndpoint => StatusCode::NOT_FOUND,
            DrpError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            DrpError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            DrpError::Unreadable => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut builder = match self {
            DrpError::Portal(e) => e.response_builder(),
            DrpError::MethodNotAllowed { allow } => {
                let mut b = HttpResponse::build(status);
                b.insert_header((header::ALLOW, *allow));
                b
            }
            _ => HttpResponse::build(status),
        };
        builder.json(crate::drp::status::error_body(
            status.as_u16(),
            &self.to_string(),
            false,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;
    use actix_web::ResponseError;

    fn body_of(e: &DrpError) -> (u16, serde_json::Value, Option<String>) {
        let r = e.error_response();
        let allow = r
            .headers()
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let status = r.status().as_u16();
        let bytes = r.into_body().try_into_bytes().unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or_default(),
            allow,
        )
    }

    #[test]
    fn every_kind_is_the_protocols_error_object_and_never_fatal() {
        let cases = [
            (DrpError::NoSuchEndpoint, 404),
            (
                DrpError::MethodNotAllowed {
                    allow: "GET, DELETE",
                },
                405,
            ),
            (DrpError::TooLarge, 413),
            (DrpError::Unreadable, 400),
            (DrpError::Portal(AppError::NotFound), 404),
            (
                DrpError::Portal(AppError::TooManyRequests {
                    retry_after_secs: 7,
                }),
                429,
            ),
            (DrpError::Portal(AppError::Unavailable), 503),
        ];
        for (e, status) in cases {
            let (got, body, _) = body_of(&e);
            assert_eq!(got, status, "{e}");
            assert_eq!(body["code"], status.to_string(), "{body}");
            assert_eq!(body["fatal"], false, "{body}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        let (_, _, allow) = body_of(&DrpError::MethodNotAllowed {
            allow: "GET, DELETE",
        });
        assert_eq!(allow.as_deref(), Some("GET, DELETE"));
    }
}
