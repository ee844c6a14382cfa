//! Staff decisions as pure rules: identity-verification levels (CCPA §7062) and the
//! reasons a request may be refused under each regime.

use super::deadlines::Regime;
use super::kinds::{Jurisdiction, RequestKind};
use super::state::Status;
use crate::i18n::key;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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

    pub fn label_key(self) -> &'static str {
        match self {
            VerificationLevel::Email => key("verification_levels.email"),
            VerificationLevel::Reasonable => key("verification_levels.reasonable"),
            VerificationLevel::ReasonablyHigh => key("verification_levels.reasonably_high"),
        }
    }
}

/// How much of a fulfilled request was granted (CCPA §7102 counts both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Whole,
    Part,
}

impl Outcome {
    pub fn of(in_part: bool) -> Outcome {
        if in_part {
            Outcome::Part
        } else {
            Outcome::Whole
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Whole => "whole",
            Outcome::Part => "part",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Whole, Outcome::Part]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// The data points staff may record as matched, with their label keys. Names only are
/// stored, never values.
pub const DATA_POINTS: &[(&str, &str)] = &[
    ("name", key("data_points.name")),
    ("account_id", key("data_points.account_id")),
    ("postal_address", key("data_points.postal_address")),
    ("phone", key("data_points.phone")),
    ("recent_transaction", key("data_points.recent_transaction")),
    ("account_login", key("data_points.account_login")),
    ("date_of_birth", key("data_points.date_of_birth")),
];

pub const METHODS: &[(&str, &str)] = &[
    ("data_points", key("verification_methods.data_points")),
    ("account_login", key("verification_methods.account_login")),
    ("document", key("verification_methods.document")),
    ("other", key("verification_methods.other")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenialReason {
    pub code: &'static str,
    pub label_key: &'static str,
}

const fn reason(code: &'static str, label_key: &'static str) -> DenialReason {
    DenialReason { code, label_key }
}

#[rustfmt::skip]
mod reasons {
    use super::{key, reason, DenialReason};
    pub const IDENTITY: DenialReason = reason("identity_not_verified", key("refusal_reasons.identity_not_verified"));
    pub const UNFOUNDED: DenialReason = reason("manifestly_unfounded_or_excessive", key("refusal_reasons.manifestly_unfounded_or_excessive"));
    pub const LEGAL_CLAIMS: DenialReason = reason("exemption_legal_claims", key("refusal_reasons.exemption_legal_claims"));
    pub const LEGAL_OBLIGATION: DenialReason = reason("exemption_legal_obligation", key("refusal_reasons.exemption_legal_obligation"));
    pub const NOT_COVERED: DenialReason = reason("not_covered", key("refusal_reasons.not_covered"));
    pub const NO_DATA: DenialReason = reason("no_data", key("refusal_reasons.no_data"));
    pub const OTHER: DenialReason = reason("other", key("refusal_reasons.other"));
}
use reasons::*;

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

/// The label of a stored refusal code, whatever the law (the metrics count across laws).
pub fn reason_label_key(code: &str) -> Option<&'static str> {
    [
        Regime::Gdpr,
        Regime::UkGdpr,
        Regime::Ccpa,
        Regime::UsState,
        Regime::Voluntary,
    ]
    .into_iter()
    .find_map(|regime| denial_reason(regime, code))
    .map(|r| r.label_key)
}

/// GDPR and UK GDPR refusals must name the right to complain and to a judicial remedy.
pub fn refusal_names_complaint_rights(regime: Regime) -> bool {
    matches!(regime, Regime::Gdpr | Regime::UkGdpr)
}

/// VA, CO, CT and the laws like them give an appeal against a refusal.
pub fn refusal_can_be_appealed(regime: Regime) -> bool {
    regime == Regime::UsState
}

/// Whether the answer to a request can be appealed. VA, CO, CT and the laws like them
/// give an appeal against a refusal "in whole or in part", so a request fulfilled only in
/// part can be appealed just like a refused one; the answer to an appeal is final.
pub fn answer_can_be_appealed(
    regime: Regime,
    kind: RequestKind,
    status: Status,
    fulfilled_in_part: bool,
) -> bool {
    refusal_can_be_appealed(regime)
        && kind != RequestKind::Appeal
        && (status == Status::Denied || (status == Status::Fulfilled && fulfilled_in_part))
}

/// A deletion refused in whole or in part, by an organisation that sells or shares
/// personal information, asks whether the person wants to opt out of that instead
/// (CCPA regulations §7022): only where the person's law gives the opt-out.
pub fn offer_opt_out_after_deletion(
    kind: RequestKind,
    jurisdiction: Jurisdiction,
    sells_or_shares: bool,
) -> bool {
    kind == RequestKind::Deletion && sells_or_shares && jurisdiction.offers(RequestKind::OptOut)
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

    #[test]
    fn us_state_answers_in_part_can_be_appealed_like_refusals() {
        use RequestKind::{Access, Appeal, Deletion};
        let us = Regime::UsState;
        assert!(answer_can_be_appealed(us, Access, Status::Denied, false));
        assert!(answer_can_be_appealed(
            us,
            Deletion,
            Status::Fulfilled,
            true
        ));
        assert!(!answer_can_be_appealed(
            us,
            Deletion,
            Status::Fulfilled,
            false
        ));
        assert!(!answer_can_be_appealed(us, Appeal, Status::Denied, false));
        assert!(!answer_can_be_appealed(
            us,
            Access,
            Status::InProgress,
            true
        ));
        assert!(!answer_can_be_appealed(
            Regime::Ccpa,
            Access,
            Status::Fulfilled,
            true
        ));
        assert!(!answer_can_be_appealed(
            Regime::Gdpr,
            Access,
            Status::Denied,
            false
        ));
    }

    #[test]
    fn refused_deletions_offer_the_opt_out_only_where_there_is_one_to_offer() {
        use Jurisdiction::{California, Eu, UsOther};
        assert!(offer_opt_out_after_deletion(
            RequestKind::Deletion,
            California,
            true
        ));
        assert!(offer_opt_out_after_deletion(
            RequestKind::Deletion,
            UsOther,
            true
        ));
        assert!(!offer_opt_out_after_deletion(
            RequestKind::Deletion,
            California,
            false
        ));
        assert!(!offer_opt_out_after_deletion(
            RequestKind::Deletion,
            Eu,
            true
        ));
        assert!(!offer_opt_out_after_deletion(
            RequestKind::Access,
            California,
            true
        ));
    }
}
