//! What a person can ask for, where they live, and which law that brings.

use super::deadlines::{Regime, Track};
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
    pub fn label(self) -> &'static str {
        match self {
            RequestKind::Access => "Get a copy of my data",
            RequestKind::Deletion => "Delete my data",
            RequestKind::Correction => "Correct my data",
            RequestKind::OptOut => "Do not sell or share my personal information",
            RequestKind::Portability => "Receive my data in a portable format",
            RequestKind::Restriction => "Restrict how my data is used",
            RequestKind::Objection => "Object to how my data is used",
            RequestKind::WithdrawConsent => "Withdraw my consent",
            RequestKind::Appeal => "Appeal of a refused request",
            RequestKind::OptIn => "Opt back in to the sale or sharing of my personal information",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            RequestKind::Access => "We tell you what personal data we hold about you, why, where it came from and who receives it, and give you a copy.",
            RequestKind::Deletion => "We erase your personal data, except what the law requires or allows us to keep, and tell you what we kept and why.",
            RequestKind::Correction => "Tell us what is wrong and what it should be; we correct it.",
            RequestKind::OptOut => "We stop selling or sharing your personal information. No proof of identity is needed.",
            RequestKind::Portability => "We give you the data you provided to us in a structured, machine-readable file you can take elsewhere.",
            RequestKind::Restriction => "We keep your data but stop using it while an issue (for example its accuracy) is resolved.",
            RequestKind::Objection => "We stop processing your data for a purpose you object to. Objections to direct marketing are always honoured.",
            RequestKind::WithdrawConsent => "We stop any processing that relied on the consent you gave.",
            RequestKind::Appeal => "We review our refusal of your earlier request and answer within 60 days.",
            RequestKind::OptIn => "We record that you agree again to the sale or sharing of your personal information.",
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

    pub fn label(self) -> &'static str {
        match self {
            Jurisdiction::Eu => "European Union / EEA",
            Jurisdiction::Uk => "United Kingdom",
            Jurisdiction::California => "California",
            Jurisdiction::UsOther => "Another US state",
            Jurisdiction::Other => "Somewhere else",
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
    pub fn rights_summary(self) -> &'static str {
        match self {
            Jurisdiction::Eu => "The GDPR gives you the right to a copy of your data, to have it corrected or erased, to restrict or object to its use, to take it elsewhere and to withdraw consent. We answer within one month.",
            Jurisdiction::Uk => "The UK GDPR gives you the right to a copy of your data, to have it corrected or erased, to restrict or object to its use, to take it elsewhere and to withdraw consent. We answer within one month.",
            Jurisdiction::California => "The CCPA/CPRA gives you the right to know what we collect, to have it deleted or corrected, and to opt out of its sale or sharing. We answer within 45 days; opt-outs take effect within 15 business days.",
            Jurisdiction::UsOther => "Privacy laws in states such as Virginia, Colorado and Connecticut give you the right to access, correct and delete your data, to receive a portable copy and to opt out of its sale. We answer within 45 days, and you can appeal a refusal.",
            Jurisdiction::Other => "Even where no privacy law applies, we will show you the data we hold about you, correct it, or delete it.",
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
