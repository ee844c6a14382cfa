//! Proving email possession: the link's token is checked (hash lookup, single use,
//! expiry), the request moves to `email_verified`, and a status link is sent.

use super::actors;
use super::emails;
use super::links::{self, issue_token};
use super::request_change::{self as change, Entry, Refused};
use crate::crypto::tokens;
use crate::db::models::requests::{self, RequestRow};
use crate::db::models::tokens::{self as token_rows, Purpose, TokenRow};
use crate::db::{write_tx, DbConn};
use crate::domain::kinds::RequestKind;
use crate::domain::state::{Event, Status};
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use chrono::{Duration, NaiveDateTime};
use serde_json::{json, Value};

/// What a presented link turned out to be.
pub enum LinkState {
    Valid(TokenRow, RequestRow),
    Expired(RequestRow),
    Used(RequestRow),
    Unknown,
}

impl LinkState {
    /// The request behind the link, when there is one.
    pub fn request(&self) -> Option<&RequestRow> {
        match self {
            LinkState::Valid(_, r) | LinkState::Expired(r) | LinkState::Used(r) => Some(r),
            LinkState::Unknown => None,
        }
    }
}

pub fn inspect(
    conn: &mut DbConn,
    purpose: Purpose,
    presented: &str,
    now: NaiveDateTime,
) -> Result<LinkState, AppError> {
    let Some(hash) = tokens::hash_presented(presented) else {
        return Ok(LinkState::Unknown);
    };
    let Some(token) = token_rows::find_by_hash(conn, purpose, &hash)? else {
        return Ok(LinkState::Unknown);
    };
    if !tokens::same(&token.token_hash, &hash) {
        return Ok(LinkState::Unknown);
    }
    let request = requests::find(conn, &token.request_id)?;
    Ok(if token.used_at.is_some() {
        LinkState::Used(request)
    } else if token.expires_at <= now {
        LinkState::Expired(request)
    } else {
        LinkState::Valid(token, request)
    })
}

pub struct Verified {
    pub reference: String,
    /// An agent verified: the consumer has been asked to confirm.
    pub awaiting_consumer: bool,
    pub kind: RequestKind,
    pub status_secret: String,
    /// The language the request was filed in.
    pub language: Option<String>,
}

fn link_just_used() -> AppError {
    AppError::Conflict(msg("errors.link_just_used"))
}

/// Confirms the email of the request behind `presented`; Err(LinkProblem) when the
/// link is no longer good (the page then offers a new one).
pub fn confirm(
    state: &AppState,
    conn: &mut DbConn,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Result<Verified, LinkState>, AppError> {
    write_tx(conn, |conn| {
        let (token, request) = match inspect(conn, Purpose::VerifyEmail, presented, now)? {
            LinkState::Valid(t, r) => (t, r),
            other => return Ok(Err(other)),
        };
        let mut request = request;
        // An agent with a signed permission has proved their own email; the consumer
        // must still confirm directly that the agent may act for them.
        let consumer_must_confirm = super::agents::consumer_must_confirm(conn, &request.id)?;
        let (event, action) = if consumer_must_confirm {
            (Event::AgentEmailVerified, "agent_email_verified")
        } else {
            (Event::EmailVerified, "email_verified")
        };
        // The link went to whoever filed: under a power of attorney that is the agent.
        let agent_clicked =
            consumer_must_confirm || super::agents::web_agent_filed(conn, &request.id)?;
        let actor = if agent_clicked {
            actors::AGENT
        } else {
            actors::CONSUMER
        };
        let entry = Entry::new(actor, action, json!({"method": "email_link"}));
        match change::step(state, conn, &mut request, event, entry, now) {
            Ok(_) => {}
            // Closed or already past verification: the link has nothing left to do.
            Err(Refused::NotAllowed) => return Ok(Err(LinkState::Used(request))),
            Err(refused) => {
                return Err(refused.answer(link_just_used, link_just_used));
            }
        }
        if !token_rows::mark_used(conn, &token.id, now)? {
            return Err(link_just_used());
        }
        // The consumer's email counts as verified only once they confirm themselves.
        if !consumer_must_confirm {
            requests::mark_verified(conn, &request.id, now)?;
        }
        if consumer_must_confirm {
            super::agents::ask_consumer(state, conn, &request, now)?;
        } else {
            super::agents::tell_consumer_if_not_asked(state, conn, &request, now)?;
        }
        let acknowledgement = super::acknowledgement::on_confirmation(state, conn, &request, now)?;
        let status_secret = send_status_link(state, conn, &request, acknowledgement, now)?;
        Ok(Ok(Verified {
            awaiting_consumer: consumer_must_confirm,
            reference: request.reference,
            kind: request.kind,
            status_secret,
            language: request.language.clone(),
        }))
    })
}

/// Someone vouched for the requester's email (a DRP agent's attestation, or staff who
/// took the request by another channel and verify the person otherwise): the request
/// starts verified, audited as `actor` with `method`, and the requester gets the usual
/// confirmation with a status link.
pub fn accept_attested_email(
    state: &AppState,
    conn: &mut DbConn,
    request: &mut RequestRow,
    (actor, method): (&str, &str),
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let entry = Entry::new(actor, "email_verified", json!({"method": method}));
    change::step(state, conn, request, Event::EmailVerified, entry, now).map_err(|refused| {
        refused.answer(
            || AppError::internal(anyhow::anyhow!("an attested request is past verification")),
            || AppError::Conflict(msg("errors.request_changed")),
        )
    })?;
    requests::mark_verified(conn, &request.id, now)?;
    let acknowledgement = super::acknowledgement::on_confirmation(state, conn, request, now)?;
    send_status_link(state, conn, request, acknowledgement, now)?;
    Ok(())
}

/// Issues a single-use verification link (valid `email_link_hours`) and emails it.
pub fn send_verification_link(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    to: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let hours = state.settings.verification.email_link_hours;
    let secret = issue_token(
        conn,
        &request.id,
        Purpose::VerifyEmail,
        now + Duration::hours(hours),
        now,
    )?;
    let words = state.words(request.language.as_deref());
    emails::queue_in(
        state,
        conn,
        &request.id,
        words,
        "verify_email",
        to,
        json!({
            "reference": request.reference,
            "kind_label": words.label(request.kind.label_key()),
            "verify_url": format!("{}/verify/{secret}", state.public_url),
            "link_hours": hours,
        }),
        now,
    )
}

/// Issues a status link and emails it ("request_confirmed"), with the CCPA
/// acknowledgement when the confirmation gave one (`Value::Null` otherwise).
fn send_status_link(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    acknowledgement: Value,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let (secret, status_url) = links::status_link(state, conn, &request.id, now)?;
    let to = emails::requester_email(state, conn, &request.id)?;
    let words = state.words(request.language.as_deref());
    emails::queue(
        state,
        conn,
        &request.id,
        "request_confirmed",
        &to,
        json!({
            "reference": request.reference,
            "kind_label": words.label(request.kind.label_key()),
            "status_url": status_url,
            "due_on": words.date(request.due_on),
            "status_days": state.settings.verification.status_link_days_after_close,
            "acknowledgement": acknowledgement,
        }),
        now,
    )?;
    Ok(secret)
}

/// A fresh status link asked for by the requester ("status_link"): not the
/// confirmation again, which would thank them for confirming and restate the
/// acknowledgement.
fn send_fresh_status_link(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (_, status_url) = links::status_link(state, conn, &request.id, now)?;
    let to = emails::requester_email(state, conn, &request.id)?;
    let words = state.words(request.language.as_deref());
    emails::queue(
        state,
        conn,
        &request.id,
        "status_link",
        &to,
        json!({
            "reference": request.reference,
            "kind_label": words.label(request.kind.label_key()),
            "status_url": status_url,
            "status_days": state.settings.verification.status_link_days_after_close,
        }),
        now,
    )
}

/// "Send me a new link" from an expired or used link page. The page says the same
/// whatever happened, so it reveals nothing.
pub fn resend(
    state: &AppState,
    conn: &mut DbConn,
    purpose: Purpose,
    presented: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let request = match inspect(conn, purpose, presented, now)? {
            LinkState::Valid(_, r) | LinkState::Expired(r) | LinkState::Used(r) => r,
            LinkState::Unknown => return Ok(()),
        };
        send_fresh_link(state, conn, &request, "link_page", now)?;
        Ok(())
    })
}

/// Sends the requester the link that helps them now: a fresh verification link while
/// the email is unconfirmed, else a fresh status link while one would open (the
/// request is open or closed recently); nothing otherwise. Audited with `via`, the
/// page that asked; never the address. Returns whether a link went out.
pub fn send_fresh_link(
    state: &AppState,
    conn: &mut DbConn,
    request: &RequestRow,
    via: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let status = request.status;
    let purpose = if status == Status::Submitted {
        token_rows::retire_all(conn, &request.id, Purpose::VerifyEmail, now)?;
        let to = emails::requester_email(state, conn, &request.id)?;
        send_verification_link(state, conn, request, &to, now)?;
        "verify_email"
    } else if links::status_link_opens(&state.settings.verification, request, now) {
        send_fresh_status_link(state, conn, request, now)?;
        "status"
    } else {
        return Ok(false);
    };
    let entry = Entry::internal(
        actors::CONSUMER,
        "link_resent",
        json!({"purpose": purpose, "via": via}),
    );
    change::record(conn, &request.id, entry, now)?;
    Ok(true)
}
