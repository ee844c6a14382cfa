//! Files and folders that hold personal data (the SQLite database, outgoing `.eml`
//! files, keys, backups) are created owner-only, whatever the umask or the mode of a
//! folder that already existed: another local account must not read a live link.

use anyhow::Context;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) mode 0700, or brings an existing one to 0700.
pub fn ensure_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    restrict(dir, DIR_MODE)
}

/// Brings `path` down to `mode` when others could read or write it (a folder that
/// already existed, a database created by an older version).
pub fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    let current = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if current & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    Ok(())
}

/// Whether others (group or world) could read or enter `path`.
pub fn readable_by_others(path: &Path) -> bool {
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o077 != 0)
        .unwrap_or(false)
}

/// Writes a new file mode 0600 (refusing to follow or reuse an existing one).
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.write_all(bytes)
}

/// A SQLite database file: created empty, mode 0600, before SQLite opens it (SQLite
/// gives its `-wal` and `-shm` files the database's mode); an existing one is tightened.
pub fn prepare_sqlite_file(path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        ensure_dir(parent)?;
    }
    if !path.exists() {
        match write_new(path, b"") {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = Path::new(&format!("{}{suffix}", path.display())).to_path_buf();
        if file.exists() {
            restrict(&file, FILE_MODE)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_folders_and_files_become_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loose = dir.path().join("loose");
        fs::create_dir(&loose).expect("dir");
        fs::set_permissions(&loose, fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(readable_by_others(&loose));
        ensure_dir(&loose).expect("ensure");
        assert_eq!(
            fs::metadata(&loose).expect("meta").permissions().mode() & 0o777,
            0o700
        );

        let db = loose.join("sub/db.sqlite3");
        prepare_sqlite_file(&db).expect("db");
        assert_eq!(
            fs::metadata(&db).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        let file = loose.join("x.eml");
        write_new(&file, b"x").expect("write");
        assert_eq!(
            fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        assert!(write_new(&file, b"y").is_err(), "never overwrites");
    }
}
