//! What staff read for codes stored as text rather than enums: audit actions (on the
//! request timeline and the audit log) and connector runs' actions and states. The
//! stored value stays a code (the audit hash chain covers it); a code without a label
//! here (one added later, say) is shown as it is.

use crate::i18n::key;

pub fn audit_action_key(action: &str) -> Option<&'static str> {
    Some(match action {
        "request_submitted" => key("audit_actions.request_submitted"),
        "email_verified" => key("audit_actions.email_verified"),
        "accepted_without_verification" => key("audit_actions.accepted_without_verification"),
        "closed_unverified" => key("audit_actions.closed_unverified"),
        "link_resent" => key("audit_actions.link_resent"),
        "acknowledged" => key("audit_actions.acknowledged"),
        "identity_verified" => key("audit_actions.identity_verified"),
        "information_requested" => key("audit_actions.information_requested"),
        "information_received" => key("audit_actions.information_received"),
        "extended" => key("audit_actions.extended"),
        "denied" => key("audit_actions.denied"),
        "fulfilled" => key("audit_actions.fulfilled"),
        "withdrawn" => key("audit_actions.withdrawn"),
        "appealed" => key("audit_actions.appealed"),
        "appeal_submitted" => key("audit_actions.appeal_submitted"),
        "assigned" => key("audit_actions.assigned"),
        "note_added" => key("audit_actions.note_added"),
        "connector_run_queued" => key("audit_actions.connector_run_queued"),
        "connector_run_done" => key("audit_actions.connector_run_done"),
        "connector_run_failed" => key("audit_actions.connector_run_failed"),
        "connector_run_retrying" => key("audit_actions.connector_run_retrying"),
        "connector_run_waiting" => key("audit_actions.connector_run_waiting"),
        "package_sent" => key("audit_actions.package_sent"),
        "package_downloaded" => key("audit_actions.package_downloaded"),
        "personal_data_removed" => key("audit_actions.personal_data_removed"),
        "agent_document_received" => key("audit_actions.agent_document_received"),
        "agent_document_reviewed" => key("audit_actions.agent_document_reviewed"),
        "document_viewed" => key("audit_actions.document_viewed"),
        "consumer_confirmed_agent" => key("audit_actions.consumer_confirmed_agent"),
        "consumer_refused_agent" => key("audit_actions.consumer_refused_agent"),
        "agent_email_verified" => key("audit_actions.agent_email_verified"),
        "drp_request_received" => key("audit_actions.drp_request_received"),
        "drp_request_revoked" => key("audit_actions.drp_request_revoked"),
        "drp_verification_url_issued" => key("audit_actions.drp_verification_url_issued"),
        "consent_renewed" => key("audit_actions.consent_renewed"),
        "drp_agent_added" => key("audit_actions.drp_agent_added"),
        "drp_agent_paired" => key("audit_actions.drp_agent_paired"),
        "drp_agent_enabled" => key("audit_actions.drp_agent_enabled"),
        "drp_agent_disabled" => key("audit_actions.drp_agent_disabled"),
        "staff_added" => key("audit_actions.staff_added"),
        "staff_disabled" => key("audit_actions.staff_disabled"),
        "staff_enabled" => key("audit_actions.staff_enabled"),
        "staff_login" => key("audit_actions.staff_login"),
        "staff_login_failed" => key("audit_actions.staff_login_failed"),
        "staff_logout" => key("audit_actions.staff_logout"),
        "staff_sessions_ended" => key("audit_actions.staff_sessions_ended"),
        "staff_password_change_failed" => key("audit_actions.staff_password_change_failed"),
        "staff_password_changed" => key("audit_actions.staff_password_changed"),
        "staff_password_reset" => key("audit_actions.staff_password_reset"),
        "consumer_told_of_agent" => key("audit_actions.consumer_told_of_agent"),
        _ => return None,
    })
}

pub fn role_key(code: &str) -> Option<&'static str> {
    crate::domain::roles::Role::parse(code).map(|r| r.label_key())
}

pub fn source_key(code: &str) -> Option<&'static str> {
    crate::flows::intake::Source::parse(code).map(|s| s.label_key())
}

pub fn jurisdiction_key(code: &str) -> Option<&'static str> {
    crate::domain::kinds::Jurisdiction::parse(code).map(|j| j.label_key())
}

pub fn run_action_key(action: &str) -> Option<&'static str> {
    Some(match action {
        "find" => key("run_actions.find"),
        "export" => key("run_actions.export"),
        "erase" => key("run_actions.erase"),
        "opt_out" => key("run_actions.opt_out"),
        _ => return None,
    })
}

pub fn run_status_key(status: &str) -> Option<&'static str> {
    Some(match status {
        "pending" => key("run_statuses.pending"),
        "running" => key("run_statuses.running"),
        "waiting" => key("run_statuses.waiting"),
        "done" => key("run_statuses.done"),
        "failed" => key("run_statuses.failed"),
        _ => return None,
    })
}
