//! The acknowledgement the CCPA asks for (regulations §7021(a)): within 10 business days
//! of receipt, confirm that the request arrived and say how it will be processed, how
//! identity is verified, and when to expect the answer.
//!
//! The portal gives it itself when the requester confirms their address: the
//! confirmation email carries it, and it is recorded as the request's acknowledgement,
//! so no one has to remember a click within the ten days. Staff can still acknowledge
//! by hand a request that was never confirmed that way.

use super::actors;
use super::request_change::{self as change, Entry};
use crate::db::models::requests::{self, RequestRow};
use crate::db::DbConn;
use crate::domain::kinds::RequestKind;
use crate::error::AppError;
use crate::i18n::key;
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::{json, Value};

/// Acknowledges `request` now when its law asks for an acknowledgement that was not
/// given yet, and returns what the confirmation email then says (`Value::Null` when
/// there is nothing to add).
pub fn on_confirmation(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    now: NaiveDateTime,
) -> Result<Value, AppError> {
    let Some(acknowledge_by) = request.acknowledge_by else {
        return Ok(Value::Null);
    };
    if !requests::mark_acknowledged(conn, &request.id, now)? {
        return Ok(Value::Null);
    }
    let on_time = now.date() <= acknowledge_by;
    let detail = json!({"on_time": on_time, "automatic": true});
    change::record(
        conn,
        &request.id,
        Entry::new(actors::SYSTEM, "acknowledged", detail),
        now,
    )?;
    let kind = request.kind;
    let deadlines = super::handling::deadlines_of(state, conn, request)?;
    let extension_days = deadlines
        .extended_respond_by
        .map(|extended| (extended - deadlines.respond_by).num_days());
    Ok(json!({
        "process_key": process_key(kind),
        "verification_key": verification_key(kind),
        "extension_days": extension_days,
    }))
}

/// How the request will be processed, in the person's words.
fn process_key(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access | RequestKind::Portability => key("request_confirmed.process_access"),
        RequestKind::Deletion => key("request_confirmed.process_deletion"),
        RequestKind::Correction => key("request_confirmed.process_correction"),
        _ => key("request_confirmed.process_other"),
    }
}

/// How identity will be verified: the CCPA asks for more certainty before disclosing
/// specific pieces of information than before deleting or correcting (§§7061–7062).
fn verification_key(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access | RequestKind::Portability => {
            key("request_confirmed.verification_access")
        }
        RequestKind::Deletion | RequestKind::Correction => {
            key("request_confirmed.verification_change")
        }
        _ => key("request_confirmed.verification_other"),
    }
}
