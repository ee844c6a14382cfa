//! The identity provider as the portal talks to it, through the `openidconnect` crate:
//! discovery (fetched at the first sign-in and kept; fetched again when an ID token is
//! signed with a key the kept set lacks, i.e. after the provider rotated its keys), the
//! authorization URL with PKCE (S256), `state` and `nonce`, and the code exchanged for
//! an ID token that the crate verifies (signature against the provider's JWKS, issuer,
//! audience, expiry, nonce). Nothing here checks a signature or a claim by hand.
//!
//! HTTP goes through the project's reqwest (native TLS), without redirects (a
//! redirect followed from a provider's answer would let it point us anywhere) and
//! without pooled connections (each actix worker has its own runtime).

use super::claims::OtherClaims;
use crate::config::OidcSettings;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AuthType, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, LoginHint, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, SignatureVerificationError, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Fields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Answer = StandardTokenResponse<Fields, CoreTokenType>;
/// The crate's client with the ID token's other claims kept (the group claim).
type PortalClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Answer,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Discovery is fetched again after this long even when nothing failed.
const KEEP_DISCOVERY: Duration = Duration::from_secs(24 * 3600);

/// Why a sign-in could not go on; the web layer words each for the person.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached, or answered with an HTTP error.
    #[error("the identity provider could not be reached")]
    Unreachable,
    /// Its answer was not what OpenID Connect says (unparsable, no ID token…).
    #[error("the identity provider's answer was unusable")]
    BadAnswer,
    /// It refused to exchange the code (used already, expired, wrong client…).
    #[error("the identity provider refused the code")]
    CodeRefused,
    /// The ID token failed verification (signature, issuer, audience, expiry, nonce).
    #[error("the ID token failed verification")]
    InvalidToken,
}

/// What a started sign-in must keep until the provider sends the person back.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

pub struct Provider {
    settings: OidcSettings,
    secret: crate::sensitive::Sensitive<String>,
    redirect: RedirectUrl,
    http: reqwest::Client,
    kept: Mutex<Option<(Arc<PortalClient>, Instant)>>,
}

impl Provider {
    /// The provider of `[staff.oidc]`, nothing fetched yet; people come back to
    /// `<public_url>/staff/login/oidc/callback`.
    pub fn new(settings: &OidcSettings, public_url: &str) -> anyhow::Result<Provider> {
        let redirect =
            RedirectUrl::new(format!("{public_url}{}", crate::config::OIDC_CALLBACK_PATH))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(Provider {
            secret: crate::sensitive::Sensitive(settings.client_secret()?),
            settings: settings.clone(),
            redirect,
            http,
            kept: Mutex::new(None),
        })
    }

    pub fn settings(&self) -> &OidcSettings {
        &self.settings
    }

    /// The client from the kept discovery, fetched when there is none or it is old.
    async fn client(&self) -> Result<Arc<PortalClient>, ProviderError> {
        let kept = self
            .kept
            .lock()
            .ok()
            .and_then(|k| k.clone())
            .filter(|(_, at)| at.elapsed() < KEEP_DISCOVERY);
        match kept {
            Some((client, _)) => Ok(client),
            None => self.discover().await,
        }
    }

    /// Fetches the discovery document and the JWKS it names, and keeps them.
    async fn discover(&self) -> Result<Arc<PortalClient>, ProviderError> {
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| {
            tracing::warn!(error = %e, "staff.oidc.issuer is not a URL");
            ProviderError::BadAnswer
        })?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "identity provider discovery failed");
                match e {
                    openidconnect::DiscoveryError::Request(_)
                    | openidconnect::DiscoveryError::Response(..) => ProviderError::Unreachable,
                    _ => ProviderError::BadAnswer,
                }
            })?;
        // Basic authentication unless the provider takes the secret in the body only.
        let post_only = metadata
            .token_endpoint_auth_methods_supported()
            .is_some_and(|m| {
                m.contains(&CoreClientAuthMethod::ClientSecretPost)
                    && !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
            });
        let mut client = PortalClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.secret.0.clone())),
        )
        .set_redirect_uri(self.redirect.clone());
        if post_only {
            client = client.set_auth_type(AuthType::RequestBody);
        }
        let client = Arc::new(client);
        if let Ok(mut kept) = self.kept.lock() {
            *kept = Some((client.clone(), Instant::now()));
        }
        Ok(client)
    }

    /// The provider's authorization URL for a new sign-in, with what to keep for its
    /// return. `login_hint` (an email) is passed on for the provider to prefill.
    pub async fn start(&self, login_hint: Option<&str>) -> Result<Started, ProviderError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.settings.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(hint) = login_hint.map(str::trim).filter(|h| !h.is_empty()) {
            request = request.set_login_hint(LoginHint::new(hint.to_string()));
        }
        let (url, state, nonce) = request.url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges `code` (with the PKCE verifier and the client secret) and returns the
    /// ID token's claims once the crate verified it against `nonce`. A token signed
    /// with a key the kept JWKS lacks makes one fresh discovery and a second check.
    pub async fn finish(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<serde_json::Value, ProviderError> {
        let client = self.client().await?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| {
                tracing::warn!(error = %e, "the identity provider names no token endpoint");
                ProviderError::BadAnswer
            })?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        let Some(id_token) = answer.id_token() else {
            tracing::warn!("the identity provider's token answer has no ID token");
            return Err(ProviderError::BadAnswer);
        };
        let nonce = Nonce::new(nonce.to_string());
        let verified = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                tracing::info!(
                    "ID token signed with an unknown key: fetching the provider's keys again"
                );
                let fresh = self.discover().await?;
                // Bound before the block ends: as its tail, the verifier borrowing
                // `fresh` would outlive it.
                let again = id_token.claims(&fresh.id_token_verifier(), &nonce).cloned();
                again
            }
            other => other.cloned(),
        };
        let claims = verified.map_err(|e| {
            tracing::warn!(error = %e, "ID token refused");
            ProviderError::InvalidToken
        })?;
        serde_json::to_value(&claims).map_err(|_| ProviderError::BadAnswer)
    }
}

fn token_error<RE: std::error::Error + 'static>(
    e: RequestTokenError<RE, StandardErrorResponse<CoreErrorResponseType>>,
) -> ProviderError {
    match e {
        RequestTokenError::ServerResponse(refusal) => {
            tracing::warn!(error = %refusal.error(), "the identity provider refused the code");
            ProviderError::CodeRefused
        }
        RequestTokenError::Request(e) => {
            tracing::warn!(error = %e, "the identity provider's token endpoint could not be reached");
            ProviderError::Unreachable
        }
        other => {
            tracing::warn!(error = %other, "the identity provider's token answer was unusable");
            ProviderError::BadAnswer
        }
    }
}
