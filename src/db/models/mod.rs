//! Row types and queries, one concept per file. Functions take `&mut DbConn`; callers
//! own transactions (see `db::write_tx`).

pub mod audit;
pub mod identities;
pub mod outbox;
pub mod requests;
pub mod tokens;
