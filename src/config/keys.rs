//! `[keys]`: where the data, index and session keys are read from.

use crate::crypto::keys::KeySources;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    /// Defaults: `{data_dir}/keys/data.key`, `index.key`, `session.key`, created on first start.
    pub data_key_file: Option<PathBuf>,
    pub index_key_file: Option<PathBuf>,
    pub session_key_file: Option<PathBuf>,
}

impl KeySettings {
    /// The configured key files, or the default names in `default_dir`.
    pub fn sources(&self, default_dir: &Path) -> KeySources {
        KeySources {
            data_file: self
                .data_key_file
                .clone()
                .unwrap_or_else(|| default_dir.join("data.key")),
            index_file: self
                .index_key_file
                .clone()
                .unwrap_or_else(|| default_dir.join("index.key")),
            session_file: self
                .session_key_file
                .clone()
                .unwrap_or_else(|| default_dir.join("session.key")),
            // Explicitly configured key files are never invented: a typo must not
            // silently start a fresh key and make the stored data unreadable.
            generate_missing: self.data_key_file.is_none()
                && self.index_key_file.is_none()
                && self.session_key_file.is_none(),
        }
    }
}
