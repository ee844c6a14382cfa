//! Pure rules: no I/O, no clock reads. Everything here takes plain values and is
//! tested directly.

pub mod agent_filing;
pub mod authority;
pub mod complaint_rights;
pub mod deadlines;
pub mod decisions;
pub mod documents;
pub mod email_domain;
pub mod email_typos;
pub mod filing_for;
pub mod form_order;
pub mod intake;
pub mod kinds;
pub mod labels;
pub mod metrics;
pub mod pauses;
pub mod pdf_active_content;
pub mod roles;
pub mod runs;
pub mod source;
pub mod staff_actions;
pub mod state;
pub mod urgency;
