//! Checking a password, at login and on the password page, with the same throttle:
//! failures count against the account (it locks, 1 minute doubling to an hour) and
//! against the client (`throttle`), and the owner's known browser (`device`) is not
//! held by the account-wide lock that strangers can set.

use super::accounts::{audit_staff, lock_for};
use super::password::Hasher;
use super::throttle;
use crate::config::StaffSettings;
use crate::db::models::staff::{self, StaffRow};
use crate::db::models::staff_sessions;
use crate::db::{write_tx, DbConn};
use crate::error::AppError;
use crate::i18n::msg;
use chrono::NaiveDateTime;
use serde_json::json;

/// Wrong "current password" answers one session may give before it is ended.
pub const PASSWORD_FAILURES_PER_SESSION: i64 = 3;

/// Who is trying: the client's key (`throttle::client_key`), the account a valid
/// known-device cookie vouches for, and the configured limits.
pub struct Attempt {
    pub client_key: String,
    pub known_for: Option<String>,
    pub account_limit: i64,
    pub client_limit: i64,
}

impl Attempt {
    pub fn new(client_key: String, known_for: Option<String>, cfg: &StaffSettings) -> Attempt {
        Attempt {
            client_key,
            known_for,
            account_limit: cfg.lockout_after,
            client_limit: cfg.client_lockout_after,
        }
    }

    fn knows(&self, row: &StaffRow) -> bool {
        self.known_for.as_deref() == Some(row.id.as_str())
    }

    /// Whether this attempt is held back at `now`: its client is locked, or the account
    /// is and the client is not the owner's known browser.
    fn held(
        &self,
        conn: &mut DbConn,
        row: Option<&StaffRow>,
        now: NaiveDateTime,
    ) -> Result<(bool, bool), AppError> {
        let client = throttle::client_locked(conn, &self.client_key, now)?;
        let account =
            row.is_some_and(|r| r.locked_until.is_some_and(|t| t > now) && !self.knows(r));
        Ok((client, account))
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum LoginFailure {
    /// Wrong email or password, disabled or locked: one message for all, so the page
    /// reveals nothing about which accounts exist.
    Refused,
}

/// Counts one wrong password: for the client unless it is already held, for the
/// account unless it is already locked for this client. Returns the account's count.
fn count_failure(
    conn: &mut DbConn,
    row: Option<&StaffRow>,
    attempt: &Attempt,
    (client_held, account_held): (bool, bool),
    now: NaiveDateTime,
) -> Result<Option<(i64, bool)>, AppError> {
    if !client_held {
        throttle::record_client_failure(conn, &attempt.client_key, attempt.client_limit, now)?;
    }
    match row {
        Some(r) if !account_held && !r.disabled => {
            let failures = r.failed_logins + 1;
            let until = lock_for(failures, attempt.account_limit).map(|d| now + d);
            staff::record_failure(conn, &r.id, failures, until)?;
            Ok(Some((failures, until.is_some())))
        }
        _ => Ok(None),
    }
}

/// The account behind `email`, if any: the first step of a login. The caller gives the
/// connection back before the Argon2 verification (tens of milliseconds and 19 MiB, run
/// on `staff::hash_pool`), then records the outcome with [`finish`].
pub fn candidate(conn: &mut DbConn, email: &str) -> Result<Option<StaffRow>, AppError> {
    Ok(staff::find_by_email(conn, email)?)
}

/// The last step of a login, once `ok` was decided against `row`'s hash (or the dummy
/// hash, without a row): success, or a failure counted against the account and the
/// client, each recorded and audited. A held attempt is refused even with the right
/// password.
pub fn finish(
    conn: &mut DbConn,
    row: Option<StaffRow>,
    ok: bool,
    attempt: &Attempt,
    now: NaiveDateTime,
) -> Result<Result<StaffRow, LoginFailure>, AppError> {
    write_tx(conn, |conn| {
        let held = attempt.held(conn, row.as_ref(), now)?;
        match row.as_ref() {
            Some(r) if ok && !r.disabled && !held.0 && !held.1 => {
                staff::record_login(conn, &r.id, now)?;
                audit_staff(
                    conn,
                    &format!("staff:{}", r.id),
                    "staff_login",
                    json!({}),
                    now,
                )?;
                Ok(Ok(r.clone()))
            }
            _ => {
                if !ok {
                    if let Some((failures, locked)) =
                        count_failure(conn, row.as_ref(), attempt, held, now)?
                    {
                        let id = row.as_ref().map(|r| r.id.as_str()).unwrap_or_default();
                        audit_staff(
                            conn,
                            "system",
                            "staff_login_failed",
                            json!({"staff_id": id, "failures": failures, "locked": locked}),
                            now,
                        )?;
                    }
                }
                Ok(Err(LoginFailure::Refused))
            }
        }
    })
}

/// The password page's check of the current password, throttled like a login. A wrong
/// answer counts against the account and the client; the session's third one ends the
/// session (`LoginRequired`). A held attempt is refused without looking at the password.
pub fn check_current(
    conn: &mut DbConn,
    hasher: &Hasher,
    row: &StaffRow,
    session_id: &str,
    current: &str,
    attempt: &Attempt,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let held = attempt.held(conn, Some(row), now)?;
    if held.0 || held.1 {
        return Err(AppError::BadRequest(msg("errors.password_attempts_held")));
    }
    if hasher.verify(current, Some(&row.password_hash)) {
        return Ok(());
    }
    let ended = write_tx(conn, |conn| {
        let counted = count_failure(conn, Some(row), attempt, held, now)?;
        staff_sessions::count_password_failure(conn, session_id)?;
        let in_session = staff_sessions::of_staff(conn, &row.id)?
            .into_iter()
            .find(|s| s.id == session_id)
            .map_or(PASSWORD_FAILURES_PER_SESSION, |s| s.password_failures);
        let ended = in_session >= PASSWORD_FAILURES_PER_SESSION;
        if ended {
            staff_sessions::delete(conn, session_id)?;
        }
        let (failures, locked) = counted.unwrap_or((row.failed_logins, true));
        audit_staff(
            conn,
            &format!("staff:{}", row.id),
            "staff_password_change_failed",
            json!({"failures": failures, "locked": locked, "session_ended": ended}),
            now,
        )?;
        Ok::<bool, AppError>(ended)
    })?;
    if ended {
        Err(AppError::LoginRequired)
    } else {
        Err(AppError::BadRequest(msg("errors.current_password_wrong")))
    }
}
