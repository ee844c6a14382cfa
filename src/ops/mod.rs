//! Operator tasks run from the command line: backups and data-key rotation.

pub mod backup;
pub mod key_rotation;
