//! `login_throttle`: failed logins per client (keyed hash of its address), so that one
//! client's guesses are slowed down across every account it tries.

use crate::db::schema::login_throttle;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_throttle)]
pub struct ThrottleRow {
    pub client_key: String,
    pub failures: i64,
    pub locked_until: Option<NaiveDateTime>,
    pub last_failure_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, key: &str) -> QueryResult<Option<ThrottleRow>> {
    login_throttle::table
        .find(key)
        .select(ThrottleRow::as_select())
        .first(conn)
        .optional()
}

/// Writes the client's new count (callers run this inside `write_tx`, which orders
/// concurrent writers, so the read-then-write cannot lose a failure).
pub fn save(conn: &mut DbConn, row: &ThrottleRow) -> QueryResult<()> {
    let n = diesel::update(login_throttle::table.find(&row.client_key))
        .set((
            login_throttle::failures.eq(row.failures),
            login_throttle::locked_until.eq(row.locked_until),
            login_throttle::last_failure_at.eq(row.last_failure_at),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(login_throttle::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets clients whose last failure is older than `before` and that are not locked.
pub fn delete_stale(
    conn: &mut DbConn,
    before: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        login_throttle::table
            .filter(login_throttle::last_failure_at.lt(before))
            .filter(
                login_throttle::locked_until
                    .is_null()
                    .or(login_throttle::locked_until.lt(now)),
            ),
    )
    .execute(conn)
}
