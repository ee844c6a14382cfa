//! Tasks for the systems nobody can automate (`kind = "manual"`): which task a request
//! gives a system, when it is due, who may carry it out, and what finishing it needs.

use super::kinds::RequestKind;
use super::roles::Role;
use crate::i18n::key;
use chrono::{Duration, NaiveDate};

/// What the system's owner has to do by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAction {
    /// Export the person's data from the system and upload the file (access, portability).
    Export,
    /// Delete the person's data in the system and say what was done (deletion).
    Erase,
    /// Correct the person's data in the system and say what was changed (correction):
    /// the law asks the correction to reach every system holding the inaccurate data.
    Correct,
}

impl TaskAction {
    pub const ALL: [TaskAction; 3] = [TaskAction::Export, TaskAction::Erase, TaskAction::Correct];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskAction::Export => "export",
            TaskAction::Erase => "erase",
            TaskAction::Correct => "correct",
        }
    }

    pub fn parse(s: &str) -> Option<TaskAction> {
        TaskAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            TaskAction::Export => key("task_actions.export"),
            TaskAction::Erase => key("task_actions.erase"),
            TaskAction::Correct => key("task_actions.correct"),
        }
    }

    /// The task a request of `kind` gives every manual system, if any.
    pub fn for_kind(kind: RequestKind) -> Option<TaskAction> {
        match kind {
            RequestKind::Access | RequestKind::Portability => Some(TaskAction::Export),
            RequestKind::Deletion => Some(TaskAction::Erase),
            RequestKind::Correction => Some(TaskAction::Correct),
            _ => None,
        }
    }

    /// An erasure or a correction leaves nothing to upload, so the owner's note is the
    /// only record of what was done: it is required. An export is proved by its file.
    pub fn needs_note(self) -> bool {
        !matches!(self, TaskAction::Export)
    }

    /// Whether files are uploaded for this task (they go into the access package).
    pub fn takes_files(self) -> bool {
        matches!(self, TaskAction::Export)
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    /// The request closed (withdrawn, refused, expired) before the task was done.
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Open, TaskStatus::Done, TaskStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            TaskStatus::Open => key("task_statuses.open"),
            TaskStatus::Done => key("task_statuses.done"),
            TaskStatus::Cancelled => key("task_statuses.cancelled"),
        }
    }
}

/// A task's due date: `days_before` days before the request's own, so the owner's work
/// is in before staff answer, but never in the past (a request verified late, or a
/// system configured late, still gives its owner today).
pub fn due_on(request_due: NaiveDate, days_before: u32, today: NaiveDate) -> NaiveDate {
    (request_due - Duration::days(i64::from(days_before))).max(today)
}

/// A reminder goes to the owner once the task is due within this many days.
pub const REMIND_DAYS_BEFORE: i64 = 2;

/// Whether the owner of an open task due on `due` should be reminded `today`, having
/// last been reminded on `reminded_on`: from two days before it is due, and every day
/// while it is overdue, never twice on one day.
pub fn remind_today(due: NaiveDate, reminded_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    let close = (due - today).num_days() <= REMIND_DAYS_BEFORE;
    close && reminded_on.is_none_or(|d| d < today)
}

/// Who may carry out a task: its owner whatever their role (the account a system's
/// owner was given may be read-only for everything else), and anyone who works
/// requests. An auditor who does not own the task only reads.
pub fn may_act(role: Role, is_owner: bool) -> bool {
    is_owner || role.can_work_requests()
}

/// Who may hand a task to someone else: those who work requests, not the owner alone.
pub fn may_reassign(role: Role) -> bool {
    role.can_work_requests()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("date")
    }

    #[test]
    fn a_task_is_due_before_the_request_but_never_in_the_past() {
        assert_eq!(due_on(day(20), 5, day(1)), day(15));
        assert_eq!(due_on(day(20), 5, day(17)), day(17));
        assert_eq!(due_on(day(20), 0, day(1)), day(20));
    }

    #[test]
    fn reminders_start_two_days_before_and_come_once_a_day() {
        assert!(!remind_today(day(10), None, day(7)));
        assert!(remind_today(day(10), None, day(8)));
        assert!(!remind_today(day(10), Some(day(8)), day(8)));
        assert!(remind_today(day(10), Some(day(8)), day(9)));
        assert!(remind_today(day(10), Some(day(11)), day(12)));
    }

    #[test]
    fn each_kind_gives_its_task() {
        assert_eq!(
            TaskAction::for_kind(RequestKind::Access),
            Some(TaskAction::Export)
        );
        assert_eq!(
            TaskAction::for_kind(RequestKind::Deletion),
            Some(TaskAction::Erase)
        );
        assert_eq!(TaskAction::for_kind(RequestKind::OptOut), None);
        assert!(TaskAction::Erase.needs_note() && !TaskAction::Export.needs_note());
    }

    #[test]
    fn an_auditor_acts_only_on_their_own_task() {
        assert!(!may_act(Role::Auditor, false));
        assert!(may_act(Role::Auditor, true));
        assert!(may_act(Role::Handler, false));
        assert!(!may_reassign(Role::Auditor));
    }

    #[test]
    fn stored_words_round_trip() {
        for a in TaskAction::ALL {
            assert_eq!(TaskAction::parse(a.as_str()), Some(a));
        }
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
    }
}
