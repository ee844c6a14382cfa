//! The `user_verification_url` of a DRP request waiting for the person (DRP §3.02.1):
//! a public page, `/requests/confirm/{handle}`, where whoever the agent sends there
//! can have the usual email link sent again to the address on the request.
//!
//! The handle is a random token (only its SHA-256 hash is stored, with purpose
//! `drp_verification`), so the URL cannot be guessed and says nothing about the
//! request. Every status answer must carry the same URL, so the URL itself is kept
//! encrypted on the DRP request, as the results link is. The page shows nothing of the
//! request and its button answers the same whatever happened; the confirmation itself
//! is the email link, which proves possession of the address as for any request.

use super::actors;
use super::links::issue_token;
use super::request_change::Entry;
use crate::db::models::drp::{self as rows, DrpRequestRow, VERIFICATION_URL_CONTEXT};
use crate::db::models::tokens::Purpose;
use crate::db::{write_tx, DbConn};
use crate::error::AppError;
use crate::flows::verification::{self, LinkState};
use crate::state::AppState;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

/// The request's verification URL, issued (and audited) the first time it is needed.
pub fn url_for(
    state: &AppState,
    conn: &mut DbConn,
    drp: &DrpRequestRow,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    if let Some(enc) = &drp.verification_url_enc {
        return state
            .cipher
            .decrypt(VERIFICATION_URL_CONTEXT, enc)
            .map_err(AppError::internal);
    }
    write_tx(conn, |conn| {
        // The wait ends when unconfirmed requests close; the handle with it.
        let days = state.settings.verification.close_unverified_after_days + 1;
        let handle = issue_token(
            conn,
            &drp.request_id,
            Purpose::DrpVerification,
            now + Duration::days(days),
            now,
        )?;
        let url = format!("{}/requests/confirm/{handle}", state.public_url);
        rows::set_verification_url(
            conn,
            &drp.request_id,
            &state.cipher.encrypt(VERIFICATION_URL_CONTEXT, &url),
        )?;
        let entry = Entry::internal(
            actors::SYSTEM,
            "drp_verification_url_issued",
            json!({"agent": drp.agent_id}),
        );
        super::request_change::record(conn, &drp.request_id, entry, now)?;
        Ok(url)
    })
}

/// Whether the page may be shown for `handle`: a live handle, and — when the agent
/// passed the `request_id` the spec asks it to add — the request it was issued for.
pub fn page_allowed(
    conn: &mut DbConn,
    handle: &str,
    request_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(
        match verification::inspect(conn, Purpose::DrpVerification, handle, now)? {
            LinkState::Valid(token, _) => request_id.is_none_or(|id| id == token.request_id),
            LinkState::Expired(_) | LinkState::Used(_) | LinkState::Unknown => false,
        },
    )
}

/// The page's button: a fresh email link while the address is unconfirmed, a status
/// link once it is, nothing for a closed request or an unknown handle (the resend
/// flow's rules, audited there as `link_resent`).
pub fn send_link(
    state: &AppState,
    conn: &mut DbConn,
    handle: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    verification::resend(state, conn, Purpose::DrpVerification, handle, now)
}
