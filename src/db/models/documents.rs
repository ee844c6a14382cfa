//! `documents`: files people send with a request (an agent's permission, a power of
//! attorney), encrypted at rest, with the staff review recorded beside them.

use crate::db::schema::documents as d;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const CONTENT_CONTEXT: &str = "documents.content";
pub const PURPOSE_AGENT_AUTHORITY: &str = "agent_authority";

/// A document with its content: the listing's fields and the encrypted bytes.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = d)]
pub struct DocumentRow {
    #[diesel(embed)]
    pub info: DocumentInfo,
    pub content_enc: Option<String>,
}

/// What a listing needs; the content stays in the database until someone opens it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = d)]
pub struct DocumentInfo {
    pub id: String,
    pub request_id: String,
    pub purpose: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_at: NaiveDateTime,
    pub reviewed_at: Option<NaiveDateTime>,
    pub reviewed_by: Option<String>,
    pub review_outcome: Option<String>,
    pub deleted_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &DocumentRow) -> QueryResult<()> {
    diesel::insert_into(d::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn for_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<DocumentInfo>> {
    d::table
        .filter(d::request_id.eq(request_id))
        .order(d::uploaded_at.asc())
        .select(DocumentInfo::as_select())
        .load(conn)
}

/// One document of one request: the request id is part of the key so that a document
/// id alone never opens another request's file.
pub fn find(conn: &mut DbConn, request_id: &str, id: &str) -> QueryResult<Option<DocumentRow>> {
    d::table
        .filter(d::request_id.eq(request_id))
        .filter(d::id.eq(id))
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()
}

pub fn record_review(
    conn: &mut DbConn,
    request_id: &str,
    id: &str,
    outcome: &str,
    staff_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        d::table
            .filter(d::request_id.eq(request_id))
            .filter(d::id.eq(id)),
    )
    .set((
        d::reviewed_at.eq(now),
        d::reviewed_by.eq(staff_id),
        d::review_outcome.eq(outcome),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Bytes of documents still held for open requests nobody has verified: what the
/// `uploads.unverified_total_mb` cap bounds.
pub fn unverified_bytes(conn: &mut DbConn) -> QueryResult<i64> {
    use crate::db::schema::requests as r;
    let sizes: Vec<i64> = d::table
        .inner_join(r::table)
        .filter(r::verified_at.is_null())
        .filter(r::closed_at.is_null())
        .filter(d::content_enc.is_not_null())
        .select(d::size_bytes)
        .load(conn)?;
    Ok(sizes.iter().sum())
}

/// Removes the content of every document of a request, keeping the row (its hash,
/// size and review) as the record that there was one; returns how many were removed.
pub fn delete_contents(
    conn: &mut DbConn,
    request_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(d::table.filter(d::request_id.eq(request_id)))
        .filter(d::content_enc.is_not_null())
        .set((d::content_enc.eq(None::<String>), d::deleted_at.eq(now)))
        .execute(conn)
}
