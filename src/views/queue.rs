//! The staff queue (`/staff`): requests in three views (open, closed, all), filtered
//! through the URL (`views::queue_query`) and continued page by page by keyset.

use super::queue_query::QueueQuery;
use crate::db::models::queue::{self, View};
use crate::db::models::requests::RequestRow;
use crate::db::models::{identities, staff};
use crate::db::DbConn;
use crate::domain::deadlines::{self, Regime};
use crate::domain::kinds::RequestKind;
use crate::domain::roles::Role;
use crate::domain::source::Source;
use crate::domain::state::Status;
use crate::domain::urgency::{acknowledgement, urgency, Acknowledgement, Urgency};
use crate::error::AppError;
use crate::i18n::key;
use crate::state::AppState;
use crate::templates::Templates;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

pub const PAGE_SIZE: i64 = 50;

/// The template's context of `pages/staff/queue`.
#[derive(Serialize)]
pub struct QueuePage {
    title: String,
    caption: String,
    view: &'static str,
    views: Vec<ViewTab>,
    items: Vec<QueueItem>,
    empty: bool,
    counts: Vec<StatusCount>,
    /// "3 unconfirmed requests are not shown", in the open view without a status.
    unconfirmed_hidden: Option<String>,
    searching: bool,
    bad_dates: bool,
    next_url: Option<String>,
    csv_url: String,
    /// Where a bulk action returns: this page of the queue.
    back_url: String,
    filters: Filters,
    bulk_assignees: Vec<Choice>,
    flash: Option<String>,
    /// Bulk actions are offered where they can apply: not on closed requests.
    bulk: bool,
    /// "Your tasks": the viewer's open manual-system tasks, soonest due first.
    my_tasks: Vec<super::manual_tasks::TaskLine>,
}

#[derive(Serialize)]
struct ViewTab {
    label: String,
    url: String,
    current: bool,
}

/// One row: the same facts as a table row on a desktop and as a card on a phone.
#[derive(Serialize)]
pub struct QueueItem {
    pub id: String,
    /// `id:version`: a bulk action refuses a row changed since the page was read.
    select: String,
    pub reference: String,
    pub kind: String,
    pub regime: String,
    pub status: String,
    pub channel: String,
    pub received_on: String,
    pub due_on: String,
    /// "Overdue by 16 days", "Due in 3 days", "Closed".
    pub due_words: String,
    /// Whole days left (negative when overdue); none once closed.
    pub days_left: Option<i64>,
    urgency: Urgency,
    pub ack_by: String,
    /// "Sent", "Overdue by 2 days", "Not required".
    pub ack_words: String,
    ack_overdue: bool,
    /// The date beside the words only while it still matters (due or overdue).
    ack_pending: bool,
    /// The assignee's name, or "Not assigned".
    pub assignee: String,
    pub assigned: bool,
    mine: bool,
    agent: bool,
    extended: bool,
}

#[derive(Serialize)]
struct StatusCount {
    status: Status,
    label: String,
    count: i64,
}

#[derive(Serialize)]
struct Filters {
    status: Vec<Choice>,
    kind: Vec<Choice>,
    regime: Vec<Choice>,
    channel: Vec<Choice>,
    assignee: Vec<Choice>,
    overdue: bool,
    due_within: String,
    from: String,
    to: String,
    q: String,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choices<V: Into<String>>(
    all: impl IntoIterator<Item = (V, String)>,
    selected: &str,
) -> Vec<Choice> {
    all.into_iter()
        .map(|(value, label)| {
            let value = value.into();
            Choice {
                selected: value == selected,
                value,
                label,
            }
        })
        .collect()
}

/// The rows of the queue as `q` filters them: one page (`limit`) from its cursor.
pub fn rows(
    state: &AppState,
    conn: &mut DbConn,
    q: &QueueQuery,
    staff_id: &str,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<RequestRow>, AppError> {
    let mut filter = q.filter(staff_id);
    if let Some(search) = q.search() {
        // A reference, or an email through its blind index; never a scan of plaintext.
        let mut ids = queue::by_reference(conn, search)?;
        if search.contains('@') {
            let index = state.indexer.index("email", &search.to_lowercase());
            ids.extend(identities::requests_with_index(conn, &index)?);
        }
        filter.ids = Some(ids);
    }
    Ok(queue::page(conn, &filter, today, limit)?)
}

/// Staff id → the name the queue shows (their email: accounts have no other name).
pub fn staff_names(conn: &mut DbConn) -> Result<HashMap<String, String>, AppError> {
    Ok(staff::list(conn)?
        .into_iter()
        .map(|s| (s.id, s.email))
        .collect())
}

/// One page of the queue as `staff_id` sees it on `today`.
pub fn load(
    state: &AppState,
    conn: &mut DbConn,
    q: QueueQuery,
    staff_id: &str,
    today: NaiveDate,
) -> Result<QueuePage, AppError> {
    let t = &state.templates;
    let mut rows = rows(state, conn, &q, staff_id, today, PAGE_SIZE + 1)?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_url = rows.last().filter(|_| has_more).map(|r| {
        let cursor = format!("{}_{}", r.due_on, r.id);
        format!("/staff?{}", q.query_string(None, Some(&cursor)))
    });
    let names = staff_names(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let agents: HashSet<String> = queue::filed_by_agents(conn, &ids)?.into_iter().collect();
    let items: Vec<_> = rows
        .iter()
        .map(|r| {
            let mut i = item(t, r, &names, today);
            i.mine = r.assignee_id.as_deref() == Some(staff_id);
            i.agent = agents.contains(&r.id);
            i
        })
        .collect();
    let counts = queue::open_counts(conn)?;
    let view = q.view();
    let unconfirmed = counts
        .iter()
        .find(|(s, _)| *s == Status::Submitted)
        .map_or(0, |(_, n)| *n);
    let unconfirmed_hidden = (view == View::Open
        && q.status.trim().is_empty()
        && q.search().is_none()
        && unconfirmed > 0)
        .then(|| {
            let n = unconfirmed.to_string();
            match unconfirmed {
                1 => t.phrase("staff_queue.unconfirmed_one", &[]),
                _ => t.phrase("staff_queue.unconfirmed_many", &[("count", &n)]),
            }
        });
    let (title, caption) = match view {
        View::Open => (key("staff_queue.title"), key("staff_queue.caption")),
        View::Closed => (
            key("staff_queue.title_closed"),
            key("staff_queue.caption_closed"),
        ),
        View::All => (key("staff_queue.title_all"), key("staff_queue.caption_all")),
    };
    let views = [
        ("open", t.label(key("staff_queue.view_open"))),
        ("closed", t.label(key("staff_queue.view_closed"))),
        ("all", t.label(key("staff_queue.view_all"))),
    ]
    .into_iter()
    .map(|(code, label)| ViewTab {
        label,
        url: format!("/staff?{}", q.query_string(Some(code), None)),
        current: code == q.view_code(),
    })
    .collect();
    let statuses = Status::ALL.iter().filter(|s| match view {
        View::Open => s.is_open(),
        View::Closed => !s.is_open(),
        View::All => true,
    });
    let people = staff::list(conn)?;
    let filters = Filters {
        status: choices(
            statuses.map(|s| (s.as_str(), t.label(s.label_key()))),
            q.status.trim(),
        ),
        kind: choices(
            RequestKind::ALL
                .iter()
                .chain([RequestKind::Appeal].iter())
                .map(|k| (k.as_str(), t.label(k.label_key()))),
            q.kind.trim(),
        ),
        regime: choices(
            Regime::ALL
                .iter()
                .map(|g| (g.as_str(), t.label(g.label_key()))),
            q.regime.trim(),
        ),
        channel: choices(
            Source::ALL
                .iter()
                .map(|c| (c.as_str(), t.label(c.label_key()))),
            q.channel.trim(),
        ),
        assignee: choices(
            [
                ("".to_string(), t.label(key("staff_queue.anyone"))),
                ("me".to_string(), t.label(key("staff_queue.mine"))),
                (
                    "unassigned".to_string(),
                    t.label(key("staff_queue.unassigned")),
                ),
            ]
            .into_iter()
            .chain(
                people
                    .iter()
                    .filter(|s| s.role != Role::Auditor)
                    .map(|s| (s.id.clone(), s.email.clone())),
            ),
            match q.assignee.trim() {
                "mine" => "me",
                other => other,
            },
        ),
        overdue: q.overdue == "1",
        due_within: q.due_within.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        q: q.q.clone(),
    };
    let bulk_assignees = choices(
        people
            .iter()
            .filter(|s| !s.disabled && s.role != Role::Auditor)
            .map(|s| (s.id.clone(), s.email.clone())),
        "",
    );
    let here = q.query_string(None, None);
    let my_tasks = super::manual_tasks::mine_open(state, conn, staff_id, today)?;
    Ok(QueuePage {
        my_tasks,
        title: t.phrase(title, &[]),
        caption: t.phrase(caption, &[]),
        view: q.view_code(),
        views,
        empty: items.is_empty(),
        items,
        counts: counts
            .into_iter()
            .map(|(status, count)| StatusCount {
                label: t.label(status.label_key()),
                status,
                count,
            })
            .collect(),
        unconfirmed_hidden,
        searching: q.search().is_some(),
        bad_dates: q.bad_dates(),
        next_url,
        csv_url: format!("/staff/queue.csv?{here}"),
        back_url: format!("/staff?{here}"),
        filters,
        bulk_assignees,
        flash: None,
        bulk: view != View::Closed,
    })
}

impl QueuePage {
    pub fn with_flash(self, flash: Option<String>) -> QueuePage {
        QueuePage { flash, ..self }
    }
}

/// "Due in 3 days", "Due today", "Overdue by 1 day", in words a screen reader reads
/// as they are meant.
pub fn due_words(t: &Templates, days_left: i64) -> String {
    let n = days_left.abs().to_string();
    match days_left {
        0 => t.phrase("staff_queue.due_today", &[]),
        1 => t.phrase("staff_queue.due_in_one_day", &[]),
        -1 => t.phrase("staff_queue.overdue_one_day", &[]),
        d if d > 0 => t.phrase("staff_queue.due_in_days", &[("days", &n)]),
        _ => t.phrase("staff_queue.overdue_days", &[("days", &n)]),
    }
}

fn ack_words(t: &Templates, ack: Acknowledgement) -> String {
    match ack {
        Acknowledgement::NotRequired => t.phrase("staff_queue.ack_not_required", &[]),
        Acknowledgement::Sent => t.phrase("staff_queue.ack_sent", &[]),
        Acknowledgement::NoLongerDue => t.phrase("staff_queue.ack_no_longer_due", &[]),
        Acknowledgement::Due { days_left } => due_words(t, days_left),
        Acknowledgement::Overdue { days } => due_words(t, -days),
    }
}

/// A row's facts in words (without who is looking: `mine` and `agent` are the caller's).
pub fn item(
    t: &Templates,
    r: &RequestRow,
    names: &HashMap<String, String>,
    today: NaiveDate,
) -> QueueItem {
    let open = r.status.is_open();
    let left = deadlines::days_left(r.due_on, today);
    let ack = acknowledgement(r.acknowledge_by, r.acknowledged_at.is_some(), open, today);
    let assignee = r.assignee_id.as_ref().map(|id| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| t.phrase("staff_queue.former_staff", &[]))
    });
    QueueItem {
        id: r.id.clone(),
        select: format!("{}:{}", r.id, r.version),
        reference: r.reference.clone(),
        kind: t.label(r.kind.label_key()),
        regime: t.label(r.regime.label_key()),
        status: t.label(r.status.label_key()),
        channel: t.label(r.source.label_key()),
        received_on: r.received_at.date().to_string(),
        due_on: r.due_on.to_string(),
        due_words: if open {
            due_words(t, left)
        } else {
            t.phrase("staff_queue.closed", &[])
        },
        days_left: open.then_some(left),
        urgency: if open { urgency(left) } else { Urgency::Ok },
        ack_by: r.acknowledge_by.map(|d| d.to_string()).unwrap_or_default(),
        ack_words: ack_words(t, ack),
        ack_overdue: matches!(ack, Acknowledgement::Overdue { .. }),
        ack_pending: matches!(
            ack,
            Acknowledgement::Overdue { .. } | Acknowledgement::Due { .. }
        ),
        assigned: assignee.is_some(),
        assignee: assignee.unwrap_or_else(|| t.phrase("staff_queue.not_assigned", &[])),
        mine: false,
        agent: false,
        extended: r.extended,
    }
}
