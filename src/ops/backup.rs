//! `dsar-portal backup --to FILE`: a consistent copy of a SQLite database taken while the
//! portal keeps serving. PostgreSQL is backed up with its own tool, pg_dump.
//!
//! SQLite's `VACUUM INTO` reads the database in one read transaction (WAL lets writers
//! go on meanwhile) and writes a compact, self-contained file: no `-wal` file to copy
//! alongside, unlike a plain file copy, which can catch a half-written page.

use crate::config::Settings;
use crate::db::Backend;
use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use std::fs::{self, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What a finished backup holds, for the operator.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub file: PathBuf,
    pub bytes: u64,
    pub requests: i64,
}

/// Writes the SQLite database named by the settings to `to` (mode 0600). Refuses to
/// overwrite an existing file and, for PostgreSQL, says which pg_dump command to run.
pub fn backup(settings: &Settings, to: &Path) -> anyhow::Result<BackupReport> {
    let url = settings.database_url();
    if Backend::from_url(&url) == Backend::Postgres {
        bail!("{}", pg_dump_advice(&url, to));
    }
    let source = url.strip_prefix("sqlite://").unwrap_or(&url);
    if !Path::new(source).exists() {
        bail!("there is no SQLite database at {source} to back up");
    }
    if to.exists() {
        bail!(
            "{} already exists; choose a new file name (a backup never overwrites)",
            to.display()
        );
    }
    // Written under a temporary name and renamed: a backup cut short never looks whole.
    let partial = with_suffix(to, ".partial");
    let _ = fs::remove_file(&partial);
    // VACUUM INTO accepts an empty file; creating it first fixes its mode at 0600, so
    // the personal data in it (encrypted, but with hashes and dates) is never world-readable.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let result = vacuum_into(source, &partial).and_then(|()| check(&partial));
    let requests = match result {
        Ok(n) => n,
        Err(e) => {
            let _ = fs::remove_file(&partial);
            return Err(e);
        }
    };
    fs::set_permissions(&partial, fs::Permissions::from_mode(0o600))?;
    fs::rename(&partial, to)
        .with_context(|| format!("cannot move the backup to {}", to.display()))?;
    Ok(BackupReport {
        file: to.to_path_buf(),
        bytes: fs::metadata(to)?.len(),
        requests,
    })
}

fn vacuum_into(source: &str, target: &Path) -> anyhow::Result<()> {
    let mut conn = diesel::SqliteConnection::establish(source)
        .with_context(|| format!("cannot open the SQLite database at {source}"))?;
    conn.batch_execute("PRAGMA busy_timeout = 15000;")?;
    let target = target
        .to_str()
        .context("the backup path must be valid UTF-8")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(&mut conn)
        .context("SQLite could not write the backup")?;
    Ok(())
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    quick_check: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Opens the written copy and checks it before calling it a backup; returns its request count.
fn check(file: &Path) -> anyhow::Result<i64> {
    let path = file
        .to_str()
        .context("the backup path must be valid UTF-8")?;
    let mut conn = diesel::SqliteConnection::establish(path)?;
    let verdict: Row = diesel::sql_query("PRAGMA quick_check").get_result(&mut conn)?;
    if verdict.quick_check != "ok" {
        bail!(
            "the written backup failed SQLite's check: {}",
            verdict.quick_check
        );
    }
    let count: Count =
        diesel::sql_query("SELECT COUNT(*) AS n FROM requests").get_result(&mut conn)?;
    Ok(count.n)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// The message for PostgreSQL: the exact commands, with the password left out.
pub fn pg_dump_advice(url: &str, to: &Path) -> String {
    let shown = crate::describe_database(url);
    format!(
        "the database is {shown}: back it up with PostgreSQL's own tool, e.g.\n  \
         pg_dump --format=custom --no-owner --file={file} \"$DATABASE_URL\"\n\
         and restore into a fresh, empty database with\n  \
         pg_restore --no-owner --exit-on-error --dbname=\"$NEW_DATABASE_URL\" {file}\n\
         (see docs/DEPLOYMENT.md, \"Backups\")",
        file = to.display()
    )
}
