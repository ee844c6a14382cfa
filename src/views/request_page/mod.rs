//! The staff page of one request: everything known about it and the actions the state
//! machine allows right now (each form carries the version the page was built from).

mod agent;
mod conversation;
pub mod guidance;
pub mod reply_picker;
mod systems;

use super::actor_names::ActorNames;
use super::event_words::Wording;
use crate::db::models::requests::DETAILS_CONTEXT;
use crate::db::models::{audit, identities, notes, requests, staff};
use crate::db::DbConn;
use crate::domain::decisions;
use crate::domain::intake::RequestDetails;
use crate::domain::staff_actions::{self, RequestActions, RequestFacts};
use crate::domain::state::Status;
use crate::domain::{deadlines, email_domain};
use crate::error::AppError;
use crate::flows::handling;
use crate::state::AppState;
use crate::templates::Templates;
use agent::{AgentPanel, ClaimLine, DocumentLine};
use chrono::NaiveDate;
use guidance::NextStepView;
pub use guidance::{FormError, DRAFTED};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use systems::SystemPanel;

/// The template's context of `pages/staff/request`.
#[derive(Serialize)]
pub struct RequestPage {
    title: String,
    r: RequestSummary,
    identities: Vec<IdentityLine>,
    systems: Vec<SystemPanel>,
    can_send_package: bool,
    has_systems: bool,
    details: RequestDetails,
    timeline: Vec<TimelineEntry>,
    notes: Vec<NoteLine>,
    assignees: Vec<AssigneeOption>,
    unassigned: bool,
    actions: RequestActions,
    methods: Vec<Choice>,
    points: Vec<Choice>,
    reasons: Vec<Choice>,
    gdpr_refusal: bool,
    closed_status: bool,
    awaiting_consumer: bool,
    agent: Option<AgentPanel>,
    agent_claims: Vec<ClaimLine>,
    documents: Vec<DocumentLine>,
    conversation: conversation::ConversationPanel,
    /// Manual systems: their tasks for this request, and what is still open.
    manual: crate::views::manual_tasks::RequestPanel,
    /// The message of the action that led here, shown once.
    pub flash: Option<String>,
    /// "Use a saved reply" (`reply_picker`), with the reply chosen (`?reply=`).
    pub reply_picker: reply_picker::ReplyPicker,
    /// The one thing to do next, and where on the page it is done.
    next_step: Option<NextStepView>,
    /// Text to put back in the page's textareas, by textarea id (what was typed before
    /// an error or a colliding edit, or a saved reply). Always present, maybe empty.
    pub drafts: BTreeMap<String, String>,
    /// Why the last form was not accepted, and which form it was.
    pub form_error: FormError,
    /// The refusal reason and the "in part" box as last chosen.
    pub chosen_reason: String,
    pub in_part_checked: bool,
}

#[derive(Serialize)]
struct RequestSummary {
    id: String,
    reference: String,
    version: i64,
    kind: String,
    kind_code: &'static str,
    regime: String,
    jurisdiction: String,
    status: &'static str,
    status_label: String,
    open: bool,
    source: String,
    gpc: bool,
    /// The language its emails are written in: its code and its name in itself.
    language_code: String,
    language: String,
    received_at: String,
    acknowledge_by: Option<String>,
    acknowledged_at: Option<String>,
    respond_by: String,
    extended_respond_by: Option<String>,
    due_on: String,
    days_left: i64,
    extended: bool,
    extension_reason: String,
    paused_days: i64,
    verified_email_at: Option<String>,
    verified_by_agent: bool,
    verification_level: Option<String>,
    verification: Value,
    outcome: Option<crate::domain::decisions::Outcome>,
    denial_code: Option<String>,
    response: String,
    appeal_of: Option<String>,
    purged: bool,
}

#[derive(Serialize)]
struct IdentityLine {
    kind: String,
    value: String,
    domain: Option<DomainView>,
}

/// An international domain as staff see it beside the address: its ASCII form, and
/// whether its letters mix scripts (a look-alike of another domain).
#[derive(Serialize)]
struct DomainView {
    ascii: String,
    mixed_scripts: bool,
}

impl From<email_domain::Shown> for DomainView {
    fn from(d: email_domain::Shown) -> DomainView {
        DomainView {
            ascii: d.ascii,
            mixed_scripts: d.mixed_scripts,
        }
    }
}

#[derive(Serialize)]
struct TimelineEntry {
    at: String,
    actor: String,
    action: String,
    to: Option<String>,
    to_code: Option<String>,
    #[serde(skip)]
    code: String,
    detail: Option<String>,
    visible: bool,
}

#[derive(Serialize)]
struct NoteLine {
    author: String,
    at: String,
    body: String,
}

#[derive(Serialize)]
struct AssigneeOption {
    id: String,
    email: String,
    selected: bool,
}

/// One option of a select or a checkbox list.
#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: String,
}

/// Reads the request `id` as its staff page shows it on `today`.
pub fn load(
    state: &AppState,
    conn: &mut DbConn,
    id: &str,
    today: NaiveDate,
    reply: Option<&str>,
) -> Result<RequestPage, AppError> {
    let t = &state.templates;
    let row = requests::find(conn, id)?;
    let details: RequestDetails = match &row.details_enc {
        Some(_) => serde_json::from_str(&decrypted(state, DETAILS_CONTEXT, &row.details_enc)?)
            .unwrap_or_default(),
        None => RequestDetails::default(),
    };
    let dl = handling::deadlines_of(state, conn, &row)?;
    let agent = agent::load(state, conn, &row.id)?;
    let facts = RequestFacts {
        acknowledged: row.acknowledged_at.is_some(),
        extended: row.extended,
        extension_possible: deadlines::can_extend(&dl, today),
    };
    let choices = |all: &[(&'static str, &'static str)]| -> Vec<Choice> {
        all.iter()
            .map(|(value, label)| Choice {
                value,
                label: t.label(label),
            })
            .collect()
    };
    let r = summary(state, &row, &dl, today, agent.verified_by_agent)?;
    let systems = systems::load(state, conn, &row.id, row.kind, row.status)?;
    let timeline = timeline(t, conn, &row)?;
    let can_send_package = crate::flows::package::can_send(&row);
    let package_sent = timeline.iter().any(|e| e.code == guidance::PACKAGE_SENT);
    let next = guidance::next_step_of(&row, &systems, package_sent);
    // A saved reply chosen (`?reply=`) fills its box; every other box starts empty.
    let (reply_picker, chosen) = reply_picker::load(state, conn, &row, reply)?;
    let mut drafts = guidance::empty_drafts();
    drafts.extend(chosen);
    Ok(RequestPage {
        next_step: next.map(|n| NextStepView {
            text: t.phrase(n.label_key(), &[]),
            anchor: n.anchor(),
        }),
        drafts,
        form_error: FormError::default(),
        chosen_reason: String::new(),
        in_part_checked: false,
        title: t.phrase("titles.staff_request", &[("reference", &row.reference)]),
        identities: identity_lines(state, conn, &row.id)?,
        systems,
        can_send_package,
        has_systems: !state.connectors.is_empty(),
        details,
        timeline,
        notes: note_lines(state, conn, &row.id)?,
        assignees: staff::active_handlers(conn)?
            .into_iter()
            .map(|s| AssigneeOption {
                selected: row.assignee_id.as_deref() == Some(s.id.as_str()),
                id: s.id,
                email: s.email,
            })
            .collect(),
        unassigned: row.assignee_id.is_none(),
        actions: staff_actions::request_actions(row.status, facts),
        methods: choices(decisions::METHODS),
        points: choices(decisions::DATA_POINTS),
        reasons: decisions::denial_reasons(row.regime)
            .iter()
            .map(|r| Choice {
                value: r.code,
                label: t.label(r.label_key),
            })
            .collect(),
        gdpr_refusal: decisions::refusal_names_complaint_rights(row.regime),
        closed_status: staff_actions::shows_closing(row.status),
        awaiting_consumer: row.status == Status::AwaitingConsumer,
        agent: agent.panel,
        agent_claims: agent.claims,
        documents: agent.documents,
        conversation: conversation::load(state, conn, &row)?,
        manual: crate::views::manual_tasks::request_panel(state, conn, &row, "", today)?,
        r,
        flash: None,
        reply_picker,
    })
}

/// The request itself: its codes in words, its dates and what was decided.
fn summary(
    state: &AppState,
    row: &requests::RequestRow,
    dl: &deadlines::Deadlines,
    today: NaiveDate,
    verified_by_agent: bool,
) -> Result<RequestSummary, AppError> {
    let t = &state.templates;
    // The language the person's emails are written in.
    let filed_in = state.words(row.language.as_deref());
    Ok(RequestSummary {
        id: row.id.clone(),
        reference: row.reference.clone(),
        version: row.version,
        kind: t.label(row.kind.label_key()),
        kind_code: row.kind.as_str(),
        regime: t.label(row.regime.label_key()),
        jurisdiction: t.label(row.jurisdiction.label_key()),
        status: row.status.as_str(),
        status_label: t.label(row.status.label_key()),
        open: row.status.is_open(),
        source: t.label(row.source.label_key()),
        gpc: row.gpc,
        language_code: filed_in.language().to_string(),
        language: filed_in.language_name(),
        received_at: t.timestamp(row.received_at),
        acknowledge_by: row.acknowledge_by.map(|d| d.to_string()),
        acknowledged_at: row.acknowledged_at.map(|d| t.timestamp(d)),
        respond_by: dl.respond_by.to_string(),
        extended_respond_by: dl.extended_respond_by.map(|d| d.to_string()),
        due_on: row.due_on.to_string(),
        days_left: deadlines::days_left(row.due_on, today),
        extended: row.extended,
        extension_reason: decrypted(
            state,
            handling::EXTENSION_CONTEXT,
            &row.extension_reason_enc,
        )?,
        paused_days: row.paused_days,
        verified_email_at: row.verified_at.map(|d| t.timestamp(d)),
        // `verified_at` records the click on the verification link, which went to the
        // agent when the person is not asked: say whose address that proved.
        verified_by_agent,
        verification_level: row.verification_level.map(|l| t.label(l.label_key())),
        verification: row
            .verification_detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(Value::Null),
        outcome: row.outcome,
        denial_code: row.denial_code.as_deref().map(|c| {
            decisions::denial_reason(row.regime, c)
                .map_or_else(|| c.to_string(), |r| t.label(r.label_key))
        }),
        response: decrypted(state, handling::RESPONSE_CONTEXT, &row.response_enc)?,
        appeal_of: row.appeal_of.clone(),
        purged: row.purged_at.is_some(),
    })
}

/// A stored encrypted text, or empty when there is none.
fn decrypted(state: &AppState, context: &str, v: &Option<String>) -> Result<String, AppError> {
    v.as_deref().map_or(Ok(String::new()), |v| {
        state.cipher.decrypt(context, v).map_err(AppError::internal)
    })
}

fn identity_lines(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<Vec<IdentityLine>, AppError> {
    identities::for_request(conn, request_id)?
        .into_iter()
        .map(|i| {
            let value = state
                .cipher
                .decrypt(identities::VALUE_CONTEXT, &i.value_enc)
                .map_err(AppError::internal)?;
            let domain = (i.kind == "email")
                .then(|| email_domain::shown(&value))
                .flatten()
                .map(DomainView::from);
            Ok(IdentityLine {
                kind: identity_label(state, &i.kind),
                value,
                domain,
            })
        })
        .collect()
}

/// What staff read for a stored identity's kind: the email and name the form asks
/// for, or the label the organisation gave one of its own identifiers.
fn identity_label(state: &AppState, kind: &str) -> String {
    match kind {
        "email" => state.templates.phrase("staff_request.identity_email", &[]),
        "name" => state.templates.phrase("staff_request.identity_name", &[]),
        other => state
            .settings
            .identifiers
            .iter()
            .find(|i| i.name == other)
            .map_or_else(|| other.to_string(), |i| i.label.clone()),
    }
}

fn timeline(
    t: &Templates,
    conn: &mut DbConn,
    row: &requests::RequestRow,
) -> Result<Vec<TimelineEntry>, AppError> {
    let actors = ActorNames::load(conn)?;
    let words = Wording {
        t,
        actors: &actors,
        regime: row.regime,
    };
    Ok(audit::for_request(conn, &row.id, false)?
        .into_iter()
        .map(|e| TimelineEntry {
            at: t.timestamp(e.created_at),
            actor: actors.name(t, &e.actor),
            detail: words.sentence(&e.action, &e.detail),
            action: t.audit_action(&e.action),
            to: e.to_status.as_deref().map(|s| t.status(s)),
            to_code: e.to_status,
            visible: e.consumer_visible,
            code: e.action,
        })
        .collect())
}

fn note_lines(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<Vec<NoteLine>, AppError> {
    notes::for_request(conn, request_id)?
        .into_iter()
        .map(|(author, body, at)| {
            Ok(NoteLine {
                author,
                at: state.templates.timestamp(at),
                body: state
                    .cipher
                    .decrypt(notes::BODY_CONTEXT, &body)
                    .map_err(AppError::internal)?,
            })
        })
        .collect()
}
