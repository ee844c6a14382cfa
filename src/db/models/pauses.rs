//! `request_pauses`: when the response clock stopped while we waited for information
//! we asked for (GDPR). Recorded, never overwritten: the due date is derived from them.

use crate::db::schema::request_pauses;
use crate::db::DbConn;
use crate::domain::pauses::Pause;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn open(conn: &mut DbConn, request_id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(request_pauses::table)
        .values((
            request_pauses::id.eq(crate::clock::new_id()),
            request_pauses::request_id.eq(request_id),
            request_pauses::started_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Ends the running pause, if any.
pub fn close(conn: &mut DbConn, request_id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        request_pauses::table
            .filter(request_pauses::request_id.eq(request_id))
            .filter(request_pauses::ended_at.is_null()),
    )
    .set(request_pauses::ended_at.eq(now))
    .execute(conn)
}

/// Every recorded pause of a request, for `domain::pauses::clock_start`.
pub fn for_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<Pause>> {
    let spans: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = request_pauses::table
        .filter(request_pauses::request_id.eq(request_id))
        .select((request_pauses::started_at, request_pauses::ended_at))
        .load(conn)?;
    Ok(spans
        .into_iter()
        .map(|(started_at, ended_at)| Pause {
            started_at,
            ended_at,
        })
        .collect())
}
