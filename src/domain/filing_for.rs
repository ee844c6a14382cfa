//! Who a request is for: the first question of the request form. A person files for
//! themselves or as an authorized agent for someone else; the agent's section of the
//! form counts only for an agent, and an agent's details typed under the other choice
//! are a mistake to point out, never something to drop without a word.

use super::agent_filing::RawAgent;
use super::intake::FieldErrors;
use crate::i18n::msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilingFor {
    Myself,
    SomeoneElse,
}

impl FilingFor {
    /// The form's `agent` radio: "yes" for an agent, "no" for the person themselves,
    /// None when it was not answered (then the person files for themselves, as the
    /// intake API and forms sent before this question existed do).
    pub fn from_form(value: Option<&str>) -> Option<FilingFor> {
        match value {
            Some("yes") => Some(FilingFor::SomeoneElse),
            Some("no") => Some(FilingFor::Myself),
            _ => None,
        }
    }

    pub fn as_form(self) -> &'static str {
        match self {
            FilingFor::Myself => "no",
            FilingFor::SomeoneElse => "yes",
        }
    }

    pub fn is_agent(self) -> bool {
        self == FilingFor::SomeoneElse
    }
}

/// The error when the agent's section was filled in (or a document attached) by someone
/// who said they file for themselves.
pub fn stray_agent_fields(
    filing_for: FilingFor,
    agent: &RawAgent,
    document_attached: bool,
) -> Option<FieldErrors> {
    let typed = [
        &agent.name,
        &agent.email,
        &agent.organisation,
        &agent.registration_number,
        &agent.authority,
    ]
    .iter()
    .any(|v| !v.trim().is_empty());
    if filing_for.is_agent() || !(typed || document_attached) {
        return None;
    }
    let mut errors = FieldErrors::new();
    errors.insert(
        "agent".into(),
        vec![msg("agent_filing.fields_without_agent")],
    );
    Some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(name: &str) -> RawAgent {
        RawAgent {
            name: name.into(),
            ..RawAgent::default()
        }
    }

    #[test]
    fn only_yes_makes_an_agent() {
        assert_eq!(
            FilingFor::from_form(Some("yes")),
            Some(FilingFor::SomeoneElse)
        );
        assert_eq!(FilingFor::from_form(Some("no")), Some(FilingFor::Myself));
        for v in [None, Some(""), Some("YES")] {
            assert_eq!(FilingFor::from_form(v), None, "{v:?}");
        }
    }

    #[test]
    fn agent_details_without_the_agent_choice_are_an_error() {
        let me = FilingFor::Myself;
        assert!(stray_agent_fields(me, &agent("Ann Agent"), false).is_some());
        assert!(stray_agent_fields(me, &agent(""), true).is_some());
        assert!(stray_agent_fields(me, &agent("  "), false).is_none());
        assert!(stray_agent_fields(FilingFor::SomeoneElse, &agent("Ann"), true).is_none());
    }
}
