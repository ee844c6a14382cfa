//! `[worker]`: the background worker — its polling, mail retries and connector-run leases.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    pub enabled: bool,
    pub poll_milliseconds: u64,
    /// Give up on an email after this many failed attempts (it stays in the outbox, marked failed).
    pub max_mail_attempts: i64,
    /// First retry delay for a failed email; it doubles per attempt, capped at one hour.
    pub mail_retry_base_seconds: i64,
    /// How long a claimed connector run belongs to its worker: a run whose worker died
    /// (crash, kill -9) is taken up again once this lapses. Must exceed every HTTP
    /// connector's `timeout_seconds`, or a slow call could be started a second time.
    pub connector_lease_seconds: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            enabled: true,
            poll_milliseconds: 1000,
            max_mail_attempts: 20,
            mail_retry_base_seconds: 30,
            connector_lease_seconds: 1800,
        }
    }
}
