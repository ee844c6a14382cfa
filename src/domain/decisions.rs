//! Staff decisions as pure rules: identity-verification levels (CCPA §7062) and the
//! reasons a request may be refused under each regime.

use super::deadlines::Regime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationLevel {
    /// Possession of the email address only.
    Email,
    /// At least two data points matched (CCPA "reasonable degree of certainty").
    Reasonable,
    /// At least three data points matched and a signed declaration under penalty of
    /// perjury (CCPA "reasonably high degree of certainty").
    ReasonablyHigh,
}

impl VerificationLevel {
    pub fn from_points(points_matched: usize, signed_declaration: bool) -> VerificationLevel {
        match (points_matched, signed_declaration) {
            (n, true) if n >= 3 => VerificationLevel::ReasonablyHigh,
            (n, _) if n >= 2 => VerificationLevel::Reasonable,
            _ => VerificationLevel::Email,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VerificationLevel::Email => "email",
            VerificationLevel::Reasonable => "reasonable",
            VerificationLevel::ReasonablyHigh => "reasonably_high",
        }
    }

    pub fn parse(s: &str) -> Option<VerificationLevel> {
        [Self::Email, Self::Reasonable, Self::ReasonablyHigh]
            .into_iter()
            .find(|l| l.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            VerificationLevel::Email => "email address confirmed",
            VerificationLevel::Reasonable => "a reasonable degree of certainty (2 data points)",
            VerificationLevel::ReasonablyHigh => {
                "a reasonably high degree of certainty (3 data points and a signed declaration)"
            }
        }
    }
}

/// The data points staff may record as matched. Names only are stored, never values.
pub const DATA_POINTS: &[(&str, &str)] = &[
    ("name", "Full name"),
    ("account_id", "Account identifier"),
    ("postal_address", "Postal address"),
    ("phone", "Phone number"),
    ("recent_transaction", "A recent transaction or order"),
    ("account_login", "Signed in to their account"),
    ("date_of_birth", "Date of birth"),
];

pub const METHODS: &[(&str, &str)] = &[
    ("data_points", "Matched data points we hold"),
    ("account_login", "Re-authenticated in their account"),
    ("document", "Document checked (then deleted)"),
    ("other", "Other (explained in a note)"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenialReason {
    pub code: &'static str,
    pub label: &'static str,
}

const IDENTITY: DenialReason = DenialReason {
    code: "identity_not_verified",
    label: "We could not verify your identity",
};
const UNFOUNDED: DenialReason = DenialReason {
    code: "manifestly_unfounded_or_excessive",
    label: "The request is manifestly unfounded or excessive",
};
const LEGAL_CLAIMS: DenialReason = DenialReason {
    code: "exemption_legal_claims",
    label: "An exemption applies: the data is needed for legal claims",
};
const LEGAL_OBLIGATION: DenialReason = DenialReason {
    code: "exemption_legal_obligation",
    label: "An exemption applies: the law requires us to keep the data",
};
const NOT_COVERED: DenialReason = DenialReason {
    code: "not_covered",
    label: "The request is not covered by the law that applies",
};
const NO_DATA: DenialReason = DenialReason {
    code: "no_data",
    label: "We hold no personal data about you",
};
const OTHER: DenialReason = DenialReason {
    code: "other",
    label: "Another reason, explained below",
};

/// Reasons that fit `regime`: all regimes share the list today, but the lookup goes
/// through here so that a reason can be dropped for one law without touching callers.
pub fn denial_reasons(regime: Regime) -> &'static [DenialReason] {
    match regime {
        Regime::Gdpr | Regime::UkGdpr | Regime::Ccpa | Regime::UsState | Regime::Voluntary => &[
            IDENTITY,
            UNFOUNDED,
            LEGAL_CLAIMS,
            LEGAL_OBLIGATION,
            NOT_COVERED,
            NO_DATA,
            OTHER,
        ],
    }
}

pub fn denial_reason(regime: Regime, code: &str) -> Option<DenialReason> {
    denial_reasons(regime)
        .iter()
        .copied()
        .find(|r| r.code == code)
}

/// GDPR and UK GDPR refusals must name the right to complain and to a judicial remedy.
pub fn refusal_names_complaint_rights(regime: Regime) -> bool {
    matches!(regime, Regime::Gdpr | Regime::UkGdpr)
}

/// VA, CO, CT and the laws like them give an appeal against a refusal.
pub fn refusal_can_be_appealed(regime: Regime) -> bool {
    regime == Regime::UsState
}

/// Whether the response clock stops while we wait for information we asked for.
pub fn clock_pauses(regime: Regime) -> bool {
    matches!(regime, Regime::Gdpr | Regime::UkGdpr | Regime::Voluntary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_section_7062() {
        assert_eq!(
            VerificationLevel::from_points(0, true),
            VerificationLevel::Email
        );
        assert_eq!(
            VerificationLevel::from_points(1, false),
            VerificationLevel::Email
        );
        assert_eq!(
            VerificationLevel::from_points(2, false),
            VerificationLevel::Reasonable
        );
        assert_eq!(
            VerificationLevel::from_points(3, false),
            VerificationLevel::Reasonable
        );
        assert_eq!(
            VerificationLevel::from_points(2, true),
            VerificationLevel::Reasonable
        );
        assert_eq!(
            VerificationLevel::from_points(3, true),
            VerificationLevel::ReasonablyHigh
        );
    }

    #[test]
    fn refusal_rules_per_regime() {
        assert!(refusal_names_complaint_rights(Regime::Gdpr));
        assert!(!refusal_names_complaint_rights(Regime::Ccpa));
        assert!(refusal_can_be_appealed(Regime::UsState));
        assert!(!refusal_can_be_appealed(Regime::Ccpa));
        assert!(clock_pauses(Regime::UkGdpr) && !clock_pauses(Regime::Ccpa));
        assert!(denial_reason(Regime::Ccpa, "other").is_some());
        assert!(denial_reason(Regime::Ccpa, "because").is_none());
    }
}
