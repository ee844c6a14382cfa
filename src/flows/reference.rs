//! The reference a request is known by.

use crate::db::models::requests;
use crate::db::DbConn;
use crate::error::AppError;
use rand::Rng;

/// A reference people can read out on the phone: `DSR-XXXX-XXXX` from an alphabet
/// without look-alike characters. Random, so it reveals nothing about volume.
pub fn new_reference(conn: &mut DbConn) -> Result<String, AppError> {
    for _ in 0..ATTEMPTS {
        let reference = random_reference();
        if !requests::reference_exists(conn, &reference)? {
            return Ok(reference);
        }
    }
    Err(no_free_reference())
}

/// Tries before giving up: with 31^8 references, eight misses in a row mean a bug.
pub const ATTEMPTS: usize = 8;

/// A reference not yet checked against the stored ones (intake lets the insert check).
pub fn random_reference() -> String {
    reference_from(&mut rand::rngs::OsRng)
}

/// `random_reference` drawn from `rng` (a seeded one fills benchmark databases).
pub fn reference_from(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut part = || -> String {
        (0..4)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect()
    };
    format!("DSR-{}-{}", part(), part())
}

pub fn no_free_reference() -> AppError {
    AppError::internal(anyhow::anyhow!("could not find a free reference"))
}
