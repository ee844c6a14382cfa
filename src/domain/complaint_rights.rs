//! Where a person can turn when we refused their request in whole or in part: what the
//! status page tells them beside our answer. The authority's name comes from
//! `organisation.complaint_authority` (per place the person lives).

use super::deadlines::Regime;
use super::kinds::RequestKind;
use crate::i18n::key;

/// The route a person has against an answer that refused something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplaintRoute {
    /// GDPR / UK GDPR Art. 77–79: a complaint to a supervisory authority and a court.
    SupervisoryAuthority,
    /// CCPA: anyone may file a complaint with the California Privacy Protection Agency.
    Regulator,
    /// VA, CO, CT and the laws like them: an appeal to us first; the Attorney General
    /// is named once the appeal is answered.
    AppealFirst,
    /// The answer to such an appeal: the Attorney General now.
    AttorneyGeneral,
    /// A voluntary request: no law gives a route.
    None,
}

impl ComplaintRoute {
    /// The route against a refusal (in whole or in part) of a request of `kind`.
    pub fn of(regime: Regime, kind: RequestKind) -> ComplaintRoute {
        match regime {
            Regime::Gdpr | Regime::UkGdpr => ComplaintRoute::SupervisoryAuthority,
            Regime::Ccpa => ComplaintRoute::Regulator,
            Regime::UsState if kind == RequestKind::Appeal => ComplaintRoute::AttorneyGeneral,
            Regime::UsState => ComplaintRoute::AppealFirst,
            Regime::Voluntary => ComplaintRoute::None,
        }
    }

    /// The status page's sentence (with `{authority}`), if the route has one.
    pub fn sentence_key(self) -> Option<&'static str> {
        Some(match self {
            ComplaintRoute::SupervisoryAuthority => key("status.rights_gdpr"),
            ComplaintRoute::Regulator => key("status.rights_regulator"),
            ComplaintRoute::AppealFirst => key("status.rights_after_appeal"),
            ComplaintRoute::AttorneyGeneral => key("status.rights_attorney_general"),
            ComplaintRoute::None => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_law_names_its_route() {
        let access = RequestKind::Access;
        assert_eq!(
            ComplaintRoute::of(Regime::Gdpr, access),
            ComplaintRoute::SupervisoryAuthority
        );
        assert_eq!(
            ComplaintRoute::of(Regime::UkGdpr, access),
            ComplaintRoute::SupervisoryAuthority
        );
        assert_eq!(
            ComplaintRoute::of(Regime::Ccpa, access),
            ComplaintRoute::Regulator
        );
        assert_eq!(
            ComplaintRoute::of(Regime::UsState, access),
            ComplaintRoute::AppealFirst
        );
        assert_eq!(
            ComplaintRoute::of(Regime::UsState, RequestKind::Appeal),
            ComplaintRoute::AttorneyGeneral
        );
        assert_eq!(
            ComplaintRoute::of(Regime::Voluntary, access).sentence_key(),
            None
        );
    }
}
