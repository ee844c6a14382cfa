//! Error policy.
//!
//! - Input a person sent that we cannot accept is a 4xx with a message in plain words;
//!   it never becomes a 500.
//! - A database or other dependency that is unavailable is a 503 ("try again shortly"),
//!   never a panic, and nothing already stored is touched.
//! - Anything else is a 500 whose details go to the log (without personal data) and
//!   never to the response.
//!
//! A refusal carries an `i18n::Message` (a catalogue key and its values), not words:
//! HTML routes render it as a page in the portal's language (`web::error_pages`), while
//! the JSON API (`ApiError`), the CLI and the logs use its built-in English.

use crate::i18n::{msg, Message};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(Message),
    #[error("{0}")]
    Forbidden(Message),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(Message),
    /// Well-formed but not acceptable as sent (422): an `Idempotency-Key` sent again
    /// with a different body.
    #[error("{0}")]
    Unprocessable(Message),
    /// A body or upload over its limit (413).
    #[error("{0}")]
    TooLarge(Message),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable")]
    Unavailable,
    /// A service the portal depends on for this page (the staff identity provider)
    /// could not be reached or answered something unusable (502).
    #[error("{0}")]
    BadGateway(Message),
    /// A request body that did not arrive in time (408; the connection is closed).
    #[error("request body timed out")]
    BodyTimeout,
    /// Every password-hashing thread and queue slot is taken (503, retry in seconds).
    #[error("too busy")]
    Busy,
    /// Room for something kept before anyone is verified has run out (503): refused
    /// whole, so a flood of unverified filings cannot fill the disk.
    #[error("{0}")]
    StorageFull(Message),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// Staff pages without a valid session: sent to the login page.
    #[error("login required")]
    LoginRequired,
    /// A staff member with a generated password must choose their own first.
    #[error("password change required")]
    PasswordChangeRequired,
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(e.into())
    }

    /// What the person is told; internal details never leave the server.
    pub fn public_message(&self) -> Message {
        match self {
            AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::Unprocessable(m)
            | AppError::TooLarge(m)
            | AppError::BadGateway(m)
            | AppError::StorageFull(m) => m.clone(),
            AppError::NotFound => msg("errors.not_found"),
            AppError::TooManyRequests { .. } => msg("errors.too_many_requests"),
            AppError::Unavailable => msg("errors.unavailable"),
            AppError::BodyTimeout => msg("errors.body_timeout"),
            AppError::Busy => msg("errors.busy"),
            AppError::Internal(_) => msg("errors.internal"),
            AppError::LoginRequired => msg("errors.login_required"),
            AppError::PasswordChangeRequired => msg("errors.password_change_required"),
        }
    }

    /// A response's status and `Retry-After`, whatever shape its body takes (an HTML
    /// page, the API's JSON, a DRP error object); an internal error's cause is logged.
    pub fn response_builder(&self) -> actix_web::HttpResponseBuilder {
        if let AppError::Internal(e) = self {
            // The chain names types and causes, never user input: our errors carry none.
            tracing::error!(error = %format!("{e:#}"), "internal error");
        }
        let mut resp = HttpResponse::build(self.status_code());
        // Clients that retry need to know when (it was missing on JSON 503/429; found by
        // tests/api/reliability.rs).
        match self {
            AppError::TooManyRequests { retry_after_secs } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unavailable => {
                resp.insert_header((header::RETRY_AFTER, "30"));
            }
            // A hashing slot frees within tens of milliseconds.
            AppError::Busy => {
                resp.insert_header((header::RETRY_AFTER, "2"));
            }
            // The rest of the body may still be on its way: nothing else can follow it.
            AppError::BodyTimeout => {
                resp.force_close();
            }
            // Room comes back only as requests are verified or close unverified.
            AppError::StorageFull(_) => {
                resp.insert_header((header::RETRY_AFTER, "3600"));
            }
            _ => {}
        }
        resp
    }

    /// The catalogue key of the error page's heading.
    pub fn title_key(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => crate::i18n::key("errors.titles.bad_request"),
            AppError::Forbidden(_) => crate::i18n::key("errors.titles.forbidden"),
            AppError::NotFound => crate::i18n::key("errors.titles.not_found"),
            AppError::Conflict(_) => crate::i18n::key("errors.titles.conflict"),
            AppError::Unprocessable(_) => crate::i18n::key("errors.titles.unprocessable"),
            AppError::TooLarge(_) => crate::i18n::key("errors.titles.too_large"),
            AppError::TooManyRequests { .. } => crate::i18n::key("errors.titles.too_many_requests"),
            AppError::Unavailable
            | AppError::Busy
            | AppError::StorageFull(_)
            | AppError::BadGateway(_) => crate::i18n::key("errors.titles.unavailable"),
            AppError::BodyTimeout => crate::i18n::key("errors.titles.body_timeout"),
            AppError::Internal(_) | AppError::LoginRequired | AppError::PasswordChangeRequired => {
                crate::i18n::key("errors.titles.internal")
            }
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => AppError::Unavailable,
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if info.message().contains("database is locked") =>
            {
                AppError::Unavailable
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(_: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable | AppError::Busy | AppError::StorageFull(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::LoginRequired | AppError::PasswordChangeRequired => StatusCode::SEE_OTHER,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::LoginRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/staff/login"))
                    .finish()
            }
            AppError::PasswordChangeRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/staff/password"))
                    .finish()
            }
            _ => {}
        }
        let mut resp = self.response_builder();
        // English here; `web::error_pages` puts the page into the portal's language and
        // layout. This one stays for when that cannot run (no state, a template error).
        resp.content_type("text/html; charset=utf-8")
            .body(plain_error_page(self, crate::i18n::english()))
    }
}

/// A self-contained page: error paths must not depend on the template engine working.
pub fn plain_error_page(e: &AppError, catalogue: &crate::i18n::Catalogue) -> String {
    let title = html_escape(&catalogue.text(e.title_key(), &[]));
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\
         <body><main class=\"container\"><h1>{title}</h1><p>{}</p>\
         <p><a href=\"/\">{}</a></p></main></body></html>",
        html_escape(&catalogue.text("meta.lang", &[])),
        html_escape(&e.public_message().in_words(catalogue)),
        html_escape(&catalogue.text(crate::i18n::key("errors.back_home"), &[])),
    )
}

pub fn html_escape(s: &str) -> String {
    handlebars::html_escape(s)
}

/// JSON errors for `/api/…`: `{"error": "...", "message": "..."}` plus `errors` per field
/// for validation failures.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! api_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                ApiError(e.into())
            }
        }
    )*};
}
api_error_from!(
    AppError,
    diesel::result::Error,
    diesel::r2d2::PoolError,
    actix_web::error::BlockingError
);

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }
    fn error_response(&self) -> HttpResponse {
        let code = match &self.0 {
            AppError::BadRequest(_) => "bad_request",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Unprocessable(_) => "unprocessable",
            AppError::TooLarge(_) => "too_large",
            AppError::TooManyRequests { .. } => "rate_limited",
            AppError::Unavailable => "unavailable",
            AppError::BodyTimeout => "body_timeout",
            AppError::Busy => "busy",
            AppError::StorageFull(_) => "storage_full",
            AppError::BadGateway(_) => "bad_gateway",
            AppError::Internal(_) => "internal",
            AppError::LoginRequired | AppError::PasswordChangeRequired => "unauthorized",
        };
        self.0.response_builder().json(
            serde_json::json!({"error": code, "message": self.0.public_message().to_string()}),
        )
    }
}
