//! By what authority an agent acts for a consumer.

/// How the agent may act: a signed permission (the consumer must confirm it directly),
/// a power of attorney (no confirmation may be required, Probate Code §§4121–4130), or
/// a Data Rights Protocol agent from the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Authority {
    SignedPermission,
    PowerOfAttorney,
    Drp,
}

impl Authority {
    pub fn as_str(self) -> &'static str {
        match self {
            Authority::SignedPermission => "signed_permission",
            Authority::PowerOfAttorney => "power_of_attorney",
            Authority::Drp => "drp",
        }
    }

    pub fn parse(s: &str) -> Option<Authority> {
        [
            Authority::SignedPermission,
            Authority::PowerOfAttorney,
            Authority::Drp,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Authority::SignedPermission => crate::i18n::key("agent_authorities.signed_permission"),
            Authority::PowerOfAttorney => crate::i18n::key("agent_authorities.power_of_attorney"),
            Authority::Drp => crate::i18n::key("agent_authorities.drp"),
        }
    }
}
