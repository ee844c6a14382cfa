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
    /// `sql`: the dataset written in the configuration itself…
    #[serde(default)]
    pub dataset: Option<super::dataset::Dataset>,
    /// …or in a file of its own (relative paths from the working directory).
    #[serde(default)]
    pub dataset_file: Option<PathBuf>,
    /// `sql`: the key of the `hmac` column policy, from the environment or a file. The
    /// same key in two systems gives the same pseudonym for the same value.
    #[serde(default)]
    pub hmac_key_env: Option<String>,
    #[serde(default)]
    pub hmac_key_file: Option<PathBuf>,
    /// `sql`: the most rows one table may hold for one person before the search stops and
    /// says "N or more" (a dataset mistake, such as walking into a shared table, shows
    /// up as a stop rather than as an erasure of half the database).
    #[serde(default = "default_max_rows")]
    pub max_rows_per_table: u32,
    /// `manual`: the staff account (email) that carries out this system's tasks.
    #[serde(default)]
    pub owner: Option<String>,
    /// `manual`: what the owner has to do, in their words (where the files are, whom to ask).
    #[serde(default)]
    pub instructions: Option<String>,
    /// `manual`: a task is due this many days before the request's own due date.
    #[serde(default = "default_days_before_due")]
    pub days_before_due: u32,
}

impl Default for ConnectorConfig {
    /// The values an empty `[[connectors]]` entry gets, without a name or kind.
    fn default() -> Self {
        ConnectorConfig {
            name: String::new(),
            kind: String::new(),
            url_env: None,
            url_file: None,
            table_prefix: default_table_prefix(),
            site_ids: Vec::new(),
            user_id_from: default_user_id_from(),
            user_id_salt_env: None,
            purge_orphaned_actions: false,
            search_user_id_column: default_search_user_id_column(),
            batch_size: default_batch(),
            base_url: None,
            token_env: None,
            token_file: None,
            timeout_seconds: default_http_timeout(),
            dataset: None,
            dataset_file: None,
            hmac_key_env: None,
            hmac_key_file: None,
            max_rows_per_table: default_max_rows(),
            owner: None,
            instructions: None,
            days_before_due: default_days_before_due(),
        }
    }
}

fn default_max_rows() -> u32 {
    10_000
}

fn default_days_before_due() -> u32 {
    5
}

/// The kinds of connector a configuration may name.
pub const KINDS: &[&str] = &["matomo_db", "matomo_api", "webhook", "sql", "manual"];

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
        if !KINDS.contains(&self.kind.as_str()) {
            bail!(
                "connector {:?}: kind {:?} is not known (use one of {})",
                self.name,
                self.kind,
                KINDS.join(", ")
            );
        }
        match self.kind.as_str() {
            "sql" => return self.check_sql(),
            "manual" => return self.check_manual(),
            _ => {}
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

    fn check_sql(&self) -> anyhow::Result<()> {
        if self.url_env.is_none() && self.url_file.is_none() {
            bail!(
                "connector {:?} needs url_env or url_file (secrets never go in the file)",
                self.name
            );
        }
        if self.dataset.is_some() == self.dataset_file.is_some() {
            bail!(
                "connector {:?} needs its dataset: either a [connectors.dataset] table or dataset_file = \"…\", not both",
                self.name
            );
        }
        if self.max_rows_per_table == 0 {
            bail!(
                "connector {:?}: max_rows_per_table must be at least 1",
                self.name
            );
        }
        Ok(())
    }

    fn check_manual(&self) -> anyhow::Result<()> {
        if self.owner.as_deref().is_none_or(|o| !o.contains('@')) {
            bail!(
                "connector {:?} (manual) needs owner = \"<staff email>\": the account that does its tasks",
                self.name
            );
        }
        if self
            .instructions
            .as_deref()
            .is_none_or(|i| i.trim().is_empty())
        {
            bail!(
                "connector {:?} (manual) needs instructions = \"…\": what the owner has to do",
                self.name
            );
        }
        Ok(())
    }

    /// The `sql` connector's dataset, read from its file when it has one.
    pub fn load_dataset(&self) -> anyhow::Result<super::dataset::Dataset> {
        match (&self.dataset, &self.dataset_file) {
            (Some(d), _) => Ok(d.clone()),
            (None, Some(path)) => super::dataset::Dataset::from_file(path)
                .with_context(|| format!("connector {:?}", self.name)),
            (None, None) => bail!("connector {:?} has no dataset", self.name),
        }
    }

    /// The `hmac` policy's key, when one is configured.
    pub fn hmac_key(&self) -> anyhow::Result<Option<String>> {
        self.secret("hmac_key", &self.hmac_key_env, &self.hmac_key_file)
    }

    /// The API token or signing secret from the environment or a file.
    pub fn secret_token(&self) -> anyhow::Result<String> {
        self.secret("token", &self.token_env, &self.token_file)?
            .with_context(|| format!("connector {:?} needs token_env or token_file", self.name))
    }

    /// The connection URL from the environment or a file, with a plain error if missing.
    pub fn secret_url(&self) -> anyhow::Result<String> {
        self.secret("url", &self.url_env, &self.url_file)?
            .with_context(|| format!("connector {:?} needs url_env or url_file", self.name))
    }

    /// A secret named by `<what>_env` or `<what>_file` (trimmed); `None` when neither is set.
    fn secret(
        &self,
        what: &str,
        env: &Option<String>,
        file: &Option<PathBuf>,
    ) -> anyhow::Result<Option<String>> {
        super::secrets::read(&format!("connector {:?}", self.name), what, env, file)
    }
}
