//! CSRF defence for every form: a synchronizer token kept in the (encrypted,
//! SameSite=Strict) session cookie and echoed in a hidden field, plus an Origin check.

use crate::crypto::tokens;
use crate::error::AppError;
use crate::i18n::msg;
use actix_session::Session;
use actix_web::HttpRequest;

const SESSION_KEY: &str = "csrf";
pub const FIELD: &str = "csrf_token";

/// The session's token, created on first use.
pub fn token(session: &Session) -> Result<String, AppError> {
    if let Ok(Some(existing)) = session.get::<String>(SESSION_KEY) {
        return Ok(existing);
    }
    let fresh = tokens::random_id(32);
    session
        .insert(SESSION_KEY, &fresh)
        .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))?;
    Ok(fresh)
}

/// Checks the submitted token and, when the browser sends one, the Origin header.
pub fn verify(
    req: &HttpRequest,
    session: &Session,
    submitted: Option<&str>,
    public_url: &str,
) -> Result<(), AppError> {
    check_origin(req, public_url)?;
    let expected = session.get::<String>(SESSION_KEY).ok().flatten();
    match (expected, submitted) {
        (Some(e), Some(s)) if tokens::same(&e, s) => Ok(()),
        _ => Err(AppError::Forbidden(msg("errors.form_expired"))),
    }
}

fn check_origin(req: &HttpRequest, public_url: &str) -> Result<(), AppError> {
    let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) else {
        return Ok(()); // Older browsers omit it; the token still protects the form.
    };
    let origin = origin.to_str().unwrap_or("");
    let own = origin_of(public_url);
    let host = req.connection_info().host().to_string();
    let same_host = origin.split_once("://").is_some_and(|(_, h)| h == host);
    if origin == own || same_host {
        Ok(())
    } else {
        Err(AppError::Forbidden(msg("errors.form_cross_site")))
    }
}

fn origin_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => match url[i + 3..].find('/') {
            Some(j) => &url[..i + 3 + j],
            None => url,
        },
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origin_is_scheme_and_host() {
        assert_eq!(
            origin_of("https://privacy.example.com/portal"),
            "https://privacy.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
