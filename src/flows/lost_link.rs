//! "Send me my status link": a person who lost the email (or whose link stopped
//! working) gives their address, and optionally a reference, and the portal sends a
//! fresh link for each request made from that address that a link still helps with:
//! a confirmation link while the email is unconfirmed, a status link while the
//! request is open or recently closed.
//!
//! The answer never depends on what was found (the page says the same for every
//! address, so nobody learns whose requests exist), and a link only ever goes to the
//! address on file, never to one merely typed: someone who types another person's
//! address sends that person their own link, nothing more.

use super::verification::send_fresh_link;
use crate::db::models::identities;
use crate::db::models::queue::by_reference;
use crate::db::models::requests::{self, RequestRow};
use crate::db::{write_tx, DbConn};
use crate::domain::intake::EmailAddress;
use crate::error::AppError;
use crate::state::AppState;
use chrono::NaiveDateTime;

/// At most this many links per ask: a person rarely has more open requests, and one
/// form post must not turn into a burst of mail.
const MAX_LINKS: usize = 10;

/// What the person typed.
pub struct LostLinkAsk {
    pub email: EmailAddress,
    /// A request reference (`DSR-…`), for an agent (whose own address is not indexed)
    /// or to ask for one request only.
    pub reference: Option<String>,
}

/// Sends the fresh links; returns how many went out (for tests and the log, never
/// for the page).
pub fn send(
    state: &AppState,
    conn: &mut DbConn,
    ask: &LostLinkAsk,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    write_tx(conn, |conn| {
        let mut sent = 0;
        for request in candidates(state, conn, ask)? {
            if sent == MAX_LINKS {
                break;
            }
            if !filed_from(state, conn, &request, &ask.email)? {
                continue;
            }
            if send_fresh_link(state, conn, &request, "lost_link_page", now)? {
                sent += 1;
            }
        }
        Ok(sent)
    })
}

/// The requests the ask could mean, newest first: the one with the reference, or
/// those whose subject's email has the address's blind index.
fn candidates(
    state: &AppState,
    conn: &mut DbConn,
    ask: &LostLinkAsk,
) -> Result<Vec<RequestRow>, AppError> {
    let ids = match &ask.reference {
        Some(reference) => by_reference(conn, reference)?,
        None => {
            let index = state.indexer.index("email", &ask.email.normalised());
            identities::requests_with_index(conn, &index)?
        }
    };
    let mut rows = ids
        .iter()
        .map(|id| requests::find(conn, id))
        .collect::<Result<Vec<_>, _>>()?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.received_at));
    Ok(rows)
}

/// Whether the typed address is the one the request's links go to (the web agent's
/// when an agent filed, else the person's). Compared case-insensitively, as mail
/// servers treat the domain and nearly all treat the local part.
fn filed_from(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    email: &EmailAddress,
) -> Result<bool, AppError> {
    if request.purged_at.is_some() {
        return Ok(false);
    }
    // A request taken by phone or letter may have no address at all.
    match super::emails::requester_email(state, conn, &request.id) {
        Ok(on_file) => Ok(EmailAddress::parse(&on_file)
            .is_ok_and(|on_file| on_file.normalised() == email.normalised())),
        Err(AppError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}
