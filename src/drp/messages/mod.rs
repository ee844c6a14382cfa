//! The messages an authorized agent sends, read with field-level error messages.
//!
//! The `parse_*` functions read JSON already taken out of its envelope and check every
//! field; the `verify_*` functions do the whole job on an HTTP body in the order the
//! spec sets (see the module docs of `drp`). Request types implement `Serialize` only:
//! a derived `Deserialize` would be a way to read a message that skips these checks.
//!
//! One file per message family — `pair.rs`, `exercise.rs`, `revoke.rs` — with what they
//! share beside them: `common.rs` (the claims every message carries), `identity.rs` (who
//! a request is about) and `fields.rs` (typed, field-by-field reading).

mod common;
mod exercise;
mod fields;
mod identity;
mod pair;
mod revoke;
#[cfg(test)]
mod test_support;

pub use common::CommonClaims;
pub use exercise::{parse_exercise, verify_exercise, Exercise, ExerciseRequest};
pub use identity::{Address, IdentityClaims, PresentClaim};
pub use pair::{parse_pair, verify_pair, PairRequest, PairResponse};
pub use revoke::{parse_revoke, verify_revoke, RevokeRequest};

use super::envelope::Opened;

/// The only protocol version this business speaks.
pub const DRP_VERSION: &str = "1.0";
/// Longest accepted string claim, in characters. Claims are stored and shown to staff;
/// nothing legitimate in them comes near this.
pub const MAX_STRING: usize = 1000;
/// Longest accepted structured address, as compact JSON.
pub const MAX_ADDRESS_JSON: usize = 4000;
pub const MAX_CALLBACK_URL: usize = 2048;
pub const MAX_REVOKE_REASON: usize = 2000;
/// RFC 5321's limit on a forward path, which is what an address has to fit in to be
/// mailed at all.
pub const MAX_EMAIL: usize = 254;
/// A consumer has a handful of relationships with one business; the cap only bounds
/// what one message can make us store.
pub const MAX_RELATIONSHIPS: usize = 100;

/// A message whose envelope and fields all passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified<T> {
    pub message: T,
    pub opened: Opened,
}

impl<T> Verified<T> {
    /// See [`Opened::signature_hash`].
    pub fn signature_hash(&self) -> String {
        self.opened.signature_hash()
    }
}
