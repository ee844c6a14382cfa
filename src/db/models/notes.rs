//! `notes`: internal notes by staff on a request, encrypted (they may name the person).

use crate::db::schema::{notes, staff};
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const BODY_CONTEXT: &str = "notes.body";

pub fn insert(
    conn: &mut DbConn,
    request_id: &str,
    staff_id: &str,
    body_enc: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(notes::table)
        .values((
            notes::id.eq(crate::clock::new_id()),
            notes::request_id.eq(request_id),
            notes::staff_id.eq(staff_id),
            notes::body_enc.eq(body_enc),
            notes::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// (author email, encrypted body, time), oldest first.
pub fn for_request(
    conn: &mut DbConn,
    request_id: &str,
) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    notes::table
        .inner_join(staff::table)
        .filter(notes::request_id.eq(request_id))
        .order(notes::created_at.asc())
        .select((staff::email, notes::body_enc, notes::created_at))
        .load(conn)
}

pub fn delete_for_request(conn: &mut DbConn, request_id: &str) -> QueryResult<usize> {
    diesel::delete(notes::table.filter(notes::request_id.eq(request_id))).execute(conn)
}
