//! Row types and queries, one concept per file. Functions take `&mut DbConn`; callers
//! own transactions (see `db::write_tx`).

pub mod audit;
pub mod audit_search;
pub mod connector_runs;
pub mod documents;
pub mod drp;
pub mod exports;
pub mod identities;
pub mod login_throttle;
pub mod manual_tasks;
pub mod messages;
pub mod notes;
pub mod outbox;
pub mod pauses;
pub mod queue;
pub mod reply_templates;
pub mod request_agents;
pub mod requests;
pub mod staff;
pub mod staff_oidc_states;
pub mod staff_sessions;
pub mod tokens;
