//! Everything a handler or job needs, built once at start and shared.

use crate::clients::rate_limit::RateLimiter;
use crate::config::Settings;
use crate::crypto::{BlindIndexer, FieldCipher, Keys};
use crate::db::{Backend, DbPool};
use crate::domain::deadlines::Holidays;
use crate::domain::intake::IdentifierRule;
use crate::templates::Templates;

pub struct AppState {
    pub settings: Settings,
    pub pool: DbPool,
    pub backend: Backend,
    pub cipher: FieldCipher,
    pub indexer: BlindIndexer,
    /// The default language's templates: staff pages and staff emails.
    pub templates: std::sync::Arc<Templates>,
    /// Every offered language's templates: a person's pages and a request's emails.
    pub languages: crate::languages::Languages,
    pub holidays: Holidays,
    pub identifier_rules: Vec<IdentifierRule>,
    pub limiter: RateLimiter,
    /// Where the client address comes from (the peer or a trusted proxy's header).
    pub client_ip: crate::clients::address::Source,
    pub public_url: String,
    /// Domain for Message-IDs, from the From address.
    pub mail_domain: String,
    pub hasher: std::sync::Arc<crate::staff::password::Hasher>,
    /// Where logins hash: a few threads and a bounded queue (`staff::hash_pool`).
    pub hash_pool: crate::staff::hash_pool::HashPool,
    /// Requests in progress per client address (`clients::slots`).
    pub client_slots: crate::clients::slots::ClientSlots,
    pub connectors: crate::connectors::registry::Registry,
    /// Runs intakes in shared transactions (group commit); see `db::group_commit`.
    pub writer: crate::db::group_commit::GroupWriter,
    /// SQLite's WAL checkpoints, run beside requests rather than inside one.
    pub checkpointer: crate::db::checkpointer::Checkpointer,
    /// The organisation's colour and logo (`[organisation]` in the config).
    pub branding: crate::branding::Branding,
    /// The staff identity provider of `[staff.oidc]`, when one is configured.
    pub oidc: Option<crate::staff::oidc::Provider>,
}

impl AppState {
    pub fn new(settings: Settings, pool: DbPool, keys: &Keys) -> anyhow::Result<AppState> {
        let languages = crate::languages::Languages::load(
            settings.templates_dir.as_deref(),
            &settings.organisation.language,
            &settings.organisation.languages,
        )?;
        let branding = crate::branding::Branding::load(
            &settings.organisation.primary_colour,
            settings.organisation.logo_file.as_deref(),
        )?;
        let mail_domain = settings
            .mail
            .from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').to_string())
            .unwrap_or_else(|| "localhost".into());
        let hasher = std::sync::Arc::new(crate::staff::password::Hasher::new(&settings.staff)?);
        Ok(AppState {
            backend: Backend::from_url(&settings.database_url()),
            writer: crate::db::group_commit::GroupWriter::start(
                pool.clone(),
                Backend::from_url(&settings.database_url()),
            )?,
            checkpointer: crate::db::checkpointer::Checkpointer::start(
                pool.clone(),
                Backend::from_url(&settings.database_url()),
            )?,
            pool,
            cipher: FieldCipher::with_previous(&keys.data, &keys.previous_data),
            indexer: BlindIndexer::new(&keys.index),
            templates: languages.default().clone(),
            languages,
            holidays: settings.holiday_calendar(),
            identifier_rules: settings.identifier_rules(),
            limiter: RateLimiter::new(),
            client_ip: settings.client_ip_source()?,
            public_url: settings.public_url(),
            mail_domain,
            hasher: hasher.clone(),
            hash_pool: crate::staff::hash_pool::HashPool::start(
                hasher,
                settings.limits.hash_threads(),
                settings.limits.password_hash_queue,
            )?,
            client_slots: Default::default(),
            connectors: crate::connectors::registry::build(&settings),
            oidc: match &settings.staff.oidc {
                Some(cfg) => Some(crate::staff::oidc::Provider::new(
                    cfg,
                    &settings.public_url(),
                )?),
                None => None,
            },
            branding,
            settings,
        })
    }

    /// The templates of a request's language (`requests.language`; the default when it
    /// is unset or no longer offered): every email and page about that request.
    pub fn words(&self, language: Option<&str>) -> &Templates {
        self.languages.get(language)
    }

    /// The organisation facts every page and email shows.
    pub fn org_context(&self) -> serde_json::Value {
        let o = &self.settings.organisation;
        serde_json::json!({
            "name": o.name,
            "contact_email": o.contact_email,
            "privacy_policy_url": o.privacy_policy_url,
            "dpo_contact": o.dpo_contact,
            "has_logo": self.branding.logo.is_some(),
            "colour": self.branding.colour,
            // Emails link the logo at the portal rather than attach it (see
            // docs/CONFIGURATION.md, `[organisation] logo_file`).
            "email_logo_url": self.branding.logo.as_ref()
                .filter(|l| l.fits_email())
                .map(|_| format!("{}/static/logo", self.public_url)),
        })
    }
}
