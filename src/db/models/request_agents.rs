//! `request_agents`: who acted for the consumer on a request, by what authority, and
//! whether the consumer has confirmed it (CCPA §7063).

use crate::db::schema::request_agents as ra;
use crate::db::DbConn;
use crate::domain::authority::Authority;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const AGENT_CONTEXT: &str = "request_agents.value";

/// Where the consumer's direct confirmation stands.
pub mod confirmation {
    pub const PENDING: &str = "pending";
    pub const CONFIRMED: &str = "confirmed";
    pub const REFUSED: &str = "refused";
    pub const NOT_REQUIRED: &str = "not_required";
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ra)]
pub struct RequestAgentRow {
    pub request_id: String,
    pub authority: Authority,
    pub agent_name_enc: String,
    pub agent_email_enc: String,
    pub agent_email_index: Option<String>,
    pub organisation_enc: Option<String>,
    pub registration_number_enc: Option<String>,
    pub consumer_confirmation: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub drp_agent_id: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &RequestAgentRow) -> QueryResult<()> {
    diesel::insert_into(ra::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, request_id: &str) -> QueryResult<Option<RequestAgentRow>> {
    ra::table
        .find(request_id)
        .select(RequestAgentRow::as_select())
        .first(conn)
        .optional()
}

/// Records the consumer's answer once; false when it was already given.
pub fn set_confirmation(
    conn: &mut DbConn,
    request_id: &str,
    answer: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        ra::table
            .find(request_id)
            .filter(ra::consumer_confirmation.eq(confirmation::PENDING)),
    )
    .set((
        ra::consumer_confirmation.eq(answer),
        ra::confirmed_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
