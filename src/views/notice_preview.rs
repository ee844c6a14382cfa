//! The confirmation page of a refusal or fulfilment (`pages/staff/confirm_decision`):
//! what is decided, who is told, and the notice word for word, with the form that
//! sends it and the one that goes back to edit it (both carry what was typed).

use crate::flows::handling::Preview;
use crate::state::AppState;
use serde::Serialize;

/// The template's context of `pages/staff/confirm_decision`.
#[derive(Serialize)]
pub struct DecisionPage {
    title: String,
    id: String,
    reference: String,
    version: i64,
    summary: String,
    recipients: Vec<Recipient>,
    subject: String,
    /// The email's text part; the template escapes it.
    text: String,
    /// What the forms post back: the action and its fields as typed.
    action: &'static str,
    code: String,
    message: String,
    in_part: bool,
    /// The access package is built and sent first (the package panel's one-step close).
    pub with_package: bool,
}

#[derive(Serialize)]
struct Recipient {
    who: String,
    email: String,
}

/// The confirmation page of `preview` on request `id` (`reference`) seen at `version`;
/// `message` is the text as the staff member typed it, posted back unchanged.
pub fn decision_page(
    state: &AppState,
    (id, reference, version): (&str, &str, i64),
    preview: Preview,
    message: String,
) -> DecisionPage {
    let t = &state.templates;
    let d = &preview.decision;
    let summary = match (&d.reason, d.in_part) {
        (Some((_, label)), _) => t.phrase("staff_decision.deny_summary", &[("reason", label)]),
        (None, true) => t.phrase("staff_decision.fulfil_part_summary", &[]),
        (None, false) => t.phrase("staff_decision.fulfil_summary", &[]),
    };
    let mut recipients = vec![Recipient {
        who: t.phrase("staff_decision.to_person", &[]),
        email: preview.person_email.clone(),
    }];
    if let Some(agent) = &preview.agent_email {
        recipients.push(Recipient {
            who: t.phrase("staff_decision.to_agent", &[]),
            email: agent.clone(),
        });
    }
    DecisionPage {
        title: t.phrase("staff_decision.title", &[]),
        id: id.to_string(),
        reference: reference.to_string(),
        version,
        summary,
        recipients,
        subject: preview.subject,
        text: preview.text,
        action: if d.reason.is_some() { "deny" } else { "fulfil" },
        code: d
            .reason
            .as_ref()
            .map(|(c, _)| c.to_string())
            .unwrap_or_default(),
        message,
        in_part: d.in_part,
        with_package: false,
    }
}
