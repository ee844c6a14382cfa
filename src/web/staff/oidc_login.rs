//! Sign-in through the identity provider: `GET /staff/login/oidc` sends the browser
//! there, `GET /staff/login/oidc/callback` takes the answer.
//!
//! What the answer is checked against (the `state`, the `nonce` and the PKCE verifier)
//! travels in a cookie of its own, encrypted with the data key and limited to these two
//! paths. It is `SameSite=Lax`, not `Strict` like the session: the answer arrives as a
//! navigation from the provider's site, on which browsers withhold strict cookies. The
//! cookie binds the answer to the browser that asked; `staff_oidc_states` makes it
//! single use. A successful sign-in answers with a short page that moves on to the
//! queue by itself, a navigation from our own site that carries the new strict session
//! cookie.

use crate::crypto::tokens;
use crate::db::models::staff_oidc_states;
use crate::error::AppError;
use crate::i18n::msg;
use crate::staff::oidc::accounts::{self, Refusal};
use crate::staff::oidc::claims::{self, ClaimsRefusal};
use crate::staff::oidc::{Provider, ProviderError};
use crate::state::AppState;
use crate::web::staff_session as session;
use crate::web::{render, with_conn};
use actix_session::Session;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

const COOKIE: &str = "dsar_oidc";
const COOKIE_PATH: &str = "/staff/login/oidc";
/// The associated data of the cookie's encryption: a value sealed for another purpose
/// does not open here.
const SEALED_FOR: &str = "staff_oidc.pending";
/// How long a person may take at the provider.
const MINUTES_TO_ANSWER: i64 = 10;

/// What the provider's answer is checked against.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    pkce_verifier: String,
}

fn provider(state: &AppState) -> Result<&Provider, AppError> {
    state.oidc.as_ref().ok_or(AppError::NotFound)
}

/// One value of the query string (the first when repeated).
fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn pending_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .secure(state.settings.uses_tls())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::minutes(MINUTES_TO_ANSWER))
        .finish()
}

/// The provider's failure as the person reads it.
fn provider_refusal(e: ProviderError) -> AppError {
    match e {
        ProviderError::Unreachable => AppError::BadGateway(msg("errors.oidc_unreachable")),
        ProviderError::BadAnswer => AppError::BadGateway(msg("errors.oidc_bad_answer")),
        ProviderError::CodeRefused => AppError::BadRequest(msg("errors.oidc_code_refused")),
        ProviderError::InvalidToken => AppError::Forbidden(msg("errors.oidc_token_invalid")),
    }
}

/// `GET /staff/login/oidc`: a new sign-in, recorded, and the browser sent to the
/// provider. `?login_hint=<email>` is passed on for the provider to prefill.
pub async fn start(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let provider = provider(&state)?;
    let hint = query_value(&req, "login_hint").filter(|h| h.len() <= 254);
    let started = provider
        .start(hint.as_deref())
        .await
        .map_err(provider_refusal)?;
    let state_hash = tokens::hash(&started.state);
    let expires_at = crate::clock::now() + chrono::Duration::minutes(MINUTES_TO_ANSWER);
    with_conn(&state, move |_, conn| {
        Ok(staff_oidc_states::insert(conn, &state_hash, expires_at)?)
    })
    .await?;
    let pending = serde_json::to_string(&Pending {
        state: started.state,
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
    })
    .map_err(AppError::internal)?;
    let sealed = state.cipher.encrypt(SEALED_FOR, &pending);
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", started.url))
        .cookie(pending_cookie(&state, sealed))
        .finish())
}

/// `GET /staff/login/oidc/callback`: the provider's answer. Whatever happens, the
/// browser's pending sign-in is forgotten.
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let mut resp = match complete(&state, &req, &session).await {
        Ok(resp) => resp,
        // Kept as the response's error, so the error pages middleware words it.
        Err(e) => HttpResponse::from_error(e),
    };
    resp.add_removal_cookie(&pending_cookie(&state, String::new()))
        .map_err(|e| AppError::internal(anyhow::anyhow!("cookie: {e}")))?;
    Ok(resp)
}

/// The pending sign-in this browser holds, if its cookie opens.
fn pending_of(state: &AppState, req: &HttpRequest) -> Option<Pending> {
    let sealed = req.cookie(COOKIE)?;
    let json = state.cipher.decrypt(SEALED_FOR, sealed.value()).ok()?;
    serde_json::from_str(&json).ok()
}

/// An error code the provider sent back, kept only if it looks like one (it is shown).
fn provider_error_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect()
}

async fn complete(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    session: &Session,
) -> Result<HttpResponse, AppError> {
    let provider = provider(state)?;
    let pending =
        pending_of(state, req).ok_or(AppError::BadRequest(msg("errors.oidc_no_sign_in")))?;
    let answered = query_value(req, "state").unwrap_or_default();
    if !tokens::same(&answered, &pending.state) {
        return Err(AppError::BadRequest(msg("errors.oidc_state_mismatch")));
    }
    let state_hash = tokens::hash(&pending.state);
    let taken = with_conn(state, move |_, conn| {
        Ok(staff_oidc_states::take(
            conn,
            &state_hash,
            crate::clock::now(),
        )?)
    })
    .await?;
    if !taken {
        return Err(AppError::BadRequest(msg("errors.oidc_state_used")));
    }
    if let Some(error) = query_value(req, "error") {
        return Err(match provider_error_code(&error).as_str() {
            "access_denied" => AppError::Forbidden(msg("errors.oidc_access_denied")),
            code => AppError::BadRequest(msg("errors.oidc_provider_error").with("code", code)),
        });
    }
    let code = query_value(req, "code")
        .filter(|c| !c.is_empty())
        .ok_or(AppError::BadRequest(msg("errors.oidc_no_code")))?;
    let verified = provider
        .finish(&code, &pending.pkce_verifier, &pending.nonce)
        .await;
    let claims = match verified {
        Ok(claims) => claims,
        Err(e) => {
            if matches!(e, ProviderError::InvalidToken) {
                refused(state, "token_invalid").await?;
            }
            return Err(provider_refusal(e));
        }
    };
    let cfg = provider.settings();
    let who = match claims::identity(&claims, &cfg.email_claim, cfg.role_claim.as_deref()) {
        Ok(who) => who,
        Err(refusal) => {
            refused(state, refusal.code()).await?;
            return Err(AppError::Forbidden(match refusal {
                ClaimsRefusal::NoEmail => msg("errors.oidc_no_email"),
                ClaimsRefusal::EmailUnverified => msg("errors.oidc_email_unverified"),
            }));
        }
    };
    let outcome = with_conn(state, move |state, conn| {
        let cfg = provider_settings(state)?;
        accounts::sign_in(conn, &state.hasher, cfg, &who, crate::clock::now())
    })
    .await?;
    let row = outcome.map_err(|refusal| {
        AppError::Forbidden(match refusal {
            Refusal::NoAccount => msg("errors.oidc_no_account"),
            Refusal::NoRole => msg("errors.oidc_no_role"),
            Refusal::Disabled => msg("errors.oidc_disabled"),
        })
    })?;
    session::start(state, session, &row.id, super::login::client_of(req)).await?;
    tracing::info!(staff_id = %row.id, via = "oidc", "staff login");
    let mut resp = render(
        state,
        &crate::web::language::Lang::staff(state),
        "pages/staff/signed_in",
        json!({"title": state.templates.phrase("staff_oidc.signed_in", &[])}),
    )?;
    resp.headers_mut().insert(
        actix_web::http::header::REFRESH,
        actix_web::http::header::HeaderValue::from_static("0; url=/staff"),
    );
    Ok(resp)
}

fn provider_settings(state: &AppState) -> Result<&crate::config::OidcSettings, AppError> {
    Ok(provider(state)?.settings())
}

/// Audits a sign-in refused before any account was looked at.
async fn refused(state: &web::Data<AppState>, reason: &'static str) -> Result<(), AppError> {
    with_conn(state, move |_, conn| {
        accounts::audit_refusal(conn, None, reason, crate::clock::now())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::provider_error_code;

    #[test]
    fn a_provider_error_code_is_shown_only_as_a_short_word() {
        assert_eq!(provider_error_code("access_denied"), "access_denied");
        assert_eq!(
            provider_error_code("<script>alert(1)</script>"),
            "scriptalert1script"
        );
        assert_eq!(provider_error_code(&"x".repeat(100)).len(), 40);
    }
}
