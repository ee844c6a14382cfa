//! `[mail]`: the sender, SMTP or `.eml` files, and how long sent mail keeps its body.

use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The From header, e.g. "Example Privacy Team <privacy@example.com>".
    pub from: String,
    /// Without SMTP, messages are written as `.eml` files under `{data_dir}/mail/`.
    pub smtp: Option<SmtpSettings>,
    /// `.eml` files (no SMTP) hold live links: they are deleted this many days after
    /// they were written.
    pub eml_keep_days: i64,
    /// Days a sent message keeps its body in the outbox; 0 clears it once sent. After
    /// that only the template, the masked recipient, the message id and `sent_at` stay.
    pub keep_sent_bodies_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// "starttls" (default), "tls" (implicit, port 465) or "none" (local relays only).
    #[serde(default = "default_tls")]
    pub tls: String,
    #[serde(default)]
    pub username: Option<String>,
    /// Name of the environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File holding the password (e.g. a mounted secret).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default = "default_smtp_timeout")]
    pub timeout_seconds: u64,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_tls() -> String {
    "starttls".into()
}
fn default_smtp_timeout() -> u64 {
    20
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            from: "Privacy Team <privacy@example.com>".into(),
            smtp: None,
            eml_keep_days: 7,
            keep_sent_bodies_days: 0,
        }
    }
}

/// Small helper so `Mailbox` parsing reads as a check.
trait CheckedMailbox: Sized {
    fn from_str_checked(s: &str) -> anyhow::Result<Self>;
}

impl CheckedMailbox for lettre::message::Mailbox {
    fn from_str_checked(s: &str) -> anyhow::Result<Self> {
        s.parse()
            .map_err(|e| anyhow::anyhow!("mail.from = {s:?} is not a valid address: {e}"))
    }
}

impl MailSettings {
    /// A known TLS mode, a valid sender, and keeping periods that make sense.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        if let Some(smtp) = &self.smtp {
            if !["starttls", "tls", "none"].contains(&smtp.tls.as_str()) {
                bail!("mail.smtp.tls must be \"starttls\", \"tls\" or \"none\"");
            }
        }
        lettre::message::Mailbox::from_str_checked(&self.from)?;
        if self.eml_keep_days < 1 || self.keep_sent_bodies_days < 0 {
            bail!(
                "mail.eml_keep_days must be positive and mail.keep_sent_bodies_days not negative"
            );
        }
        Ok(())
    }
}
