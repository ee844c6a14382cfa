//! `[[connectors]]`: the systems the portal searches, exports and erases in, with their
//! secrets read from the environment or files.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One connected system. Secrets (database URLs with passwords, API tokens, webhook keys)
/// come only from the environment (`*_env`) or files (`*_file`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorConfig {
    pub name: String,
    /// "matomo_db" (later also "matomo_api", "webhook").
    pub kind: String,
    #[serde(default)]
    pub url_env: Option<String>,
    #[serde(default)]
    pub url_file: Option<PathBuf>,
    /// Matomo table prefix (Matomo's default is "matomo_").
    #[serde(default = "default_table_prefix")]
    pub table_prefix: String,
    /// Matomo site ids to search; empty means every site.
    #[serde(default)]
    pub site_ids: Vec<u32>,
    /// Which verified identity is the system's user id ("email" or a configured identifier).
    #[serde(default = "default_user_id_from")]
    pub user_id_from: String,
    /// Matomo's "pseudonymise user id" salt (option `useridsalt`), when that option is on:
    /// the stored user id is then sha1(uid . salt).
    #[serde(default)]
    pub user_id_salt_env: Option<String>,
    /// Also remove log_action rows (URLs, titles) that only the erased visits referenced.
    #[serde(default)]
    pub purge_orphaned_actions: bool,
    /// `matomo_db`: also search `log_visit.user_id`. Matomo has no index on that column, so
    /// without one each find reads the whole table; visits tracked with a user id are found
    /// through the indexed visitor id anyway while Matomo's `enable_userid_overwrites_visitorid`
    /// is on (its default), so an operator who keeps that default may switch this off.
    #[serde(default = "default_search_user_id_column")]
    pub search_user_id_column: bool,
    /// Rows deleted per statement when erasing.
    #[serde(default = "default_batch")]
    pub batch_size: u32,
    /// HTTP connectors: the base URL (Matomo: "https://matomo.example/"; webhook: the endpoint).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Matomo API token (token_auth) or webhook signing secret, from the environment…
    #[serde(default)]
    pub token_env: Option<String>,
    /// …or from a file.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Per-call timeout for HTTP connectors (Matomo searches can be slow).
    #[serde(default = "default_http_timeout")]
    pub timeout_seconds: u64,
}

fn default_http_timeout() -> u64 {
    120
}

fn default_search_user_id_column() -> bool {
    true
}

fn default_table_prefix() -> String {
    "matomo_".into()
}
fn default_user_id_from() -> String {
    "email".into()
}
fn default_batch() -> u32 {
    5000
}

impl ConnectorConfig {
    /// The checks `Settings::check` runs on each connector.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        if !["matomo_db", "matomo_api", "webhook"].contains(&self.kind.as_str()) {
            bail!(
                "connector {:?}: kind {:?} is not known (use \"matomo_db\", \"matomo_api\" or \"webhook\")",
                self.name,
                self.kind
            );
        }
        if !self
            .table_prefix
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            bail!(
                "connector {:?}: table_prefix may hold only letters, digits and _",
                self.name
            );
        }
        if self.kind != "matomo_db" {
            let url = self.base_url.as_deref().unwrap_or("");
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("connector {:?} needs base_url = \"https://…\"", self.name);
            }
            if self.token_env.is_none() && self.token_file.is_none() {
                bail!(
                    "connector {:?} needs token_env or token_file (secrets never go in the file)",
                    self.name
                );
            }
        } else if self.url_env.is_none() && self.url_file.is_none() {
            bail!(
                "connector {:?} needs url_env or url_file (secrets never go in the file)",
                self.name
            );
        }
        Ok(())
    }

    /// The API token or signing secret from the environment or a file.
    pub fn secret_token(&self) -> anyhow::Result<String> {
        if let Some(var) = &self.token_env {
            return std::env::var(var).with_context(|| {
                format!(
                    "connector {:?}: token_env names {var}, which is not set",
                    self.name
                )
            });
        }
        if let Some(path) = &self.token_file {
            return std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .with_context(|| {
                    format!(
                        "connector {:?}: cannot read token_file {}",
                        self.name,
                        path.display()
                    )
                });
        }
        bail!("connector {:?} needs token_env or token_file", self.name)
    }

    /// The connection URL from the environment or a file, with a plain error if missing.
    pub fn secret_url(&self) -> anyhow::Result<String> {
        if let Some(var) = &self.url_env {
            return std::env::var(var).with_context(|| {
                format!(
                    "connector {:?}: url_env names {var}, which is not set",
                    self.name
                )
            });
        }
        if let Some(path) = &self.url_file {
            return std::fs::read_to_string(path)
                .map(|s| s.trim().to_string())
                .with_context(|| {
                    format!(
                        "connector {:?}: cannot read url_file {}",
                        self.name,
                        path.display()
                    )
                });
        }
        bail!("connector {:?} needs url_env or url_file", self.name)
    }
}
