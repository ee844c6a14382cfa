//! The Data Rights Protocol 1.0, covered-business side.
//!
//! DRP (consumer-reports-innovation-lab/data-rights-protocol) lets an authorized
//! agent file GDPR/CCPA requests on a consumer's behalf: it pairs with us once
//! (`POST /v1/agent/{agent-id}`, answered with a bearer token), then files requests
//! (`POST /v1/data-rights-request`), asks for their status and may revoke them
//! (`DELETE /v1/data-rights-request/{id}`). Each body is text: standard base64 of a
//! 64-byte Ed25519 signature followed by the JSON it signs (libsodium combined mode).
//! A body is checked in the spec's order, stopping at the first failure: (1) it
//! decodes and is longer than the signature; (2) the signature verifies, strictly,
//! against the verify key of the agent the token (or pairing path) names; (3) the JSON
//! parses and `agent-id` is that agent; (4) `business-id` is us; (5) `issued-at` is
//! not in the future, give or take [`envelope::CLOCK_SKEW`]; (6) `expires-at` is
//! still ahead, and at most `drp.max_validity_minutes` (15 by default) after
//! `issued-at`. Only then are the request's own fields read. Everything here is pure —
//! no database, clock or network — so handlers pass in the key, the expected ids,
//! `now` and the window, and keep the replay table under the key [`replay`] computes.
//! Pairing failures are answered 403 with an empty body; other failures with
//! [`EnvelopeError::body`].

pub mod envelope;
pub mod messages;
pub mod replay;
pub mod status;

pub use envelope::{
    check_claims, open, parse_verify_key, EnvelopeError, Expected, KeyError, Opened,
};
pub use messages::{
    parse_exercise, parse_pair, parse_revoke, verify_exercise, verify_pair, verify_revoke, Address,
    CommonClaims, Exercise, ExerciseRequest, IdentityClaims, PairRequest, PairResponse,
    PresentClaim, RevokeRequest, Verified,
};
pub use status::{error_body, status_object, DrpStatus, PortalView, Reason, StatusObject};
