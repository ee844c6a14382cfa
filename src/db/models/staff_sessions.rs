//! `staff_sessions`: one row per logged-in browser. The cookie holds the secret, the
//! row only its SHA-256, so neither a database leak nor a captured cookie outlives the
//! row: deleting it ends the session on every instance.

use crate::db::schema::staff_sessions;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff_sessions)]
pub struct SessionRow {
    pub id: String,
    pub token_hash: String,
    pub staff_id: String,
    pub started_at: NaiveDateTime,
    pub seen_at: NaiveDateTime,
    pub client: String,
    pub password_failures: i64,
}

pub fn insert(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(staff_sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<SessionRow>> {
    staff_sessions::table
        .filter(staff_sessions::token_hash.eq(hash))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// The account's sessions, most recently used first.
pub fn of_staff(conn: &mut DbConn, staff_id: &str) -> QueryResult<Vec<SessionRow>> {
    staff_sessions::table
        .filter(staff_sessions::staff_id.eq(staff_id))
        .order(staff_sessions::seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(staff_sessions::table.find(id))
        .set(staff_sessions::seen_at.eq(now))
        .execute(conn)
}

pub fn count_password_failure(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::update(staff_sessions::table.find(id))
        .set(staff_sessions::password_failures.eq(staff_sessions::password_failures + 1))
        .execute(conn)
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.find(id)).execute(conn)
}

/// Ends every session of the account but `keep` (the caller's own, when it stays).
pub fn delete_of_staff(
    conn: &mut DbConn,
    staff_id: &str,
    keep: Option<&str>,
) -> QueryResult<usize> {
    let q = staff_sessions::table.filter(staff_sessions::staff_id.eq(staff_id));
    match keep {
        Some(k) => diesel::delete(q.filter(staff_sessions::id.ne(k))).execute(conn),
        None => diesel::delete(q).execute(conn),
    }
}

/// Removes sessions idle since `idle_before` or started before `started_before`.
pub fn delete_expired(
    conn: &mut DbConn,
    idle_before: NaiveDateTime,
    started_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        staff_sessions::table.filter(
            staff_sessions::seen_at
                .lt(idle_before)
                .or(staff_sessions::started_at.lt(started_before)),
        ),
    )
    .execute(conn)
}
