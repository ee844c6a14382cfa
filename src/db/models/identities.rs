//! `request_identities`: who the request is about, each value encrypted, emails and
//! identifiers also blind-indexed for lookup.

use crate::db::schema::request_identities;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Column context for the encryption's associated data.
pub const VALUE_CONTEXT: &str = "request_identities.value";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_identities)]
// NULL for None, so that SQLite (no DEFAULT keyword) can take many rows in one INSERT.
#[diesel(treat_none_as_default_value = false)]
pub struct IdentityRow {
    pub id: String,
    pub request_id: String,
    /// "name", "email", or a configured identifier name such as "account_id".
    pub kind: String,
    pub value_enc: String,
    pub blind_index: Option<String>,
    pub created_at: NaiveDateTime,
}

/// One statement for all the rows (a request carries a handful).
pub fn insert_all(conn: &mut DbConn, rows: &[IdentityRow]) -> QueryResult<()> {
    crate::db::insert_rows!(conn, request_identities::table, rows, 500);
    Ok(())
}

pub fn for_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<IdentityRow>> {
    request_identities::table
        .filter(request_identities::request_id.eq(request_id))
        .order(request_identities::created_at.asc())
        .select(IdentityRow::as_select())
        .load(conn)
}

pub fn of_kind(
    conn: &mut DbConn,
    request_id: &str,
    kind: &str,
) -> QueryResult<Option<IdentityRow>> {
    request_identities::table
        .filter(request_identities::request_id.eq(request_id))
        .filter(request_identities::kind.eq(kind))
        .select(IdentityRow::as_select())
        .first(conn)
        .optional()
}

/// Ids of requests with an identity whose blind index matches.
pub fn requests_with_index(conn: &mut DbConn, index: &str) -> QueryResult<Vec<String>> {
    request_identities::table
        .filter(request_identities::blind_index.eq(index))
        .select(request_identities::request_id)
        .distinct()
        .load(conn)
}
