//! The key-file side of `keys rotate`: a new data key takes the current one's place, and
//! the old one stays beside it as `<data key file>.previous-<key id>` (still readable)
//! until nothing in the database is sealed with it any more.
//!
//! Every step is safe to interrupt: the new key is first written as `<file>.next`, the old
//! one copied to its `.previous-` name, and only then is `.next` renamed over the data key
//! file (an atomic replace). A re-run finishes whichever step was cut short.

use super::cipher::key_id;
use super::keys::{create_key, previous_data_key_files, read_key, write_key_file};
use anyhow::Context;
use std::fs;
use std::path::{Path, PathBuf};

/// What `begin` found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// A new data key was made current; `old` is kept readable until retired.
    Started { old: String, new: String },
    /// Earlier keys are still kept: an earlier rotation to `current` is continued.
    Continuing {
        current: String,
        previous: Vec<String>,
    },
}

/// Makes sure a rotation is under way for the data key stored in `data_file`.
pub fn begin(data_file: &Path) -> anyhow::Result<Begun> {
    let next = sibling(data_file, "next");
    if !next.exists() {
        let previous = previous_data_key_files(data_file)?;
        if !previous.is_empty() {
            let current = key_id(&read_key::<32>(data_file)?);
            let previous = previous
                .iter()
                .map(|p| read_key::<32>(p).map(|k| key_id(&k)))
                .collect::<anyhow::Result<_>>()?;
            return Ok(Begun::Continuing { current, previous });
        }
        create_key::<32>(&next)?;
    }
    // From here on the steps are idempotent: `.next` exists until the final rename.
    let new_key = read_key::<32>(&next)?;
    let old_key = read_key::<32>(data_file)?;
    let old = key_id(&old_key);
    let kept = sibling(data_file, &format!("previous-{old}"));
    if !kept.exists() {
        write_key_file(&kept, &old_key)?;
    }
    fs::rename(&next, data_file).with_context(|| {
        format!(
            "cannot put the new data key in place of {}",
            data_file.display()
        )
    })?;
    sync_dir(data_file)?;
    Ok(Begun::Started {
        old,
        new: key_id(&new_key),
    })
}

/// Deletes the previous data keys; returns their ids. Call only when no stored value
/// is sealed with them any more.
pub fn retire_previous(data_file: &Path) -> anyhow::Result<Vec<String>> {
    let mut retired = Vec::new();
    for path in previous_data_key_files(data_file)? {
        let id = key_id(&read_key::<32>(&path)?);
        fs::remove_file(&path)
            .with_context(|| format!("cannot remove the retired key {}", path.display()))?;
        retired.push(id);
    }
    sync_dir(data_file)?;
    Ok(retired)
}

/// `<data key file>.<suffix>` in the same folder.
fn sibling(data_file: &Path, suffix: &str) -> PathBuf {
    let mut name = data_file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    data_file.with_file_name(name)
}

/// Makes renames and removals in the key folder durable.
fn sync_dir(data_file: &Path) -> anyhow::Result<()> {
    let dir = match data_file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::create_key;

    #[test]
    fn begin_rotates_once_then_continues_and_retire_removes_old_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data.key");
        let original = create_key::<32>(&data).expect("key");
        let Begun::Started { old, new } = begin(&data).expect("begin") else {
            panic!("a first rotation starts")
        };
        assert_eq!(old, key_id(&original));
        assert_eq!(key_id(&read_key::<32>(&data).expect("current")), new);
        let kept = previous_data_key_files(&data).expect("list");
        assert_eq!(kept.len(), 1);
        assert_eq!(read_key::<32>(&kept[0]).expect("kept"), original);
        assert_eq!(
            begin(&data).expect("again"),
            Begun::Continuing {
                current: new.clone(),
                previous: vec![old.clone()]
            }
        );
        assert_eq!(retire_previous(&data).expect("retire"), vec![old]);
        assert!(previous_data_key_files(&data).expect("list").is_empty());
        assert_eq!(key_id(&read_key::<32>(&data).expect("current")), new);
    }

    #[test]
    fn an_interrupted_install_is_finished_by_the_next_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data.key");
        let original = create_key::<32>(&data).expect("key");
        // Cut short after the new key was written and the old one copied.
        let next = create_key::<32>(&sibling(&data, "next")).expect("next");
        write_key_file(
            &sibling(&data, &format!("previous-{}", key_id(&original))),
            &original,
        )
        .expect("copy");
        assert_eq!(
            begin(&data).expect("resume"),
            Begun::Started {
                old: key_id(&original),
                new: key_id(&next)
            }
        );
        assert_eq!(read_key::<32>(&data).expect("current"), next);
        assert!(!sibling(&data, "next").exists());
    }
}
