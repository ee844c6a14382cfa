//! Filing a request: store it (personal fields encrypted), audit it, and queue the
//! email that follows — all in one transaction.

use super::actors;
use super::emails;
use super::links;
use super::reference::{no_free_reference, random_reference, ATTEMPTS};
use super::request_change::{self as change, Entry, Refused};
use crate::crypto::tokens;
use crate::db::models::identities::{self, IdentityRow, VALUE_CONTEXT};
use crate::db::models::requests::{self, NewRequest, RequestRow, DETAILS_CONTEXT};
use crate::db::{write_tx, DbConn};
use crate::domain::agent_filing::AgentFiling;
use crate::domain::deadlines::{self, Regime};
use crate::domain::intake::ValidIntake;
use crate::domain::kinds::RequestKind;
use crate::domain::runs::RunAction;
use crate::domain::source::Source;
use crate::domain::state::{Event, Status};
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

/// What the person is told after submitting.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The request's id: kept server-side (the session), never shown.
    pub id: String,
    pub reference: String,
    pub kind: RequestKind,
    pub regime: Regime,
    pub status: Status,
    pub due_on: NaiveDate,
    pub acknowledge_by: Option<NaiveDate>,
    /// False when this submission had been received before (double click, resubmit).
    pub created: bool,
}

/// Stores a validated request. `submission_key` makes the call idempotent: the same
/// key returns the request it created the first time.
pub fn submit(
    state: &AppState,
    conn: &mut DbConn,
    intake: &ValidIntake,
    source: Source,
    gpc: bool,
    submission_key: &str,
    now: NaiveDateTime,
) -> Result<Submitted, AppError> {
    let filing = Filing {
        agent: None,
        source,
        gpc,
        email_attested: false,
        body_digest: None,
        language: None,
    };
    submit_filing(state, conn, intake, &filing, submission_key, now)
}

/// How a request arrived, beyond its fields.
pub struct Filing<'a> {
    /// An authorized agent filing through the web, with their proof of authority.
    pub agent: Option<&'a AgentFiling>,
    pub source: Source,
    pub gpc: bool,
    /// A DRP agent attests that it verified the consumer's email (`email_verified`), so
    /// the portal does not send its own link; staff still decide on identity.
    pub email_attested: bool,
    /// For a client's own idempotency key (JSON API): the keyed digest of the canonical
    /// body it came with (`web::api::requests::body_digest`). None where the key is
    /// ours (form token, DRP replay id), so no body can differ under it.
    pub body_digest: Option<&'a str>,
    /// The language the person filed in (`None`: the default language); every email
    /// about the request is written in it.
    pub language: Option<&'a str>,
}

/// `submit` for any filing: the agent and their document are stored with the request,
/// and the agent (not the consumer) proves their email first.
pub fn submit_filing(
    state: &AppState,
    conn: &mut DbConn,
    intake: &ValidIntake,
    filing: &Filing<'_>,
    submission_key: &str,
    now: NaiveDateTime,
) -> Result<Submitted, AppError> {
    file(state, conn, intake, filing, None, submission_key, now)
}

/// `submit_filing`, or with `entered` a request staff enter from another channel: it
/// was received (and its deadlines run) from an earlier date, the staff member is the
/// actor, and they may have chosen to verify the person otherwise than by email link.
pub(super) fn file(
    state: &AppState,
    conn: &mut DbConn,
    intake: &ValidIntake,
    filing: &Filing<'_>,
    entered: Option<&super::manual_entry::Entered>,
    submission_key: &str,
    now: NaiveDateTime,
) -> Result<Submitted, AppError> {
    let (agent, source, gpc) = (filing.agent, filing.source, filing.gpc);
    let received_at = entered.map_or(now, |e| e.received_at);
    let key_hash = tokens::hash(submission_key);
    write_tx(conn, |conn| {
        let regime = intake.jurisdiction.regime();
        let dl = deadlines::compute(
            regime,
            intake.kind.track(),
            received_at.date(),
            0,
            &state.holidays,
        );
        let details = serde_json::to_string(&intake.details).map_err(AppError::internal)?;
        let mut row = RequestRow::new(
            NewRequest {
                reference: random_reference(),
                kind: intake.kind,
                jurisdiction: intake.jurisdiction,
                status: Status::Submitted,
                source,
                received_at,
                due_on: dl.respond_by,
                acknowledge_by: dl.acknowledge_by,
                details_enc: state.cipher.encrypt(DETAILS_CONTEXT, &details),
                submission_key: key_hash.clone(),
                language: filing.language.map(str::to_string),
            },
            now,
        );
        row.gpc = gpc;
        row.submission_body = filing.body_digest.map(str::to_owned);
        // Inserted before anything is looked up: a new submission, the usual case, then
        // costs one statement, which also proves its key and reference unused. (On
        // PostgreSQL it waits for another transaction inserting the same key, so a
        // concurrent retry finds the first one below instead of failing.)
        let mut attempts = 1;
        while !requests::insert_new(conn, &row)? {
            if let Some(existing) = requests::find_by_submission_key(conn, &key_hash)? {
                // A client's key answers a retry of its own body only: another body
                // under it is someone else's request (or a bug), and answering with this
                // one would hand them its reference and drop theirs. A row stored
                // without a digest (before digests were kept) cannot prove the body is
                // the same: refused too.
                if let Some(digest) = filing.body_digest {
                    if existing.submission_body.as_deref() != Some(digest) {
                        return Err(AppError::Unprocessable(msg(
                            "errors.idempotency_key_reused",
                        )));
                    }
                }
                return summary(&existing, false);
            }
            // Not the key: the random reference was taken.
            if attempts == ATTEMPTS {
                return Err(no_free_reference());
            }
            attempts += 1;
            row.reference = random_reference();
        }
        let id = row.id.clone();
        identities::insert_all(conn, &identity_rows(state, &id, intake, now))?;
        if let Some(filing) = agent {
            super::agents::store_filing(state, conn, &id, filing, intake.kind, now)?;
        }
        let actor = match (source, agent, entered) {
            (_, _, Some(e)) => e.actor.as_str(),
            (_, Some(_), None) => actors::AGENT,
            (Source::Web, None, None) => actors::CONSUMER,
            (Source::Api, None, None) => actors::API,
            (_, None, None) => actors::AGENT,
        };
        let detail = json!({
            "kind": row.kind, "jurisdiction": row.jurisdiction, "regime": row.regime,
            "source": row.source, "gpc": gpc, "due_on": row.due_on,
            "acknowledge_by": row.acknowledge_by,
            "agent_authority": agent.map(|a| a.agent.authority),
            "entered": entered.map(|e| e.audit_detail()),
        });
        change::opened(
            state,
            conn,
            &row,
            Entry::new(actor, "request_submitted", detail),
            now,
        )?;

        // The person who filed hears from us: the agent when there is one.
        let email = agent.map_or(intake.email.as_str(), |a| a.agent.email.as_str());
        if intake.kind.needs_verification() && filing.email_attested {
            let by = entered.map_or((actors::AGENT, "drp_agent_attestation"), |e| {
                (e.actor.as_str(), "staff_verify_otherwise")
            });
            super::verification::accept_attested_email(state, conn, &mut row, by, now)?;
        } else if intake.kind == RequestKind::OptIn {
            record_opt_in(state, conn, &mut row, now)?;
        } else if intake.kind.needs_verification() {
            super::verification::send_verification_link(state, conn, &row, email, now)?;
        } else {
            accept_opt_out(state, conn, &mut row, email, now)?;
        }
        summary(&row, true)
    })
}

/// Opt-out of sale/sharing needs no verification (CCPA §7026): work starts now, and
/// needs no staff decision: every connected system's opt-out runs at once.
fn accept_opt_out(
    state: &AppState,
    conn: &mut DbConn,
    row: &mut RequestRow,
    email: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let detail = json!({"reason": "opt_out_needs_no_verification", "gpc": row.gpc});
    change::step(
        state,
        conn,
        row,
        Event::AcceptedWithoutVerification,
        Entry::new(actors::SYSTEM, "accepted_without_verification", detail),
        now,
    )
    .map_err(Refused::unexpected)?;
    for name in state.connectors.keys() {
        super::connector_runs::insert_pending(
            conn,
            &row.id,
            name,
            RunAction::OptOut,
            None,
            actors::SYSTEM,
            now,
        )?;
    }
    let (_, status_url) = links::status_link(state, conn, &row.id, now)?;
    emails::queue(
        state,
        conn,
        &row.id,
        "opt_out_received",
        email,
        json!({
            "reference": row.reference,
            "status_url": status_url,
            "due_on": state.words(row.language.as_deref()).date(row.due_on),
            "gpc": row.gpc,
        }),
        now,
    )?;
    // An agent's opt-out takes effect now, and the person is never asked.
    super::agents::tell_consumer_if_not_asked(state, conn, row, now)
}

/// Renewed consent to sale/sharing needs no verification and no work: it is recorded,
/// and the request is complete at once.
fn record_opt_in(
    state: &AppState,
    conn: &mut DbConn,
    row: &mut RequestRow,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let steps = [
        (
            Event::AcceptedWithoutVerification,
            "accepted_without_verification",
        ),
        (Event::Fulfilled, "consent_renewed"),
    ];
    for (event, action) in steps {
        let detail = json!({"kind": row.kind});
        change::step(
            state,
            conn,
            row,
            event,
            Entry::new(actors::SYSTEM, action, detail),
            now,
        )
        .map_err(Refused::unexpected)?;
    }
    Ok(())
}

pub(super) fn summary(row: &RequestRow, created: bool) -> Result<Submitted, AppError> {
    Ok(Submitted {
        id: row.id.clone(),
        reference: row.reference.clone(),
        kind: row.kind,
        regime: row.regime,
        status: row.status,
        due_on: row.due_on,
        acknowledge_by: row.acknowledge_by,
        created,
    })
}

pub(super) fn identity_rows(
    state: &AppState,
    request_id: &str,
    intake: &ValidIntake,
    now: NaiveDateTime,
) -> Vec<IdentityRow> {
    let mut values: Vec<(&str, &str, Option<String>)> = Vec::new();
    values.push((
        "email",
        intake.email.as_str(),
        Some(state.indexer.index("email", &intake.email.normalised())),
    ));
    if let Some(name) = &intake.name {
        values.push(("name", name.as_str(), None));
    }
    for (kind, value) in &intake.identifiers {
        let index = state.indexer.index(kind, value.expose().trim());
        values.push((kind.as_str(), value.expose().as_str(), Some(index)));
    }
    values
        .into_iter()
        .map(|(kind, value, blind_index)| IdentityRow {
            id: crate::clock::new_id(),
            request_id: request_id.to_string(),
            kind: kind.to_string(),
            value_enc: state.cipher.encrypt(VALUE_CONTEXT, value),
            blind_index,
            created_at: now,
        })
        .collect()
}
