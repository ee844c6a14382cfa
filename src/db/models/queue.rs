//! The staff queue: requests filtered, keyset-paginated by due date.
//!
//! The open view (soonest due first) is served by partial indexes of open requests on
//! `(due_on, id)`: `requests_open_confirmed` (past `submitted`) for the default page,
//! `requests_open_queue` otherwise, so its first page costs the same with a million
//! closed requests, or fifty thousand unconfirmed ones, as with none. The closed and all
//! views read the most recently due first through `requests_due (due_on, id)`. The
//! counts per status come from `open_request_counts`, kept by triggers.

use super::requests::RequestRow;
use crate::db::schema::{open_request_counts as counts, request_agents, requests as r};
use crate::db::DbConn;
use crate::domain::state::Status;
use chrono::{NaiveDate, NaiveTime};
use diesel::prelude::*;

/// Which requests the queue lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum View {
    /// Open requests whose email is confirmed (the unconfirmed are counted aside).
    #[default]
    Open,
    Closed,
    All,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Assignee {
    #[default]
    Anyone,
    /// A named staff member (the session's own id for "me").
    Person(String),
    Unassigned,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub view: View,
    pub status: Option<Status>,
    pub kind: Option<String>,
    pub regime: Option<String>,
    pub source: Option<String>,
    pub assignee: Assignee,
    pub overdue: bool,
    pub due_within_days: Option<i64>,
    /// Received on or after this day.
    pub received_from: Option<NaiveDate>,
    /// Received on or before this day.
    pub received_to: Option<NaiveDate>,
    /// Restrict to these request ids (search by reference or email, in every view).
    pub ids: Option<Vec<String>>,
    /// Keyset cursor: rows strictly after (due_on, id) in the view's order.
    pub after: Option<(NaiveDate, String)>,
}

impl Filter {
    /// The open view hides unconfirmed requests unless asked for them by status or
    /// found by a search.
    fn hides_unconfirmed(&self) -> bool {
        self.view == View::Open && self.status.is_none() && self.ids.is_none()
    }

    /// A search finds a request wherever it is: open, closed or unconfirmed.
    fn view_applies(&self) -> bool {
        self.ids.is_none()
    }
}

pub fn page(
    conn: &mut DbConn,
    f: &Filter,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    let mut q = r::table.select(RequestRow::as_select()).into_boxed();
    if f.view_applies() {
        match f.view {
            View::Open => q = q.filter(r::closed_at.is_null()),
            View::Closed => q = q.filter(r::closed_at.is_not_null()),
            View::All => {}
        }
    }
    if f.hides_unconfirmed() {
        // Word for word the WHERE of the partial index `requests_open_confirmed`: with a
        // bound value instead of the literal, neither SQLite nor PostgreSQL could tell
        // that the index applies, and the page would walk every unconfirmed request.
        q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "requests.status <> 'submitted'",
        ));
    }
    if let Some(s) = f.status {
        q = q.filter(r::status.eq(s));
    }
    if let Some(k) = &f.kind {
        q = q.filter(r::kind.eq(k.clone()));
    }
    if let Some(g) = &f.regime {
        q = q.filter(r::regime.eq(g.clone()));
    }
    if let Some(c) = &f.source {
        q = q.filter(r::source.eq(c.clone()));
    }
    match &f.assignee {
        Assignee::Anyone => {}
        Assignee::Person(id) => q = q.filter(r::assignee_id.eq(id.clone())),
        Assignee::Unassigned => q = q.filter(r::assignee_id.is_null()),
    }
    if f.overdue {
        q = q.filter(r::due_on.lt(today));
    }
    if let Some(days) = f.due_within_days {
        q = q.filter(r::due_on.le(today + chrono::Duration::days(days)));
    }
    if let Some(from) = f.received_from {
        q = q.filter(r::received_at.ge(from.and_time(NaiveTime::MIN)));
    }
    if let Some(to) = f.received_to.and_then(|d| d.succ_opt()) {
        q = q.filter(r::received_at.lt(to.and_time(NaiveTime::MIN)));
    }
    if let Some(ids) = &f.ids {
        q = q.filter(r::id.eq_any(ids.clone()));
    }
    let soonest_first = f.view == View::Open || !f.view_applies();
    if let Some((due, id)) = &f.after {
        q = if soonest_first {
            q.filter(
                r::due_on
                    .gt(*due)
                    .or(r::due_on.eq(*due).and(r::id.gt(id.clone()))),
            )
        } else {
            q.filter(
                r::due_on
                    .lt(*due)
                    .or(r::due_on.eq(*due).and(r::id.lt(id.clone()))),
            )
        };
    }
    q = if soonest_first {
        q.order((r::due_on.asc(), r::id.asc()))
    } else {
        q.order((r::due_on.desc(), r::id.desc()))
    };
    q.limit(limit).load(conn)
}

/// Open requests per status, for the counts above the queue: the statuses that have
/// any, in the order of their codes. Read from the counts the triggers of migration
/// 000064 keep, instead of grouping every open request on each page view.
pub fn open_counts(conn: &mut DbConn) -> QueryResult<Vec<(Status, i64)>> {
    counts::table
        .filter(counts::requests.gt(0))
        .select((counts::status, counts::requests))
        .order(counts::status.asc())
        .load(conn)
}

pub fn by_reference(conn: &mut DbConn, reference: &str) -> QueryResult<Vec<String>> {
    r::table
        .filter(r::reference.eq(reference.trim().to_uppercase()))
        .select(r::id)
        .load(conn)
}

/// Which of `ids` an authorized agent filed (web form or DRP).
pub fn filed_by_agents(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<String>> {
    request_agents::table
        .filter(request_agents::request_id.eq_any(ids))
        .select(request_agents::request_id)
        .load(conn)
}
