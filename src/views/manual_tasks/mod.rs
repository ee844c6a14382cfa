//! Manual systems' tasks as staff read them: a line per task (the request's reference,
//! the system, what to do, the due date in words with the overdue flag of
//! `domain::urgency`, the owner), the "Your tasks" list of the queue, the tasks page
//! with its filters, and the request page's "Manual systems" panel. `task.rs` is the
//! page of one task.

mod task;

pub use task::{task_page, TaskPage};

use super::queue::{due_words, staff_names};
use crate::db::models::manual_tasks::{self as tasks, TaskRow};
use crate::db::models::requests::{self, RequestRow};
use crate::db::DbConn;
use crate::domain::deadlines;
use crate::domain::manual_tasks::{TaskAction, TaskStatus};
use crate::domain::urgency::{urgency, Urgency};
use crate::error::AppError;
use crate::flows::manual_tasks as flow;
use crate::i18n::key;
use crate::state::AppState;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

/// Open tasks shown on one page at most (the oldest due first).
const PAGE_LIMIT: i64 = 200;

#[derive(Serialize)]
pub struct TaskLine {
    pub id: String,
    pub request_id: String,
    pub reference: String,
    pub system: String,
    pub action: String,
    pub status: String,
    pub open: bool,
    pub due_on: String,
    pub due_words: String,
    pub urgency: Urgency,
    pub overdue: bool,
    /// The owner's email, or none when the task is unassigned.
    pub owner: Option<String>,
    pub mine: bool,
    pub instructions: String,
}

/// One task in words, for `me` on `today`.
fn line(
    state: &AppState,
    task: TaskRow,
    reference: String,
    names: &HashMap<String, String>,
    me: &str,
    today: NaiveDate,
) -> TaskLine {
    let t = &state.templates;
    let open = task.status == TaskStatus::Open;
    let left = deadlines::days_left(task.due_on, today);
    let urgency = urgency(left);
    TaskLine {
        instructions: flow::system(state, &task.system)
            .and_then(|c| c.instructions.clone())
            .unwrap_or_default(),
        id: task.id,
        request_id: task.request_id,
        reference,
        action: t.label(task.action.label_key()),
        status: t.label(task.status.label_key()),
        open,
        due_on: t.date(task.due_on),
        due_words: due_words(t, left),
        overdue: open && urgency == Urgency::Overdue,
        urgency,
        owner: task.owner_id.as_ref().and_then(|id| names.get(id).cloned()),
        mine: task.owner_id.as_deref() == Some(me),
        system: task.system,
    }
}

/// Lines for `rows`, each with its request's reference.
fn lines(
    state: &AppState,
    conn: &mut DbConn,
    rows: Vec<TaskRow>,
    me: &str,
    today: NaiveDate,
) -> Result<Vec<TaskLine>, AppError> {
    let names = staff_names(conn)?;
    let mut references: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for task in rows {
        let reference = match references.get(&task.request_id) {
            Some(r) => r.clone(),
            None => {
                let r = requests::find(conn, &task.request_id)?.reference;
                references.insert(task.request_id.clone(), r.clone());
                r
            }
        };
        out.push(line(state, task, reference, &names, me, today));
    }
    Ok(out)
}

/// The open tasks of `me`, soonest due first: the queue's "Your tasks".
pub fn mine_open(
    state: &AppState,
    conn: &mut DbConn,
    me: &str,
    today: NaiveDate,
) -> Result<Vec<TaskLine>, AppError> {
    let rows = tasks::open(conn, Some(me), None, PAGE_LIMIT)?;
    lines(state, conn, rows, me, today)
}

/// Which open tasks `/staff/tasks` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Mine,
    All,
    Overdue,
}

impl Show {
    pub fn parse(s: Option<&str>) -> Show {
        match s {
            Some("mine") => Show::Mine,
            Some("overdue") => Show::Overdue,
            _ => Show::All,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Show::Mine => "mine",
            Show::All => "all",
            Show::Overdue => "overdue",
        }
    }
}

#[derive(Serialize)]
pub struct FilterTab {
    label: String,
    url: String,
    current: bool,
}

/// The context of `pages/staff/tasks`.
#[derive(Serialize)]
pub struct TasksPage {
    title: String,
    filters: Vec<FilterTab>,
    /// The viewer's own tasks first, then everyone else's.
    mine: Vec<TaskLine>,
    others: Vec<TaskLine>,
    empty: bool,
}

/// `/staff/tasks` for `me` on `today`, filtered by `show`.
pub fn list(
    state: &AppState,
    conn: &mut DbConn,
    me: &str,
    show: Show,
    today: NaiveDate,
) -> Result<TasksPage, AppError> {
    let t = &state.templates;
    let (owner, before) = match show {
        Show::Mine => (Some(me), None),
        Show::All => (None, None),
        Show::Overdue => (None, Some(today)),
    };
    let rows = tasks::open(conn, owner, before, PAGE_LIMIT)?;
    let (mine, others): (Vec<TaskLine>, Vec<TaskLine>) = lines(state, conn, rows, me, today)?
        .into_iter()
        .partition(|l| l.mine);
    let filters = [
        (Show::All, key("staff_tasks.show_all")),
        (Show::Mine, key("staff_tasks.show_mine")),
        (Show::Overdue, key("staff_tasks.show_overdue")),
    ]
    .into_iter()
    .map(|(s, key)| FilterTab {
        label: t.phrase(key, &[]),
        url: format!("/staff/tasks?show={}", s.code()),
        current: s == show,
    })
    .collect();
    Ok(TasksPage {
        title: t.phrase("titles.staff_tasks", &[]),
        filters,
        empty: mine.is_empty() && others.is_empty(),
        mine,
        others,
    })
}

/// The request page's "Manual systems" panel.
#[derive(Serialize)]
pub struct RequestPanel {
    /// Manual systems are configured: the panel is shown.
    shown: bool,
    tasks: Vec<TaskLine>,
    /// "1 manual task open", beside the package and the fulfilment.
    open_warning: Option<String>,
    /// Some open task has no owner (the configured owner has no active account).
    unassigned: bool,
    /// Some manual system lacks its task: the "Create tasks" button is offered.
    can_create: bool,
}

pub fn request_panel(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    me: &str,
    today: NaiveDate,
) -> Result<RequestPanel, AppError> {
    let shown = flow::systems(state).next().is_some();
    if !shown {
        return Ok(RequestPanel {
            shown,
            tasks: Vec::new(),
            open_warning: None,
            unassigned: false,
            can_create: false,
        });
    }
    let rows = tasks::for_request(conn, &row.id)?;
    let missing = TaskAction::for_kind(row.kind).is_some_and(|action| {
        flow::systems(state).any(|c| {
            !rows.iter().any(|t| {
                t.system == c.name && t.action == action && t.status != TaskStatus::Cancelled
            })
        })
    });
    let tasks = lines(state, conn, rows, me, today)?;
    let open = tasks.iter().filter(|l| l.open).count();
    let open_warning = match open {
        0 => None,
        1 => Some(state.templates.phrase("staff_tasks.one_open", &[])),
        n => Some(
            state
                .templates
                .phrase("staff_tasks.many_open", &[("count", &n.to_string())]),
        ),
    };
    Ok(RequestPanel {
        shown,
        unassigned: tasks.iter().any(|l| l.open && l.owner.is_none()),
        can_create: missing && flow::wanted(row),
        open_warning,
        tasks,
    })
}
