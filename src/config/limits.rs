//! `[limits]`: how much of the server one client, or everyone at once, can hold.
//!
//! Each setting bounds a resource an attacker could otherwise keep without end: a
//! connection waiting for a body that never comes, a file descriptor, a thread and
//! 19 MiB of Argon2 memory per login.

use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Longest wait for the next piece of a request body; a client that sends nothing
    /// for this long gets 408 and its connection is closed.
    pub body_idle_seconds: u64,
    /// Longest time to receive a whole request body (10 MB uploads need ~1.4 Mbit/s at 60 s).
    pub body_total_seconds: u64,
    /// Requests one client address may have in progress at once; more get 429 at once.
    pub requests_per_client: usize,
    /// Open connections for the whole server (split across its HTTP workers); beyond
    /// this the server stops accepting until one closes.
    pub max_connections: usize,
    /// Threads that hash and verify staff passwords (0: one per CPU core).
    pub password_hash_threads: usize,
    /// Logins that may wait for a hashing thread; beyond this, 503 with Retry-After.
    pub password_hash_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_idle_seconds: 10,
            body_total_seconds: 60,
            requests_per_client: 32,
            max_connections: 4096,
            password_hash_threads: 0,
            password_hash_queue: 128,
        }
    }
}

impl Limits {
    pub fn body_idle(&self) -> Duration {
        Duration::from_secs(self.body_idle_seconds)
    }

    pub fn body_total(&self) -> Duration {
        Duration::from_secs(self.body_total_seconds)
    }

    /// Hashing threads, with 0 meaning one per core.
    pub fn hash_threads(&self) -> usize {
        match self.password_hash_threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    pub fn check(&self) -> anyhow::Result<()> {
        if self.body_idle_seconds < 1 || self.body_total_seconds < self.body_idle_seconds {
            bail!(
                "limits.body_idle_seconds must be at least 1 and at most limits.body_total_seconds"
            );
        }
        if self.requests_per_client < 1 || self.max_connections < self.requests_per_client {
            bail!(
                "limits.requests_per_client must be at least 1 and at most limits.max_connections"
            );
        }
        Ok(())
    }
}
