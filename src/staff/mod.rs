//! Staff accounts: password hashing, account management (shared by the CLI and the
//! admin pages), login throttled per account and per client, the known-device cookie,
//! and the records behind staff sessions (the session itself is `web::staff_session`).

pub mod accounts;
pub mod device;
pub mod hash_pool;
pub mod login;
pub mod oidc;
pub mod password;
pub mod throttle;
