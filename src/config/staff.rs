//! `[staff]`: password hashing cost, sessions, login locks, reminders and retention.

use anyhow::bail;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffSettings {
    /// Argon2id cost (OWASP minimum: 19456 KiB, 2 iterations, 1 lane).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Sessions end after this long without activity, and after the absolute limit in any case.
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Failed logins before the account locks; each further failure doubles the lock (max 1 h).
    /// A browser that logged in to the account before is not held by this lock.
    pub lockout_after: i64,
    /// Failed logins from one client address (any account) before that client is held,
    /// with the same doubling; applies to known browsers too.
    pub client_lockout_after: i64,
    /// Login of the admin account created on first start (default: `admin@` the domain
    /// of organisation.contact_email; never the public contact address itself).
    pub first_admin_email: Option<String>,
    /// Days before a due date when the assignee (or every handler) is reminded.
    pub reminder_days: Vec<i64>,
    /// Personal data of closed requests is removed this many months after closing (CCPA §7101: 24).
    pub retention_months: u32,
    /// Sign-in through the organisation's identity provider (`[staff.oidc]`).
    pub oidc: Option<super::staff_oidc::OidcSettings>,
}

impl Default for StaffSettings {
    fn default() -> Self {
        StaffSettings {
            argon2_memory_kib: 19456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            lockout_after: 5,
            client_lockout_after: 10,
            first_admin_email: None,
            reminder_days: vec![7, 2],
            retention_months: 24,
            oidc: None,
        }
    }
}

impl StaffSettings {
    /// Password hashing no weaker than OWASP's minimum; sessions that can last at all.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        if self.argon2_memory_kib < 19456
            || self.argon2_iterations < 2
            || self.argon2_parallelism < 1
        {
            bail!("staff.argon2_* must be at least the OWASP minimum (19456 KiB, 2 iterations, 1 lane)");
        }
        if self.session_idle_minutes < 1 || self.session_absolute_hours < 1 {
            bail!("staff.session_idle_minutes and staff.session_absolute_hours must be positive");
        }
        if let Some(oidc) = &self.oidc {
            oidc.check()?;
        }
        Ok(())
    }
}
