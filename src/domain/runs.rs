//! Connector runs: what a run asks of a connected system, and where it stands.

use crate::i18n::key;

/// What a run asks of a connected system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunAction {
    /// Look for the person's records; staff review the matches.
    Find,
    Export,
    Erase,
    OptOut,
}

impl RunAction {
    pub const ALL: [RunAction; 4] = [
        RunAction::Find,
        RunAction::Export,
        RunAction::Erase,
        RunAction::OptOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunAction::Find => "find",
            RunAction::Export => "export",
            RunAction::Erase => "erase",
            RunAction::OptOut => "opt_out",
        }
    }

    pub fn parse(s: &str) -> Option<RunAction> {
        RunAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            RunAction::Find => key("run_actions.find"),
            RunAction::Export => key("run_actions.export"),
            RunAction::Erase => key("run_actions.erase"),
            RunAction::OptOut => key("run_actions.opt_out"),
        }
    }
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Queued, or due again after a failed attempt.
    Pending,
    /// Claimed by a worker (under a lease).
    Running,
    /// The system accepted the call and will answer later, naming `external_id`.
    Waiting,
    Done,
    /// Gave up: a permanent error, or out of attempts.
    Failed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 5] = [
        RunStatus::Pending,
        RunStatus::Running,
        RunStatus::Waiting,
        RunStatus::Done,
        RunStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            RunStatus::Pending => key("run_statuses.pending"),
            RunStatus::Running => key("run_statuses.running"),
            RunStatus::Waiting => key("run_statuses.waiting"),
            RunStatus::Done => key("run_statuses.done"),
            RunStatus::Failed => key("run_statuses.failed"),
        }
    }

    /// Still to finish: a new run of the same action must wait for it.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            RunStatus::Pending | RunStatus::Running | RunStatus::Waiting
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in RunAction::ALL {
            assert_eq!(RunAction::parse(a.as_str()), Some(a));
        }
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), Some(s));
        }
    }
}
