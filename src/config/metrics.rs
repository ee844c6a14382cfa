//! `[metrics]`: who may read the Prometheus `/metrics` endpoint, and the token it takes.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Who may read `/metrics`. With a token, any client presenting it as a bearer token;
/// without one, only clients on this machine (loopback) whose request carries no
/// proxy forwarding header.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    pub enabled: bool,
    /// Name of the environment variable holding the bearer token.
    pub token_env: Option<String>,
    /// File holding the bearer token (e.g. a mounted secret).
    pub token_file: Option<PathBuf>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            enabled: true,
            token_env: None,
            token_file: None,
        }
    }
}

impl MetricsSettings {
    /// The bearer token from the environment or a file; None when neither is configured.
    pub fn token(&self) -> anyhow::Result<Option<String>> {
        if let Some(var) = &self.token_env {
            let token = std::env::var(var)
                .with_context(|| format!("metrics.token_env names {var}, which is not set"))?;
            return non_empty_token(token).map(Some);
        }
        if let Some(path) = &self.token_file {
            let token = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read metrics.token_file {}", path.display()))?;
            return non_empty_token(token.trim().to_string()).map(Some);
        }
        Ok(None)
    }
}

/// A short token would be guessable; an empty one would let anyone in.
fn non_empty_token(token: String) -> anyhow::Result<String> {
    if token.len() < 16 {
        bail!("the metrics token must be at least 16 characters long");
    }
    Ok(token)
}
