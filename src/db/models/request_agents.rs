//! `request_agents`: who acted for the consumer on a request, by what authority, and
//! whether the consumer has confirmed it (CCPA §7063).

use crate::db::schema::request_agents as ra;
use crate::db::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const AGENT_CONTEXT: &str = "request_agents.value";

/// How the agent may act: a signed permission (the consumer must confirm it directly),
/// a power of attorney (no confirmation may be required, Probate Code §§4121–4130), or
/// a Data Rights Protocol agent from the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    SignedPermission,
    PowerOfAttorney,
    Drp,
}

impl Authority {
    pub fn as_str(self) -> &'static str {
        match self {
            Authority::SignedPermission => "signed_permission",
            Authority::PowerOfAttorney => "power_of_attorney",
            Authority::Drp => "drp",
        }
    }

    pub fn parse(s: &str) -> Option<Authority> {
        [
            Authority::SignedPermission,
            Authority::PowerOfAttorney,
            Authority::Drp,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Authority::SignedPermission => crate::i18n::key("agent_authorities.signed_permission"),
            Authority::PowerOfAttorney => crate::i18n::key("agent_authorities.power_of_attorney"),
            Authority::Drp => crate::i18n::key("agent_authorities.drp"),
        }
    }
}

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
    pub authority: String,
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
