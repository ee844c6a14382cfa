//! The staff queue (`/staff`): open requests by due date, filtered through the URL and
//! continued page by page by keyset.

use crate::db::models::identities;
use crate::db::models::queue::{self, Assignee, Filter};
use crate::db::models::requests::RequestRow;
use crate::db::DbConn;
use crate::domain::deadlines::{self, Regime};
use crate::domain::kinds::RequestKind;
use crate::domain::state::Status;
use crate::domain::urgency::{urgency, Urgency};
use crate::error::AppError;
use crate::i18n::key;
use crate::state::AppState;
use crate::templates::Templates;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: i64 = 50;

/// The queue's filters as the URL carries them; anything unknown filters nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    status: String,
    kind: String,
    regime: String,
    assignee: String,
    overdue: String,
    due_within: String,
    q: String,
    after: String,
}

/// The template's context of `pages/staff/queue`.
#[derive(Serialize)]
pub struct QueuePage {
    title: String,
    items: Vec<QueueItem>,
    empty: bool,
    counts: Vec<StatusCount>,
    next_url: Option<String>,
    filters: Filters,
}

#[derive(Serialize)]
struct QueueItem {
    id: String,
    reference: String,
    kind: String,
    regime: String,
    status: String,
    due_on: String,
    days_left: i64,
    days_overdue: i64,
    urgency: Urgency,
    assigned: bool,
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
    status: Vec<FilterOption>,
    kind: Vec<FilterOption>,
    regime: Vec<FilterOption>,
    assignee: Vec<FilterOption>,
    overdue: bool,
    due_within: String,
    q: String,
}

#[derive(Serialize)]
struct FilterOption {
    value: &'static str,
    label: String,
    selected: bool,
}

fn empty_none(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl QueueQuery {
    /// The database filter: a value that names no status, kind or regime is ignored.
    fn filter(&self, staff_id: &str) -> Filter {
        Filter {
            status: empty_none(&self.status).filter(|s| Status::parse(s).is_some()),
            kind: empty_none(&self.kind).filter(|k| RequestKind::parse(k).is_some()),
            regime: empty_none(&self.regime).filter(|r| Regime::parse(r).is_some()),
            assignee: match self.assignee.as_str() {
                "mine" => Assignee::Mine(staff_id.to_string()),
                "unassigned" => Assignee::Unassigned,
                _ => Assignee::Anyone,
            },
            overdue: self.overdue == "1",
            due_within_days: self
                .due_within
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| (0..=3650).contains(d)),
            ids: None,
            after: self.after.split_once('_').and_then(|(d, id)| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .ok()
                    .map(|d| (d, id.to_string()))
            }),
        }
    }

    /// The "next page" link keeps every filter and adds the cursor.
    fn next_url(&self, cursor: &str) -> String {
        let pairs = [
            ("status", self.status.as_str()),
            ("kind", self.kind.as_str()),
            ("regime", self.regime.as_str()),
            ("assignee", self.assignee.as_str()),
            ("overdue", self.overdue.as_str()),
            ("due_within", self.due_within.as_str()),
            ("q", self.q.as_str()),
            ("after", cursor),
        ];
        let qs = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
            .finish();
        format!("/staff?{qs}")
    }
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
    let mut filter = q.filter(staff_id);
    let search = q.q.trim();
    if !search.is_empty() {
        // A reference, or an email through its blind index; never a scan of plaintext.
        let mut ids = queue::by_reference(conn, search)?;
        if search.contains('@') {
            let index = state.indexer.index("email", &search.to_lowercase());
            ids.extend(identities::requests_with_index(conn, &index)?);
        }
        filter.ids = Some(ids);
    }
    let mut rows = queue::page(conn, &filter, today, PAGE_SIZE + 1)?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_url = rows
        .last()
        .filter(|_| has_more)
        .map(|r| q.next_url(&format!("{}_{}", r.due_on, r.id)));
    let items: Vec<_> = rows.iter().map(|r| item(t, r, staff_id, today)).collect();
    let options = |all: Vec<(&'static str, String)>, selected: &str| -> Vec<FilterOption> {
        all.into_iter()
            .map(|(value, label)| FilterOption {
                value,
                label,
                selected: value == selected,
            })
            .collect()
    };
    let open = Status::ALL.iter().filter(|s| s.is_open());
    let kinds = RequestKind::ALL.iter().chain([RequestKind::Appeal].iter());
    let filters = Filters {
        status: options(
            open.map(|s| (s.as_str(), t.label(s.label_key()))).collect(),
            &q.status,
        ),
        kind: options(
            kinds
                .map(|k| (k.as_str(), t.label(k.label_key())))
                .collect(),
            &q.kind,
        ),
        regime: options(
            Regime::ALL
                .iter()
                .map(|g| (g.as_str(), t.label(g.label_key())))
                .collect(),
            &q.regime,
        ),
        assignee: options(
            vec![
                ("", t.label(key("staff_queue.anyone"))),
                ("mine", t.label(key("staff_queue.mine"))),
                ("unassigned", t.label(key("staff_queue.unassigned"))),
            ],
            &q.assignee,
        ),
        overdue: q.overdue == "1",
        due_within: q.due_within,
        q: q.q,
    };
    Ok(QueuePage {
        title: t.phrase("titles.staff_queue", &[]),
        empty: items.is_empty(),
        items,
        counts: queue::open_counts(conn)?
            .into_iter()
            .map(|(status, count)| StatusCount {
                label: t.label(status.label_key()),
                status,
                count,
            })
            .collect(),
        next_url,
        filters,
    })
}

fn item(t: &Templates, r: &RequestRow, staff_id: &str, today: NaiveDate) -> QueueItem {
    let left = deadlines::days_left(r.due_on, today);
    QueueItem {
        id: r.id.clone(),
        reference: r.reference.clone(),
        kind: t.label(r.kind.label_key()),
        regime: t.label(r.regime.label_key()),
        status: t.label(r.status.label_key()),
        due_on: r.due_on.to_string(),
        days_left: left,
        days_overdue: -left,
        urgency: urgency(left),
        assigned: r.assignee_id.is_some(),
        mine: r.assignee_id.as_deref() == Some(staff_id),
        agent: false,
        extended: r.extended,
    }
}
