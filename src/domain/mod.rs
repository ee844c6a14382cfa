//! Pure rules: no I/O, no clock reads. Everything here takes plain values and is
//! tested directly.

pub mod deadlines;
pub mod intake;
pub mod kinds;
pub mod state;
