//! Limits on what people who have not proved anything can make the portal store.

use serde::{Deserialize, Serialize};

/// An agent's document is stored at intake, before anyone has proved an email. Without a
/// bound, a few addresses could fill the disk with documents that then wait out the
/// retention period; this caps the total, and `flows::expiry` deletes the documents of
/// requests that close unverified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadSettings {
    /// Total size (MB, of the files as sent) of documents held for requests nobody has
    /// verified yet. A filing that would pass it is refused (503) and nothing is stored.
    pub unverified_total_mb: u64,
}

impl Default for UploadSettings {
    fn default() -> Self {
        UploadSettings {
            unverified_total_mb: 200,
        }
    }
}

impl UploadSettings {
    pub fn unverified_total_bytes(&self) -> i64 {
        i64::try_from(self.unverified_total_mb.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX)
    }
}
