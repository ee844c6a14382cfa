//! Per-client fixed-window rate limits, on by default for intake and link pages.
//!
//! Kept in memory per instance: the goal is to blunt bursts (form spam, guessing
//! links — which are 256-bit anyway), not to meter exactly across a cluster.

use crate::error::AppError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Intake,
    TokenPages,
    Login,
    Drp,
}

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(Bucket, IpAddr), (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one hit; Err(429) when the client used up `limit` in the current minute.
    pub fn hit(&self, bucket: Bucket, client: IpAddr, limit: u32) -> Result<(), AppError> {
        self.hit_at(bucket, client, limit, Instant::now())
    }

    fn hit_at(
        &self,
        bucket: Bucket,
        client: IpAddr,
        limit: u32,
        now: Instant,
    ) -> Result<(), AppError> {
        let mut map = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = map.entry((bucket, client)).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            let retry = WINDOW
                .saturating_sub(now.duration_since(entry.0))
                .as_secs()
                .max(1);
            return Err(AppError::TooManyRequests {
                retry_after_secs: retry,
            });
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_client_and_bucket_and_resets() {
        let l = RateLimiter::new();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            l.hit_at(Bucket::Intake, a, 3, t0).expect("within limit");
        }
        assert!(matches!(
            l.hit_at(Bucket::Intake, a, 3, t0),
            Err(AppError::TooManyRequests { .. })
        ));
        l.hit_at(Bucket::Intake, b, 3, t0).expect("other client");
        l.hit_at(Bucket::TokenPages, a, 3, t0)
            .expect("other bucket");
        l.hit_at(Bucket::Intake, a, 3, t0 + WINDOW)
            .expect("new window");
    }
}
