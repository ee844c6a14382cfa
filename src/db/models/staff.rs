//! `staff`: privacy-team accounts. Passwords are Argon2id PHC strings.

use crate::db::schema::staff;
use crate::db::DbConn;
use crate::domain::roles::Role;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff)]
pub struct StaffRow {
    pub id: String,
    /// Lower-cased; the login name.
    pub email: String,
    pub role: Role,
    pub password_hash: String,
    pub must_change_password: bool,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<NaiveDateTime>,
    pub digest_opt_in: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    /// False for an account the identity provider created: its password is random and
    /// known to nobody, until an administrator resets it.
    pub password_usable: bool,
}

pub fn insert(conn: &mut DbConn, row: &StaffRow) -> QueryResult<()> {
    diesel::insert_into(staff::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    staff::table.count().get_result(conn)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<StaffRow>> {
    staff::table
        .find(id)
        .select(StaffRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<StaffRow>> {
    staff::table
        .filter(staff::email.eq(email.trim().to_lowercase()))
        .select(StaffRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<StaffRow>> {
    staff::table
        .order(staff::email.asc())
        .select(StaffRow::as_select())
        .load(conn)
}

/// Active accounts that may work requests (reminder recipients while unassigned).
pub fn active_handlers(conn: &mut DbConn) -> QueryResult<Vec<StaffRow>> {
    staff::table
        .filter(staff::disabled.eq(false))
        .filter(staff::role.eq_any(["admin", "handler"]))
        .order(staff::email.asc())
        .select(StaffRow::as_select())
        .load(conn)
}

pub fn set_password(
    conn: &mut DbConn,
    id: &str,
    hash: &str,
    must_change: bool,
) -> QueryResult<usize> {
    diesel::update(staff::table.find(id))
        .set((
            staff::password_hash.eq(hash),
            staff::must_change_password.eq(must_change),
            staff::password_usable.eq(true),
            staff::failed_logins.eq(0),
            staff::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Replaces the password with `random_hash`, the hash of a password nobody was told:
/// the account signs in through the identity provider only.
pub fn retire_password(conn: &mut DbConn, id: &str, random_hash: &str) -> QueryResult<usize> {
    diesel::update(staff::table.find(id))
        .set((
            staff::password_hash.eq(random_hash),
            staff::must_change_password.eq(false),
            staff::password_usable.eq(false),
        ))
        .execute(conn)
}

pub fn set_role(conn: &mut DbConn, id: &str, role: Role) -> QueryResult<usize> {
    diesel::update(staff::table.find(id))
        .set(staff::role.eq(role))
        .execute(conn)
}

pub fn set_disabled(conn: &mut DbConn, id: &str, disabled: bool) -> QueryResult<usize> {
    diesel::update(staff::table.find(id))
        .set(staff::disabled.eq(disabled))
        .execute(conn)
}

pub fn set_digest(conn: &mut DbConn, id: &str, opt_in: bool) -> QueryResult<usize> {
    diesel::update(staff::table.find(id))
        .set(staff::digest_opt_in.eq(opt_in))
        .execute(conn)
}

pub fn record_failure(
    conn: &mut DbConn,
    id: &str,
    failures: i64,
    locked_until: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(staff::table.find(id))
        .set((
            staff::failed_logins.eq(failures),
            staff::locked_until.eq(locked_until),
        ))
        .execute(conn)
}

pub fn record_login(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(staff::table.find(id))
        .set((
            staff::failed_logins.eq(0),
            staff::locked_until.eq(None::<NaiveDateTime>),
            staff::last_login_at.eq(now),
        ))
        .execute(conn)
}

/// Who hears about a request: its assignee, or when nobody (active) is assigned, every
/// active handler. Deadline reminders and new messages reach staff the same way.
pub fn hears_about(
    conn: &mut DbConn,
    row: &super::requests::RequestRow,
) -> QueryResult<Vec<StaffRow>> {
    if let Some(id) = &row.assignee_id {
        if let Some(s) = find(conn, id)?.filter(|s| !s.disabled) {
            return Ok(vec![s]);
        }
    }
    active_handlers(conn)
}
