//! `tokens`: secret links (email verification, status page). Only SHA-256 hashes are
//! stored; each token has a purpose, an expiry and, when single-use, a used time.

use crate::db::schema::tokens;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    Status,
    Download,
    /// The consumer's link to confirm or refuse an agent's authority.
    ConfirmAgent,
    /// The handle of a DRP `user_verification_url`: opens a page that sends the
    /// person a fresh email link. Not single-use; it expires with the request's wait.
    DrpVerification,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::Status => "status",
            Purpose::Download => "download",
            Purpose::ConfirmAgent => "confirm_agent",
            Purpose::DrpVerification => "drp_verification",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tokens)]
pub struct TokenRow {
    pub id: String,
    pub request_id: String,
    pub purpose: String,
    pub token_hash: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &TokenRow) -> QueryResult<()> {
    diesel::insert_into(tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_hash(
    conn: &mut DbConn,
    purpose: Purpose,
    hash: &str,
) -> QueryResult<Option<TokenRow>> {
    tokens::table
        .filter(tokens::token_hash.eq(hash))
        .filter(tokens::purpose.eq(purpose.as_str()))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()
}

/// Marks a token used; false if it was used meanwhile (a concurrent click lost the race).
pub fn mark_used(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(tokens::table.find(id).filter(tokens::used_at.is_null()))
        .set(tokens::used_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

/// Retires every unused token of a purpose for a request (a new link replaces old ones).
pub fn retire_all(
    conn: &mut DbConn,
    request_id: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::request_id.eq(request_id))
            .filter(tokens::purpose.eq(purpose.as_str()))
            .filter(tokens::used_at.is_null()),
    )
    .set(tokens::used_at.eq(now))
    .execute(conn)
}
