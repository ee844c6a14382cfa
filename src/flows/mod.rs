//! Use cases that combine domain rules with storage: each runs in one write
//! transaction so that the change, its audit event and its email commit together.

pub mod acknowledgement;
pub mod address_change;
pub mod agents;
pub mod answer_notice;
pub mod appeal;
pub mod bulk;
pub mod connector_runs;
pub mod conversation;
pub mod drp;
pub mod drp_directory;
pub mod drp_verification;
pub mod emails;
pub mod expiry;
pub mod handling;
pub mod intake;
pub mod links;
pub mod lost_link;
pub mod manual_entry;
pub mod manual_tasks;
pub mod notices;
pub mod package;
pub mod reference;
pub mod reply_templates;
pub mod request_change;
pub mod status;
pub mod stored_documents;
pub mod verification;
pub mod withdrawal;

/// Who caused an audit event. Never a person's name or address.
pub mod actors {
    pub const CONSUMER: &str = "consumer";
    pub const API: &str = "api";
    /// An authorized agent acting for the consumer (web form or DRP).
    pub const AGENT: &str = "agent";
    pub const SYSTEM: &str = "system";
    /// The operator, through the command line.
    pub const CLI: &str = "cli";
}
