//! Secrets named in the configuration by where to find them, never by value: an
//! environment variable (`<what>_env`) or a file (`<what>_file`, trimmed). Shared by the
//! connectors and the staff sign-in provider, so both say the same things when one is
//! missing.

use anyhow::Context;
use std::path::PathBuf;

/// The secret `<what>` of `owner` (e.g. `connector "crm"`, `staff.oidc`): from the
/// variable `env` names, else from `file`; `None` when neither is set.
pub fn read(
    owner: &str,
    what: &str,
    env: &Option<String>,
    file: &Option<PathBuf>,
) -> anyhow::Result<Option<String>> {
    if let Some(var) = env {
        return std::env::var(var)
            .map(Some)
            .with_context(|| format!("{owner}: {what}_env names {var}, which is not set"));
    }
    if let Some(path) = file {
        return std::fs::read_to_string(path)
            .map(|s| Some(s.trim().to_string()))
            .with_context(|| format!("{owner}: cannot read {what}_file {}", path.display()));
    }
    Ok(None)
}
