//! Staff accounts: password hashing, account management (shared by the CLI and the
//! admin pages), login with lockout, and the logged-in session.

pub mod accounts;
pub mod hash_pool;
pub mod password;
pub mod session;
