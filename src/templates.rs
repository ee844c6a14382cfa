//! Handlebars templates for pages and emails, in strict mode so a misspelt variable is
//! an error rather than a silently empty field.
//!
//! Built-in templates are embedded in the binary; a `templates_dir` may override any of
//! them by relative name (e.g. `emails/verify_email.txt.hbs`). HTML templates escape
//! every value; plain-text ones (email bodies and subjects) do not, since there is no
//! HTML to break — their values are validated single-line or free text.

use anyhow::Context;
use handlebars::Handlebars;
use serde::Serialize;
use std::path::Path;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name, ".hbs")))),*]
    };
}

const HTML_TEMPLATES: &[(&str, &str)] = embedded!(
    "partials/layout",
    "partials/staff_layout",
    "exports/report",
    "pages/download",
    "pages/staff/login",
    "pages/staff/password",
    "pages/staff/queue",
    "pages/staff/request",
    "pages/staff/accounts",
    "pages/staff/audit",
    "pages/staff/metrics",
    "pages/staff/agents",
    "pages/staff/new_request",
    "pages/home",
    "pages/choose_jurisdiction",
    "pages/request_form",
    "pages/submitted",
    "pages/verify_confirm",
    "pages/verified",
    "pages/link_problem",
    "pages/link_sent",
    "pages/status",
    "pages/confirm_agent",
    "pages/agent_answered",
    "emails/package_ready.html",
    "emails/verify_email.html",
    "emails/request_confirmed.html",
    "emails/opt_out_received.html",
    "emails/request_closed_unverified.html",
    "emails/acknowledgement.html",
    "emails/identity_verified.html",
    "emails/info_requested.html",
    "emails/extended.html",
    "emails/denied.html",
    "emails/fulfilled.html",
    "emails/withdrawn.html",
    "emails/appeal_received.html",
    "emails/staff_reminder.html",
    "emails/staff_digest.html",
    "emails/agent_confirmation.html",
    "emails/agent_confirmed.html",
    "emails/agent_refused.html",
);

const TEXT_TEMPLATES: &[(&str, &str)] = embedded!(
    "emails/package_ready.subject",
    "emails/package_ready.txt",
    "emails/verify_email.subject",
    "emails/verify_email.txt",
    "emails/request_confirmed.subject",
    "emails/request_confirmed.txt",
    "emails/opt_out_received.subject",
    "emails/opt_out_received.txt",
    "emails/request_closed_unverified.subject",
    "emails/request_closed_unverified.txt",
    "emails/acknowledgement.subject",
    "emails/acknowledgement.txt",
    "emails/identity_verified.subject",
    "emails/identity_verified.txt",
    "emails/info_requested.subject",
    "emails/info_requested.txt",
    "emails/extended.subject",
    "emails/extended.txt",
    "emails/denied.subject",
    "emails/denied.txt",
    "emails/fulfilled.subject",
    "emails/fulfilled.txt",
    "emails/withdrawn.subject",
    "emails/withdrawn.txt",
    "emails/appeal_received.subject",
    "emails/appeal_received.txt",
    "emails/staff_reminder.subject",
    "emails/staff_reminder.txt",
    "emails/staff_digest.subject",
    "emails/staff_digest.txt",
    "emails/agent_confirmation.subject",
    "emails/agent_confirmation.txt",
    "emails/agent_confirmed.subject",
    "emails/agent_confirmed.txt",
    "emails/agent_refused.subject",
    "emails/agent_refused.txt",
);

pub struct Templates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
}

impl Templates {
    pub fn load(overrides: Option<&Path>) -> anyhow::Result<Templates> {
        let mut html = Handlebars::new();
        html.set_strict_mode(true);
        let mut text = Handlebars::new();
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        for (registry, list) in [(&mut html, HTML_TEMPLATES), (&mut text, TEXT_TEMPLATES)] {
            for (name, source) in list {
                let source = match overrides.map(|d| d.join(format!("{name}.hbs"))) {
                    Some(path) if path.exists() => std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read template {}", path.display()))?,
                    _ => (*source).to_string(),
                };
                registry
                    .register_template_string(name, source)
                    .with_context(|| format!("template {name} does not parse"))?;
            }
        }
        Ok(Templates { html, text })
    }

    pub fn page<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        Ok(self.html.render(name, data)?)
    }

    pub fn text<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        Ok(self.text.render(name, data)?)
    }
}
