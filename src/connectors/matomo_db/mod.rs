//! Matomo, read and written directly in its MySQL/MariaDB database.
//!
//! Going to the database rather than through Matomo's PrivacyManager API avoids that API's
//! limits: its subject search stops at 401 visits, times out on large installs and needs
//! the visitor profile for the userId segment. The tables and identifiers follow Matomo
//! 5: `idvisitor` is the first 8 bytes of sha1(user id), the user id itself is stored as
//! sha1(uid . salt) when "pseudonymise user id" is on, and IP addresses are stored masked
//! (a.b.0.0 by default), so an IP can only ever be a weak key.
//!
//! `row.unwrap()` in these files is mysql_async's `Row::unwrap`, which turns a row into its
//! values; it panics only for a column taken out of the row before, which never happens
//! here. It is not `Option::unwrap` on anything the database or a user controls.
//!
//! One idea a file: `sql.rs` (the tables and SQL pieces), `values.rs` (MySQL values into
//! Rust and JSON), `find.rs`, `export.rs`, `erase.rs`, `purge.rs` (orphaned actions),
//! `health.rs` (check and advice), `errors.rs` (error wording) and `bridge.rs` (the
//! synchronous trait over the async driver).

mod bridge;
mod erase;
mod errors;
mod export;
mod find;
mod health;
mod purge;
mod sql;
mod values;

use super::matomo_ids::UserIdRule;
use super::{Connector, ConnectorError, ErasureReport, Matches, Records, Subject};
use crate::config::ConnectorConfig;
use chrono::NaiveDateTime;
use mysql_async::{Opts, Pool};
use tokio::runtime::Runtime;

/// The connector for `kind = "matomo_db"`.
///
/// The `Connector` trait is synchronous, so each instance owns a single-threaded tokio
/// runtime and blocks on it for every call. Callers must therefore call it (and drop it)
/// from a plain thread, never from inside an async runtime, where blocking would panic.
pub struct MatomoDb {
    name: String,
    prefix: String,
    site_ids: Vec<u32>,
    user_ids: UserIdRule,
    purge_orphaned_actions: bool,
    search_user_id_column: bool,
    batch_size: usize,
    pool: Pool,
    /// Taken out only in `drop`, to shut it down without blocking when that happens
    /// inside another runtime.
    rt: Option<Runtime>,
}

/// One visit found for the person.
#[derive(Debug, Clone)]
struct Visit {
    idsite: u32,
    idvisit: u64,
    first: Option<NaiveDateTime>,
    last: Option<NaiveDateTime>,
}

impl MatomoDb {
    pub fn new(cfg: &ConnectorConfig, url: &str) -> Result<MatomoDb, ConnectorError> {
        // Config validates the prefix too, but it is the one thing written into SQL, so
        // this type does not rely on every caller having gone through config.
        if !cfg
            .table_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ConnectorError::Permanent(format!(
                "connector {:?}: table_prefix may only contain letters, digits and _",
                cfg.name
            )));
        }
        // The URL's own error text could echo the password, so it is not passed on.
        let opts = Opts::from_url(url).map_err(|_| {
            ConnectorError::Permanent(format!(
                "connector {:?}: the database URL is not a valid mysql:// URL",
                cfg.name
            ))
        })?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                ConnectorError::Permanent(format!(
                    "connector {:?}: cannot start its runtime: {e}",
                    cfg.name
                ))
            })?;
        Ok(MatomoDb {
            name: cfg.name.clone(),
            prefix: cfg.table_prefix.clone(),
            site_ids: cfg.site_ids.clone(),
            user_ids: UserIdRule::new(cfg),
            purge_orphaned_actions: cfg.purge_orphaned_actions,
            search_user_id_column: cfg.search_user_id_column,
            batch_size: (cfg.batch_size as usize).clamp(1, 50_000),
            pool: Pool::new(opts),
            rt: Some(rt),
        })
    }

    fn table(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }
}

impl Connector for MatomoDb {
    fn name(&self) -> &str {
        &self.name
    }

    fn find(&self, subject: &Subject) -> Result<Matches, ConnectorError> {
        self.run(self.find_async(subject))
    }

    fn export(&self, matches: &Matches) -> Result<Records, ConnectorError> {
        self.run(self.export_async(matches))
    }

    fn erase(&self, matches: &Matches) -> Result<ErasureReport, ConnectorError> {
        self.run(self.erase_async(matches))
    }

    fn check(&self) -> Result<(), ConnectorError> {
        self.run(self.check_async())
    }

    fn advice(&self) -> Result<Vec<String>, ConnectorError> {
        self.run(self.advice_async())
    }
}
