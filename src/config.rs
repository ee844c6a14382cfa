//! Settings: built-in defaults < `dsar-portal.toml` < `DSAR_*` environment variables.
//!
//! Nested keys use a double underscore in the environment (`DSAR_MAIL__SMTP__HOST`).
//! `DATABASE_URL` is honoured as well, being the name every tool expects. Secrets are
//! read from the environment or from files, never written into the config file itself.

use crate::domain::deadlines::Holidays;
use crate::domain::intake::IdentifierRule;
use crate::domain::kinds::Jurisdiction;
use anyhow::{bail, Context};
use chrono::NaiveDate;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod limits;
pub use limits::Limits;
mod uploads;
pub use uploads::UploadSettings;
mod jobs;
pub use jobs::WorkerSettings;

pub const DEFAULT_CONFIG_FILE: &str = "dsar-portal.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address to listen on.
    pub bind: String,
    /// Base URL used in email links; defaults to http://{bind}.
    pub public_url: Option<String>,
    /// Where the SQLite file, keys and `.eml` files live.
    pub data_dir: PathBuf,
    /// `postgres://…` or a SQLite path; defaults to `{data_dir}/dsar-portal.sqlite3`.
    pub database_url: Option<String>,
    /// A file holding the database URL (e.g. a mounted secret with the password in it).
    pub database_url_file: Option<PathBuf>,
    pub database_pool_size: u32,
    /// Folder with template overrides (same relative names as the built-in ones).
    pub templates_dir: Option<PathBuf>,
    /// `tracing` filter, e.g. "info" or "dsar_portal=debug".
    pub log: String,
    /// "text" (default, for people) or "json" (one object per line, for log collectors).
    pub log_format: String,
    /// Public holidays skipped when counting business days.
    pub holidays: Vec<NaiveDate>,
    /// Which places the portal serves; the form offers only these.
    pub jurisdictions: Vec<Jurisdiction>,
    pub organisation: Organisation,
    /// Optional identifiers the form asks for (account id, customer number…).
    pub identifiers: Vec<IdentifierConfig>,
    pub report: Report,
    pub mail: MailSettings,
    pub keys: KeySettings,
    pub verification: VerificationSettings,
    pub rate_limits: RateLimits,
    pub worker: WorkerSettings,
    pub staff: StaffSettings,
    /// The Data Rights Protocol API for authorized agents.
    pub drp: DrpSettings,
    /// The systems the portal finds, exports and erases a person's records in.
    pub connectors: Vec<ConnectorConfig>,
    /// Older form of `client_ip_header = "X-Forwarded-For"` with one trusted proxy.
    pub trust_proxy_headers: bool,
    /// The Prometheus `/metrics` endpoint.
    pub metrics: MetricsSettings,
    /// Behind reverse proxies: the header they put the client address in
    /// ("X-Forwarded-For", "X-Real-IP" or "Forwarded"). Unset: the TCP peer is the client.
    pub client_ip_header: Option<String>,
    /// How many proxies in front of the portal append to that header.
    pub trusted_proxies: u32,
    /// What one client, and everyone at once, may hold of the server.
    pub limits: Limits,
    /// Bounds on documents stored before anyone is verified.
    pub uploads: UploadSettings,
}

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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    pub contact_email: String,
    pub privacy_policy_url: String,
    /// Data protection officer or privacy contact shown on pages, if different.
    pub dpo_contact: Option<String>,
    /// Where GDPR/UK GDPR complaints can go (told to the person with every refusal),
    /// for every place that `complaint_authorities` does not name.
    pub supervisory_authority: String,
    /// The authority a person can complain to, per place they live (`eu`, `uk`,
    /// `california`, `us_other`, `other`): named in refusals, partial answers, refused
    /// appeals and the access report. Defaults name the ICO for the UK, the California
    /// Privacy Protection Agency and the state Attorneys General; see
    /// [`Organisation::complaint_authority`].
    pub complaint_authorities: BTreeMap<String, String>,
    /// Whether the organisation sells or shares personal information (CCPA). A refused
    /// deletion then asks whether the person wants to opt out instead (CCPA regulations
    /// §7022).
    pub sells_or_shares: bool,
    /// Language of pages and emails: a catalogue in `locales/` (see `src/i18n.rs`).
    pub language: String,
    /// Header, link and button colour, a hex colour dark enough for white text on it.
    pub primary_colour: String,
    /// A PNG, JPEG or SVG logo read at start and served at `/static/logo`.
    pub logo_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentifierConfig {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub required: bool,
}

/// What the access report tells a person (GDPR Art. 15(1), CCPA §1798.110).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Report {
    pub categories: Vec<DataCategory>,
    /// Safeguards for transfers outside the EEA/UK (Art. 15(2)).
    pub transfer_safeguards: String,
    pub automated_decisions: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataCategory {
    pub name: String,
    pub examples: String,
    pub sources: Vec<String>,
    pub purposes: Vec<String>,
    pub legal_basis: String,
    pub recipients: Vec<String>,
    pub retention: String,
    pub sold_or_shared: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The From header, e.g. "Example Privacy Team <privacy@example.com>".
    pub from: String,
    /// Without SMTP, messages are written as `.eml` files under `{data_dir}/mail/`.
    pub smtp: Option<SmtpSettings>,
    /// `.eml` files (no SMTP) hold live links: they are deleted this many days after
    /// they were written.
    pub eml_keep_days: i64,
    /// Days a sent message keeps its body in the outbox; 0 clears it once sent. After
    /// that only the template, the masked recipient, the message id and `sent_at` stay.
    pub keep_sent_bodies_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// "starttls" (default), "tls" (implicit, port 465) or "none" (local relays only).
    #[serde(default = "default_tls")]
    pub tls: String,
    #[serde(default)]
    pub username: Option<String>,
    /// Name of the environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File holding the password (e.g. a mounted secret).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default = "default_smtp_timeout")]
    pub timeout_seconds: u64,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_tls() -> String {
    "starttls".into()
}
fn default_smtp_timeout() -> u64 {
    20
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// Defaults: `{data_dir}/keys/data.key`, `index.key`, `session.key`, created on first start.
    pub data_key_file: Option<PathBuf>,
    pub index_key_file: Option<PathBuf>,
    pub session_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerificationSettings {
    pub email_link_hours: i64,
    pub status_link_days: i64,
    /// A request whose email is still unconfirmed this long after receipt closes itself.
    pub close_unverified_after_days: i64,
    /// How long an access package can be downloaded, and how many times.
    pub download_link_days: i64,
    pub max_downloads: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    pub enabled: bool,
    /// Form and API submissions per client address per minute.
    pub intake_per_minute: u32,
    /// Link pages (verify, status, resend) per client address per minute.
    pub token_pages_per_minute: u32,
    /// Staff login attempts per client address per minute (accounts also lock themselves).
    pub login_per_minute: u32,
    /// Data Rights Protocol calls per agent per minute.
    pub drp_per_minute: u32,
}

/// The covered-business side of the Data Rights Protocol (DRP 1.0).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrpSettings {
    /// This business's id in the DRP service directory. The API is off while unset.
    pub business_id: Option<String>,
    /// Longest accepted window between a signed body's `issued-at` and `expires-at`.
    /// The spec recommends at most 10 minutes; the reference agent signs 15.
    pub max_validity_minutes: i64,
}

impl Default for DrpSettings {
    fn default() -> Self {
        DrpSettings {
            business_id: None,
            max_validity_minutes: crate::drp::envelope::DEFAULT_MAX_VALIDITY.num_minutes(),
        }
    }
}

impl DrpSettings {
    /// The validity bound signed bodies are checked against.
    pub fn max_validity(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.max_validity_minutes)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_url_file: None,
            database_pool_size: 8,
            templates_dir: None,
            log: "info".into(),
            log_format: "text".into(),
            holidays: Vec::new(),
            jurisdictions: Jurisdiction::ALL.to_vec(),
            organisation: Organisation::default(),
            identifiers: Vec::new(),
            report: Report::default(),
            mail: MailSettings::default(),
            keys: KeySettings::default(),
            verification: VerificationSettings::default(),
            rate_limits: RateLimits::default(),
            worker: WorkerSettings::default(),
            staff: StaffSettings::default(),
            drp: DrpSettings::default(),
            connectors: Vec::new(),
            trust_proxy_headers: false,
            metrics: MetricsSettings::default(),
            client_ip_header: None,
            trusted_proxies: 1,
            limits: Limits::default(),
            uploads: UploadSettings::default(),
        }
    }
}

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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffSettings {
    /// Argon2id cost (OWASP minimum: 19456 KiB, 2 iterations, 1 lane).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Sessions end after this long without activity, and after the absolute limit in any case.
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Failed logins before the account locks; each further failure doubles the lock (max 1 h).
    /// A browser that logged in to the account before is not held by this lock.
    pub lockout_after: i64,
    /// Failed logins from one client address (any account) before that client is held,
    /// with the same doubling; applies to known browsers too.
    pub client_lockout_after: i64,
    /// Login of the admin account created on first start (default: `admin@` the domain
    /// of organisation.contact_email; never the public contact address itself).
    pub first_admin_email: Option<String>,
    /// Days before a due date when the assignee (or every handler) is reminded.
    pub reminder_days: Vec<i64>,
    /// Personal data of closed requests is removed this many months after closing (CCPA §7101: 24).
    pub retention_months: u32,
}

impl Default for StaffSettings {
    fn default() -> Self {
        StaffSettings {
            argon2_memory_kib: 19456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            lockout_after: 5,
            client_lockout_after: 10,
            first_admin_email: None,
            reminder_days: vec![7, 2],
            retention_months: 24,
        }
    }
}

impl Default for Organisation {
    fn default() -> Self {
        Organisation {
            name: "Example Organisation".into(),
            contact_email: "privacy@example.com".into(),
            privacy_policy_url: "https://example.com/privacy".into(),
            dpo_contact: None,
            supervisory_authority:
                "the data protection authority of the country where you live or work".into(),
            complaint_authorities: default_complaint_authorities(),
            sells_or_shares: false,
            language: "en".into(),
            primary_colour: "#1d4e89".into(),
            logo_file: None,
        }
    }
}

/// Who hears complaints where the law names someone other than the EU authorities: the
/// UK's regulator (UK GDPR Art. 77), the CCPA's enforcement agency, and the Attorneys
/// General that VA, CO, CT and the laws like them name for a refused appeal.
fn default_complaint_authorities() -> BTreeMap<String, String> {
    [
        (
            "uk",
            "the Information Commissioner's Office (ICO), ico.org.uk/make-a-complaint",
        ),
        (
            "california",
            "the California Privacy Protection Agency (cppa.ca.gov)",
        ),
        ("us_other", "the Attorney General of your state"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

impl Organisation {
    /// The authority a person who lives in `jurisdiction` (a stored code) can complain
    /// to: the configured one for that place, else `supervisory_authority`.
    pub fn complaint_authority(&self, jurisdiction: &str) -> &str {
        self.complaint_authorities
            .get(jurisdiction)
            .map(String::as_str)
            .filter(|a| !a.trim().is_empty())
            .unwrap_or(&self.supervisory_authority)
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "Privacy Team <privacy@example.com>".into(),
            smtp: None,
            eml_keep_days: 7,
            keep_sent_bodies_days: 0,
        }
    }
}

impl Default for VerificationSettings {
    fn default() -> Self {
        VerificationSettings {
            email_link_hours: 24,
            status_link_days: 30,
            close_unverified_after_days: 7,
            download_link_days: 7,
            max_downloads: 5,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            intake_per_minute: 10,
            token_pages_per_minute: 30,
            login_per_minute: 10,
            drp_per_minute: 120,
        }
    }
}

impl Settings {
    /// Loads settings from `config_file` (if it exists; an explicitly named file must)
    /// and the environment.
    pub fn load(config_file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match config_file {
            Some(path) if !path.exists() => {
                bail!("configuration file {} does not exist", path.display())
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        // DSAR_CONFIG names the file itself (read by the command line), not a setting.
        figment = figment.merge(
            Env::prefixed("DSAR_")
                .filter(|k| !k.as_str().eq_ignore_ascii_case("config"))
                .split("__"),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        let mut settings: Settings = figment
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        if let Some(path) = &settings.database_url_file {
            if settings.database_url.is_some() {
                bail!("set either database_url (or DATABASE_URL) or database_url_file, not both");
            }
            let url = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read database_url_file {}", path.display()))?;
            settings.database_url = Some(url.trim().to_string());
        }
        settings.check()?;
        Ok(settings)
    }

    /// Checks that need more than types: said once at start, in plain words.
    pub fn check(&self) -> anyhow::Result<()> {
        self.bind.parse::<std::net::SocketAddr>().with_context(|| {
            format!(
                "bind = {:?} is not an address like 127.0.0.1:8080",
                self.bind
            )
        })?;
        self.limits.check()?;
        if !["text", "json"].contains(&self.log_format.as_str()) {
            bail!("log_format must be \"text\" or \"json\"");
        }
        if self.metrics.enabled {
            self.metrics.token()?;
        }
        if self.jurisdictions.is_empty() {
            bail!("jurisdictions must name at least one place the portal serves");
        }
        crate::branding::primary_colour(&self.organisation)?;
        if let Some(place) = self
            .organisation
            .complaint_authorities
            .keys()
            .find(|k| Jurisdiction::parse(k).is_none())
        {
            bail!(
                "organisation.complaint_authorities names {place:?}, which is not a place the \
                 portal knows (eu, uk, california, us_other, other)"
            );
        }
        crate::i18n::Catalogue::load(&self.organisation.language, self.templates_dir.as_deref())?;
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("public_url must start with http:// or https://");
            }
        }
        for id in &self.identifiers {
            let ok = !id.name.is_empty()
                && id
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                bail!("identifier name {:?} must use a-z, 0-9 and _ only", id.name);
            }
        }
        if let Some(smtp) = &self.mail.smtp {
            if !["starttls", "tls", "none"].contains(&smtp.tls.as_str()) {
                bail!("mail.smtp.tls must be \"starttls\", \"tls\" or \"none\"");
            }
        }
        lettre::message::Mailbox::from_str_checked(&self.mail.from)?;
        if self.mail.eml_keep_days < 1 || self.mail.keep_sent_bodies_days < 0 {
            bail!(
                "mail.eml_keep_days must be positive and mail.keep_sent_bodies_days not negative"
            );
        }
        for c in &self.connectors {
            if !["matomo_db", "matomo_api", "webhook"].contains(&c.kind.as_str()) {
                bail!(
                    "connector {:?}: kind {:?} is not known (use \"matomo_db\", \"matomo_api\" or \"webhook\")",
                    c.name,
                    c.kind
                );
            }
            if !c
                .table_prefix
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            {
                bail!(
                    "connector {:?}: table_prefix may hold only letters, digits and _",
                    c.name
                );
            }
            if c.kind != "matomo_db" {
                let url = c.base_url.as_deref().unwrap_or("");
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    bail!("connector {:?} needs base_url = \"https://…\"", c.name);
                }
                if c.token_env.is_none() && c.token_file.is_none() {
                    bail!(
                        "connector {:?} needs token_env or token_file (secrets never go in the file)",
                        c.name
                    );
                }
            } else if c.url_env.is_none() && c.url_file.is_none() {
                bail!(
                    "connector {:?} needs url_env or url_file (secrets never go in the file)",
                    c.name
                );
            }
        }
        // A lease shorter than a call would let a second worker start the same call.
        let lease = self.worker.connector_lease_seconds;
        if let Some(c) = self
            .connectors
            .iter()
            .find(|c| c.kind != "matomo_db" && lease <= c.timeout_seconds as i64)
        {
            bail!(
                "worker.connector_lease_seconds ({lease}) must be longer than connector {:?}'s timeout_seconds ({})",
                c.name,
                c.timeout_seconds
            );
        }
        if lease < 1 {
            bail!("worker.connector_lease_seconds must be positive");
        }
        self.worker.check()?;
        let st = &self.staff;
        if st.argon2_memory_kib < 19456 || st.argon2_iterations < 2 || st.argon2_parallelism < 1 {
            bail!("staff.argon2_* must be at least the OWASP minimum (19456 KiB, 2 iterations, 1 lane)");
        }
        if st.session_idle_minutes < 1 || st.session_absolute_hours < 1 {
            bail!("staff.session_idle_minutes and staff.session_absolute_hours must be positive");
        }
        let range = crate::drp::envelope::MAX_VALIDITY_RANGE_MINUTES;
        if !range.contains(&self.drp.max_validity_minutes) {
            bail!(
                "drp.max_validity_minutes = {} is out of range: it must be between {} and {} (the DRP spec recommends at most 10; the reference agent signs 15)",
                self.drp.max_validity_minutes,
                range.start(),
                range.end()
            );
        }
        self.client_ip_source()?;
        Ok(())
    }

    /// Where rate limits take the client address from (checked by `check`).
    pub fn client_ip_source(&self) -> anyhow::Result<crate::clients::address::Source> {
        crate::clients::address::Source::from_settings(
            self.client_ip_header.as_deref(),
            self.trusted_proxies,
            self.trust_proxy_headers,
        )
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            self.data_dir
                .join("dsar-portal.sqlite3")
                .to_string_lossy()
                .into_owned()
        })
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    /// Secure cookies and HSTS only make sense when people reach us over TLS.
    pub fn uses_tls(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    pub fn key_sources(&self) -> crate::crypto::keys::KeySources {
        let dir = self.data_dir.join("keys");
        let k = &self.keys;
        crate::crypto::keys::KeySources {
            data_file: k
                .data_key_file
                .clone()
                .unwrap_or_else(|| dir.join("data.key")),
            index_file: k
                .index_key_file
                .clone()
                .unwrap_or_else(|| dir.join("index.key")),
            session_file: k
                .session_key_file
                .clone()
                .unwrap_or_else(|| dir.join("session.key")),
            // Explicitly configured key files are never invented: a typo must not
            // silently start a fresh key and make the stored data unreadable.
            generate_missing: k.data_key_file.is_none()
                && k.index_key_file.is_none()
                && k.session_key_file.is_none(),
        }
    }

    pub fn holiday_calendar(&self) -> Holidays {
        Holidays::new(self.holidays.iter().copied())
    }

    pub fn identifier_rules(&self) -> Vec<IdentifierRule> {
        self.identifiers
            .iter()
            .map(|i| IdentifierRule {
                name: i.name.clone(),
                label: i.label.clone(),
                required: i.required,
            })
            .collect()
    }
}

/// Small helper so `Mailbox` parsing reads as a check.
trait CheckedMailbox: Sized {
    fn from_str_checked(s: &str) -> anyhow::Result<Self>;
}

impl CheckedMailbox for lettre::message::Mailbox {
    fn from_str_checked(s: &str) -> anyhow::Result<Self> {
        s.parse()
            .map_err(|e| anyhow::anyhow!("mail.from = {s:?} is not a valid address: {e}"))
    }
}

#[cfg(test)]
// figment::Jail's closure returns figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let s = Settings::default();
        s.check().expect("defaults pass their own checks");
        assert_eq!(s.public_url(), "http://127.0.0.1:8080");
        assert!(s.database_url().ends_with("data/dsar-portal.sqlite3"));
        assert!(s.key_sources().generate_missing);
    }

    #[test]
    fn drp_validity_window_is_bounded() {
        let mut s = Settings::default();
        assert_eq!(
            s.drp.max_validity_minutes, 15,
            "the reference agent's window"
        );
        for ok in [1, 10, 60] {
            s.drp.max_validity_minutes = ok;
            s.check().expect("in range");
        }
        for bad in [0, -5, 61, 1440] {
            s.drp.max_validity_minutes = bad;
            let err = s.check().expect_err("out of range").to_string();
            assert!(err.contains("drp.max_validity_minutes"), "{err}");
            assert!(err.contains("between 1 and 60"), "{err}");
        }
    }

    #[test]
    fn file_then_environment_override() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "portal.toml",
                "bind = \"127.0.0.1:9000\"\n[organisation]\nname = \"Acme\"\n",
            )?;
            jail.set_env("DSAR_BIND", "127.0.0.1:9100");
            jail.set_env("DSAR_ORGANISATION__CONTACT_EMAIL", "dpo@acme.test");
            jail.set_env("DSAR_CONFIG", "portal.toml");
            let s = Settings::load(Some(Path::new("portal.toml"))).expect("loads");
            assert_eq!(s.bind, "127.0.0.1:9100");
            assert_eq!(s.organisation.name, "Acme");
            assert_eq!(s.organisation.contact_email, "dpo@acme.test");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("a.toml", "bnd = \"x\"\n")?;
            let err = Settings::load(Some(Path::new("a.toml"))).expect_err("unknown key");
            assert!(err.to_string().contains("bnd"), "{err}");
            jail.create_file("b.toml", "bind = \"nowhere\"\n")?;
            assert!(Settings::load(Some(Path::new("b.toml"))).is_err());
            Ok(())
        });
    }
}
