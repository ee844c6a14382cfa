//! Retention: some time after a request closes (default 24 months, CCPA §7101), its
//! personal data goes — identities, details, notes, messages, links — while the record
//! the law asks to keep stays: dates, kind, manner, response and basis of a denial.
//! An authorized agent's details, their proof of authority and a DRP agent's identity
//! claims go too; that an agent acted, and under which authority, stays in the record.

use crate::db::models::drp::CLAIMS_CONTEXT;
use crate::db::models::notes;
use crate::db::models::request_agents::AGENT_CONTEXT;
use crate::db::schema::{
    connector_runs, drp_requests, exports, outbox, request_agents, request_identities,
    request_pauses, requests as r, tokens,
};
use crate::db::{write_tx, DbConn};
use crate::error::AppError;
use crate::flows::actors;
use crate::flows::request_change::{self, Entry};
use crate::state::AppState;
use chrono::{Months, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

pub fn purge_expired(
    state: &AppState,
    conn: &mut DbConn,
    now: NaiveDateTime,
    batch: i64,
) -> Result<usize, AppError> {
    let months = state.settings.staff.retention_months;
    let Some(cutoff) = now.checked_sub_months(Months::new(months)) else {
        return Ok(0);
    };
    let ids: Vec<String> = r::table
        .filter(r::closed_at.lt(cutoff))
        .filter(r::purged_at.is_null())
        .order(r::closed_at.asc())
        .limit(batch)
        .select(r::id)
        .load(conn)?;
    for id in &ids {
        write_tx(conn, |conn| -> Result<(), AppError> {
            let removed = diesel::delete(
                request_identities::table.filter(request_identities::request_id.eq(id)),
            )
            .execute(conn)?;
            diesel::delete(tokens::table.filter(tokens::request_id.eq(id))).execute(conn)?;
            notes::delete_for_request(conn, id)?;
            crate::db::models::messages::delete_for_request(conn, id)?;
            diesel::delete(request_pauses::table.filter(request_pauses::request_id.eq(id)))
                .execute(conn)?;
            // Exported records and packages are the person's data too.
            diesel::delete(exports::table.filter(exports::request_id.eq(id))).execute(conn)?;
            diesel::update(connector_runs::table.filter(connector_runs::request_id.eq(id)))
                .set(connector_runs::result_enc.eq(None::<String>))
                .execute(conn)?;
            // The agent's name and email become empty values (the columns are required,
            // and every reader decrypts them); the authority stays for the record.
            diesel::update(request_agents::table.find(id))
                .set((
                    request_agents::agent_name_enc.eq(state.cipher.encrypt(AGENT_CONTEXT, "")),
                    request_agents::agent_email_enc.eq(state.cipher.encrypt(AGENT_CONTEXT, "")),
                    request_agents::agent_email_index.eq(None::<String>),
                    request_agents::organisation_enc.eq(None::<String>),
                    request_agents::registration_number_enc.eq(None::<String>),
                ))
                .execute(conn)?;
            let documents_removed = crate::db::models::documents::delete_contents(conn, id, now)?;
            diesel::update(drp_requests::table.find(id))
                .set((
                    drp_requests::claims_enc.eq(state.cipher.encrypt(CLAIMS_CONTEXT, "{}")),
                    drp_requests::results_url_enc.eq(None::<String>),
                    drp_requests::verification_url_enc.eq(None::<String>),
                ))
                .execute(conn)?;
            // Queued messages hold the address; anything still unsent is moot by now.
            diesel::delete(outbox::table.filter(outbox::request_id.eq(id))).execute(conn)?;
            diesel::update(r::table.find(id))
                .set((
                    r::details_enc.eq(None::<String>),
                    r::extension_reason_enc.eq(None::<String>),
                    r::response_enc.eq(None::<String>),
                    r::purged_at.eq(now),
                ))
                .execute(conn)?;
            let detail = json!({
                "identities": removed,
                "documents": documents_removed,
                "retention_months": months,
            });
            let entry = Entry::internal(actors::SYSTEM, "personal_data_removed", detail);
            request_change::record(conn, id, entry, now)
        })?;
    }
    Ok(ids.len())
}
