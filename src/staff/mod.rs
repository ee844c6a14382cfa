//! Staff accounts: password hashing, account management (shared by the CLI and the
//! admin pages), login throttled per account and per client, the known-device cookie,
//! and sessions held on the server.

pub mod accounts;
pub mod device;
pub mod hash_pool;
pub mod login;
pub mod password;
pub mod session;
pub mod throttle;
