//! `[rate_limits]`: how many requests one client address may make per minute, per kind of page.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    pub enabled: bool,
    /// Form and API submissions per client address per minute.
    pub intake_per_minute: u32,
    /// Link pages (verify, status, resend) per client address per minute.
    pub token_pages_per_minute: u32,
    /// Staff login attempts per client address per minute (accounts also lock themselves).
    pub login_per_minute: u32,
    /// Data Rights Protocol calls per agent per minute.
    pub drp_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            intake_per_minute: 10,
            token_pages_per_minute: 30,
            login_per_minute: 10,
            drp_per_minute: 120,
        }
    }
}
