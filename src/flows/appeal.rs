//! The consumer appeals a refusal (US state laws): a request of its own, with its own
//! period, linked to the original.

use super::emails;
use super::handling::{not_allowed, required};
use super::links;
use super::reference::new_reference;
use super::request_change::{self as change, Entry};
use crate::db::models::identities::{self, IdentityRow};
use crate::db::models::requests::{self, NewRequest, RequestRow, DETAILS_CONTEXT};
use crate::db::{write_tx, DbConn};
use crate::domain::deadlines;
use crate::domain::decisions::{self, Outcome};
use crate::domain::kinds::RequestKind;
use crate::domain::source::Source;
use crate::domain::state::Status;
use crate::error::AppError;
use crate::i18n::{key, msg};
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::json;

/// Opens the appeal of request `request_id`. Returns the new status-link secret.
pub fn appeal(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let reason = required(reason, key("errors.what.appeal_reason"), 5000)?;
    write_tx(conn, |conn| {
        let original = requests::find(conn, request_id)?;
        let in_part = original.outcome == Some(Outcome::Part);
        if !decisions::answer_can_be_appealed(
            original.regime,
            original.kind,
            original.status,
            in_part,
        ) {
            return Err(not_allowed(key("errors.actions.appeal")));
        }
        if requests::has_appeal(conn, &original.id)? {
            return Err(AppError::Conflict(msg("errors.already_appealed")));
        }
        let row = appeal_row(state, conn, &original, &reason, now)?;
        requests::insert(conn, &row)?;
        copy_identities(state, conn, &original.id, &row.id, now)?;
        let appealed = Entry::new("consumer", "appealed", json!({"appeal_id": row.id}));
        change::record(conn, &original.id, appealed, now)?;
        let detail = json!({"appeal_of": original.id, "due_on": row.due_on});
        change::opened(
            state,
            conn,
            &row,
            Entry::new("consumer", "appeal_submitted", detail),
            now,
        )?;
        let (secret, status_url) = links::status_link(state, conn, &row.id, now)?;
        let to = emails::requester_email(state, conn, &row.id)?;
        let data = json!({
            "reference": row.reference, "original_reference": original.reference,
            "due_on": state.words(row.language.as_deref()).date(row.due_on), "status_url": status_url,
        });
        emails::queue(state, conn, &row.id, "appeal_received", &to, data, now)?;
        Ok(secret)
    })
}

/// The appeal's own row: verified as the original was, in the hands of the same staff.
fn appeal_row(
    state: &AppState,
    conn: &mut DbConn,
    original: &RequestRow,
    reason: &str,
    now: NaiveDateTime,
) -> Result<RequestRow, AppError> {
    let dl = deadlines::compute(
        original.regime,
        RequestKind::Appeal.track(),
        now.date(),
        0,
        &state.holidays,
    );
    let details = crate::domain::intake::RequestDetails {
        details: reason.to_string(),
        ..Default::default()
    };
    let details = serde_json::to_string(&details).map_err(AppError::internal)?;
    let mut row = RequestRow::new(
        NewRequest {
            reference: new_reference(conn)?,
            kind: RequestKind::Appeal,
            jurisdiction: original.jurisdiction,
            status: Status::EmailVerified,
            source: Source::StatusPage,
            received_at: now,
            due_on: dl.respond_by,
            acknowledge_by: None,
            details_enc: state.cipher.encrypt(DETAILS_CONTEXT, &details),
            submission_key: crate::crypto::tokens::hash(&format!("appeal:{}", original.id)),
            // Answered in the language the refused request was filed in.
            language: original.language.clone(),
        },
        now,
    );
    // The appeal answers to the law the refusal was made under.
    row.regime = original.regime;
    row.verified_at = original.verified_at;
    row.assignee_id = original.assignee_id.clone();
    row.verification_level = original.verification_level;
    row.verification_detail = original.verification_detail.clone();
    row.appeal_of = Some(original.id.clone());
    Ok(row)
}

/// The same person: their identities, re-encrypted under fresh nonces.
fn copy_identities(
    state: &AppState,
    conn: &mut DbConn,
    from: &str,
    to: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let copies: Vec<IdentityRow> = identities::for_request(conn, from)?
        .into_iter()
        .map(|i| -> Result<IdentityRow, AppError> {
            let plain = state
                .cipher
                .decrypt(identities::VALUE_CONTEXT, &i.value_enc)
                .map_err(AppError::internal)?;
            Ok(IdentityRow {
                id: crate::clock::new_id(),
                request_id: to.to_string(),
                kind: i.kind,
                value_enc: state.cipher.encrypt(identities::VALUE_CONTEXT, &plain),
                blind_index: i.blind_index,
                created_at: now,
            })
        })
        .collect::<Result<_, _>>()?;
    identities::insert_all(conn, &copies)?;
    Ok(())
}
