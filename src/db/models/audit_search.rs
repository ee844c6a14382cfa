//! The audit log's search: events matching the filters, newest first, a page at a
//! time by keyset on `seq` (no OFFSET, so the thousandth page costs what the first
//! does). Each filter has an index beginning with its column and ending with `seq`
//! (`audit_events_request`, `_actor`, `_action`), and the date range uses
//! `audit_events_created`.

use crate::db::models::audit::AuditRow;
use crate::db::schema::audit_events as ae;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Default)]
pub struct Search {
    pub request_id: Option<String>,
    /// Events by one of these actor codes, or whose code starts with `actor_prefix`
    /// (`views::audit_log` groups the codes: staff member, person, agent, portal).
    pub actors: Vec<String>,
    pub actor_prefix: Option<String>,
    pub action: Option<String>,
    /// From this moment on (inclusive).
    pub from: Option<NaiveDateTime>,
    /// Before this moment (exclusive).
    pub until: Option<NaiveDateTime>,
}

/// Where a page starts: the newest events, or next to an event already shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Newest,
    /// Older than this sequence number.
    Before(i64),
    /// Newer than this sequence number.
    After(i64),
}

/// One page: events newest first, and whether there are more on each side.
pub struct Page {
    pub events: Vec<AuditRow>,
    pub has_older: bool,
    pub has_newer: bool,
}

pub fn page(conn: &mut DbConn, s: &Search, cursor: Cursor, size: i64) -> QueryResult<Page> {
    let mut q = filtered(s);
    q = match cursor {
        Cursor::Newest => q.order(ae::seq.desc()),
        Cursor::Before(seq) => q.filter(ae::seq.lt(seq)).order(ae::seq.desc()),
        Cursor::After(seq) => q.filter(ae::seq.gt(seq)).order(ae::seq.asc()),
    };
    let mut events: Vec<AuditRow> = q.limit(size + 1).select(AuditRow::as_select()).load(conn)?;
    let more = events.len() as i64 > size;
    events.truncate(size as usize);
    if let Cursor::After(_) = cursor {
        events.reverse();
    }
    // The side the page came from has events by construction; the other is `more`.
    let (has_older, has_newer) = match cursor {
        Cursor::Newest => (more, false),
        Cursor::Before(_) => (more, true),
        Cursor::After(_) => (true, more),
    };
    Ok(Page {
        events,
        has_older,
        has_newer,
    })
}

type Boxed<'a> = ae::BoxedQuery<'a, <DbConn as diesel::Connection>::Backend>;

fn filtered(s: &Search) -> Boxed<'_> {
    let mut q = ae::table.into_boxed();
    if let Some(id) = &s.request_id {
        q = q.filter(ae::request_id.eq(id));
    }
    match (s.actors.is_empty(), &s.actor_prefix) {
        (true, None) => {}
        (false, None) => q = q.filter(ae::actor.eq_any(s.actors.clone())),
        (true, Some(prefix)) => q = q.filter(ae::actor.like(format!("{prefix}%"))),
        (false, Some(prefix)) => {
            q = q.filter(
                ae::actor
                    .eq_any(s.actors.clone())
                    .or(ae::actor.like(format!("{prefix}%"))),
            )
        }
    }
    if let Some(action) = &s.action {
        q = q.filter(ae::action.eq(action));
    }
    if let Some(from) = s.from {
        q = q.filter(ae::created_at.ge(from));
    }
    if let Some(until) = s.until {
        q = q.filter(ae::created_at.lt(until));
    }
    q
}
