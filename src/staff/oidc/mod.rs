//! Staff sign-in through the organisation's identity provider (OpenID Connect,
//! authorization code flow with PKCE): `provider` talks to it through the
//! `openidconnect` crate, `claims` reads the verified ID token, `accounts` decides the
//! account and role. The pages are `web::staff::oidc_login`.

pub mod accounts;
pub mod claims;
pub mod provider;

pub use provider::{Provider, ProviderError, Started};
