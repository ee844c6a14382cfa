//! Which account a verified identity signs in to, and with which role.
//!
//! - `roles = "accounts"`: only an account an administrator created, matched by its
//!   login; it keeps its role.
//! - `roles = "claim"`: the groups decide the role (no mapped group: refused); a person
//!   without an account gets one, and an account's role follows the groups at each
//!   sign-in. Both changes are audited.
//!
//! A disabled account is refused either way. An account created here, or one whose
//! one-time password was never changed, gets a random password nobody knows: it signs
//! in through the provider, and a password an administrator once saw is void.

use super::claims::Identity;
use crate::config::{OidcSettings, RoleSource};
use crate::db::models::staff::{self, StaffRow};
use crate::db::{write_tx, DbConn};
use crate::domain::roles::Role;
use crate::domain::sign_in::role_for;
use crate::error::AppError;
use crate::i18n::msg;
use crate::staff::accounts::audit_staff;
use crate::staff::password::{self, Hasher};
use chrono::NaiveDateTime;
use serde_json::json;

/// Why a verified identity may not sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `roles = "accounts"` and no account has this login.
    NoAccount,
    /// `roles = "claim"` and none of the person's groups is mapped to a role.
    NoRole,
    Disabled,
}

impl Refusal {
    /// The code written in the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NoAccount => "no_account",
            Refusal::NoRole => "no_role",
            Refusal::Disabled => "disabled",
        }
    }
}

/// Records a refused sign-in through the provider (no email: the staff id when
/// there is an account).
pub fn audit_refusal(
    conn: &mut DbConn,
    staff_id: Option<&str>,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        audit_staff(
            conn,
            "system",
            "staff_login_failed",
            json!({"via": "oidc", "reason": reason, "staff_id": staff_id.unwrap_or_default()}),
            now,
        )
    })
}

/// The role the identity's groups give under `[staff.oidc.groups]`.
fn mapped_role(cfg: &OidcSettings, who: &Identity) -> Option<Role> {
    let g = &cfg.groups;
    role_for(&who.groups, &g.admin, &g.handler, &g.auditor)
}

/// Signs `who` in to their account (created or its role updated as configured), or
/// says why not; each outcome audited in the same transaction as its change.
pub fn sign_in(
    conn: &mut DbConn,
    hasher: &Hasher,
    cfg: &OidcSettings,
    who: &Identity,
    now: NaiveDateTime,
) -> Result<Result<StaffRow, Refusal>, AppError> {
    let role = match cfg.roles {
        RoleSource::Claim => match mapped_role(cfg, who) {
            Some(role) => Some(role),
            None => return refuse(conn, who, Refusal::NoRole, now),
        },
        RoleSource::Accounts => None,
    };
    let existing = staff::find_by_email(conn, &who.login)?;
    // Hashing takes tens of milliseconds: done before the transaction, and only when
    // a random password is to be stored.
    let needs_random = match &existing {
        None => role.is_some(),
        Some(row) => row.must_change_password,
    };
    let random_hash = if needs_random {
        Some(
            hasher
                .hash(&password::generate())
                .map_err(AppError::internal)?,
        )
    } else {
        None
    };
    let Some(row) = existing else {
        return match (role, random_hash) {
            (Some(role), Some(hash)) => create(conn, who, role, hash, now).map(Ok),
            _ => refuse(conn, who, Refusal::NoAccount, now),
        };
    };
    if row.disabled {
        audit_refusal(conn, Some(&row.id), Refusal::Disabled.code(), now)?;
        return Ok(Err(Refusal::Disabled));
    }
    write_tx(conn, |conn| {
        let actor = format!("staff:{}", row.id);
        let mut row = row.clone();
        if let Some(role) = role.filter(|r| *r != row.role) {
            staff::set_role(conn, &row.id, role)?;
            audit_staff(
                conn,
                "system",
                "staff_role_changed",
                json!({"staff_id": row.id, "from": row.role.as_str(), "to": role.as_str(), "via": "oidc"}),
                now,
            )?;
            row.role = role;
        }
        let retired = match &random_hash {
            Some(hash) => {
                staff::retire_password(conn, &row.id, hash)?;
                row.must_change_password = false;
                row.password_usable = false;
                true
            }
            None => false,
        };
        staff::record_login(conn, &row.id, now)?;
        audit_staff(
            conn,
            &actor,
            "staff_login",
            json!({"via": "oidc", "password_retired": retired}),
            now,
        )?;
        Ok(Ok(row))
    })
}

fn refuse(
    conn: &mut DbConn,
    who: &Identity,
    refusal: Refusal,
    now: NaiveDateTime,
) -> Result<Result<StaffRow, Refusal>, AppError> {
    let id = staff::find_by_email(conn, &who.login)?.map(|r| r.id);
    audit_refusal(conn, id.as_deref(), refusal.code(), now)?;
    Ok(Err(refusal))
}

/// A new account for a person in a mapped group: their role, a random password.
fn create(
    conn: &mut DbConn,
    who: &Identity,
    role: Role,
    random_hash: String,
    now: NaiveDateTime,
) -> Result<StaffRow, AppError> {
    write_tx(conn, |conn| {
        // Two first sign-ins at once (a double click): the second finds the first's
        // account here, as write transactions take turns.
        if staff::find_by_email(conn, &who.login)?.is_some() {
            return Err(AppError::Conflict(
                msg("errors.account_exists").with("email", &who.login),
            ));
        }
        let row = StaffRow {
            id: crate::clock::new_id(),
            email: who.login.clone(),
            role,
            password_hash: random_hash.clone(),
            must_change_password: false,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            digest_opt_in: false,
            created_at: now,
            last_login_at: Some(now),
            password_usable: false,
        };
        staff::insert(conn, &row)?;
        audit_staff(
            conn,
            "system",
            "staff_added",
            json!({"staff_id": row.id, "role": role.as_str(), "via": "oidc"}),
            now,
        )?;
        audit_staff(
            conn,
            &format!("staff:{}", row.id),
            "staff_login",
            json!({"via": "oidc", "password_retired": false}),
            now,
        )?;
        Ok(row)
    })
}
