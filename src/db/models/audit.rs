//! `audit_events`: append-only, tamper-evident trail. Each event carries the hash of
//! the one before it, so altering or removing a row breaks the chain from there on.
//!
//! `append` must run inside `db::write_tx`, which has already locked `audit_head`:
//! that lock gives every event a single place in the chain.

use crate::crypto::cipher::hex_encode;
use crate::db::schema::{audit_events, audit_head};
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
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

pub fn append(conn: &mut DbConn, event: NewEvent<'_>, now: NaiveDateTime) -> QueryResult<AuditRow> {
    let (last_seq, last_hash): (i64, String) = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::last_hash))
        .first(conn)?;
    let mut row = AuditRow {
        id: crate::clock::new_id(),
        seq: last_seq + 1,
        request_id: event.request_id.map(str::to_string),
        actor: event.actor.to_string(),
        action: event.action.to_string(),
        from_status: event.from_status.map(str::to_string),
        to_status: event.to_status.map(str::to_string),
        detail: event.detail.to_string(),
        consumer_visible: event.consumer_visible,
        created_at: now,
        prev_hash: last_hash,
        hash: String::new(),
    };
    row.hash = chain_hash(&row);
    diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(conn)?;
    diesel::update(audit_head::table.find(1))
        .set((
            audit_head::seq.eq(row.seq),
            audit_head::last_hash.eq(&row.hash),
        ))
        .execute(conn)?;
    Ok(row)
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
) -> QueryResult<AuditRow> {
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
