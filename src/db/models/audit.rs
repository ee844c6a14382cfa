//! `audit_events`: append-only, tamper-evident trail. Each event carries the hash of
//! the one before it, so altering or removing a row breaks the chain from there on.
//!
//! `append` must run inside `db::write_tx`, which has already locked `audit_head`:
//! that lock gives every event a single place in the chain.
//!
//! Intake batches (`db::group_commit`) run on PostgreSQL side by side on several
//! connections, so they cannot hold that lock for their whole transaction. Their events
//! are *deferred*: `append` keeps them in memory, and just before the batch commits
//! `chain` locks `audit_head`, numbers and hashes them in order and writes them in one
//! statement. The lock is then the last one the transaction takes and is held only for
//! that write and the commit, and the chain is still one verifiable order.

use crate::crypto::cipher::hex_encode;
use crate::db::schema::{audit_events, audit_head};
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use std::cell::RefCell;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
// NULL for None, so that SQLite (no DEFAULT keyword) can take many rows in one INSERT.
#[diesel(treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: String,
    pub seq: i64,
    pub request_id: Option<String>,
    /// "consumer", "system", "api", later "staff:<id>". Never a name or an email.
    pub actor: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// JSON without personal data (ids, codes, dates).
    pub detail: String,
    pub consumer_visible: bool,
    pub created_at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

/// What a caller records; `append` adds sequence, time and hashes.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub request_id: Option<&'a str>,
    pub actor: &'a str,
    pub action: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub detail: serde_json::Value,
    pub consumer_visible: bool,
}

/// The chain hash of a row: every field but the hash itself, length-prefixed so that
/// no two different rows can serialise to the same bytes.
pub fn chain_hash(row: &AuditRow) -> String {
    let created = row.created_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
    let seq = row.seq.to_string();
    let visible = if row.consumer_visible { "1" } else { "0" };
    let fields: [&str; 11] = [
        &row.prev_hash,
        &seq,
        &row.id,
        row.request_id.as_deref().unwrap_or(""),
        &row.actor,
        &row.action,
        row.from_status.as_deref().unwrap_or(""),
        row.to_status.as_deref().unwrap_or(""),
        &row.detail,
        visible,
        &created,
    ];
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex_encode(&h.finalize())
}

/// Appends an event to the chain, or keeps it for the batch's `chain` when this thread
/// defers (see `Deferred`).
pub fn append(conn: &mut DbConn, event: NewEvent<'_>, now: NaiveDateTime) -> QueryResult<()> {
    let row = AuditRow {
        id: crate::clock::new_id(),
        seq: 0,
        request_id: event.request_id.map(str::to_string),
        actor: event.actor.to_string(),
        action: event.action.to_string(),
        from_status: event.from_status.map(str::to_string),
        to_status: event.to_status.map(str::to_string),
        detail: event.detail.to_string(),
        consumer_visible: event.consumer_visible,
        created_at: now,
        prev_hash: String::new(),
        hash: String::new(),
    };
    let kept = DEFERRED.with(|d| match d.borrow_mut().as_mut() {
        Some(pending) => {
            pending.push(row.clone());
            true
        }
        None => false,
    });
    if kept {
        return Ok(());
    }
    chain(conn, vec![row])
}

/// Numbers, links and writes `rows` (in that order) after the last event, under the
/// `audit_head` lock, which on PostgreSQL this takes now if the transaction has not yet.
pub fn chain(conn: &mut DbConn, mut rows: Vec<AuditRow>) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let head = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::last_hash));
    let (mut seq, mut prev): (i64, String) = match conn {
        DbConn::Pg(pg) => head.for_update().first(pg)?,
        // SQLite: the transaction holds the database's single write lock already.
        DbConn::Sqlite(_) => head.first(conn)?,
    };
    for row in &mut rows {
        seq += 1;
        row.seq = seq;
        row.prev_hash = std::mem::take(&mut prev);
        row.hash = chain_hash(row);
        prev.clone_from(&row.hash);
    }
    // 500 rows of 12 parameters: within both backends' limits on bound parameters.
    crate::db::insert_rows!(conn, audit_events::table, &rows, 500);
    diesel::update(audit_head::table.find(1))
        .set((audit_head::seq.eq(seq), audit_head::last_hash.eq(&prev)))
        .execute(conn)?;
    Ok(())
}

thread_local! {
    /// Events of this thread's deferring batch, not yet in the chain.
    static DEFERRED: RefCell<Option<Vec<AuditRow>>> = const { RefCell::new(None) };
}

/// While alive, `append` on this thread keeps events for `take` instead of writing them.
/// Dropping it (also in a panic) ends deferring and forgets what was kept.
pub struct Deferred {
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Deferred {
    pub fn start() -> Deferred {
        DEFERRED.with(|d| *d.borrow_mut() = Some(Vec::new()));
        Deferred {
            _not_send: std::marker::PhantomData,
        }
    }

    /// How many events are kept: `undo_to` this after a part that rolled back.
    pub fn mark(&self) -> usize {
        DEFERRED.with(|d| d.borrow().as_ref().map_or(0, Vec::len))
    }

    /// Forgets the events kept since `mark`: their savepoint was rolled back.
    pub fn undo_to(&self, mark: usize) {
        DEFERRED.with(|d| {
            if let Some(pending) = d.borrow_mut().as_mut() {
                pending.truncate(mark);
            }
        });
    }

    /// The kept events in the order they were appended; deferring goes on.
    pub fn take(&self) -> Vec<AuditRow> {
        DEFERRED.with(|d| {
            d.borrow_mut()
                .as_mut()
                .map(std::mem::take)
                .unwrap_or_default()
        })
    }
}

impl Drop for Deferred {
    fn drop(&mut self) {
        DEFERRED.with(|d| *d.borrow_mut() = None);
    }
}

/// True inside a deferring batch (`db::write_tx` then adds no lock or savepoint).
pub fn deferring() -> bool {
    DEFERRED.with(|d| d.borrow().is_some())
}

pub fn for_request(
    conn: &mut DbConn,
    request_id: &str,
    consumer_only: bool,
) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_events::table
        .filter(audit_events::request_id.eq(request_id))
        .order(audit_events::seq.asc())
        .select(AuditRow::as_select())
        .into_boxed();
    if consumer_only {
        q = q.filter(audit_events::consumer_visible.eq(true));
    }
    q.load(conn)
}

/// Walks the chain in order; returns the sequence number of the first broken link.
pub fn verify_chain(conn: &mut DbConn) -> QueryResult<Result<i64, i64>> {
    let mut expected_prev = String::new();
    let mut expected_seq = 1;
    let mut after = 0i64;
    loop {
        let batch: Vec<AuditRow> = audit_events::table
            .filter(audit_events::seq.gt(after))
            .order(audit_events::seq.asc())
            .limit(1000)
            .select(AuditRow::as_select())
            .load(conn)?;
        if batch.is_empty() {
            return Ok(Ok(expected_seq - 1));
        }
        for row in batch {
            if row.seq != expected_seq
                || row.prev_hash != expected_prev
                || chain_hash(&row) != row.hash
            {
                return Ok(Err(expected_seq));
            }
            expected_prev = row.hash.clone();
            expected_seq += 1;
            after = row.seq;
        }
    }
}

/// An event about the portal rather than one request (staff accounts, the DRP
/// directory, operator commands): never consumer-visible, no status.
pub fn append_portal_event(
    conn: &mut DbConn,
    actor: &str,
    action: &str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    append(
        conn,
        NewEvent {
            request_id: None,
            actor,
            action,
            from_status: None,
            to_status: None,
            detail,
            consumer_visible: false,
        },
        now,
    )
}
