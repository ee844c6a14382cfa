//! The notice a request's change sends its requester, with a fresh status link.

use super::{emails, links};
use crate::db::models::requests::RequestRow;
use crate::db::DbConn;
use crate::error::AppError;
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::Value;

/// Queues `template` for the requester, with the request's reference, kind, status
/// link and complaint authority added to `data`; the outcome of what an agent asked
/// for goes to the consumer too.
pub fn notify(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    template: &str,
    data: Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (_, status_url) = links::status_link(state, conn, &row.id, now)?;
    let data = with_request_facts(state, row, data, &status_url);
    let to = emails::requester_email(state, conn, &row.id)?;
    emails::queue(state, conn, &row.id, template, &to, data.clone(), now)?;
    if matches!(template, "fulfilled" | "denied") {
        let consumer = emails::subject_email(state, conn, &row.id)?;
        if consumer != to {
            emails::queue(state, conn, &row.id, template, &consumer, data, now)?;
        }
    }
    Ok(())
}

/// `data` with what every notice says of its request: the reference, kind, status link
/// and complaint authority. The confirmation page of a decision renders the same.
pub fn with_request_facts(
    state: &AppState,
    row: &RequestRow,
    mut data: Value,
    status_url: &str,
) -> Value {
    if let Value::Object(map) = &mut data {
        map.insert("reference".into(), row.reference.clone().into());
        map.insert(
            "kind_label".into(),
            state
                .words(row.language.as_deref())
                .label(row.kind.label_key())
                .into(),
        );
        map.insert("status_url".into(), status_url.into());
        // Complaints go to the authority of the place the person lives.
        map.insert(
            "authority".into(),
            state
                .settings
                .organisation
                .complaint_authority(
                    row.jurisdiction.as_str(),
                    state.words(row.language.as_deref()),
                )
                .into(),
        );
    }
    data
}
