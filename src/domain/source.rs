//! How a request reached the portal.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[serde(rename = "web_form")]
    Web,
    Api,
    Drp,
    /// Entered by staff from another channel (`flows::manual_entry`).
    Email,
    Phone,
    Letter,
    InPerson,
    /// An appeal, opened from the status page of the refused request.
    StatusPage,
}

impl Source {
    pub const ALL: [Source; 8] = [
        Source::Web,
        Source::Api,
        Source::Drp,
        Source::Email,
        Source::Phone,
        Source::Letter,
        Source::InPerson,
        Source::StatusPage,
    ];

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The catalogue key of how the request arrived, as staff read it.
    pub fn label_key(self) -> &'static str {
        match self {
            Source::Web => crate::i18n::key("sources.web_form"),
            Source::Api => crate::i18n::key("sources.api"),
            Source::Drp => crate::i18n::key("sources.drp"),
            Source::Email => crate::i18n::key("sources.email"),
            Source::Phone => crate::i18n::key("sources.phone"),
            Source::Letter => crate::i18n::key("sources.letter"),
            Source::InPerson => crate::i18n::key("sources.in_person"),
            Source::StatusPage => crate::i18n::key("sources.status_page"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web_form",
            Source::Api => "api",
            Source::Drp => "drp",
            Source::Email => "email",
            Source::Phone => "phone",
            Source::Letter => "letter",
            Source::InPerson => "in_person",
            Source::StatusPage => "status_page",
        }
    }
}
