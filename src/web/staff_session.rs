//! The logged-in staff member. The session cookie (encrypted by actix-session) holds a
//! random secret; the server keeps its SHA-256 in `staff_sessions` with the start and
//! last-seen times. Every staff request looks the row up, so deleting it (logout, a
//! password change or reset, a disable, an administrator, "end my other sessions")
//! ends the session on every instance, and the timeouts run on the server's clock,
//! whatever an old cookie says.

use crate::db::models::{staff, staff_sessions};
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use actix_session::Session;
use actix_web::web;
use chrono::Duration;

const SECRET: &str = "staff_session";
/// `seen_at` is rewritten at most this often: enough for an idle limit in minutes,
/// without a database write on every page.
const TOUCH_EVERY: Duration = Duration::seconds(60);

#[derive(Debug, Clone)]
pub struct CurrentStaff {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub must_change_password: bool,
    pub digest_opt_in: bool,
    /// The public id of this session's `staff_sessions` row.
    pub session_id: String,
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

/// Starts a session for `staff_id`: a fresh cookie session (no fixation), a new secret
/// and its row. `client` is the browser in short (`client_label`).
pub async fn start(
    state: &web::Data<AppState>,
    session: &Session,
    staff_id: &str,
    client: String,
) -> Result<(), AppError> {
    session.renew();
    let token = crate::crypto::tokens::generate();
    let now = crate::clock::now();
    let row = staff_sessions::SessionRow {
        id: crate::clock::new_id(),
        token_hash: token.hash,
        staff_id: staff_id.to_string(),
        started_at: now,
        seen_at: now,
        client,
        password_failures: 0,
    };
    super::with_conn(state, move |_, conn| {
        Ok(staff_sessions::insert(conn, &row)?)
    })
    .await?;
    session
        .insert(SECRET, token.secret)
        .map_err(|e| AppError::internal(anyhow::anyhow!("session: {e}")))
}

/// The row behind this cookie session, if the cookie carries a well-formed secret.
fn secret_hash(session: &Session) -> Option<String> {
    let secret = session.get::<String>(SECRET).ok().flatten()?;
    crate::crypto::tokens::hash_presented(&secret)
}

/// Ends this session: its row and the cookie. Audited as a logout when there was one.
pub async fn end(state: &web::Data<AppState>, session: &Session) -> Result<(), AppError> {
    let hash = secret_hash(session);
    session.purge();
    let Some(hash) = hash else { return Ok(()) };
    super::with_conn(state, move |_, conn| {
        crate::db::write_tx(conn, |conn| {
            if let Some(row) = staff_sessions::find_by_hash(conn, &hash)? {
                staff_sessions::delete(conn, &row.id)?;
                crate::staff::accounts::audit_staff(
                    conn,
                    &format!("staff:{}", row.staff_id),
                    "staff_logout",
                    serde_json::json!({}),
                    crate::clock::now(),
                )?;
            }
            Ok(())
        })
    })
    .await
}

/// The staff member behind this session, or `LoginRequired`. An account that must
/// change its password is sent to the password page unless `allow_pending` is set.
pub async fn current(
    state: &web::Data<AppState>,
    session: &Session,
    allow_pending: bool,
) -> Result<CurrentStaff, AppError> {
    let Some(hash) = secret_hash(session) else {
        return Err(AppError::LoginRequired);
    };
    let cfg = &state.settings.staff;
    let (idle, absolute) = (
        Duration::minutes(cfg.session_idle_minutes),
        Duration::hours(cfg.session_absolute_hours),
    );
    let found = super::with_conn(state, move |_, conn| {
        let now = crate::clock::now();
        let Some(s) = staff_sessions::find_by_hash(conn, &hash)? else {
            return Ok(None);
        };
        if now - s.seen_at > idle || now - s.started_at > absolute {
            staff_sessions::delete(conn, &s.id)?;
            return Ok(None);
        }
        let Some(row) = staff::find(conn, &s.staff_id)?.filter(|r| !r.disabled) else {
            staff_sessions::delete(conn, &s.id)?;
            return Ok(None);
        };
        if now - s.seen_at >= TOUCH_EVERY {
            staff_sessions::touch(conn, &s.id, now)?;
        }
        Ok(Some((s.id, row)))
    })
    .await?;
    let Some((session_id, row)) = found else {
        session.purge();
        return Err(AppError::LoginRequired);
    };
    let role = row.role;
    if row.must_change_password && !allow_pending {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(CurrentStaff {
        id: row.id,
        email: row.email,
        role,
        must_change_password: row.must_change_password,
        digest_opt_in: row.digest_opt_in,
        session_id,
    })
}

/// The browser and system named in a `User-Agent`, in short ("Firefox · Linux"), or
/// None when neither is recognised. Only this summary is stored.
pub fn client_label(user_agent: &str) -> Option<String> {
    const BROWSERS: &[(&str, &str)] = &[
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ];
    const SYSTEMS: &[(&str, &str)] = &[
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |list: &[(&str, &'static str)]| {
        list.iter()
            .find(|(needle, _)| user_agent.contains(needle))
            .map(|(_, name)| *name)
    };
    match (find(BROWSERS), find(SYSTEMS)) {
        (Some(b), Some(s)) => Some(format!("{b} · {s}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::client_label;

    #[test]
    fn user_agents_are_shortened_to_browser_and_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(client_label(firefox).as_deref(), Some("Firefox · Linux"));
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(client_label(edge).as_deref(), Some("Edge · Windows"));
        assert_eq!(client_label("curl/8.5"), None);
    }
}
