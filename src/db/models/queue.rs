//! The staff queue: open requests, soonest due first, filtered, keyset-paginated.
//!
//! Served by the partial index `requests_open_queue (due_on, id) WHERE closed_at IS NULL`,
//! so the first page costs the same with a million closed requests as with none.

use super::requests::RequestRow;
use crate::db::schema::requests as r;
use crate::db::DbConn;
use crate::domain::state::Status;
use chrono::NaiveDate;
use diesel::prelude::*;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Assignee {
    #[default]
    Anyone,
    Mine(String),
    Unassigned,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub regime: Option<String>,
    pub assignee: Assignee,
    pub overdue: bool,
    pub due_within_days: Option<i64>,
    /// Restrict to these request ids (search by reference or email).
    pub ids: Option<Vec<String>>,
    /// Keyset cursor: rows strictly after (due_on, id).
    pub after: Option<(NaiveDate, String)>,
}

pub fn page(
    conn: &mut DbConn,
    f: &Filter,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    let mut q = r::table
        .filter(r::closed_at.is_null())
        .select(RequestRow::as_select())
        .into_boxed();
    if let Some(s) = &f.status {
        q = q.filter(r::status.eq(s.clone()));
    }
    if let Some(k) = &f.kind {
        q = q.filter(r::kind.eq(k.clone()));
    }
    if let Some(g) = &f.regime {
        q = q.filter(r::regime.eq(g.clone()));
    }
    match &f.assignee {
        Assignee::Anyone => {}
        Assignee::Mine(id) => q = q.filter(r::assignee_id.eq(id.clone())),
        Assignee::Unassigned => q = q.filter(r::assignee_id.is_null()),
    }
    if f.overdue {
        q = q.filter(r::due_on.lt(today));
    }
    if let Some(days) = f.due_within_days {
        q = q.filter(r::due_on.le(today + chrono::Duration::days(days)));
    }
    if let Some(ids) = &f.ids {
        q = q.filter(r::id.eq_any(ids.clone()));
    }
    if let Some((due, id)) = &f.after {
        q = q.filter(
            r::due_on
                .gt(*due)
                .or(r::due_on.eq(*due).and(r::id.gt(id.clone()))),
        );
    }
    q.order((r::due_on.asc(), r::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Open requests per status, for the counts above the queue.
pub fn open_counts(conn: &mut DbConn) -> QueryResult<Vec<(Status, i64)>> {
    r::table
        .filter(r::closed_at.is_null())
        .group_by(r::status)
        .select((r::status, diesel::dsl::count_star()))
        .order(r::status.asc())
        .load(conn)
}

pub fn by_reference(conn: &mut DbConn, reference: &str) -> QueryResult<Vec<String>> {
    r::table
        .filter(r::reference.eq(reference.trim().to_uppercase()))
        .select(r::id)
        .load(conn)
}
