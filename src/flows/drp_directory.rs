//! The DRP agent directory: adding agents with their Ed25519 verify keys, disabling and
//! enabling them. Every change is audited.

use crate::db::models::audit;
use crate::db::models::drp::{self as rows, AgentRow};
use crate::db::{write_tx, DbConn};
use crate::drp::envelope::parse_verify_key;
use crate::error::AppError;
use crate::i18n::msg;
use chrono::NaiveDateTime;
use serde_json::json;

/// Agent ids appear in URLs and audit events: short, and plain characters only (the
/// DRP directory uses `[A-Z_]+`; lower case, digits, `-` and `.` are tolerated).
fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

pub fn add_agent(
    conn: &mut DbConn,
    id: &str,
    name: &str,
    verify_key: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<AgentRow, AppError> {
    if !valid_id(id) {
        return Err(AppError::BadRequest(msg("errors.agent_id_invalid")));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest(msg("errors.agent_name_invalid")));
    }
    let key = verify_key.trim();
    parse_verify_key(key)
        .map_err(|e| AppError::BadRequest(msg("errors.agent_key_invalid").with("problem", e)))?;
    write_tx(conn, |conn| {
        if rows::find_agent(conn, id)?.is_some() {
            return Err(AppError::Conflict(
                msg("errors.agent_exists").with("id", id),
            ));
        }
        let row = AgentRow {
            id: id.to_string(),
            name: name.to_string(),
            verify_key: key.to_string(),
            created_at: now,
            disabled_at: None,
        };
        rows::insert_agent(conn, &row)?;
        audit::append_portal_event(conn, actor, "drp_agent_added", json!({"agent": id}), now)?;
        Ok(row)
    })
}

/// Disables (or re-enables) an agent; disabling also revokes its bearer tokens.
pub fn set_enabled(
    conn: &mut DbConn,
    id: &str,
    enabled: bool,
    actor: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    write_tx(conn, |conn| {
        let changed = if enabled {
            rows::enable_agent(conn, id)?
        } else {
            rows::disable_agent(conn, id, now)?
        };
        if changed {
            let action = if enabled {
                "drp_agent_enabled"
            } else {
                "drp_agent_disabled"
            };
            audit::append_portal_event(conn, actor, action, json!({"agent": id}), now)?;
        }
        Ok(changed)
    })
}
