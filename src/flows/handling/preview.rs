//! The notice a refusal or fulfilment will send, rendered before anything is written,
//! for the staff member to read and confirm.

use super::answers::{self, Decision};
use super::{conflict, not_allowed, Action};
use crate::db::models::requests;
use crate::db::DbConn;
use crate::error::AppError;
use crate::flows::{emails, notices};
use crate::i18n::{key, msg};
use crate::state::AppState;

/// A decision checked, with the email its notice will be.
pub struct Preview {
    pub decision: Decision,
    pub subject: String,
    /// The text part, exactly as it is sent but for the status link (made when sent).
    pub text: String,
    pub person_email: String,
    /// An authorized agent filed: the agent receives it as well as the person.
    pub agent_email: Option<String>,
}

/// Checks `action` (a refusal or fulfilment) on request `id` seen at `version`, and
/// renders its notice from the same templates and data as the one that is sent.
pub fn preview(
    state: &AppState,
    conn: &mut DbConn,
    id: &str,
    version: i64,
    action: &Action,
) -> Result<Preview, AppError> {
    let row = requests::find(conn, id)?;
    if row.version != version {
        return Err(conflict());
    }
    if !row.status.is_open() {
        return Err(not_allowed(key("errors.actions.change_closed")));
    }
    let decision = answers::decide(state, conn, &row, action)?
        .ok_or_else(|| AppError::BadRequest(msg("errors.unknown_action")))?;
    let placeholder = state.templates.phrase("staff_decision.status_link", &[]);
    let data = notices::with_request_facts(state, &row, decision.notice.clone(), &placeholder);
    let person_email = emails::subject_email(state, conn, id)?;
    let requester = emails::requester_email(state, conn, id)?;
    let words = state.words(row.language.as_deref());
    let message = emails::render(state, words, decision.action, &person_email, data)?;
    let agent_email = (requester != person_email).then_some(requester);
    Ok(Preview {
        decision,
        subject: message.subject,
        text: message.text,
        person_email,
        agent_email,
    })
}
