//! Encryption at rest, blind indexes and secret tokens. All primitives come from
//! RustCrypto crates; nothing here implements cryptography by hand.

pub mod cipher;
pub mod keys;
pub mod rotation;
pub mod tokens;

pub use cipher::{BlindIndexer, FieldCipher};
pub use keys::Keys;
