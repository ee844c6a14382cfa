//! `[worker]`: the background jobs (emails, connector runs, DRP status callbacks) and
//! the numbers of their one retry policy (`backoff::RetryPolicy`) and one claim lease
//! (`db::lease`), a setting per queue.
//!
//! The defaults are the timings each queue has always had: emails and callbacks wait
//! 30 s after a first failure, connector runs a minute (their attempt count includes
//! the claim); every wait doubles up to an hour.

use crate::backoff::RetryPolicy;
use chrono::Duration;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    pub enabled: bool,
    pub poll_milliseconds: u64,
    /// Longest wait between two attempts of any job.
    pub max_retry_seconds: i64,
    /// Give up on an email after this many failed attempts (it stays in the outbox, marked failed).
    pub max_mail_attempts: i64,
    /// First retry delay for a failed email; it doubles per attempt, capped at one hour.
    pub mail_retry_base_seconds: i64,
    /// How long a worker holds an email it is sending before another may take it.
    pub mail_lease_seconds: i64,
    /// Give up on a connector run after this many attempts (it is marked failed).
    pub max_connector_attempts: i64,
    /// First retry delay for a connector run that failed for a passing reason.
    pub connector_retry_base_seconds: i64,
    /// How long a claimed connector run belongs to its worker: a run whose worker died
    /// (crash, kill -9) is taken up again once this lapses. Must exceed every HTTP
    /// connector's `timeout_seconds`, or a slow call could be started a second time.
    pub connector_lease_seconds: i64,
    /// First retry delay for a DRP status callback the agent did not take; callbacks
    /// are retried until delivered (the agent is owed the news).
    pub callback_retry_base_seconds: i64,
    /// How long a worker holds a callback it is posting before another may take it.
    pub callback_lease_seconds: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            enabled: true,
            poll_milliseconds: 1000,
            max_retry_seconds: 3600,
            max_mail_attempts: 20,
            mail_retry_base_seconds: 30,
            mail_lease_seconds: 300,
            max_connector_attempts: 8,
            connector_retry_base_seconds: 60,
            connector_lease_seconds: 1800,
            callback_retry_base_seconds: 30,
            callback_lease_seconds: 120,
        }
    }
}

impl WorkerSettings {
    fn policy(&self, first_delay_seconds: i64, max_attempts: Option<i64>) -> RetryPolicy {
        RetryPolicy {
            first_delay_seconds,
            max_delay_seconds: self.max_retry_seconds,
            max_attempts,
        }
    }

    pub fn mail_retry(&self) -> RetryPolicy {
        self.policy(self.mail_retry_base_seconds, Some(self.max_mail_attempts))
    }

    pub fn connector_retry(&self) -> RetryPolicy {
        self.policy(
            self.connector_retry_base_seconds,
            Some(self.max_connector_attempts),
        )
    }

    pub fn callback_retry(&self) -> RetryPolicy {
        self.policy(self.callback_retry_base_seconds, None)
    }

    pub fn mail_lease(&self) -> Duration {
        Duration::seconds(self.mail_lease_seconds)
    }

    pub fn connector_lease(&self) -> Duration {
        Duration::seconds(self.connector_lease_seconds)
    }

    pub fn callback_lease(&self) -> Duration {
        Duration::seconds(self.callback_lease_seconds)
    }

    /// A lease must outlast the work it covers, and every wait must be positive.
    pub fn check(&self) -> anyhow::Result<()> {
        let positive = [
            ("max_retry_seconds", self.max_retry_seconds),
            ("mail_lease_seconds", self.mail_lease_seconds),
            (
                "connector_retry_base_seconds",
                self.connector_retry_base_seconds,
            ),
            (
                "callback_retry_base_seconds",
                self.callback_retry_base_seconds,
            ),
            ("callback_lease_seconds", self.callback_lease_seconds),
        ];
        match positive.iter().find(|(_, v)| *v < 1) {
            Some((key, _)) => anyhow::bail!("worker.{key} must be positive"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The queues' numbers before they shared this policy, kept as they were.
    #[test]
    fn the_default_queues_wait_as_before() {
        let jobs = super::WorkerSettings::default();
        let (mail, runs, callbacks) = (
            jobs.mail_retry(),
            jobs.connector_retry(),
            jobs.callback_retry(),
        );
        // Email: the base from the config doubling per earlier attempt, 20 attempts.
        for earlier in 0..25 {
            let old = (30i64 << earlier.clamp(0, 12)).min(3600);
            assert_eq!(mail.delay(earlier + 1).num_seconds(), old);
            assert_eq!(mail.gives_up(earlier + 1), earlier + 1 >= 20);
        }
        // Connector runs count the claim as the attempt: 30 s shifted by it, 8 tries.
        for attempts in 1..12 {
            let old = (30i64 << attempts.clamp(0, 7)).min(3600);
            assert_eq!(runs.delay(attempts).num_seconds(), old);
            assert_eq!(runs.gives_up(attempts), attempts >= 8);
        }
        // DRP callbacks: 30 s doubling per earlier failure, never given up.
        for earlier in 0..12 {
            let old = (30i64 << earlier.clamp(0, 7)).min(3600);
            assert_eq!(callbacks.delay(earlier + 1).num_seconds(), old);
            assert!(!callbacks.gives_up(earlier + 1));
        }
    }
}
