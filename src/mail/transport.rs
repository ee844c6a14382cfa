//! Sending: SMTP through lettre, or `.eml` files when no SMTP server is configured
//! (the embedded default, handy for trying the portal and for tests).

use crate::config::{Settings, SmtpSettings};
use anyhow::Context;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport};
use std::path::PathBuf;
use std::time::Duration;

pub enum Mailer {
    /// The folder `.eml` files are written to.
    Files(PathBuf),
    Smtp(Box<SmtpTransport>),
}

/// Why a send failed, in words safe to store and log (no addresses, no server text).
#[derive(Debug)]
pub struct SendFailure {
    pub class: &'static str,
    /// Permanent failures (a 5xx for this message) are not retried.
    pub permanent: bool,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        match &settings.mail.smtp {
            None => {
                let dir = settings.mail_dir();
                crate::private_fs::ensure_dir(&dir)
                    .with_context(|| format!("cannot create mail folder {}", dir.display()))?;
                Ok(Mailer::Files(dir))
            }
            Some(smtp) => Ok(Mailer::Smtp(Box::new(smtp_transport(smtp)?))),
        }
    }

    pub fn send(&self, message: &lettre::Message) -> Result<(), SendFailure> {
        match self {
            Mailer::Files(dir) => write_eml(dir, message).map_err(|_| SendFailure {
                class: "could not write the .eml file",
                permanent: false,
            }),
            Mailer::Smtp(t) => t.send(message).map(|_| ()).map_err(|e| SendFailure {
                class: if e.is_permanent() {
                    "SMTP server refused the message permanently"
                } else if e.is_transient() {
                    "SMTP server asked us to try again later"
                } else {
                    "could not reach the SMTP server"
                },
                permanent: e.is_permanent(),
            }),
        }
    }

    /// Opens a connection and says hello: used by `check-config`.
    pub fn test_connection(&self) -> anyhow::Result<()> {
        match self {
            Mailer::Files(_) => Ok(()),
            Mailer::Smtp(t) => match t.test_connection() {
                Ok(true) => Ok(()),
                Ok(false) => anyhow::bail!("the SMTP server did not accept the connection"),
                Err(e) => Err(anyhow::anyhow!("cannot reach the SMTP server: {e}")),
            },
        }
    }
}

/// Writes the message under a temporary name and renames it into place, so anything
/// reading the folder (a mail pickup script, the tests) never sees a half-written file.
fn write_eml(dir: &std::path::Path, message: &lettre::Message) -> std::io::Result<()> {
    let name = uuid::Uuid::now_v7().to_string();
    let partial = dir.join(format!(".{name}.eml.partial"));
    crate::private_fs::write_new(&partial, &message.formatted())?;
    std::fs::rename(&partial, dir.join(format!("{name}.eml")))
}

/// Deletes `.eml` files (and abandoned partial ones) last written before `cutoff`:
/// they hold live verification, status and download links. Returns how many went.
pub fn expire_eml(dir: &std::path::Path, cutoff: std::time::SystemTime) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.ends_with(".eml") || name.ends_with(".eml.partial")) {
            continue;
        }
        let modified = entry.metadata()?.modified()?;
        if modified < cutoff {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn smtp_transport(smtp: &SmtpSettings) -> anyhow::Result<SmtpTransport> {
    let builder = match smtp.tls.as_str() {
        "tls" => SmtpTransport::relay(&smtp.host)?,
        "none" => SmtpTransport::builder_dangerous(&smtp.host),
        _ => SmtpTransport::starttls_relay(&smtp.host)?,
    };
    let mut builder = builder
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(smtp.timeout_seconds)));
    if let Some(user) = &smtp.username {
        builder = builder.credentials(Credentials::new(user.clone(), smtp_password(smtp)?));
    }
    Ok(builder.build())
}

fn smtp_password(smtp: &SmtpSettings) -> anyhow::Result<String> {
    if let Some(var) = &smtp.password_env {
        return std::env::var(var)
            .with_context(|| format!("mail.smtp.password_env names {var}, which is not set"));
    }
    if let Some(path) = &smtp.password_file {
        return std::fs::read_to_string(path)
            .map(|s| s.trim_end().to_string())
            .with_context(|| format!("cannot read mail.smtp.password_file {}", path.display()));
    }
    anyhow::bail!("mail.smtp.username is set but neither password_env nor password_file is")
}
