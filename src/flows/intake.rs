//! Filing a request: store it (personal fields encrypted), audit it, and queue the
//! email that follows — all in one transaction.

use super::actors;
use super::emails;
use crate::crypto::tokens;
use crate::db::models::audit::{self, NewEvent};
use crate::db::models::identities::{self, IdentityRow, VALUE_CONTEXT};
use crate::db::models::requests::{self, RequestRow};
use crate::db::models::tokens::{self as token_rows, Purpose, TokenRow};
use crate::db::{write_tx, DbConn};
use crate::domain::agent_filing::AgentFiling;
use crate::domain::deadlines::{self, Regime};
use crate::domain::intake::ValidIntake;
use crate::domain::kinds::RequestKind;
use crate::domain::state::{Event, Status};
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::Rng;
use serde_json::json;

pub const DETAILS_CONTEXT: &str = "requests.details";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Web,
    Api,
    Drp,
    /// Entered by staff from another channel (`flows::manual_entry`).
    Email,
    Phone,
    Letter,
    InPerson,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Web,
        Source::Api,
        Source::Drp,
        Source::Email,
        Source::Phone,
        Source::Letter,
        Source::InPerson,
    ];

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The catalogue key of how the request arrived, as staff read it.
    pub fn label_key(self) -> &'static str {
        match self {
            Source::Web => crate::i18n::key("sources.web_form"),
            Source::Api => crate::i18n::key("sources.api"),
            Source::Drp => crate::i18n::key("sources.drp"),
            Source::Email => crate::i18n::key("sources.email"),
            Source::Phone => crate::i18n::key("sources.phone"),
            Source::Letter => crate::i18n::key("sources.letter"),
            Source::InPerson => crate::i18n::key("sources.in_person"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web_form",
            Source::Api => "api",
            Source::Drp => "drp",
            Source::Email => "email",
            Source::Phone => "phone",
            Source::Letter => "letter",
            Source::InPerson => "in_person",
        }
    }
}

/// What the person is told after submitting.
#[derive(Debug, Clone)]
pub struct Submitted {
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
        if let Some(existing) = requests::find_by_submission_key(conn, &key_hash)? {
            // A client's key answers a retry of its own body only: another body under
            // it is someone else's request (or a bug), and answering with this one would
            // hand them its reference and drop theirs. A row stored without a digest
            // (before digests were kept) cannot prove the body is the same: refused too.
            if let Some(digest) = filing.body_digest {
                if existing.submission_body.as_deref() != Some(digest) {
                    return Err(AppError::Unprocessable(msg(
                        "errors.idempotency_key_reused",
                    )));
                }
            }
            return summary(&existing, false);
        }
        let regime = intake.jurisdiction.regime();
        let dl = deadlines::compute(
            regime,
            intake.kind.track(),
            received_at.date(),
            0,
            &state.holidays,
        );
        let id = crate::clock::new_id();
        let details = serde_json::to_string(&intake.details).map_err(AppError::internal)?;
        let mut row = RequestRow {
            id: id.clone(),
            reference: new_reference(conn)?,
            kind: intake.kind.as_str().into(),
            jurisdiction: intake.jurisdiction.as_str().into(),
            regime: regime.as_str().into(),
            status: Status::Submitted.as_str().into(),
            source: source.as_str().into(),
            gpc,
            received_at,
            due_on: dl.respond_by,
            acknowledge_by: dl.acknowledge_by,
            paused_days: 0,
            extended: false,
            details_enc: Some(state.cipher.encrypt(DETAILS_CONTEXT, &details)),
            submission_key: key_hash.clone(),
            verified_at: None,
            closed_at: None,
            version: 0,
            updated_at: now,
            assignee_id: None,
            acknowledged_at: None,
            verification_level: None,
            verification_detail: None,
            extension_reason_enc: None,
            outcome: None,
            denial_code: None,
            response_enc: None,
            responded_at: None,
            appeal_of: None,
            purged_at: None,
            submission_body: filing.body_digest.map(str::to_owned),
        };
        requests::insert(conn, &row)?;
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
        audit::append(
            conn,
            NewEvent {
                request_id: Some(&id),
                actor,
                action: "request_submitted",
                from_status: None,
                to_status: Some(Status::Submitted.as_str()),
                detail: json!({
                    "kind": row.kind, "jurisdiction": row.jurisdiction, "regime": row.regime,
                    "source": row.source, "gpc": gpc, "due_on": row.due_on,
                    "acknowledge_by": row.acknowledge_by,
                    "agent_authority": agent.map(|a| a.agent.authority.as_str()),
                    "entered": entered.map(|e| e.audit_detail()),
                }),
                consumer_visible: true,
            },
            now,
        )?;

        // The person who filed hears from us: the agent when there is one.
        let email = agent.map_or(intake.email.as_str(), |a| a.agent.email.as_str());
        if intake.kind.needs_verification() && filing.email_attested {
            let by = entered.map_or((actors::AGENT, "drp_agent_attestation"), |e| {
                (e.actor.as_str(), "staff_verify_otherwise")
            });
            super::verification::accept_attested_email(state, conn, &row, by, now)?;
            row.status = Status::EmailVerified.as_str().into();
        } else if intake.kind == RequestKind::OptIn {
            record_opt_in(conn, &row, now)?;
            row.status = Status::Fulfilled.as_str().into();
        } else if intake.kind.needs_verification() {
            super::verification::send_verification_link(
                state,
                conn,
                &id,
                &row.reference,
                intake.kind,
                email,
                now,
            )?;
        } else {
            // Opt-out of sale/sharing: no verification (CCPA §7026); work starts now.
            let next = Status::Submitted
                .transition(Event::AcceptedWithoutVerification)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            if !requests::set_status(conn, &id, 0, next.as_str(), false, now)? {
                return Err(AppError::Conflict(msg("errors.request_changed")));
            }
            audit::append(
                conn,
                NewEvent {
                    request_id: Some(&id),
                    actor: actors::SYSTEM,
                    action: "accepted_without_verification",
                    from_status: Some(Status::Submitted.as_str()),
                    to_status: Some(next.as_str()),
                    detail: json!({"reason": "opt_out_needs_no_verification", "gpc": gpc}),
                    consumer_visible: true,
                },
                now,
            )?;
            // Opt-outs need no staff decision: every connected system's opt-out runs now.
            for name in state.connectors.keys() {
                super::connector_runs::insert_pending(
                    conn,
                    &id,
                    name,
                    "opt_out",
                    None,
                    actors::SYSTEM,
                    now,
                )?;
            }
            let secret = issue_token(
                conn,
                &id,
                Purpose::Status,
                now + Duration::days(state.settings.verification.status_link_days),
                now,
            )?;
            emails::queue(
                state,
                conn,
                &id,
                "opt_out_received",
                email,
                json!({
                    "reference": row.reference,
                    "status_url": format!("{}/status/{secret}", state.public_url),
                    "due_on": state.templates.date(row.due_on),
                    "gpc": gpc,
                }),
                now,
            )?;
            row.status = next.as_str().into();
            // An agent's opt-out takes effect now, and the person is never asked.
            super::agents::tell_consumer_if_not_asked(state, conn, &row, now)?;
        }
        summary(&row, true)
    })
}

/// Renewed consent to sale/sharing needs no verification and no work: it is recorded,
/// and the request is complete at once.
fn record_opt_in(conn: &mut DbConn, row: &RequestRow, now: NaiveDateTime) -> Result<(), AppError> {
    let steps = [Event::AcceptedWithoutVerification, Event::Fulfilled];
    let mut from = Status::Submitted;
    for (version, event) in steps.into_iter().enumerate() {
        let next = from
            .transition(event)
            .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
        if !requests::set_status(
            conn,
            &row.id,
            version as i64,
            next.as_str(),
            !next.is_open(),
            now,
        )? {
            return Err(AppError::Conflict(msg("errors.request_changed")));
        }
        audit::append(
            conn,
            NewEvent {
                request_id: Some(&row.id),
                actor: actors::SYSTEM,
                action: if next.is_open() {
                    "accepted_without_verification"
                } else {
                    "consent_renewed"
                },
                from_status: Some(from.as_str()),
                to_status: Some(next.as_str()),
                detail: json!({"kind": row.kind}),
                consumer_visible: true,
            },
            now,
        )?;
        from = next;
    }
    Ok(())
}

fn summary(row: &RequestRow, created: bool) -> Result<Submitted, AppError> {
    let bad = || AppError::internal(anyhow::anyhow!("stored request has unknown values"));
    Ok(Submitted {
        reference: row.reference.clone(),
        kind: RequestKind::parse(&row.kind).ok_or_else(bad)?,
        regime: Regime::parse(&row.regime).ok_or_else(bad)?,
        status: Status::parse(&row.status).ok_or_else(bad)?,
        due_on: row.due_on,
        acknowledge_by: row.acknowledge_by,
        created,
    })
}

fn identity_rows(
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

/// Creates a token row and returns the secret for the link (never stored).
pub fn issue_token(
    conn: &mut DbConn,
    request_id: &str,
    purpose: Purpose,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let token = tokens::generate();
    token_rows::insert(
        conn,
        &TokenRow {
            id: crate::clock::new_id(),
            request_id: request_id.to_string(),
            purpose: purpose.as_str().into(),
            token_hash: token.hash,
            expires_at,
            used_at: None,
            created_at: now,
        },
    )?;
    Ok(token.secret)
}

/// A reference people can read out on the phone: `DSR-XXXX-XXXX` from an alphabet
/// without look-alike characters. Random, so it reveals nothing about volume.
pub fn new_reference(conn: &mut DbConn) -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    for _ in 0..8 {
        let mut part = || -> String {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect()
        };
        let reference = format!("DSR-{}-{}", part(), part());
        if !requests::reference_exists(conn, &reference)? {
            return Ok(reference);
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "could not find a free reference"
    )))
}
