//! Inputs and readings shared by the connector suites and the Matomo bench, which
//! includes this file by its path: a subject, a Matomo connector's settings, the keys and
//! visits a find reports, and Matomo's idvisitor of a user id.

use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::{Matches, Strength, Subject};
use sha1::{Digest, Sha1};

/// The person a connector looks for, from (identity kind, value) pairs.
pub fn subject(pairs: &[(&str, &str)]) -> Subject {
    Subject {
        identities: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// The settings of a Matomo connector named "matomo": `kind` "matomo_api" with its
/// `base_url`, or "matomo_db" on the tables under `table_prefix`.
pub fn matomo_config(kind: &str, table_prefix: &str, base_url: Option<&str>) -> ConnectorConfig {
    ConnectorConfig {
        name: "matomo".into(),
        kind: kind.into(),
        url_env: None,
        url_file: None,
        table_prefix: table_prefix.into(),
        site_ids: Vec::new(),
        user_id_from: "email".into(),
        user_id_salt_env: None,
        purge_orphaned_actions: false,
        search_user_id_column: true,
        batch_size: 5000,
        base_url: base_url.map(Into::into),
        token_env: None,
        token_file: None,
        timeout_seconds: 30,
        ..Default::default()
    }
}

/// The strength and record count a find reports for the key `name`.
pub fn key(matches: &Matches, name: &str) -> Option<(Strength, u64)> {
    matches
        .keys
        .iter()
        .find(|k| k.key == name)
        .map(|k| (k.strength, k.records))
}

/// The (site, visit) pairs a Matomo find refers to.
pub fn ref_visits(matches: &Matches) -> Vec<(u64, u64)> {
    matches.refs["visits"]
        .as_array()
        .expect("refs.visits")
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
        .collect()
}

pub fn sha1_hex(data: &str) -> String {
    hex::encode(Sha1::digest(data.as_bytes()))
}

/// Matomo's idvisitor for a user id, as 16 hex digits.
pub fn visitor_hex(user_id: &str) -> String {
    sha1_hex(user_id)[..16].to_string()
}
