//! `exports`: access packages (encrypted ZIP bytes, base64 inside the ciphertext).

use crate::db::schema::exports as ex;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const PACKAGE_CONTEXT: &str = "exports.package";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ex)]
pub struct ExportRow {
    pub id: String,
    pub request_id: String,
    pub package_enc: Option<String>,
    pub size_bytes: i64,
    pub files: i64,
    pub downloads: i64,
    pub max_downloads: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &ExportRow) -> QueryResult<()> {
    diesel::insert_into(ex::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The newest package of a request that still has content.
pub fn latest_live(conn: &mut DbConn, request_id: &str) -> QueryResult<Option<ExportRow>> {
    ex::table
        .filter(ex::request_id.eq(request_id))
        .filter(ex::deleted_at.is_null())
        .order(ex::created_at.desc())
        .select(ExportRow::as_select())
        .first(conn)
        .optional()
}

/// Counts a download if the limit allows; false when it is used up.
pub fn count_download(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    let n = diesel::update(
        ex::table
            .find(id)
            .filter(ex::downloads.lt(ex::max_downloads)),
    )
    .set(ex::downloads.eq(ex::downloads + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes the content of packages past their expiry; returns how many.
pub fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        ex::table
            .filter(ex::deleted_at.is_null())
            .filter(ex::expires_at.lt(now)),
    )
    .set((ex::package_enc.eq(None::<String>), ex::deleted_at.eq(now)))
    .execute(conn)
}
