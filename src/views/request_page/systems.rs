//! The request page's panel per connected system: what the last search found, the
//! runs so far, and which runs a button may start.

use crate::db::models::connector_runs::{self, RunRow};
use crate::db::DbConn;
use crate::domain::kinds::RequestKind;
use crate::domain::runs::{RunAction, RunStatus};
use crate::domain::staff_actions::{self, RunsAllowed, RunsSeen, SystemActions};
use crate::domain::state::Status;
use crate::error::AppError;
use crate::flows::connector_runs::allowed;
use crate::state::AppState;
use crate::templates::Templates;
use crate::views::event_words::run_summary;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Serialize)]
pub(super) struct SystemPanel {
    name: String,
    /// Why the system cannot be reached (its configuration did not build).
    problem: Option<String>,
    #[serde(flatten)]
    actions: SystemActions,
    // A failed run's button reads "Retry".
    retry_find: bool,
    retry_export: bool,
    retry_erase: bool,
    /// The latest search's summary as the connector wrote it, every key present.
    find: Value,
    runs: Vec<RunLine>,
    #[serde(skip)]
    searched: bool,
    #[serde(skip)]
    acted: bool,
}

impl SystemPanel {
    /// The system may be searched and has not been yet.
    pub(super) fn to_search(&self) -> bool {
        self.actions.can_find && !self.searched
    }

    pub(super) fn busy(&self) -> bool {
        self.actions.busy
    }

    /// The system found the person, and its export or erasure is still to start.
    pub(super) fn to_act(&self) -> bool {
        (self.actions.can_export || self.actions.can_erase) && !self.acted
    }
}

#[derive(Serialize)]
struct RunLine {
    action: String,
    status: String,
    attempts: i64,
    at: String,
    summary: Option<String>,
    error: Option<String>,
}

/// The runs of one system as the page reads them.
struct Runs<'a> {
    mine: Vec<&'a RunRow>,
}

impl<'a> Runs<'a> {
    fn latest(&self, action: RunAction) -> Option<&'a RunRow> {
        self.mine.iter().rev().find(|r| r.action == action).copied()
    }

    fn failed(&self, action: RunAction) -> bool {
        self.latest(action)
            .is_some_and(|r| r.status == RunStatus::Failed)
    }

    fn busy(&self) -> bool {
        self.mine.iter().any(|r| r.status.is_active())
    }

    fn found(&self) -> bool {
        self.done(RunAction::Find)
    }

    fn done(&self, action: RunAction) -> bool {
        self.latest(action)
            .is_some_and(|f| f.status == RunStatus::Done)
    }
}

pub(super) fn load(
    state: &AppState,
    conn: &mut DbConn,
    request_id: &str,
    kind: RequestKind,
    status: Status,
) -> Result<Vec<SystemPanel>, AppError> {
    let all = connector_runs::for_request(conn, request_id)?;
    let allowed = RunsAllowed {
        find: allowed(kind, status, RunAction::Find),
        export: allowed(kind, status, RunAction::Export),
        erase: allowed(kind, status, RunAction::Erase),
    };
    Ok(state
        .connectors
        .iter()
        .map(|(name, built)| {
            let runs = Runs {
                mine: all.iter().filter(|r| &r.connector == name).collect(),
            };
            let find = find_summary(runs.latest(RunAction::Find));
            let seen = RunsSeen {
                usable: built.is_ok(),
                busy: runs.busy(),
                found: runs.found(),
                actionable: runs.found() && find["actionable"] == true,
            };
            SystemPanel {
                name: name.clone(),
                problem: built.as_ref().err().cloned(),
                actions: staff_actions::system_actions(allowed, seen),
                retry_find: runs.failed(RunAction::Find),
                retry_export: runs.failed(RunAction::Export),
                retry_erase: runs.failed(RunAction::Erase),
                searched: runs.found(),
                acted: runs.done(RunAction::Export) || runs.done(RunAction::Erase),
                find,
                runs: runs
                    .mine
                    .iter()
                    .rev()
                    .map(|r| run_line(&state.templates, r))
                    .collect(),
            }
        })
        .collect())
}

/// The summary of the latest search with every key the template tests present, so
/// the strict templates can test them.
fn find_summary(find: Option<&RunRow>) -> Value {
    let mut summary = find
        .and_then(|r| r.summary.as_deref())
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let defaults = [
        ("counts", Value::Null),
        ("keys", json!([])),
        ("first_seen", Value::Null),
        ("last_seen", Value::Null),
        ("actionable", json!(false)),
        ("excluded", json!(0)),
        ("at_least", json!(false)),
        ("tables", json!([])),
    ];
    for (k, empty) in defaults {
        if summary.get(k).is_none() {
            summary[k] = empty;
        }
    }
    summary
}

fn run_line(t: &Templates, r: &RunRow) -> RunLine {
    RunLine {
        action: t.label(r.action.label_key()),
        status: t.label(r.status.label_key()),
        attempts: r.attempts,
        at: t.timestamp(r.created_at),
        summary: r.summary.as_deref().and_then(|s| run_summary(t, s)),
        error: r.error.clone(),
    }
}
