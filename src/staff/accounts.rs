//! Account management and login, shared by the command line and the staff pages.
//! Every change is audited; passwords and emails never enter the audit detail.

use super::password::{self, Hasher};
use crate::db::models::audit::{self, NewEvent};
use crate::db::models::staff::{self, StaffRow};
use crate::db::{write_tx, DbConn};
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::i18n::msg;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

fn audit_staff(
    conn: &mut DbConn,
    actor: &str,
    action: &str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    audit::append(
        conn,
        NewEvent {
            request_id: None,
            actor,
            action,
            from_status: None,
            to_status: None,
            detail,
            consumer_visible: false,
        },
        now,
    )?;
    Ok(())
}

/// The password to store: the chosen one once it passes the rules, or a generated one,
/// returned a second time so it can be shown once.
fn password_to_set(
    chosen: Option<&str>,
    email: &str,
) -> Result<(String, Option<String>), AppError> {
    match chosen {
        Some(p) => {
            password::check_new(p, email).map_err(AppError::BadRequest)?;
            Ok((p.to_string(), None))
        }
        None => {
            let p = password::generate();
            Ok((p.clone(), Some(p)))
        }
    }
}

/// Creates an account. With no password given, one is generated and returned (to be
/// shown once); the holder must then change it at first login.
pub fn create(
    conn: &mut DbConn,
    hasher: &Hasher,
    email: &str,
    role: Role,
    chosen_password: Option<&str>,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(StaffRow, Option<String>), AppError> {
    let email = email.trim().to_lowercase();
    if crate::domain::intake::EmailAddress::parse(&email).is_err() {
        return Err(AppError::BadRequest(
            msg("errors.not_an_email").with("email", &email),
        ));
    }
    let (password, generated) = password_to_set(chosen_password, &email)?;
    let hash = hasher.hash(&password).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        if staff::find_by_email(conn, &email)?.is_some() {
            return Err(AppError::Conflict(
                msg("errors.account_exists").with("email", &email),
            ));
        }
        let row = StaffRow {
            id: crate::clock::new_id(),
            email: email.clone(),
            role: role.as_str().into(),
            password_hash: hash,
            must_change_password: generated.is_some(),
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            digest_opt_in: false,
            created_at: now,
            last_login_at: None,
        };
        staff::insert(conn, &row)?;
        audit_staff(
            conn,
            actor,
            "staff_added",
            json!({"staff_id": row.id, "role": role.as_str()}),
            now,
        )?;
        Ok((row, generated))
    })
}

/// On first start with no account at all: an admin with a one-time password.
pub fn ensure_first_admin(
    conn: &mut DbConn,
    hasher: &Hasher,
    email: &str,
    now: NaiveDateTime,
) -> Result<Option<(String, String)>, AppError> {
    if staff::count(conn)? > 0 {
        return Ok(None);
    }
    let (row, password) = create(conn, hasher, email, Role::Admin, None, "system", now)?;
    Ok(password.map(|p| (row.email, p)))
}

fn by_email(conn: &mut DbConn, email: &str) -> Result<StaffRow, AppError> {
    staff::find_by_email(conn, email)?
        .ok_or_else(|| AppError::BadRequest(msg("errors.no_account").with("email", email.trim())))
}

pub fn set_disabled(
    conn: &mut DbConn,
    email: &str,
    disabled: bool,
    actor: &str,
    now: NaiveDateTime,
) -> Result<StaffRow, AppError> {
    write_tx(conn, |conn| {
        let row = by_email(conn, email)?;
        staff::set_disabled(conn, &row.id, disabled)?;
        let action = if disabled {
            "staff_disabled"
        } else {
            "staff_enabled"
        };
        audit_staff(conn, actor, action, json!({"staff_id": row.id}), now)?;
        Ok(row)
    })
}

/// Sets a new password (generated when none is given, then to be changed at next login).
pub fn reset_password(
    conn: &mut DbConn,
    hasher: &Hasher,
    email: &str,
    chosen: Option<&str>,
    actor: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, AppError> {
    let row = write_tx(conn, |conn| by_email(conn, email))?;
    let (password, generated) = password_to_set(chosen, &row.email)?;
    let hash = hasher.hash(&password).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        staff::set_password(conn, &row.id, &hash, generated.is_some())?;
        audit_staff(
            conn,
            actor,
            "staff_password_reset",
            json!({"staff_id": row.id}),
            now,
        )?;
        Ok(generated)
    })
}

/// The holder changes their own password (required after a generated one).
pub fn change_own_password(
    conn: &mut DbConn,
    hasher: &Hasher,
    staff_id: &str,
    current: &str,
    new: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let row = staff::find(conn, staff_id)?.ok_or(AppError::NotFound)?;
    if !hasher.verify(current, Some(&row.password_hash)) {
        return Err(AppError::BadRequest(msg("errors.current_password_wrong")));
    }
    password::check_new(new, &row.email).map_err(AppError::BadRequest)?;
    if new == current {
        return Err(AppError::BadRequest(msg("errors.password_unchanged")));
    }
    let hash = hasher.hash(new).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        staff::set_password(conn, &row.id, &hash, false)?;
        audit_staff(
            conn,
            &format!("staff:{}", row.id),
            "staff_password_changed",
            json!({}),
            now,
        )?;
        Ok(())
    })
}

#[derive(Debug, PartialEq, Eq)]
pub enum LoginFailure {
    /// Wrong email or password, disabled or locked: one message for all, so the page
    /// reveals nothing about which accounts exist.
    Refused,
}

/// Lock length after `failures` consecutive failures: none below the threshold, then
/// 1 minute doubling per further failure, capped at one hour.
pub fn lock_for(failures: i64, threshold: i64) -> Option<Duration> {
    if failures < threshold {
        return None;
    }
    let exp = (failures - threshold).clamp(0, 6);
    Some(Duration::minutes((1i64 << exp).min(60)))
}

/// The first half of a login: the account behind `email`, if any. The connection is
/// given back before the Argon2 verification, which takes tens of milliseconds and
/// 19 MiB (`staff::hash_pool`); `finish_login` records the outcome.
pub fn login_candidate(conn: &mut DbConn, email: &str) -> Result<Option<StaffRow>, AppError> {
    Ok(staff::find_by_email(conn, email)?)
}

/// The second half of a login, after `verified` was decided against `row`'s hash (or the
/// dummy hash, without a row): success or a counted failure, recorded and audited.
pub fn finish_login(
    conn: &mut DbConn,
    row: Option<StaffRow>,
    verified: bool,
    lockout_after: i64,
    now: NaiveDateTime,
) -> Result<Result<StaffRow, LoginFailure>, AppError> {
    let Some(row) = row else {
        return Ok(Err(LoginFailure::Refused));
    };
    let locked = row.locked_until.is_some_and(|t| t > now);
    if row.disabled || locked {
        return Ok(Err(LoginFailure::Refused));
    }
    write_tx(conn, |conn| {
        if verified {
            staff::record_login(conn, &row.id, now)?;
            audit_staff(
                conn,
                &format!("staff:{}", row.id),
                "staff_login",
                json!({}),
                now,
            )?;
            Ok(Ok(row))
        } else {
            let failures = row.failed_logins + 1;
            let until = lock_for(failures, lockout_after).map(|d| now + d);
            staff::record_failure(conn, &row.id, failures, until)?;
            audit_staff(
                conn,
                "system",
                "staff_login_failed",
                json!({"staff_id": row.id, "failures": failures, "locked": until.is_some()}),
                now,
            )?;
            Ok(Err(LoginFailure::Refused))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::lock_for;

    #[test]
    fn lockout_grows_and_caps() {
        assert_eq!(lock_for(4, 5), None);
        assert_eq!(lock_for(5, 5).map(|d| d.num_minutes()), Some(1));
        assert_eq!(lock_for(6, 5).map(|d| d.num_minutes()), Some(2));
        assert_eq!(lock_for(8, 5).map(|d| d.num_minutes()), Some(8));
        assert_eq!(lock_for(50, 5).map(|d| d.num_minutes()), Some(60));
    }
}
