//! PostgreSQL errors as the connector reports them: worth retrying or not, worded for
//! staff, with nothing from a row and nothing from the connection URL.
//!
//! A server error keeps only its primary message and SQLSTATE. Its DETAIL is never read:
//! PostgreSQL puts key values there ("Key (email)=(…) already exists"). The primary
//! messages of data exceptions (class 22) quote the offending input ("invalid input
//! syntax for type uuid: \"…\""), so those are replaced by a fixed sentence.

use crate::connectors::ConnectorError;
use postgres::error::SqlState;

/// Maps a driver error; `doing` says what was being done, in a few words ("reading the
/// catalogue").
pub fn classify(e: &postgres::Error, doing: &str) -> ConnectorError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let message = if code.starts_with("22") {
            "a value does not fit the column's type".to_string()
        } else {
            db.message().to_string()
        };
        let text = format!("PostgreSQL refused {doing}: {message} (SQLSTATE {code})");
        return if temporary_state(db.code()) {
            ConnectorError::Temporary(text)
        } else {
            ConnectorError::Permanent(text)
        };
    }
    // Not from the server: the driver's own words name only the kind of failure
    // ("error connecting to server", "connection closed"), never a value or the URL.
    let text = format!("PostgreSQL {doing}: {e}");
    if broken(e) {
        ConnectorError::Temporary(text)
    } else {
        ConnectorError::Permanent(text)
    }
}

/// A failure of the connection itself (refused, reset, timed out, closed): the client
/// must be dropped and a new one connected next time.
pub fn broken(e: &postgres::Error) -> bool {
    if e.as_db_error().is_some() {
        return e
            .code()
            .is_some_and(|c| c.code().starts_with("08") || admin(c));
    }
    if e.is_closed() {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    let words = e.to_string();
    words.starts_with("error connecting") || words.starts_with("timeout")
}

/// Serialization failures, deadlocks, lock waits, cancelled statements (our own
/// timeouts), lost connections and a server shutting down or full: another try later
/// may well succeed.
fn temporary_state(code: &SqlState) -> bool {
    let c = code.code();
    c.starts_with("08")
        || admin(code)
        || [
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::LOCK_NOT_AVAILABLE,
            SqlState::QUERY_CANCELED,
            SqlState::TOO_MANY_CONNECTIONS,
        ]
        .contains(code)
}

/// The server shutting down or not yet accepting connections.
fn admin(code: &SqlState) -> bool {
    [
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
    ]
    .contains(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_states_are_the_transient_ones() {
        for code in [
            "40001", "40P01", "55P03", "57014", "08006", "57P01", "53300",
        ] {
            assert!(temporary_state(&SqlState::from_code(code)), "{code}");
        }
        for code in ["23503", "23502", "42P01", "42501", "22P02", "28P01"] {
            assert!(!temporary_state(&SqlState::from_code(code)), "{code}");
        }
    }
}
