//! The one retry policy of every background queue (emails, connector runs, DRP status
//! callbacks): after a failed attempt the next waits `first_delay`, doubling per
//! further attempt up to `max_delay`, and a queue may give up after `max_attempts`.
//! Each queue has its own numbers (`[worker]` in the config, `config::WorkerSettings`);
//! the rule is the same. Pure, so the queues' flows and the worker can both use it.

use chrono::{Duration, NaiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Wait after the first failed attempt (at least one second).
    pub first_delay_seconds: i64,
    /// The doubling stops here.
    pub max_delay_seconds: i64,
    /// Give up once this many attempts have failed; `None` retries for ever.
    pub max_attempts: Option<i64>,
}

/// Doubling beyond this many steps is past any cap a queue could set.
const MAX_DOUBLINGS: i64 = 40;

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (counting from 1).
    pub fn delay(&self, attempts: i64) -> Duration {
        let doublings = (attempts - 1).clamp(0, MAX_DOUBLINGS);
        let secs = self
            .first_delay_seconds
            .max(1)
            .saturating_mul(1i64 << doublings);
        Duration::seconds(secs.min(self.max_delay_seconds.max(1)))
    }

    /// Whether a job that has failed `attempts` times is given up.
    pub fn gives_up(&self, attempts: i64) -> bool {
        self.max_attempts.is_some_and(|max| attempts >= max)
    }

    /// When to try again after the `attempts`-th failure, or `None` to give up.
    pub fn retry_at(&self, attempts: i64, now: NaiveDateTime) -> Option<NaiveDateTime> {
        (!self.gives_up(attempts)).then(|| now + self.delay(attempts))
    }
}

#[cfg(test)]
mod tests {
    use super::RetryPolicy;

    fn policy(first: i64, max_attempts: Option<i64>) -> RetryPolicy {
        RetryPolicy {
            first_delay_seconds: first,
            max_delay_seconds: 3600,
            max_attempts,
        }
    }

    #[test]
    fn the_delay_doubles_from_the_first_and_stops_at_the_cap() {
        let p = policy(30, None);
        let secs: Vec<i64> = (1..=9).map(|n| p.delay(n).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(p.delay(500).num_seconds(), 3600);
    }

    #[test]
    fn odd_inputs_stay_sensible() {
        assert_eq!(policy(30, None).delay(0).num_seconds(), 30);
        assert_eq!(policy(30, None).delay(-3).num_seconds(), 30);
        assert_eq!(policy(0, None).delay(1).num_seconds(), 1);
        assert_eq!(policy(i64::MAX, None).delay(60).num_seconds(), 3600);
    }

    #[test]
    fn a_limited_queue_gives_up_at_its_limit_and_an_unlimited_one_never() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        let eight = policy(60, Some(8));
        assert_eq!(
            eight.retry_at(7, now),
            Some(now + chrono::Duration::seconds(3600))
        );
        assert_eq!(eight.retry_at(8, now), None);
        assert!(!policy(30, None).gives_up(i64::MAX));
    }
}
