//! `staff_oidc_states`: the sign-ins started at the identity provider, by the SHA-256
//! of their `state`. The provider's answer is taken once: `take` marks the row used
//! with a guarded update, so a second answer (the callback opened again, replayed)
//! finds nothing to take.

use crate::db::schema::staff_oidc_states;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, state_hash: &str, expires_at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(staff_oidc_states::table)
        .values((
            staff_oidc_states::state_hash.eq(state_hash),
            staff_oidc_states::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Uses the sign-in `state_hash` names; false when there is none, it was used, or it
/// expired.
pub fn take(conn: &mut DbConn, state_hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        staff_oidc_states::table
            .find(state_hash)
            .filter(staff_oidc_states::used_at.is_null())
            .filter(staff_oidc_states::expires_at.gt(now)),
    )
    .set(staff_oidc_states::used_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Forgets sign-ins that expired before `cutoff` (used or not): past their expiry
/// they can no longer be taken, so a replay finds nothing either way.
pub fn forget_expired(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(staff_oidc_states::table.filter(staff_oidc_states::expires_at.lt(cutoff)))
        .execute(conn)
}
