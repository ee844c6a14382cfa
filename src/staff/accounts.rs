//! Account management and login, shared by the command line and the staff pages.
//! Every change is audited; passwords and emails never enter the audit detail.

use super::password::{self, Hasher};
use crate::db::models::audit;
use crate::db::models::staff::{self, StaffRow};
use crate::db::models::staff_sessions;
use crate::db::{write_tx, DbConn};
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::i18n::msg;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

pub(crate) fn audit_staff(
    conn: &mut DbConn,
    actor: &str,
    action: &str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    audit::append_portal_event(conn, actor, action, detail, now)?;
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
            role,
            password_hash: hash,
            must_change_password: generated.is_some(),
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            digest_opt_in: false,
            created_at: now,
            last_login_at: None,
            password_usable: true,
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

/// The first administrator's login: `staff.first_admin_email`, or `admin@` the
/// contact address's domain. The contact address is printed on every page, so as a
/// login it would hand strangers the account to aim their guesses at.
pub fn first_admin_email(settings: &crate::config::Settings) -> String {
    match &settings.staff.first_admin_email {
        Some(e) => e.clone(),
        None => {
            let contact = &settings.organisation.contact_email;
            let domain = contact.rsplit_once('@').map_or("localhost", |(_, d)| d);
            format!("admin@{domain}")
        }
    }
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
        // A change of standing ends every session: re-enabling revives none of them.
        staff_sessions::delete_of_staff(conn, &row.id, None)?;
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
        staff_sessions::delete_of_staff(conn, &row.id, None)?;
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

/// The holder changes their own password (required after a generated one), from the
/// session `session_id`. The current password is checked like a login
/// (`login::check_current`); a change ends every session of the account, and the
/// caller starts a new one.
#[allow(clippy::too_many_arguments)]
pub fn change_own_password(
    conn: &mut DbConn,
    hasher: &Hasher,
    staff_id: &str,
    session_id: &str,
    current: &str,
    new: &str,
    attempt: &super::login::Attempt,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let row = staff::find(conn, staff_id)?.ok_or(AppError::NotFound)?;
    super::login::check_current(conn, hasher, &row, session_id, current, attempt, now)?;
    password::check_new(new, &row.email).map_err(AppError::BadRequest)?;
    if new == current {
        return Err(AppError::BadRequest(msg("errors.password_unchanged")));
    }
    let hash = hasher.hash(new).map_err(AppError::internal)?;
    write_tx(conn, |conn| {
        staff::set_password(conn, &row.id, &hash, false)?;
        staff_sessions::delete_of_staff(conn, &row.id, None)?;
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

/// An administrator (or the CLI) ends every session of an account; audited with how
/// many were open.
pub fn end_sessions(
    conn: &mut DbConn,
    email: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    write_tx(conn, |conn| {
        let row = by_email(conn, email)?;
        let ended = staff_sessions::delete_of_staff(conn, &row.id, None)?;
        audit_staff(
            conn,
            actor,
            "staff_sessions_ended",
            json!({"staff_id": row.id, "sessions": ended}),
            now,
        )?;
        Ok(ended)
    })
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
