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
use std::path::{Path, PathBuf};

pub mod client_ip;
mod connectors;
pub mod dataset;
mod drp;
mod jobs;
mod keys;
mod limits;
mod mail;
mod metrics;
mod organisation;
mod rate_limits;
mod secrets;
mod staff;
mod staff_oidc;
mod uploads;
mod verification;

pub use connectors::ConnectorConfig;
pub use drp::DrpSettings;
pub use jobs::WorkerSettings;
pub use keys::KeySettings;
pub use limits::Limits;
pub use mail::{MailSettings, SmtpSettings};
pub use metrics::MetricsSettings;
pub use organisation::{DataCategory, IdentifierConfig, Organisation, Report};
pub use rate_limits::RateLimits;
pub use staff::StaffSettings;
pub use staff_oidc::{OidcSettings, RoleGroups, RoleSource, CALLBACK_PATH as OIDC_CALLBACK_PATH};
pub use uploads::UploadSettings;
pub use verification::VerificationSettings;

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
        if let Some(days) = settings.verification.status_link_days.take() {
            settings.verification.status_link_days_after_close = days;
        }
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
        self.organisation.check()?;
        for language in
            std::iter::once(&self.organisation.language).chain(&self.organisation.languages)
        {
            crate::i18n::Catalogue::load(language, self.templates_dir.as_deref())?;
        }
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
        self.mail.check()?;
        for c in &self.connectors {
            c.check()?;
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
        self.staff.check()?;
        self.drp.check()?;
        self.client_ip_source()?;
        Ok(())
    }

    /// Where rate limits take the client address from (checked by `check`).
    pub fn client_ip_source(&self) -> anyhow::Result<client_ip::Source> {
        client_ip::Source::from_settings(
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
        self.keys.sources(&self.data_dir.join("keys"))
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

    /// The shipped examples are what operators copy: each must load as it stands.
    #[test]
    fn the_example_configurations_load() {
        for name in ["dsar-portal.example.toml", "demo.toml"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(name);
            if let Err(e) = Settings::load(Some(&path)) {
                panic!("{name}: {e}");
            }
        }
    }

    #[test]
    fn the_older_name_of_the_status_link_lifetime_is_still_read() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("old.toml", "[verification]\nstatus_link_days = 45\n")?;
            let s = Settings::load(Some(Path::new("old.toml"))).expect("loads");
            assert_eq!(s.verification.status_link_days_after_close, 45);
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
