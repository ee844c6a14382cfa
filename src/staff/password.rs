//! Argon2id password hashing with the configured cost, and a dummy verification for
//! unknown accounts so that response time does not reveal which emails exist.

use crate::config::StaffSettings;
use crate::i18n::{msg, Message};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

pub const MIN_LENGTH: usize = 12;
/// Longest accepted password, in characters: argon2 takes any length, the bound keeps
/// one login from costing more than another.
pub const MAX_LENGTH: usize = 1024;

pub struct Hasher {
    argon: Argon2<'static>,
    /// Hash of a random secret, verified against when the account does not exist.
    dummy: String,
}

impl Hasher {
    pub fn new(cfg: &StaffSettings) -> anyhow::Result<Hasher> {
        let params = Params::new(
            cfg.argon2_memory_kib,
            cfg.argon2_iterations,
            cfg.argon2_parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let dummy = dummy_hash(&params)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        Ok(Hasher { argon, dummy })
    }

    pub fn hash(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    }

    /// Verifies against `stored`, or against the dummy hash when there is no account, so
    /// both paths cost the same.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let target = stored.unwrap_or(&self.dummy);
        let ok = PasswordHash::new(target)
            .map(|parsed| {
                self.argon
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && stored.is_some()
    }
}

/// A hash in the configured format and cost whose output is random bytes: verifying any
/// password against it costs what a real verification costs and never succeeds. Made
/// without hashing, because a hash at every start took 19 MiB and 50 ms for nothing.
fn dummy_hash(params: &Params) -> anyhow::Result<String> {
    let mut output = [0u8; 32];
    rand::rngs::OsRng.fill(&mut output[..]);
    let output = argon2::password_hash::Output::new(&output)
        .map_err(|e| anyhow::anyhow!("dummy hash: {e}"))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${output}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        SaltString::generate(&mut OsRng).as_str(),
    ))
}

/// A random password for new accounts and resets: 20 characters, about 115 bits.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Why a new password is refused, in words for the form.
pub fn check_new(password: &str, email: &str) -> Result<(), Message> {
    if password.chars().count() < MIN_LENGTH {
        return Err(msg("errors.password_too_short").with("min", MIN_LENGTH));
    }
    if password.chars().count() > MAX_LENGTH {
        return Err(msg("errors.password_too_long").with("max", MAX_LENGTH));
    }
    if password.to_lowercase().contains(&email.to_lowercase()) {
        return Err(msg("errors.password_contains_email"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = Hasher::new(&StaffSettings::default()).expect("hasher");
        let stored = h.hash("correct horse battery").expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify("correct horse battery", Some(&stored)));
        assert!(!h.verify("wrong", Some(&stored)));
        // The dummy path never succeeds, not even with the dummy's own secret.
        assert!(!h.verify("anything", None));
    }

    #[test]
    fn the_dummy_is_verified_at_the_configured_cost() {
        let settings = StaffSettings {
            argon2_memory_kib: 8192,
            argon2_iterations: 3,
            ..StaffSettings::default()
        };
        let h = Hasher::new(&settings).expect("hasher");
        // Unknown accounts must cost what known ones do: same algorithm and parameters.
        let parsed = PasswordHash::new(&h.dummy).expect("the dummy parses");
        let real = h.hash("correct horse battery").expect("hash");
        let real = PasswordHash::new(&real).expect("parses");
        assert_eq!(parsed.algorithm, real.algorithm);
        assert_eq!(parsed.version, real.version);
        assert_eq!(parsed.params, real.params);
        assert_eq!(parsed.salt.map(|s| s.len()), real.salt.map(|s| s.len()));
        assert_eq!(parsed.hash.map(|o| o.len()), Some(32));
        assert_ne!(Hasher::new(&settings).expect("hasher").dummy, h.dummy);
    }

    #[test]
    fn new_passwords_are_checked() {
        assert!(check_new("short", "a@b.c").is_err());
        assert!(check_new("xxa@b.cxxxxxxxx", "a@b.c").is_err());
        assert!(check_new("a sufficiently long one", "a@b.c").is_ok());
        assert_eq!(generate().len(), 20);
        assert_ne!(generate(), generate());
    }
}
