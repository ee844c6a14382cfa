//! Password guesses are slowed down per account (`staff.failed_logins`, see
//! `accounts::login`) and per client here, following OWASP's authentication guidance:
//! a stranger's guesses cost that stranger, whatever account they aim at, and the
//! account-wide lock does not shut out the owner's known browser (`device`).

use super::accounts::lock_for;
use crate::crypto::BlindIndexer;
use crate::db::models::login_throttle::{self, ThrottleRow};
use crate::db::DbConn;
use chrono::{Duration, NaiveDateTime};
use std::net::IpAddr;

/// A client's failures are forgotten this long after its last one.
pub const FORGET_AFTER: Duration = Duration::hours(24);

/// The client's key: a keyed hash of its address (an address is personal data, so it
/// is not stored as such). IPv6 clients are counted per /64, the block one host gets.
pub fn client_key(indexer: &BlindIndexer, ip: IpAddr) -> String {
    let counted = match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    };
    indexer.index("login_client", &counted.to_string())
}

/// Whether the client is held back at `now` after repeated failures.
pub fn client_locked(
    conn: &mut DbConn,
    key: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    Ok(login_throttle::find(conn, key)?
        .and_then(|r| r.locked_until)
        .is_some_and(|t| t > now))
}

/// Counts one failure of the client (inside the caller's `write_tx`); from `threshold`
/// failures on it is locked, 1 minute doubling per further failure up to an hour.
pub fn record_client_failure(
    conn: &mut DbConn,
    key: &str,
    threshold: i64,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    let failures = match login_throttle::find(conn, key)? {
        Some(r) if r.last_failure_at >= now - FORGET_AFTER => r.failures + 1,
        _ => 1,
    };
    login_throttle::save(
        conn,
        &ThrottleRow {
            client_key: key.to_string(),
            failures,
            locked_until: lock_for(failures, threshold).map(|d| now + d),
            last_failure_at: now,
        },
    )
}

/// Removes what no longer counts (run by housekeeping).
pub fn forget_stale(conn: &mut DbConn, now: NaiveDateTime) -> diesel::QueryResult<usize> {
    login_throttle::delete_stale(conn, now - FORGET_AFTER, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_per_64_block_and_v4_per_address() {
        let ix = BlindIndexer::new(&[7; 32]);
        let k = |s: &str| client_key(&ix, s.parse().expect("ip"));
        assert_eq!(k("2001:db8:1:2::1"), k("2001:db8:1:2:ffff::9"));
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
        assert_ne!(k("192.0.2.1"), k("192.0.2.2"));
    }
}
