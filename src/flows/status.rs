//! The consumer's view of their request, reached through the status link.

use super::verification::{inspect, LinkState};
use crate::db::models::audit;
use crate::db::models::tokens::Purpose;
use crate::db::DbConn;
use crate::domain::deadlines::Regime;
use crate::domain::kinds::RequestKind;
use crate::domain::state::Status;
use crate::error::AppError;
use chrono::NaiveDateTime;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct StatusView {
    #[serde(skip)]
    pub request_id: String,
    pub reference: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub regime: &'static str,
    pub regime_label: &'static str,
    pub status: &'static str,
    pub step: &'static str,
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
    pub text: &'static str,
}

/// Consumer wording for audit actions they may see.
fn describe(action: &str) -> &'static str {
    match action {
        "request_submitted" => "We received your request.",
        "email_verified" => "You confirmed your email address.",
        "accepted_without_verification" => {
            "Your opt-out was accepted; no proof of identity is needed."
        }
        "closed_unverified" => {
            "The request closed because the email address was not confirmed in time."
        }
        "acknowledged" => "We confirmed that we received your request.",
        "identity_verified" => "We verified your identity and started work.",
        "information_requested" => "We asked you for more information.",
        "information_received" => "We received the information we asked for and resumed work.",
        "extended" => "We extended the time to answer and told you why.",
        "denied" => "We could not complete your request and told you why.",
        "fulfilled" => "We completed your request.",
        "withdrawn" => "You withdrew the request.",
        "appealed" => "You appealed our decision.",
        "appeal_submitted" => "We received your appeal.",
        _ => "Your request was updated.",
    }
}

pub enum StatusLookup {
    Found(Box<StatusView>),
    Expired,
    Unknown,
}

pub fn view(
    conn: &mut DbConn,
    presented: &str,
    now: NaiveDateTime,
) -> Result<StatusLookup, AppError> {
    let request = match inspect(conn, Purpose::Status, presented, now)? {
        // Status links are reusable until they expire; `used` does not apply to them.
        LinkState::Valid(_, r) | LinkState::Used(r) => r,
        LinkState::Expired(_) => return Ok(StatusLookup::Expired),
        LinkState::Unknown => return Ok(StatusLookup::Unknown),
    };
    let bad = || AppError::internal(anyhow::anyhow!("stored request has unknown values"));
    let kind = RequestKind::parse(&request.kind).ok_or_else(bad)?;
    let regime = Regime::parse(&request.regime).ok_or_else(bad)?;
    let status = Status::parse(&request.status).ok_or_else(bad)?;
    let timeline = audit::for_request(conn, &request.id, true)?
        .into_iter()
        .map(|e| TimelineEntry {
            at: e.created_at,
            date: e.created_at.format("%-d %B %Y, %H:%M UTC").to_string(),
            text: describe(&e.action),
        })
        .collect();
    let can_appeal = status == Status::Denied
        && crate::domain::decisions::refusal_can_be_appealed(regime)
        && kind != RequestKind::Appeal
        && !crate::db::models::requests::has_appeal(conn, &request.id)?;
    Ok(StatusLookup::Found(Box::new(StatusView {
        request_id: request.id.clone(),
        can_withdraw: status.is_open(),
        can_appeal,
        reference: request.reference,
        kind: kind.as_str(),
        kind_label: kind.label(),
        regime: regime.as_str(),
        regime_label: regime.label(),
        status: status.as_str(),
        step: status.consumer_step(),
        open: status.is_open(),
        received_on: request.received_at.format("%-d %B %Y").to_string(),
        received_at: request.received_at,
        due_on: request.due_on.format("%-d %B %Y").to_string(),
        due_date: request.due_on,
        extended: request.extended,
        timeline,
    })))
}
