//! The configured connectors, built once at start. A connector that cannot be built
//! (a missing secret, say) is kept as its error, so the portal still starts, staff see
//! the problem on the request page, and `check-config` names it.

use super::matomo_api::MatomoApi;
use super::matomo_db::MatomoDb;
use super::sql::SqlConnector;
use super::webhook::Webhook;
use super::Connector;
use crate::config::Settings;
use std::collections::BTreeMap;
use std::sync::Arc;

pub type Registry = BTreeMap<String, Result<Arc<dyn Connector>, String>>;

pub fn build(settings: &Settings) -> Registry {
    settings
        .connectors
        .iter()
        // Manual systems are tasks for people, not connectors (`flows::manual_tasks`).
        .filter(|cfg| cfg.kind != "manual")
        .map(|cfg| {
            let named = |e: super::ConnectorError| format!("connector {:?}: {e}", cfg.name);
            let built = match cfg.kind.as_str() {
                "matomo_db" => cfg.secret_url().map_err(|e| e.to_string()).and_then(|url| {
                    MatomoDb::new(cfg, &url)
                        .map(|c| Arc::new(c) as Arc<dyn Connector>)
                        .map_err(named)
                }),
                "matomo_api" => cfg
                    .secret_token()
                    .map_err(|e| e.to_string())
                    .and_then(|token| {
                        MatomoApi::new(cfg, &token)
                            .map(|c| Arc::new(c) as Arc<dyn Connector>)
                            .map_err(named)
                    }),
                "webhook" => cfg
                    .secret_token()
                    .map_err(|e| e.to_string())
                    .and_then(|secret| {
                        Webhook::new(cfg, &secret)
                            .map(|c| Arc::new(c) as Arc<dyn Connector>)
                            .map_err(named)
                    }),
                "sql" => cfg.secret_url().map_err(|e| e.to_string()).and_then(|url| {
                    SqlConnector::new(cfg, &url)
                        .map(|c| c.with_identities(identity_kinds(settings)))
                        .map(|c| Arc::new(c) as Arc<dyn Connector>)
                        .map_err(named)
                }),
                other => Err(format!("connector {:?}: unknown kind {other:?}", cfg.name)),
            };
            (cfg.name.clone(), built)
        })
        .collect()
}

/// The identity kinds a request can carry: its email and each configured identifier.
pub fn identity_kinds(settings: &Settings) -> Vec<String> {
    std::iter::once("email".to_string())
        .chain(settings.identifiers.iter().map(|i| i.name.clone()))
        .collect()
}
