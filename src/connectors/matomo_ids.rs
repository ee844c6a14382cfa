//! Matomo's identifiers, shared by the database and the API connectors: how Matomo
//! stores a user id (plain, or sha1(uid . salt) with "pseudonymise user id"), the
//! visitor id it derives from it, and the visits a find put in `Matches::refs`.

use super::{ConnectorError, Matches, Subject};
use crate::config::ConnectorConfig;
use serde_json::Value as Json;
use sha1::{Digest, Sha1};
use std::collections::BTreeSet;

pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

/// Matomo's visitor id for a stored user id: the first 8 bytes (16 hex digits) of its sha1.
pub fn visitor_id_bytes(stored_user_id: &str) -> Vec<u8> {
    Sha1::digest(stored_user_id.as_bytes())[..8].to_vec()
}

/// How one connector turns a person's verified identity into the user id Matomo stored.
#[derive(Debug, Clone)]
pub struct UserIdRule {
    connector: String,
    user_id_from: String,
    salt_env: Option<String>,
}

impl UserIdRule {
    pub fn new(cfg: &ConnectorConfig) -> UserIdRule {
        UserIdRule {
            connector: cfg.name.clone(),
            user_id_from: cfg.user_id_from.clone(),
            salt_env: cfg.user_id_salt_env.clone(),
        }
    }

    /// The user id as Matomo stored it (plain, or sha1(uid . salt) with "pseudonymise
    /// user id"); None when the person gave no such identity.
    pub fn stored(&self, subject: &Subject) -> Result<Option<String>, ConnectorError> {
        let Some(uid) = subject.get(&self.user_id_from) else {
            return Ok(None);
        };
        let Some(var) = &self.salt_env else {
            return Ok(Some(uid.to_string()));
        };
        match std::env::var(var) {
            Ok(salt) if !salt.is_empty() => Ok(Some(sha1_hex(format!("{uid}{salt}").as_bytes()))),
            _ => Err(ConnectorError::Permanent(format!(
                "connector {:?}: user_id_salt_env names {var}, which is not set",
                self.connector
            ))),
        }
    }
}

pub fn malformed() -> ConnectorError {
    ConnectorError::Permanent("the matches do not name Matomo visits".into())
}

/// The (idsite, idvisit) pairs that `find` put in `refs`, sorted, limited to `site_ids`
/// (all when empty) in case the matches come from a differently configured connector.
pub fn visit_refs(matches: &Matches, site_ids: &[u32]) -> Result<Vec<(u64, u64)>, ConnectorError> {
    let list = matches
        .refs
        .get("visits")
        .and_then(Json::as_array)
        .ok_or_else(malformed)?;
    let mut visits = BTreeSet::new();
    for pair in list {
        let (site, visit) = match pair.as_array().map(Vec::as_slice) {
            Some([site, visit]) => (site.as_u64(), visit.as_u64()),
            _ => return Err(malformed()),
        };
        let (Some(idsite), Some(idvisit)) = (site, visit) else {
            return Err(malformed());
        };
        if in_scope(site_ids, idsite) {
            visits.insert((idsite, idvisit));
        }
    }
    Ok(visits.into_iter().collect())
}

pub fn in_scope(site_ids: &[u32], idsite: u64) -> bool {
    site_ids.is_empty() || u32::try_from(idsite).is_ok_and(|s| site_ids.contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_id_is_the_first_16_hex_of_sha1() {
        // sha1("alice@example.com") starts with these 16 hex digits.
        let full = sha1_hex(b"alice@example.com");
        assert_eq!(
            hex::encode(visitor_id_bytes("alice@example.com")),
            full[..16]
        );
    }

    #[test]
    fn refs_are_parsed_and_scoped() {
        let m = Matches {
            refs: serde_json::json!({"visits": [[2, 5], [1, 3], [1, 3]]}),
            ..Default::default()
        };
        assert_eq!(visit_refs(&m, &[]).expect("refs"), vec![(1, 3), (2, 5)]);
        assert_eq!(visit_refs(&m, &[2]).expect("refs"), vec![(2, 5)]);
        let bad = Matches {
            refs: serde_json::json!({"visits": [[1]]}),
            ..Default::default()
        };
        assert!(visit_refs(&bad, &[]).is_err());
    }
}
