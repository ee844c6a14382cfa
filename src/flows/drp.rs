//! Data Rights Protocol use cases: pairing an agent, filing an exercise as a portal
//! request, its status object, revoking it, and posting status callbacks.
//!
//! Signed bodies are checked by `crate::drp` in the spec's order; this module adds what
//! needs the database: the directory key, bearer tokens, the replay register and the
//! request itself.

use super::intake::{submit_filing, Filing};
use super::request_change::{self as change, Entry};
use crate::crypto::tokens;
use crate::db::models::audit;
use crate::db::models::drp::{
    self as rows, AgentRow, DrpRequestRow, CLAIMS_CONTEXT, RESULTS_CONTEXT,
};
use crate::db::models::request_agents::{self, confirmation, RequestAgentRow, AGENT_CONTEXT};
use crate::db::models::requests::{self, RequestRow};
use crate::db::{write_tx, DbConn};
use crate::domain::authority::Authority;
use crate::domain::intake::{EmailAddress, PersonName, RequestDetails, ValidIntake};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::domain::source::Source;
use crate::domain::state::Status;
use crate::drp::envelope::{parse_verify_key, EnvelopeError, Expected};
use crate::drp::messages::{
    verify_exercise, verify_pair, verify_revoke, Exercise, ExerciseRequest, PairResponse,
};
use crate::drp::replay::{remember_until, replay_key, Operation};
use crate::drp::status::{needs_user_verification, status_object, PortalView, StatusObject};
use crate::error::AppError;
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::json;

/// A refusal in the protocol's terms: the HTTP status and `{code, message, fatal}`.
/// `fatal` follows §3.06: true only when the request moves to a final state because
/// of it; every refusal built here leaves requests as they were, so only an expired
/// exercise (which §2.01 discards with a fatal error) is fatal.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
    pub fatal: bool,
}

impl Refusal {
    fn new(status: u16, message: impl Into<String>, fatal: bool) -> Refusal {
        Refusal {
            status,
            message: message.into(),
            fatal,
        }
    }
}

impl From<EnvelopeError> for Refusal {
    fn from(e: EnvelopeError) -> Refusal {
        Refusal::new(e.status(), e.to_string(), e.fatal())
    }
}

pub type Outcome<T> = Result<Result<T, Refusal>, AppError>;

fn actor(agent: &AgentRow) -> String {
    format!("drp_agent:{}", agent.id)
}

fn utc(now: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(now, Utc)
}

/// Until when an accepted body is remembered (see `drp::replay::remember_until`).
fn replay_until(expires_at: Option<DateTime<Utc>>, now: NaiveDateTime) -> NaiveDateTime {
    remember_until(expires_at, utc(now)).naive_utc()
}

fn business_id(state: &AppState) -> Result<&str, AppError> {
    state
        .settings
        .drp
        .business_id
        .as_deref()
        .ok_or(AppError::NotFound)
}

fn directory_key(agent: &AgentRow) -> Result<ed25519_dalek::VerifyingKey, AppError> {
    // Keys are checked when added; a bad one here means the directory was edited by hand.
    parse_verify_key(&agent.verify_key).map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "agent {} has an unusable verify key",
            agent.id
        ))
    })
}

/// Checks a signed body with the agent's directory key against this business and `now`.
fn signed_by<T>(
    state: &AppState,
    agent: &AgentRow,
    now: NaiveDateTime,
    verify: impl FnOnce(&ed25519_dalek::VerifyingKey, &Expected) -> Result<T, EnvelopeError>,
) -> Result<Result<T, Refusal>, AppError> {
    let expected = Expected {
        agent_id: &agent.id,
        business_id: business_id(state)?,
        now: utc(now),
        max_validity: state.settings.drp.max_validity(),
    };
    Ok(verify(&directory_key(agent)?, &expected).map_err(Refusal::from))
}

/// Pair-wise key setup. Every failure is the same bare refusal (the spec's 403 with no
/// body); the reason goes to the log only.
pub fn pair(
    state: &AppState,
    conn: &mut DbConn,
    agent_id: &str,
    body: &[u8],
    now: NaiveDateTime,
) -> Outcome<PairResponse> {
    // Off (404) before any lookup when the business has no DRP id.
    business_id(state)?;
    write_tx(conn, |conn| {
        let Some(agent) = rows::find_agent(conn, agent_id)?.filter(|a| a.disabled_at.is_none())
        else {
            return Ok(Err(Refusal::new(403, "unknown or disabled agent", false)));
        };
        // The agent was found by the URL's id, so the body must name that same agent.
        let verified = match signed_by(state, &agent, now, |key, expected| {
            verify_pair(body, key, expected)
        })? {
            Ok(v) => v,
            Err(r) => return Ok(Err(r)),
        };
        let until = replay_until(Some(verified.message.common.expires_at), now);
        let key = replay_key(Operation::Pair, &agent.id, &verified.opened);
        if !rows::register_replay(conn, &key, until)? {
            return Ok(Err(EnvelopeError::Replayed.into()));
        }
        let token = tokens::generate();
        rows::insert_token(conn, &token.hash, &agent.id, now)?;
        let detail = json!({"agent": agent.id});
        audit::append_portal_event(conn, &actor(&agent), "drp_agent_paired", detail, now)?;
        Ok(Ok(PairResponse {
            agent_id: agent.id.clone(),
            token: token.secret,
        }))
    })
}

/// The active agent behind a bearer token.
pub fn authenticate(
    conn: &mut DbConn,
    bearer: &str,
    now: NaiveDateTime,
) -> Result<Option<AgentRow>, AppError> {
    let Some(hash) = tokens::hash_presented(bearer) else {
        return Ok(None);
    };
    let agent = rows::agent_for_token(conn, &hash)?;
    if agent.is_some() {
        rows::touch_token(conn, &hash, now)?;
    }
    Ok(agent)
}

/// Which portal request an exercise becomes, and under which law.
fn portal_kind(exercise: Exercise) -> RequestKind {
    match exercise {
        Exercise::Access | Exercise::AccessCategories | Exercise::AccessSpecific => {
            RequestKind::Access
        }
        Exercise::Deletion => RequestKind::Deletion,
        Exercise::SaleOptOut => RequestKind::OptOut,
        Exercise::SaleOptIn => RequestKind::OptIn,
    }
}

fn jurisdiction(state: &AppState, regime: Option<&str>) -> Option<Jurisdiction> {
    let served = &state.settings.jurisdictions;
    let wanted: &[Jurisdiction] = match regime.map(str::to_ascii_lowercase).as_deref() {
        // DRP 1.0 encodes CCPA rights; requests without a regime are voluntary and are
        // handled as the nearest US law the portal serves.
        None | Some("ccpa") | Some("cpra") | Some("voluntary") => {
            &[Jurisdiction::California, Jurisdiction::UsOther]
        }
        Some("gdpr") => &[Jurisdiction::Eu],
        Some("uk_gdpr") | Some("uk-gdpr") => &[Jurisdiction::Uk],
        Some(_) => &[],
    };
    wanted.iter().copied().find(|j| served.contains(j))
}

fn intake_of(
    state: &AppState,
    agent: &AgentRow,
    req: &ExerciseRequest,
) -> Result<ValidIntake, Refusal> {
    let kind = portal_kind(req.exercise);
    let Some(place) = jurisdiction(state, req.regime.as_deref()) else {
        return Err(Refusal::new(
            400,
            "this business does not take requests under that regime",
            false,
        ));
    };
    let Some(email) = req.claims.email.as_deref() else {
        return Err(Refusal::new(
            400,
            "email: this business verifies by email, so the email claim is required",
            false,
        ));
    };
    let email =
        EmailAddress::parse(email).map_err(|m| Refusal::new(400, format!("email: {m}"), false))?;
    let name = match req.claims.name.as_deref() {
        Some(n) => {
            Some(PersonName::parse(n).map_err(|m| Refusal::new(400, format!("name: {m}"), false))?)
        }
        None => None,
    };
    // Stored with the request for staff, so written in the portal's language now.
    let t = &state.templates;
    let exercise = t.label(req.exercise.label_key());
    let relationships = req.relationships.join(", ");
    let mut args = vec![
        ("agent", agent.name.as_str()),
        ("agent_id", agent.id.as_str()),
        ("exercise", exercise.as_str()),
    ];
    let details = if req.relationships.is_empty() {
        t.phrase("drp_filing.details", &args)
    } else {
        args.push(("relationships", relationships.as_str()));
        t.phrase("drp_filing.details_with_relationships", &args)
    };
    Ok(ValidIntake {
        kind,
        jurisdiction: place,
        name,
        email,
        identifiers: Vec::new(),
        details: RequestDetails {
            details,
            ..Default::default()
        },
    })
}

/// Files an exercise as a portal request and returns its first status.
pub fn exercise(
    state: &AppState,
    conn: &mut DbConn,
    agent: &AgentRow,
    body: &[u8],
    now: NaiveDateTime,
) -> Outcome<StatusObject> {
    let verified = match signed_by(state, agent, now, |k, e| verify_exercise(body, k, e))? {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    let key = replay_key(Operation::Exercise, &agent.id, &verified.opened);
    let signature_hash = verified.signature_hash();
    let req = verified.message;
    let request_id = write_tx(conn, |conn| -> Result<Result<String, Refusal>, AppError> {
        if !rows::register_replay(conn, &key, replay_until(Some(req.common.expires_at), now))? {
            return Ok(Err(EnvelopeError::Replayed.into()));
        }
        // A new signed body for an agent-request-id already filed is a retry: answer
        // with the request it created.
        if let Some(existing) = req
            .agent_request_id
            .as_deref()
            .map(|id| rows::find_by_agent_request_id(conn, &agent.id, id))
            .transpose()?
            .flatten()
        {
            return Ok(Ok(existing.request_id));
        }
        let intake = match intake_of(state, agent, &req) {
            Ok(i) => i,
            Err(r) => return Ok(Err(r)),
        };
        let filing = Filing {
            agent: None,
            source: Source::Drp,
            gpc: false,
            email_attested: req.claims.email_verified == Some(true),
            body_digest: None,
            // DRP carries no language: the person hears from the agent, not from us.
            language: None,
        };
        // The signature alone: a body filed before the replay register was keyed by
        // operation still finds the request it made.
        let submission_key = format!("drp:{signature_hash}");
        submit_filing(state, conn, &intake, &filing, &submission_key, now)?;
        let row = requests::find_by_submission_key(conn, &tokens::hash(&submission_key))?
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("the request just filed is missing"))
            })?;
        let claims = serde_json::to_string(&req.claims).map_err(AppError::internal)?;
        rows::insert_request(
            conn,
            &DrpRequestRow {
                request_id: row.id.clone(),
                agent_id: agent.id.clone(),
                agent_request_id: req.agent_request_id.clone(),
                exercise: req.exercise.as_str().into(),
                claims_enc: state.cipher.encrypt(CLAIMS_CONTEXT, &claims),
                status_callback: req.status_callback.clone(),
                revoked: false,
                results_url_enc: None,
                // The answer to this call tells the agent the first state.
                notified_state: Some(rows::notified_state(row.status, row.due_on)),
                callback_attempts: 0,
                callback_next_at: None,
                callback_claimed_until: None,
                callback_error: None,
                created_at: now,
                verification_url_enc: None,
            },
        )?;
        let enc = |v: &str| state.cipher.encrypt(AGENT_CONTEXT, v);
        request_agents::insert(
            conn,
            &RequestAgentRow {
                request_id: row.id.clone(),
                authority: Authority::Drp,
                agent_name_enc: enc(&agent.name),
                agent_email_enc: enc(""),
                agent_email_index: None,
                organisation_enc: None,
                registration_number_enc: None,
                consumer_confirmation: confirmation::NOT_REQUIRED.into(),
                confirmed_at: None,
                drp_agent_id: Some(agent.id.clone()),
                created_at: now,
            },
        )?;
        let detail = json!({
            "agent": agent.id, "exercise": req.exercise.as_str(),
            "regime": req.regime, "claims": req.claims.present().iter().map(|c| c.key).collect::<Vec<_>>(),
            "callback": req.status_callback.is_some(),
        });
        let by = actor(agent);
        let entry = Entry::internal(&by, "drp_request_received", detail);
        change::record(conn, &row.id, entry, now)?;
        Ok(Ok(row.id))
    })?;
    match request_id {
        Ok(id) => status_of(state, conn, agent, &id, now),
        Err(r) => Ok(Err(r)),
    }
}

/// One of this agent's requests: 404 when there is none, 403 when it is another agent's.
fn own_request(conn: &mut DbConn, agent: &AgentRow, request_id: &str) -> Outcome<DrpRequestRow> {
    let Some(drp) = rows::find_request(conn, request_id)? else {
        return Ok(Err(Refusal::new(404, "no such request", false)));
    };
    if drp.agent_id != agent.id {
        return Ok(Err(Refusal::new(
            403,
            "this request belongs to another agent",
            false,
        )));
    }
    Ok(Ok(drp))
}

/// The status object of one of this agent's requests (403 for another agent's).
pub fn status_of(
    state: &AppState,
    conn: &mut DbConn,
    agent: &AgentRow,
    request_id: &str,
    now: NaiveDateTime,
) -> Outcome<StatusObject> {
    let drp = match own_request(conn, agent, request_id)? {
        Ok(drp) => drp,
        Err(r) => return Ok(Err(r)),
    };
    let request = requests::find(conn, request_id)?;
    build_status(state, conn, &drp, &request, now).map(Ok)
}

/// The status object, issuing the results link the first time a fulfilled request is
/// reported (a status link of its own, so the agent never sees the consumer's).
fn build_status(
    state: &AppState,
    conn: &mut DbConn,
    drp: &DrpRequestRow,
    request: &RequestRow,
    now: NaiveDateTime,
) -> Result<StatusObject, AppError> {
    let status = request.status;
    let mut results_url = drp
        .results_url_enc
        .as_deref()
        .map(|enc| state.cipher.decrypt(RESULTS_CONTEXT, enc))
        .transpose()
        .map_err(AppError::internal)?;
    if status == Status::Fulfilled && results_url.is_none() {
        let url = write_tx(conn, |conn| {
            let (_, url) = super::links::status_link(state, conn, &request.id, now)?;
            rows::set_results_url(
                conn,
                &request.id,
                &state.cipher.encrypt(RESULTS_CONTEXT, &url),
            )?;
            Ok::<String, AppError>(url)
        })?;
        results_url = Some(url);
    }
    let extension_reason = request
        .extension_reason_enc
        .as_deref()
        .map(|enc| {
            state
                .cipher
                .decrypt(super::handling::EXTENSION_CONTEXT, enc)
        })
        .transpose()
        .map_err(AppError::internal)?;
    let verification_url = if needs_user_verification(status) {
        Some(super::drp_verification::url_for(state, conn, drp, now)?)
    } else {
        None
    };
    let kept_until = (status == Status::Fulfilled).then(|| {
        (now + Duration::days(state.settings.verification.status_link_days_after_close)).date()
    });
    Ok(status_object(&PortalView {
        request_id: &request.id,
        agent_request_id: drp.agent_request_id.as_deref(),
        status,
        denial_code: request.denial_code.as_deref(),
        revoked: drp.revoked,
        received_at: request.received_at,
        due_on: request.due_on,
        extended: request.extended,
        extension_reason: extension_reason.as_deref(),
        results_url: results_url.as_deref(),
        verification_url: verification_url.as_deref(),
        record_kept_until: kept_until,
    }))
}

/// Revokes one of this agent's open requests.
pub fn revoke(
    state: &AppState,
    conn: &mut DbConn,
    agent: &AgentRow,
    request_id: &str,
    body: &[u8],
    now: NaiveDateTime,
) -> Outcome<StatusObject> {
    let verified = match signed_by(state, agent, now, |k, e| verify_revoke(body, k, e))? {
        Ok(v) => v,
        // Even a stale revoke leaves the request as it was: retryable, never fatal.
        Err(r) => return Ok(Err(Refusal { fatal: false, ..r })),
    };
    let until = replay_until(verified.message.common.as_ref().map(|c| c.expires_at), now);
    let done = write_tx(conn, |conn| -> Result<Result<(), Refusal>, AppError> {
        let drp = match own_request(conn, agent, request_id)? {
            Ok(drp) => drp,
            Err(r) => return Ok(Err(r)),
        };
        // Bound to this request: OSIRAA revokes every request with one fixed body.
        let operation = Operation::Revoke {
            request_id: &drp.request_id,
        };
        if !rows::register_replay(
            conn,
            &replay_key(operation, &agent.id, &verified.opened),
            until,
        )? {
            return Ok(Err(EnvelopeError::Replayed.into()));
        }
        let request = requests::find(conn, request_id)?;
        let open = request.status.is_open();
        if !open {
            // Already final: nothing moves, so not fatal. Withdrawn and the other
            // closed states never reopen, so remembering the body changes nothing.
            return Ok(Err(Refusal::new(
                409,
                format!("the request is already closed ({})", request.status),
                false,
            )));
        }
        super::handling::withdraw_as(state, conn, request_id, &actor(agent), now)?;
        rows::mark_revoked(conn, request_id)?;
        let detail = json!({"reason_given": verified.message.reason.is_some()});
        let by = actor(agent);
        let entry = Entry::internal(&by, "drp_request_revoked", detail);
        change::record(conn, request_id, entry, now)?;
        Ok(Ok(()))
    })?;
    match done {
        Ok(()) => status_of(state, conn, agent, request_id, now),
        Err(r) => Ok(Err(r)),
    }
}

/// Callbacks posted per pass.
const CALLBACK_BATCH: usize = 20;

/// Posts the status of every DRP request whose agent has not yet heard of its current
/// state. Returns how many callbacks were delivered.
pub fn send_callbacks(
    state: &AppState,
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let jobs = &state.settings.worker;
    let mut delivered = 0;
    for _ in 0..CALLBACK_BATCH {
        let Some(drp) = rows::claim_next_callback(conn, now, now + jobs.callback_lease())? else {
            break;
        };
        let Some(url) = drp.status_callback.clone() else {
            continue;
        };
        let request = requests::find(conn, &drp.request_id)?;
        let reported = rows::notified_state(request.status, request.due_on);
        let object = match build_status(state, conn, &drp, &request, now) {
            Ok(o) => o,
            Err(e) => {
                rows::release_callback(conn, &drp.request_id)?;
                return Err(e);
            }
        };
        match post_status(&url, &object) {
            Ok(()) => {
                rows::callback_delivered(conn, &drp.request_id, &reported)?;
                delivered += 1;
            }
            Err(problem) => {
                let attempts = drp.callback_attempts + 1;
                tracing::warn!(agent = %drp.agent_id, attempts, "DRP status callback failed: {problem}");
                let next = now + jobs.callback_retry().delay(attempts);
                rows::callback_failed(conn, &drp.request_id, &problem, next)?;
            }
        }
    }
    Ok(delivered)
}

static CALLBACK_CLIENT: std::sync::OnceLock<reqwest::blocking::Client> = std::sync::OnceLock::new();

fn post_status(url: &str, object: &StatusObject) -> Result<(), String> {
    let client =
        crate::connectors::http::client(&CALLBACK_CLIENT, std::time::Duration::from_secs(15))
            .map_err(|e| e.to_string())?;
    let response = client
        .post(url)
        .json(object)
        .send()
        // The URL may carry the agent's own tokens: the error names only its kind.
        .map_err(|e| {
            if e.is_timeout() {
                "timed out".to_string()
            } else {
                "could not connect".to_string()
            }
        })?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered HTTP {}", response.status().as_u16()))
    }
}
