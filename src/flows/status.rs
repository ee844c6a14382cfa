//! The consumer's view of their request, reached through the status link.

use super::links::status_link_opens;
use super::verification::{inspect, LinkState};
use crate::db::models::audit;
use crate::db::models::requests::RequestRow;
use crate::db::models::tokens::Purpose;
use crate::db::DbConn;
use crate::error::AppError;
use crate::i18n::key;
use crate::languages::Choice;
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct StatusView {
    #[serde(skip)]
    pub request_id: String,
    /// The language the request was filed in: the page speaks it unless the person
    /// chose another (`languages::Choice::about_request`).
    #[serde(skip)]
    pub language: Option<String>,
    pub reference: String,
    pub kind: &'static str,
    /// Catalogue keys, put into words by the page (`{{t request.kind_label_key}}`).
    pub kind_label_key: &'static str,
    pub regime: &'static str,
    pub regime_label_key: &'static str,
    pub status: &'static str,
    /// The badge's colour class: the status, or `fulfilled_in_part`, which is no
    /// green "done".
    pub badge: &'static str,
    /// Fulfilled only in part: some of it was refused.
    pub in_part: bool,
    pub step_key: &'static str,
    pub open: bool,
    pub received_on: String,
    pub received_at: NaiveDateTime,
    pub due_on: String,
    pub due_date: chrono::NaiveDate,
    pub extended: bool,
    pub can_withdraw: bool,
    pub can_appeal: bool,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    pub at: NaiveDateTime,
    pub date: String,
    pub text_key: &'static str,
}

/// The consumer's wording of the audit actions they may see (a catalogue key).
fn describe(action: &str) -> &'static str {
    match action {
        "request_submitted" => key("status_events.request_submitted"),
        "email_verified" => key("status_events.email_verified"),
        "accepted_without_verification" => key("status_events.accepted_without_verification"),
        "closed_unverified" => key("status_events.closed_unverified"),
        "acknowledged" => key("status_events.acknowledged"),
        "identity_verified" => key("status_events.identity_verified"),
        "information_requested" => key("status_events.information_requested"),
        "information_received" => key("status_events.information_received"),
        "message_sent" => key("status_events.message_sent"),
        "message_received" => key("status_events.message_received"),
        "extended" => key("status_events.extended"),
        "denied" => key("status_events.denied"),
        "fulfilled" => key("status_events.fulfilled"),
        "withdrawn" => key("status_events.withdrawn"),
        "appealed" => key("status_events.appealed"),
        "appeal_submitted" => key("status_events.appeal_submitted"),
        "email_address_changed" => key("status_events.email_address_changed"),
        _ => key("status_events.other"),
    }
}

pub enum StatusLookup {
    Found(Box<StatusView>),
    Expired,
    Unknown,
}

/// The request behind a status link, if the link still opens. Status links are
/// reusable, and their lifetime is the request's (`links::status_link_opens`), not the
/// date stored with the token.
pub fn request_behind(
    state: &AppState,
    conn: &mut DbConn,
    presented: &str,
    now: NaiveDateTime,
) -> Result<Result<RequestRow, StatusLookup>, AppError> {
    let request = match inspect(conn, Purpose::Status, presented, now)? {
        LinkState::Valid(_, r) | LinkState::Used(r) | LinkState::Expired(r) => r,
        LinkState::Unknown => return Ok(Err(StatusLookup::Unknown)),
    };
    if !status_link_opens(&state.settings.verification, &request, now) {
        return Ok(Err(StatusLookup::Expired));
    }
    Ok(Ok(request))
}

pub fn view(
    state: &AppState,
    conn: &mut DbConn,
    presented: &str,
    now: NaiveDateTime,
    page: &Choice,
) -> Result<StatusLookup, AppError> {
    let request = match request_behind(state, conn, presented, now)? {
        Ok(r) => r,
        Err(lookup) => return Ok(lookup),
    };
    let templates = page
        .about_request(&state.languages, request.language.as_deref())
        .words(&state.languages);
    let (kind, regime, status) = (request.kind, request.regime, request.status);
    let in_part = request.outcome == Some(crate::domain::decisions::Outcome::Part);
    let timeline = audit::for_request(conn, &request.id, true)?
        .into_iter()
        .map(|e| TimelineEntry {
            at: e.created_at,
            date: templates.date_time(e.created_at),
            text_key: match e.action.as_str() {
                "fulfilled" if in_part => key("status_events.fulfilled_in_part"),
                other => describe(other),
            },
        })
        .collect();
    let can_appeal =
        crate::domain::decisions::answer_can_be_appealed(regime, kind, status, in_part)
            && !crate::db::models::requests::has_appeal(conn, &request.id)?;
    Ok(StatusLookup::Found(Box::new(StatusView {
        request_id: request.id.clone(),
        language: request.language.clone(),
        can_withdraw: status.is_open(),
        can_appeal,
        reference: request.reference,
        kind: kind.as_str(),
        kind_label_key: kind.label_key(),
        regime: regime.as_str(),
        regime_label_key: regime.label_key(),
        status: status.as_str(),
        badge: if in_part {
            "fulfilled_in_part"
        } else {
            status.as_str()
        },
        in_part,
        step_key: if in_part {
            key("status_steps.fulfilled_in_part")
        } else {
            status.consumer_step_key()
        },
        open: status.is_open(),
        received_on: templates.date(request.received_at.date()),
        received_at: request.received_at,
        due_on: templates.date(request.due_on),
        due_date: request.due_on,
        extended: request.extended,
        timeline,
    })))
}
