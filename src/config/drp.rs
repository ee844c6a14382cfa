//! `[drp]`: the covered-business side of the Data Rights Protocol.

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// The covered-business side of the Data Rights Protocol (DRP 1.0).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DrpSettings {
    /// This business's id in the DRP service directory. The API is off while unset.
    pub business_id: Option<String>,
    /// Longest accepted window between a signed body's `issued-at` and `expires-at`.
    /// The spec recommends at most 10 minutes; the reference agent signs 15.
    pub max_validity_minutes: i64,
}

impl Default for DrpSettings {
    fn default() -> Self {
        DrpSettings {
            business_id: None,
            max_validity_minutes: crate::drp::envelope::DEFAULT_MAX_VALIDITY.num_minutes(),
        }
    }
}

impl DrpSettings {
    /// The window must stay within what the protocol allows.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        let range = crate::drp::envelope::MAX_VALIDITY_RANGE_MINUTES;
        if !range.contains(&self.max_validity_minutes) {
            bail!(
                "drp.max_validity_minutes = {} is out of range: it must be between {} and {} (the DRP spec recommends at most 10; the reference agent signs 15)",
                self.max_validity_minutes,
                range.start(),
                range.end()
            );
        }
        Ok(())
    }

    /// The validity bound signed bodies are checked against.
    pub fn max_validity(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.max_validity_minutes)
    }
}
