//! The reference a request is known by.

use crate::db::models::requests;
use crate::db::DbConn;
use crate::error::AppError;
use rand::Rng;

/// A reference people can read out on the phone: `DSR-XXXX-XXXX` from an alphabet
/// without look-alike characters. Random, so it reveals nothing about volume.
pub fn new_reference(conn: &mut DbConn) -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    for _ in 0..8 {
        let mut part = || -> String {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect()
        };
        let reference = format!("DSR-{}-{}", part(), part());
        if !requests::reference_exists(conn, &reference)? {
            return Ok(reference);
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "could not find a free reference"
    )))
}
