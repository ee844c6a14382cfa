//! The configured connectors, built once at start. A connector that cannot be built
//! (a missing secret, say) is kept as its error, so the portal still starts, staff see
//! the problem on the request page, and `check-config` names it.

use super::matomo_db::MatomoDb;
use super::Connector;
use crate::config::Settings;
use std::collections::BTreeMap;
use std::sync::Arc;

pub type Registry = BTreeMap<String, Result<Arc<dyn Connector>, String>>;

pub fn build(settings: &Settings) -> Registry {
    settings
        .connectors
        .iter()
        .map(|cfg| {
            let built = cfg.secret_url().map_err(|e| e.to_string()).and_then(|url| {
                match cfg.kind.as_str() {
                    "matomo_db" => MatomoDb::new(cfg, &url)
                        .map(|c| Arc::new(c) as Arc<dyn Connector>)
                        .map_err(|e| format!("connector {:?}: {e}", cfg.name)),
                    other => Err(format!("connector {:?}: unknown kind {other:?}", cfg.name)),
                }
            });
            (cfg.name.clone(), built)
        })
        .collect()
}
