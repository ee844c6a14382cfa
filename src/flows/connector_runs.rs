//! Connector work for a request: staff queue a run (find first, then export or erase
//! exactly what the find showed), the worker executes it with retries, and every step
//! lands in the audit trail with counts per table, never the records themselves.

use super::request_change::Entry;
use crate::connectors::{Answer, Connector, Matches, Subject};
use crate::db::models::connector_runs::{self as runs, RunRow, RESULT_CONTEXT};
use crate::db::models::{identities, requests};
use crate::db::{write_tx, DbConn};
use crate::domain::kinds::RequestKind;
use crate::domain::runs::{RunAction, RunStatus};
use crate::domain::state::Status;
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use chrono::NaiveDateTime;
use serde_json::json;

/// Which actions a request of this kind and state may run.
pub fn allowed(kind: RequestKind, status: Status, action: RunAction) -> bool {
    let verified = matches!(status, Status::EmailVerified | Status::InProgress);
    match action {
        RunAction::Find => verified,
        // Exports and erasures only after identity verification (in progress).
        RunAction::Export => {
            status == Status::InProgress
                && matches!(kind, RequestKind::Access | RequestKind::Portability)
        }
        RunAction::Erase => status == Status::InProgress && kind == RequestKind::Deletion,
        RunAction::OptOut => status == Status::InProgress && kind == RequestKind::OptOut,
    }
}

/// Records a step of `run` on its request's trail (staff see it; the consumer does not).
fn audit_run(
    conn: &mut DbConn,
    run: &RunRow,
    actor: &str,
    action: &'static str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let entry = Entry::internal(actor, action, detail);
    super::request_change::record(conn, &run.request_id, entry, now)
}

/// Queues a run. Export and erase are based on the latest finished find of the same
/// connector, which must have matched on a strong key. `requested` is the action as
/// the form named it.
pub fn queue(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    connector: &str,
    requested: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if !state.connectors.contains_key(connector) {
        return Err(AppError::BadRequest(msg("errors.unknown_system")));
    }
    write_tx(conn, |conn| {
        let req = requests::find(conn, request_id)?;
        let action = RunAction::parse(requested)
            .ok_or_else(|| AppError::BadRequest(msg("errors.unknown_action")))?;
        if !allowed(req.kind, req.status, action) {
            return Err(AppError::Conflict(
                msg("errors.not_possible_now").with_label("action", action.label_key()),
            ));
        }
        let existing = runs::for_request(conn, request_id)?;
        if existing
            .iter()
            .any(|r| r.connector == connector && r.action == action && r.status.is_active())
        {
            return Err(AppError::Conflict(msg("errors.run_already_queued")));
        }
        let based_on = if matches!(action, RunAction::Export | RunAction::Erase) {
            let find = existing
                .iter()
                .rev()
                .find(|r| {
                    r.connector == connector
                        && r.action == RunAction::Find
                        && r.status == RunStatus::Done
                })
                .ok_or_else(|| AppError::Conflict(msg("errors.find_first")))?;
            let actionable = find
                .summary
                .as_deref()
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                .is_some_and(|v| v["actionable"] == true);
            if !actionable {
                return Err(AppError::Conflict(msg(
                    "errors.nothing_identifying_matched",
                )));
            }
            Some(find.id.clone())
        } else {
            None
        };
        let run = insert_pending(conn, request_id, connector, action, based_on, actor, now)?;
        audit_run(
            conn,
            &run,
            actor,
            "connector_run_queued",
            json!({"connector": connector, "run": run.id, "action": action}),
            now,
        )
    })
}

/// Adds a pending run (the caller holds the write transaction and audits it).
pub fn insert_pending(
    conn: &mut DbConn,
    request_id: &str,
    connector: &str,
    action: RunAction,
    based_on: Option<String>,
    actor: &str,
    now: NaiveDateTime,
) -> Result<RunRow, AppError> {
    let run = RunRow {
        id: crate::clock::new_id(),
        request_id: request_id.into(),
        connector: connector.into(),
        action,
        status: RunStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        claimed_until: None,
        based_on,
        result_enc: None,
        summary: None,
        error: None,
        requested_by: actor.into(),
        created_at: now,
        finished_at: None,
        external_id: None,
    };
    runs::insert(conn, &run)?;
    Ok(run)
}

/// The verified identities of the request, decrypted for the connector.
fn subject(state: &AppState, conn: &mut DbConn, request_id: &str) -> Result<Subject, AppError> {
    let mut s = Subject::default();
    for row in identities::for_request(conn, request_id)? {
        let value = state
            .cipher
            .decrypt(identities::VALUE_CONTEXT, &row.value_enc)
            .map_err(AppError::internal)?;
        s.identities.insert(row.kind, value);
    }
    Ok(s)
}

enum Outcome {
    Done {
        result: Option<String>,
        summary: serde_json::Value,
    },
    Failed {
        message: String,
        temporary: bool,
    },
    /// The system will answer by a callback naming `call_id`.
    Waiting {
        call_id: String,
    },
}

/// What is stored (encrypted result) and shown/audited (summary) for an answer.
fn done_parts(state: &AppState, answer: &Answer) -> (Option<String>, serde_json::Value) {
    match answer {
        Answer::Find(m) => (
            Some(seal(state, m)),
            json!({"counts": m.counts, "keys": m.keys, "actionable": m.actionable(),
                   "first_seen": m.first_seen, "last_seen": m.last_seen,
                   "excluded": m.excluded, "at_least": m.at_least, "tables": m.tables}),
        ),
        Answer::Export(r) => {
            let rows: std::collections::BTreeMap<_, _> =
                r.tables.iter().map(|(t, v)| (t.clone(), v.len())).collect();
            (Some(seal(state, r)), json!({"rows": rows}))
        }
        Answer::Erase(r) => {
            let mut summary = json!({"deleted": r.deleted, "follow_up": r.follow_up});
            // The proof and the kept data only where the connector gives them.
            for (k, v) in [
                ("changed", json!(r.changed)),
                ("detached", json!(r.detached)),
                ("kept", json!(r.kept)),
            ] {
                if v.as_object().is_some_and(|m| !m.is_empty())
                    || v.as_array().is_some_and(|a| !a.is_empty())
                {
                    summary[k] = v;
                }
            }
            if let Some(remaining) = &r.remaining {
                summary["remaining"] = json!(remaining);
            }
            (None, summary)
        }
        Answer::OptOut(o) => (None, json!({"opt_out": o})),
    }
}

fn action_of(answer: &Answer) -> RunAction {
    match answer {
        Answer::Find(_) => RunAction::Find,
        Answer::Export(_) => RunAction::Export,
        Answer::Erase(_) => RunAction::Erase,
        Answer::OptOut(_) => RunAction::OptOut,
    }
}

fn perform(
    state: &AppState,
    conn: &mut DbConn,
    connector: &dyn Connector,
    run: &RunRow,
) -> Result<Outcome, AppError> {
    use crate::connectors::ConnectorError::{Accepted, Permanent, Temporary};
    let to_outcome = |r: Result<Answer, crate::connectors::ConnectorError>| match r {
        Ok(answer) => {
            let (result, summary) = done_parts(state, &answer);
            Outcome::Done { result, summary }
        }
        Err(Temporary(m)) => Outcome::Failed {
            message: m,
            temporary: true,
        },
        Err(Permanent(m)) => Outcome::Failed {
            message: m,
            temporary: false,
        },
        Err(Accepted { call_id }) => Outcome::Waiting { call_id },
    };
    Ok(match run.action {
        RunAction::Find => {
            let subject = subject(state, conn, &run.request_id)?;
            to_outcome(connector.find(&subject).map(Answer::Find))
        }
        RunAction::Export | RunAction::Erase => {
            let base = run
                .based_on
                .as_deref()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("run without a find")))?;
            let find = runs::find(conn, base)?;
            let sealed = find
                .result_enc
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("find without result")))?;
            let plain = state
                .cipher
                .decrypt(RESULT_CONTEXT, &sealed)
                .map_err(AppError::internal)?;
            let matches: Matches = serde_json::from_str(&plain).map_err(AppError::internal)?;
            if run.action == RunAction::Export {
                to_outcome(connector.export(&matches).map(Answer::Export))
            } else {
                to_outcome(connector.erase(&matches).map(Answer::Erase))
            }
        }
        RunAction::OptOut => {
            let subject = subject(state, conn, &run.request_id)?;
            to_outcome(connector.opt_out(&subject).map(Answer::OptOut))
        }
    })
}

/// Encrypts a run result. These are plain data structures (string-keyed maps, numbers,
/// strings), for which JSON serialisation cannot fail.
fn seal<T: serde::Serialize>(state: &AppState, v: &T) -> String {
    state.cipher.encrypt(
        RESULT_CONTEXT,
        &serde_json::to_string(v).unwrap_or_default(),
    )
}

/// Claims and executes one due run; returns false when none was due.
pub fn run_next(state: &AppState, conn: &mut DbConn) -> Result<bool, AppError> {
    let now = crate::clock::now();
    // A run whose worker died is taken up again once its lease lapses.
    let lease = state.settings.worker.connector_lease();
    let Some(run) = runs::claim_next(conn, now, now + lease)? else {
        return Ok(false);
    };
    let outcome = match state.connectors.get(&run.connector) {
        Some(Ok(connector)) => perform(state, conn, connector.as_ref(), &run)?,
        Some(Err(problem)) => Outcome::Failed {
            message: problem.clone(),
            temporary: false,
        },
        None => Outcome::Failed {
            message: "this system is no longer configured".into(),
            temporary: false,
        },
    };
    let now = crate::clock::now();
    write_tx(conn, |conn| match &outcome {
        Outcome::Done { result, summary } => record_done(conn, &run, result.clone(), summary, now),
        Outcome::Waiting { call_id } => {
            runs::wait(conn, &run.id, call_id)?;
            audit_run(
                conn,
                &run,
                "system",
                "connector_run_waiting",
                json!({"connector": run.connector, "run": run.id, "action": run.action}),
                now,
            )
        }
        Outcome::Failed { message, temporary } => {
            // The claim counted this attempt.
            let retry = if *temporary {
                state
                    .settings
                    .worker
                    .connector_retry()
                    .retry_at(run.attempts, now)
            } else {
                None
            };
            runs::fail(conn, &run.id, message, retry, now)?;
            audit_run(
                conn,
                &run,
                "system",
                if retry.is_some() {
                    "connector_run_retrying"
                } else {
                    "connector_run_failed"
                },
                json!({"connector": run.connector, "run": run.id, "action": run.action, "attempts": run.attempts}),
                now,
            )
        }
    })?;
    if run.action == RunAction::OptOut && matches!(outcome, Outcome::Done { .. }) {
        complete_opt_out_when_all_done(state, conn, &run.request_id)?;
    }
    Ok(true)
}

/// Marks a run done and audits it with the counts (never the records).
fn record_done(
    conn: &mut DbConn,
    run: &RunRow,
    result: Option<String>,
    summary: &serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    runs::finish(conn, &run.id, result, &summary.to_string(), now)?;
    let mut detail = json!({"connector": run.connector, "run": run.id, "action": run.action});
    if let Some(map) = detail.as_object_mut() {
        for key in [
            "counts",
            "rows",
            "deleted",
            "changed",
            "detached",
            "remaining",
            "kept",
            "follow_up",
            "actionable",
            "opt_out",
        ] {
            if let Some(v) = summary.get(key) {
                map.insert(key.into(), v.clone());
            }
        }
    }
    audit_run(conn, run, "system", "connector_run_done", detail, now)
}

/// A system's signed callback answering a call it accepted earlier. Accepted once: a
/// replay finds no run waiting and is refused.
pub fn complete_callback(
    state: &AppState,
    conn: &mut DbConn,
    connector: &str,
    call_id: &str,
    answer: &Answer,
) -> Result<(), AppError> {
    let now = crate::clock::now();
    let run = write_tx(conn, |conn| {
        let run = runs::waiting_for(conn, connector, call_id)?
            .ok_or_else(|| AppError::Conflict(msg("errors.callback_unexpected")))?;
        if run.action != action_of(answer) {
            return Err(AppError::BadRequest(msg("errors.callback_wrong_event")));
        }
        let (result, summary) = done_parts(state, answer);
        record_done(conn, &run, result, &summary, now)?;
        Ok(run)
    })?;
    if run.action == RunAction::OptOut {
        complete_opt_out_when_all_done(state, conn, &run.request_id)?;
    }
    Ok(())
}

/// An opt-out needs no staff decision: once every system's opt-out run is done, the
/// request is fulfilled and the person told (well inside the 15 business days).
fn complete_opt_out_when_all_done(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
) -> Result<(), AppError> {
    let all = runs::for_request(conn, request_id)?;
    let opt_outs: Vec<_> = all
        .iter()
        .filter(|r| r.action == RunAction::OptOut)
        .collect();
    if opt_outs.is_empty() || opt_outs.iter().any(|r| r.status != RunStatus::Done) {
        return Ok(());
    }
    let req = requests::find(conn, request_id)?;
    if req.status != Status::InProgress {
        return Ok(());
    }
    let result = super::handling::apply(
        state,
        conn,
        request_id,
        req.version,
        "system",
        super::handling::Action::Fulfil {
            in_part: false,
            // Sent to the person as the answer: in the language they filed in.
            message: state
                .words(req.language.as_deref())
                .phrase("system_messages.opt_out_done", &[]),
        },
        crate::clock::now(),
    );
    match result {
        // Staff acted meanwhile: their step stands.
        Err(AppError::Conflict(_)) => Ok(()),
        other => other.map(|_| ()),
    }
}
