//! Operator tasks run from the command line: backups, data-key rotation and the CCPA
//! §7101 record export.

pub mod backup;
pub mod key_rotation;
pub mod records;
