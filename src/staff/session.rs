//! The logged-in staff member, read from the session on every staff request, with idle
//! and absolute timeouts and the role check.

use crate::db::models::staff;
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use actix_session::Session;
use actix_web::web;

const ID: &str = "staff_id";
const LOGIN_AT: &str = "staff_login_at";
const SEEN_AT: &str = "staff_seen_at";

#[derive(Debug, Clone)]
pub struct CurrentStaff {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub must_change_password: bool,
    pub digest_opt_in: bool,
}

impl CurrentStaff {
    /// The actor name written into the audit trail.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.id)
    }

    pub fn require_worker(&self) -> Result<(), AppError> {
        if self.role.can_work_requests() {
            Ok(())
        } else {
            Err(AppError::Forbidden(msg("errors.read_only_role")))
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.role.can_manage_staff() {
            Ok(())
        } else {
            Err(AppError::Forbidden(msg("errors.admins_only")))
        }
    }
}

/// Starts a session for `staff_id`: a fresh session id (no fixation) and fresh clocks.
pub fn start(session: &Session, staff_id: &str) -> Result<(), AppError> {
    session.renew();
    let now = chrono::Utc::now().timestamp();
    let store = |k: &str, v: serde_json::Value| {
        session
            .insert(k, v)
            .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))
    };
    store(ID, staff_id.into())?;
    store(LOGIN_AT, now.into())?;
    store(SEEN_AT, now.into())?;
    Ok(())
}

pub fn end(session: &Session) {
    session.purge();
}

/// The staff member behind this session, or `LoginRequired`. An account that must
/// change its password is sent to the password page unless `allow_pending` is set.
pub async fn current(
    state: &web::Data<AppState>,
    session: &Session,
    allow_pending: bool,
) -> Result<CurrentStaff, AppError> {
    let id = session
        .get::<String>(ID)
        .ok()
        .flatten()
        .ok_or(AppError::LoginRequired)?;
    let login_at = session.get::<i64>(LOGIN_AT).ok().flatten().unwrap_or(0);
    let seen_at = session.get::<i64>(SEEN_AT).ok().flatten().unwrap_or(0);
    let now = chrono::Utc::now().timestamp();
    let cfg = &state.settings.staff;
    if now - seen_at > cfg.session_idle_minutes * 60
        || now - login_at > cfg.session_absolute_hours * 3600
    {
        end(session);
        return Err(AppError::LoginRequired);
    }
    let row = crate::web::with_conn(state, move |_, conn| Ok(staff::find(conn, &id)?)).await?;
    let Some(row) = row.filter(|r| !r.disabled) else {
        end(session);
        return Err(AppError::LoginRequired);
    };
    let _ = session.insert(SEEN_AT, now);
    let role = Role::parse(&row.role).ok_or(AppError::LoginRequired)?;
    if row.must_change_password && !allow_pending {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(CurrentStaff {
        id: row.id,
        email: row.email,
        role,
        must_change_password: row.must_change_password,
        digest_opt_in: row.digest_opt_in,
    })
}
