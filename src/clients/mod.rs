//! What the portal keeps per client address, shared by the server and built with the
//! state: where the address comes from (`address`: the peer, or a trusted proxy's
//! header), the rate limits per address, and the requests each has in progress.

pub mod address;
pub mod rate_limit;
pub mod slots;
