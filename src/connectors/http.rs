//! The blocking HTTP client shared by the HTTP connectors (Matomo API, webhooks).
//!
//! Built on first use, not when the connector is made: reqwest's blocking client panics
//! if built inside an async runtime, and connectors are made at start-up, inside one.

use super::ConnectorError;
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
