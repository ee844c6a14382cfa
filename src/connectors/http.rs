//! The blocking HTTP client shared by the HTTP connectors (Matomo API, webhooks).
//!
//! Built on first use, not when the connector is made: reqwest's blocking client panics
//! if built inside an async runtime, and connectors are made at start-up, inside one.

use super::ConnectorError;
use crate::config::ConnectorConfig;
use reqwest::blocking::Client;
use std::sync::OnceLock;
use std::time::Duration;

/// Upper bound on connecting, however long a call may take.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub fn client(cell: &OnceLock<Client>, timeout: Duration) -> Result<&Client, ConnectorError> {
    if let Some(client) = cell.get() {
        return Ok(client);
    }
    let client = Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
        // Never follow redirects: a 307/308 would resend the body (tokens, personal
        // data) to wherever it points.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("dsar-portal/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|_| {
            ConnectorError::Permanent("cannot set up the HTTP client (TLS backend)".into())
        })?;
    // Two threads may race to build one; the loser's client is simply dropped.
    Ok(cell.get_or_init(|| client))
}

/// A connector's configuration problem, naming the connector.
pub fn permanent(cfg: &ConnectorConfig, what: &str) -> ConnectorError {
    ConnectorError::Permanent(format!("connector {:?}: {what}", cfg.name))
}

/// The connector's `base_url`, checked to be an http(s) URL with a host; `missing` says
/// what the address is, for the message when it is not set.
pub fn base_url(cfg: &ConnectorConfig, missing: &str) -> Result<reqwest::Url, ConnectorError> {
    let base_url = cfg
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| permanent(cfg, missing))?;
    // The parser's error could echo the URL, which may carry credentials.
    let url =
        reqwest::Url::parse(base_url).map_err(|_| permanent(cfg, "base_url is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(permanent(
            cfg,
            "base_url must be an http:// or https:// URL",
        ));
    }
    Ok(url)
}
