//! What a person can ask for, where they live, and which law that brings.

use super::deadlines::{Regime, Track};
use crate::i18n::key;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Access,
    Deletion,
    Correction,
    OptOut,
    Portability,
    Restriction,
    Objection,
    WithdrawConsent,
    /// An appeal against a refusal (US state laws). Never filed from the form: it is
    /// opened from the status page of the refused request.
    Appeal,
    /// Opting back in to sale/sharing: the consumer's renewed consent, recorded at once.
    /// Arrives from authorized agents (DRP `sale:opt-in`), never from the form.
    OptIn,
}

impl RequestKind {
    pub const ALL: [RequestKind; 8] = [
        RequestKind::Access,
        RequestKind::Deletion,
        RequestKind::Correction,
        RequestKind::OptOut,
        RequestKind::Portability,
        RequestKind::Restriction,
        RequestKind::Objection,
        RequestKind::WithdrawConsent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Deletion => "deletion",
            RequestKind::Correction => "correction",
            RequestKind::OptOut => "opt_out",
            RequestKind::Portability => "portability",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection => "objection",
            RequestKind::WithdrawConsent => "withdraw_consent",
            RequestKind::Appeal => "appeal",
            RequestKind::OptIn => "opt_in",
        }
    }

    /// Any stored kind; `ALL` lists only the kinds a person can file directly.
    pub fn parse(s: &str) -> Option<RequestKind> {
        RequestKind::ALL
            .into_iter()
            .chain([RequestKind::Appeal, RequestKind::OptIn])
            .find(|k| k.as_str() == s)
    }

    /// Short label in the consumer's words.
    pub fn label_key(self) -> &'static str {
        match self {
            RequestKind::Access => key("kinds.access"),
            RequestKind::Deletion => key("kinds.deletion"),
            RequestKind::Correction => key("kinds.correction"),
            RequestKind::OptOut => key("kinds.opt_out"),
            RequestKind::Portability => key("kinds.portability"),
            RequestKind::Restriction => key("kinds.restriction"),
            RequestKind::Objection => key("kinds.objection"),
            RequestKind::WithdrawConsent => key("kinds.withdraw_consent"),
            RequestKind::Appeal => key("kinds.appeal"),
            RequestKind::OptIn => key("kinds.opt_in"),
        }
    }

    pub fn description_key(self) -> &'static str {
        match self {
            RequestKind::Access => key("kind_descriptions.access"),
            RequestKind::Deletion => key("kind_descriptions.deletion"),
            RequestKind::Correction => key("kind_descriptions.correction"),
            RequestKind::OptOut => key("kind_descriptions.opt_out"),
            RequestKind::Portability => key("kind_descriptions.portability"),
            RequestKind::Restriction => key("kind_descriptions.restriction"),
            RequestKind::Objection => key("kind_descriptions.objection"),
            RequestKind::WithdrawConsent => key("kind_descriptions.withdraw_consent"),
            RequestKind::Appeal => key("kind_descriptions.appeal"),
            RequestKind::OptIn => key("kind_descriptions.opt_in"),
        }
    }

    /// Opt-out of sale/sharing needs no identity verification (CCPA §7026); an appeal
    /// comes from the status page of a request whose email was already verified.
    pub fn needs_verification(self) -> bool {
        !matches!(
            self,
            RequestKind::OptOut | RequestKind::Appeal | RequestKind::OptIn
        )
    }

    pub fn track(self) -> Track {
        match self {
            RequestKind::OptOut | RequestKind::OptIn => Track::OptOut,
            RequestKind::Appeal => Track::Appeal,
            _ => Track::Standard,
        }
    }

    /// The CCPA §7102 metrics row this kind is counted in.
    pub fn metrics_group(self) -> &'static str {
        match self {
            RequestKind::Access | RequestKind::Portability => "know",
            RequestKind::Deletion => "delete",
            RequestKind::Correction => "correct",
            RequestKind::OptOut | RequestKind::OptIn => "opt_out",
            RequestKind::Restriction | RequestKind::Objection | RequestKind::WithdrawConsent => {
                "other_gdpr"
            }
            RequestKind::Appeal => "appeal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    Eu,
    Uk,
    California,
    UsOther,
    Other,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 5] = [
        Jurisdiction::Eu,
        Jurisdiction::Uk,
        Jurisdiction::California,
        Jurisdiction::UsOther,
        Jurisdiction::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::Eu => "eu",
            Jurisdiction::Uk => "uk",
            Jurisdiction::California => "california",
            Jurisdiction::UsOther => "us_other",
            Jurisdiction::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Jurisdiction> {
        Jurisdiction::ALL.into_iter().find(|j| j.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Jurisdiction::Eu => key("places.eu"),
            Jurisdiction::Uk => key("places.uk"),
            Jurisdiction::California => key("places.california"),
            Jurisdiction::UsOther => key("places.us_other"),
            Jurisdiction::Other => key("places.other"),
        }
    }

    pub fn regime(self) -> Regime {
        match self {
            Jurisdiction::Eu => Regime::Gdpr,
            Jurisdiction::Uk => Regime::UkGdpr,
            Jurisdiction::California => Regime::Ccpa,
            Jurisdiction::UsOther => Regime::UsState,
            Jurisdiction::Other => Regime::Voluntary,
        }
    }

    /// The kinds the law of this place gives a person. Where no law applies we still
    /// honour the three basic requests, as a matter of policy.
    pub fn kinds(self) -> &'static [RequestKind] {
        use RequestKind::*;
        match self {
            // GDPR Arts 7(3), 15–18, 20, 21. "Sale" is not a GDPR notion: objection covers it.
            Jurisdiction::Eu | Jurisdiction::Uk => &[
                Access,
                Deletion,
                Correction,
                Portability,
                Restriction,
                Objection,
                WithdrawConsent,
            ],
            // CCPA/CPRA §§1798.100–1798.121: know, delete, correct, opt out of sale/sharing.
            Jurisdiction::California => &[Access, Deletion, Correction, OptOut],
            // VA, CO, CT and the laws built like them add a portable copy.
            Jurisdiction::UsOther => &[Access, Deletion, Correction, Portability, OptOut],
            Jurisdiction::Other => &[Access, Deletion, Correction],
        }
    }

    pub fn offers(self, kind: RequestKind) -> bool {
        self.kinds().contains(&kind)
    }

    /// One plain sentence on what the law gives people here (shown on the home page).
    pub fn rights_summary_key(self) -> &'static str {
        match self {
            Jurisdiction::Eu => key("place_rights.eu"),
            Jurisdiction::Uk => key("place_rights.uk"),
            Jurisdiction::California => key("place_rights.california"),
            Jurisdiction::UsOther => key("place_rights.us_other"),
            Jurisdiction::Other => key("place_rights.other"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.as_str()), Some(k));
        }
        for j in Jurisdiction::ALL {
            assert_eq!(Jurisdiction::parse(j.as_str()), Some(j));
        }
        assert_eq!(RequestKind::parse("Access"), None);
        assert_eq!(RequestKind::parse("appeal"), Some(RequestKind::Appeal));
        assert!(!RequestKind::ALL.contains(&RequestKind::Appeal));
    }

    #[test]
    fn kinds_follow_the_law() {
        assert!(!Jurisdiction::Eu.offers(RequestKind::OptOut));
        assert!(Jurisdiction::Eu.offers(RequestKind::Objection));
        assert!(Jurisdiction::California.offers(RequestKind::OptOut));
        assert!(!Jurisdiction::California.offers(RequestKind::Restriction));
        assert!(!Jurisdiction::Other.offers(RequestKind::Portability));
        assert_eq!(Jurisdiction::California.regime(), Regime::Ccpa);
    }
}
