//! Key material: loaded from files (created on first start for the embedded default)
//! or from base64 environment values for deployments that keep secrets elsewhere.

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The three independent secrets. Separate keys so that a leaked blind-index key
/// does not decrypt anything, and a leaked cookie key does neither.
#[derive(Clone)]
pub struct Keys {
    /// AES-256-GCM key for personal fields.
    pub data: [u8; 32],
    /// Earlier data keys, kept readable while `keys rotate` re-encrypts what they sealed
    /// (files named `<data key file>.previous-<key id>` beside the data key).
    pub previous_data: Vec<[u8; 32]>,
    /// HMAC-SHA256 key for blind indexes (lookup by email without decrypting).
    pub index: [u8; 32],
    /// Signing/encryption key for session cookies (actix-session needs 64 bytes).
    pub session: [u8; 64],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

/// Where each key comes from.
#[derive(Debug, Clone)]
pub struct KeySources {
    pub data_file: PathBuf,
    pub index_file: PathBuf,
    pub session_file: PathBuf,
    /// When true, missing files are generated (mode 0600); otherwise they must exist.
    pub generate_missing: bool,
}

impl Keys {
    pub fn load(sources: &KeySources) -> anyhow::Result<(Keys, Vec<PathBuf>)> {
        let mut created = Vec::new();
        let data =
            load_or_create::<32>(&sources.data_file, sources.generate_missing, &mut created)?;
        let index =
            load_or_create::<32>(&sources.index_file, sources.generate_missing, &mut created)?;
        let session = load_or_create::<64>(
            &sources.session_file,
            sources.generate_missing,
            &mut created,
        )?;
        if data == index {
            bail!("the data key and the index key must differ");
        }
        let previous_data = previous_data_key_files(&sources.data_file)?
            .iter()
            .map(|p| read_key::<32>(p))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((
            Keys {
                data,
                previous_data,
                index,
                session,
            },
            created,
        ))
    }

    /// Fresh random keys, for tests and tools that need no persistence.
    pub fn random() -> Keys {
        let mut k = Keys {
            data: [0; 32],
            previous_data: Vec::new(),
            index: [0; 32],
            session: [0; 64],
        };
        let mut rng = rand::rngs::OsRng;
        rng.fill_bytes(&mut k.data);
        rng.fill_bytes(&mut k.index);
        rng.fill_bytes(&mut k.session);
        k
    }
}

/// The previous data keys beside `data_file` (`<name>.previous-<key id>`), sorted.
pub fn previous_data_key_files(data_file: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let (Some(dir), Some(name)) = (data_file.parent(), data_file.file_name()) else {
        return Ok(Vec::new());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}.previous-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

/// Reads a base64 key file of exactly N bytes.
pub fn read_key<const N: usize>(path: &Path) -> anyhow::Result<[u8; N]> {
    let meta =
        fs::metadata(path).with_context(|| format!("cannot read key file {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "key file is readable by other users; chmod 600 it");
    }
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read key file {}", path.display()))?;
    let bytes = B64
        .decode(text.trim())
        .with_context(|| format!("key file {} is not base64", path.display()))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        anyhow::anyhow!(
            "key file {} holds {} bytes, expected {N}",
            path.display(),
            b.len()
        )
    })
}

/// Writes a fresh random key to `path`, which must not exist yet (mode 0600, synced).
pub fn create_key<const N: usize>(path: &Path) -> anyhow::Result<[u8; N]> {
    let mut key = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut key);
    write_key_file(path, &key)?;
    Ok(key)
}

/// Writes `key` to `path` as base64, mode 0600, synced. create_new: a key file is never
/// overwritten, not even by one that appeared meanwhile (losing a key loses the data).
pub fn write_key_file(path: &Path, key: &[u8]) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create key file {}", path.display()))?;
    file.write_all(B64.encode(key).as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn load_or_create<const N: usize>(
    path: &Path,
    generate: bool,
    created: &mut Vec<PathBuf>,
) -> anyhow::Result<[u8; N]> {
    if path.exists() {
        return read_key(path);
    }
    if !generate {
        bail!("key file {} does not exist", path.display());
    }
    if let Some(dir) = path.parent() {
        crate::private_fs::ensure_dir(dir)?;
    }
    let key = create_key(path)?;
    created.push(path.to_path_buf());
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_private_and_stable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sources = KeySources {
            data_file: dir.path().join("keys/data.key"),
            index_file: dir.path().join("keys/index.key"),
            session_file: dir.path().join("keys/session.key"),
            generate_missing: true,
        };
        let (first, created) = Keys::load(&sources).expect("create");
        assert_eq!(created.len(), 3);
        let mode = fs::metadata(&sources.data_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let (second, created) = Keys::load(&sources).expect("reload");
        assert!(created.is_empty());
        assert_eq!(first.data, second.data);
        assert_ne!(first.data, first.index);
    }

    #[test]
    fn missing_key_without_generation_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sources = KeySources {
            data_file: dir.path().join("data.key"),
            index_file: dir.path().join("index.key"),
            session_file: dir.path().join("session.key"),
            generate_missing: false,
        };
        assert!(Keys::load(&sources).is_err());
    }
}
