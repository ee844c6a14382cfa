//! `dsar-portal keys rotate`: every encrypted column of every table re-sealed under a
//! new data key, in batches that each commit on their own, so an interrupted rotation
//! loses nothing and a re-run continues with the values still under an older key.
//! The previous key file is deleted only once no stored value needs it.
//!
//! The blind-index key is not rotated here: the indexes are HMACs of normalised emails,
//! and changing that key means recomputing every index (see docs/DEPLOYMENT.md).

use crate::config::Settings;
use crate::crypto::rotation::{self, Begun};
use crate::crypto::{FieldCipher, Keys};
use crate::db::{self, DbConn};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;

/// One encrypted column: its table, the table's key column, and the associated data
/// (the context string) its values are sealed with.
pub struct Column {
    pub table: &'static str,
    pub key: &'static str,
    pub column: &'static str,
    pub context: &'static str,
    /// Rows per batch at most: packages and documents are megabytes each.
    pub max_batch: usize,
}

const fn col(
    table: &'static str,
    key: &'static str,
    column: &'static str,
    context: &'static str,
) -> Column {
    Column {
        table,
        key,
        column,
        context,
        max_batch: usize::MAX,
    }
}

/// Every column holding a `FieldCipher` value. A new `*_enc` column must be listed here
/// (the key-rotation test reads the schema and fails when one is missing).
pub const ENCRYPTED_COLUMNS: &[Column] = &[
    col("requests", "id", "details_enc", "requests.details"),
    col(
        "requests",
        "id",
        "extension_reason_enc",
        "requests.extension_reason",
    ),
    col("requests", "id", "response_enc", "requests.response"),
    col(
        "request_identities",
        "id",
        "value_enc",
        "request_identities.value",
    ),
    col("notes", "id", "body_enc", "notes.body"),
    col(
        "request_messages",
        "id",
        "body_enc",
        "request_messages.body",
    ),
    col("outbox", "id", "message_enc", "outbox.message"),
    col(
        "connector_runs",
        "id",
        "result_enc",
        "connector_runs.result",
    ),
    Column {
        max_batch: 4,
        ..col("exports", "id", "package_enc", "exports.package")
    },
    Column {
        max_batch: 4,
        ..col("documents", "id", "content_enc", "documents.content")
    },
    col("manual_tasks", "id", "note_enc", "manual_tasks.note"),
    col(
        "manual_task_files",
        "id",
        "name_enc",
        "manual_task_files.name",
    ),
    Column {
        max_batch: 4,
        ..col(
            "manual_task_files",
            "id",
            "content_enc",
            "manual_task_files.content",
        )
    },
    col(
        "request_agents",
        "request_id",
        "agent_name_enc",
        "request_agents.value",
    ),
    col(
        "request_agents",
        "request_id",
        "agent_email_enc",
        "request_agents.value",
    ),
    col(
        "request_agents",
        "request_id",
        "organisation_enc",
        "request_agents.value",
    ),
    col(
        "request_agents",
        "request_id",
        "registration_number_enc",
        "request_agents.value",
    ),
    col(
        "drp_requests",
        "request_id",
        "claims_enc",
        "drp_requests.claims",
    ),
    col(
        "drp_requests",
        "request_id",
        "results_url_enc",
        "drp_requests.results_url",
    ),
    col(
        "drp_requests",
        "request_id",
        "verification_url_enc",
        "drp_requests.verification_url",
    ),
];

#[derive(Debug, Clone)]
pub struct Options {
    /// Rows re-encrypted per transaction.
    pub batch_size: usize,
    /// Stop after this many batches (to spread the work, or to test resuming).
    pub max_batches: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch_size: 200,
            max_batches: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The rotation this run started or continued.
    pub begun: Option<Begun>,
    pub current_key: String,
    pub reencrypted: usize,
    pub batches: usize,
    /// Values no loaded key opens (altered, or sealed by a key that is gone).
    pub unreadable: usize,
    /// Values still under an older key after this run.
    pub remaining: i64,
    /// Ids of the key files deleted because nothing uses them any more.
    pub retired: Vec<String>,
}

/// Starts or continues the rotation; retires the old key when nothing needs it.
pub fn rotate(settings: &Settings, options: &Options) -> anyhow::Result<Outcome> {
    let sources = settings.key_sources();
    if !sources.data_file.exists() {
        anyhow::bail!(
            "the data key {} does not exist: there is nothing to rotate",
            sources.data_file.display()
        );
    }
    let begun = rotation::begin(&sources.data_file)?;
    let (keys, _) = Keys::load(&sources)?;
    let cipher = FieldCipher::with_previous(&keys.data, &keys.previous_data);
    let (pool, _) = crate::prepare_database(settings)?;
    let mut conn = pool.get()?;
    let now = crate::clock::now;
    if let Begun::Started { old, new } = &begun {
        super::audit_operator_task(
            &mut conn,
            "data_key_rotation_started",
            json!({"from_key": old, "to_key": new}),
            now(),
        )?;
    }
    let mut outcome = Outcome {
        current_key: cipher.current_key_id().to_string(),
        begun: Some(begun),
        ..Outcome::default()
    };
    let mut budget = options.max_batches.unwrap_or(usize::MAX);
    for column in ENCRYPTED_COLUMNS {
        reseal_column(
            &mut conn,
            &cipher,
            column,
            options,
            &mut budget,
            &mut outcome,
        )?;
    }
    outcome.remaining = ENCRYPTED_COLUMNS
        .iter()
        .map(|c| count_not_current(&mut conn, c, &cipher.current_prefix()))
        .sum::<QueryResult<i64>>()?;
    if outcome.remaining == 0 && outcome.unreadable == 0 {
        outcome.retired = rotation::retire_previous(&sources.data_file)?;
        super::audit_operator_task(
            &mut conn,
            "data_key_rotation_finished",
            json!({"key": outcome.current_key, "retired_keys": outcome.retired}),
            now(),
        )?;
    }
    Ok(outcome)
}

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = Text)]
    k: String,
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `$n` for PostgreSQL, `?` for SQLite.
fn placeholder(conn: &DbConn, n: usize) -> String {
    match conn {
        DbConn::Pg(_) => format!("${n}"),
        DbConn::Sqlite(_) => "?".into(),
    }
}

/// Re-seals one column's values that are not under the current key, batch by batch
/// in key order (so a value no key opens is skipped, reported, and never loops).
fn reseal_column(
    conn: &mut DbConn,
    cipher: &FieldCipher,
    c: &Column,
    options: &Options,
    budget: &mut usize,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let like = format!("{}%", cipher.current_prefix());
    let limit = options.batch_size.clamp(1, c.max_batch) as i64;
    // Table and column names come from the constant list above, never from input.
    let (key, col, table) = (c.key, c.column, c.table);
    let (p1, p2, p3) = (
        placeholder(conn, 1),
        placeholder(conn, 2),
        placeholder(conn, 3),
    );
    let select = format!(
        "SELECT {key} AS k, {col} AS v FROM {table} \
         WHERE {col} IS NOT NULL AND {col} NOT LIKE {p1} AND {key} > {p2} \
         ORDER BY {key} LIMIT {p3}"
    );
    let update = format!("UPDATE {table} SET {col} = {p1} WHERE {key} = {p2} AND {col} = {p3}");
    let mut after = String::new();
    while *budget > 0 {
        let rows: Vec<Sealed> = match conn {
            DbConn::Pg(pg) => diesel::sql_query(&select)
                .bind::<Text, _>(&like)
                .bind::<Text, _>(&after)
                .bind::<BigInt, _>(limit)
                .load(pg)?,
            DbConn::Sqlite(lite) => diesel::sql_query(&select)
                .bind::<Text, _>(&like)
                .bind::<Text, _>(&after)
                .bind::<BigInt, _>(limit)
                .load(lite)?,
        };
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.k.clone();
        let mut unreadable = 0;
        // One transaction per batch; the update is guarded by the old value, so a row
        // changed meanwhile keeps its newer value (sealed under whichever key wrote it).
        let resealed = db::write_tx(conn, |tx| -> anyhow::Result<usize> {
            let mut n = 0;
            for row in &rows {
                let Ok(plain) = cipher.decrypt(c.context, &row.v) else {
                    unreadable += 1;
                    continue;
                };
                let fresh = cipher.encrypt(c.context, &plain);
                n += match tx {
                    DbConn::Pg(pg) => diesel::sql_query(&update)
                        .bind::<Text, _>(&fresh)
                        .bind::<Text, _>(&row.k)
                        .bind::<Text, _>(&row.v)
                        .execute(pg)?,
                    DbConn::Sqlite(lite) => diesel::sql_query(&update)
                        .bind::<Text, _>(&fresh)
                        .bind::<Text, _>(&row.k)
                        .bind::<Text, _>(&row.v)
                        .execute(lite)?,
                };
            }
            Ok(n)
        })?;
        if unreadable > 0 {
            tracing::warn!(
                table = c.table,
                column = c.column,
                count = unreadable,
                "values no loaded key opens were left as they are"
            );
        }
        outcome.unreadable += unreadable;
        outcome.reencrypted += resealed;
        outcome.batches += 1;
        *budget -= 1;
    }
    Ok(())
}

/// How many values of the column are not sealed with the current key.
pub fn count_not_current(conn: &mut DbConn, c: &Column, current_prefix: &str) -> QueryResult<i64> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE {col} IS NOT NULL AND {col} NOT LIKE {p1}",
        table = c.table,
        col = c.column,
        p1 = placeholder(conn, 1),
    );
    let like = format!("{current_prefix}%");
    let row: Count = match conn {
        DbConn::Pg(pg) => diesel::sql_query(&sql)
            .bind::<Text, _>(&like)
            .get_result(pg)?,
        DbConn::Sqlite(lite) => diesel::sql_query(&sql)
            .bind::<Text, _>(&like)
            .get_result(lite)?,
    };
    Ok(row.n)
}
