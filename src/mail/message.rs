//! A rendered email as it waits in the outbox, and its conversion to a MIME message.

use crate::templates::Templates;
use lettre::message::{header, Mailbox, MultiPart, SinglePart};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Stable across retries: if a send is repeated after a crash, mail systems can
    /// recognise the duplicate.
    pub message_id: String,
}

impl EmailMessage {
    /// Renders `emails/{template}.subject|.txt|.html` with `data`.
    pub fn render<T: Serialize>(
        templates: &Templates,
        template: &str,
        to: &str,
        data: &T,
        domain: &str,
    ) -> anyhow::Result<EmailMessage> {
        let subject = templates.text(&format!("emails/{template}.subject"), data)?;
        Ok(EmailMessage {
            to: to.to_string(),
            // A subject is one line whatever a template override does.
            subject: subject.lines().map(str::trim).collect::<Vec<_>>().join(" "),
            text: templates.text(&format!("emails/{template}.txt"), data)?,
            html: templates.page(&format!("emails/{template}.html"), data)?,
            message_id: format!("<{}@{}>", crate::clock::new_id(), domain),
        })
    }

    pub fn to_mime(&self, from: &str) -> anyhow::Result<lettre::Message> {
        let from: Mailbox = from.parse()?;
        let to: Mailbox = self.to.parse()?;
        Ok(lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject.clone())
            .message_id(Some(self.message_id.clone()))
            .header(header::MIME_VERSION_1_0)
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(self.text.clone()))
                    .singlepart(SinglePart::html(self.html.clone())),
            )?)
    }
}
