//! Connectors: find, export and erase a person's records in the organisation's systems.
//!
//! One `Connector` per configured system (`[[connectors]]` in the config). Runs happen in
//! the worker as jobs, never inside an HTTP request. A connector only ever acts on the
//! identifiers the request verified, mapped per connector; a match on a weak key alone
//! (such as a masked IP address, which is thousands of people) is reported but never
//! exported or erased.

pub mod http;
pub mod matomo_api;
pub mod matomo_db;
pub mod matomo_ids;
pub mod registry;
pub mod sql;
pub mod webhook;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The person a run is about: the verified identities of the request, by kind
/// ("email", "account_id", "matomo_visitor_id", …). Values are plaintext in memory only.
#[derive(Clone, Default)]
pub struct Subject {
    pub identities: BTreeMap<String, String>,
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<&String> = self.identities.keys().collect();
        write!(f, "Subject({kinds:?}: [redacted])")
    }
}

impl Subject {
    pub fn get(&self, kind: &str) -> Option<&str> {
        self.identities
            .get(kind)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Identifies the person (a user id, a visitor id derived from it or given by them).
    Strong,
    /// Could be many people (a masked IP): shown, never acted on alone.
    Weak,
}

/// What a key matched, for the staff preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMatch {
    /// e.g. "user_id", "visitor_id".
    pub key: String,
    pub strength: Strength,
    /// How many top-level records (e.g. visits) this key found.
    pub records: u64,
}

/// A preview of what export or erase would touch. `refs` is connector-specific and
/// opaque to the rest of the portal (e.g. the Matomo visit ids per site); it is what
/// export and erase act on, so that staff erase exactly what they saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Matches {
    pub keys: Vec<KeyMatch>,
    /// Rows per table.
    pub counts: BTreeMap<String, u64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub refs: serde_json::Value,
    /// Records the system's search returned that are not this person's: identifiers that
    /// only look alike (a user id differing in case or trailing spaces, which a
    /// case-insensitive collation matches). Counted for the preview, never acted on.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub excluded: u64,
    /// The search stopped before the end (a safety bound): the counts are lower bounds
    /// ("N or more") and an export would be incomplete.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub at_least: bool,
    /// Per table, how its rows were reached and what erasure will do to them (SQL
    /// datasets; other connectors leave it empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableFinding>,
}

/// One table of a search: its rows, the paths that reached them, and erasure's effect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableFinding {
    pub table: String,
    pub rows: u64,
    /// How the rows were reached, in the order found: an identity ("email") or a
    /// reference walked ("customers.id → orders.customer_id").
    pub paths: Vec<String>,
    /// Reached only through a weak identity: shown, never exported or erased.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub weak_only: bool,
    /// "delete", "update" or "keep".
    pub erase: String,
    /// The reason rows are kept, when the whole table is kept.
    #[serde(default)]
    pub keep_reason: Option<String>,
    /// With "update": what happens to each changed or kept column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnEffect>,
}

/// What erasure does to one column: "null", "fixed", "hmac" or "keep" (with its reason).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnEffect {
    pub column: String,
    pub effect: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Data about the person that erasure keeps on purpose, with the legal reason the
/// person is told (in the notice and in the access report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub table: String,
    /// A column kept in rows that were otherwise changed; `None` for whole rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub rows: u64,
    pub reason: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Matches {
    /// True when at least one strong key matched: only then may records be exported or erased.
    pub fn actionable(&self) -> bool {
        self.keys
            .iter()
            .any(|k| k.strength == Strength::Strong && k.records > 0)
    }

    pub fn is_empty(&self) -> bool {
        self.counts.values().all(|n| *n == 0)
    }
}

/// Exported rows per table, ready for the access package (JSON objects, binary as hex).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Records {
    pub tables: BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>>,
    /// What an erasure would keep and why (SQL datasets), for the access report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Kept>,
}

/// Rows deleted per table, and anything the operator must do afterwards.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErasureReport {
    pub deleted: BTreeMap<String, u64>,
    /// Plain-language follow-ups, e.g. the exact command to re-archive reports.
    pub follow_up: Vec<String>,
    /// Rows changed in place per table (columns set NULL, fixed or replaced by HMAC).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub changed: BTreeMap<String, u64>,
    /// Rows of other people whose link to an erased row was cleared (`set_null`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub detached: BTreeMap<String, u64>,
    /// The proof: what the same search finds after the erasure, per table (every count
    /// 0 when nothing remains). `None` when the connector cannot search again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<BTreeMap<String, u64>>,
    /// What was kept on purpose, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<Kept>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptOutOutcome {
    Done,
    Unsupported,
}

/// The result of one connector action, however it arrived (the call's answer, or a
/// system's later callback).
#[derive(Debug)]
pub enum Answer {
    Find(Matches),
    Export(Records),
    Erase(ErasureReport),
    OptOut(OptOutOutcome),
}

/// Failure of a run, worded for staff (no personal data, no secrets).
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// Worth retrying (timeouts, connection refused, lock waits).
    #[error("temporary: {0}")]
    Temporary(String),
    /// Retrying will not help (bad credentials, missing tables, refused by policy).
    #[error("{0}")]
    Permanent(String),
    /// The system took the call and will answer later by a signed callback naming
    /// `call_id` (webhooks answering `202 Accepted`).
    #[error("accepted; waiting for the system's callback")]
    Accepted { call_id: String },
}

pub trait Connector: Send + Sync {
    fn name(&self) -> &str;
    /// A preview: what would be exported or erased, by which key.
    fn find(&self, subject: &Subject) -> Result<Matches, ConnectorError>;
    /// Rows per table for the access package. Refuses matches that are not actionable.
    fn export(&self, matches: &Matches) -> Result<Records, ConnectorError>;
    /// Deletes exactly what `matches` names; idempotent (a second run deletes nothing).
    fn erase(&self, matches: &Matches) -> Result<ErasureReport, ConnectorError>;
    fn opt_out(&self, _subject: &Subject) -> Result<OptOutOutcome, ConnectorError> {
        Ok(OptOutOutcome::Unsupported)
    }
    /// Tries the connection, for `check-config`.
    fn check(&self) -> Result<(), ConnectorError>;
    /// Setup the operator should improve though the connector works (e.g. a missing
    /// index), in plain words, for `check-config`.
    fn advice(&self) -> Result<Vec<String>, ConnectorError> {
        Ok(Vec::new())
    }
}
