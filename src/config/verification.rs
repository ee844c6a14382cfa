//! `[verification]`: how long the links a person receives stay valid.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerificationSettings {
    pub email_link_hours: i64,
    /// A status link works while its request is open, however long the answer takes
    /// (extensions and pauses included), and this many days after the request closes,
    /// so the person can read the answer and appeal.
    pub status_link_days_after_close: i64,
    /// The older name of a fixed lifetime counted from the email, read as
    /// `status_link_days_after_close` when a file still sets it. Not a serde alias: the
    /// defaults already hold the new key, and the two would clash as a duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_link_days: Option<i64>,
    /// A request whose email is still unconfirmed this long after receipt closes itself.
    pub close_unverified_after_days: i64,
    /// How long an access package can be downloaded, and how many times.
    pub download_link_days: i64,
    pub max_downloads: i64,
}

impl Default for VerificationSettings {
    fn default() -> Self {
        VerificationSettings {
            email_link_hours: 24,
            status_link_days_after_close: 30,
            status_link_days: None,
            close_unverified_after_days: 7,
            download_link_days: 7,
            max_downloads: 5,
        }
    }
}
