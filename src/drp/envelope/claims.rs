//! Steps 3 to 6 of the spec: the message is from the agent we expect, to this business,
//! issued now (within the clock skew) and valid for no longer than the operator allows.

use super::EnvelopeError;
use crate::drp::messages::CommonClaims;
use chrono::{DateTime, Duration, Utc};

/// How far in the future `issued-at` may be. Agents stamp messages with their own
/// clock, and a message sent by a machine a few seconds ahead of ours is not an
/// attack; a minute absorbs ordinary NTP drift while keeping the window in which a
/// message is valid short (it still cannot outlive its own `expires-at`).
pub const CLOCK_SKEW: Duration = Duration::seconds(60);

/// The longest validity accepted between `issued-at` and `expires-at` unless the
/// operator sets `drp.max_validity_minutes`. The spec only *recommends* at most ten
/// minutes (§2.01), and the reference agent, OSIRAA, signs fifteen-minute windows, so
/// ten would refuse it. A captured body is only worth replaying inside its window, and
/// replays inside the window are refused by the replay register (see `drp::replay`).
pub const DEFAULT_MAX_VALIDITY: Duration = Duration::minutes(15);

/// Bounds of `drp.max_validity_minutes`: a window shorter than a minute leaves no room
/// for the agent's network and our queue, and one longer than an hour keeps captured
/// bodies usable for longer than any agent needs.
pub const MAX_VALIDITY_RANGE_MINUTES: std::ops::RangeInclusive<i64> = 1..=60;

/// Who we expect a message from, to whom, when it arrived, and the longest validity
/// window accepted.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The agent the bearer token (or, when pairing, the path) belongs to.
    pub agent_id: &'a str,
    pub business_id: &'a str,
    pub now: DateTime<Utc>,
    /// `drp.max_validity_minutes`, [`DEFAULT_MAX_VALIDITY`] unless configured.
    pub max_validity: Duration,
}

/// Steps 3 to 6 on claims already parsed, then the validity bound.
pub fn check_claims(claims: &CommonClaims, expected: &Expected) -> Result<(), EnvelopeError> {
    check_agent(&claims.agent_id, expected.agent_id)?;
    check_business(&claims.business_id, expected.business_id)?;
    check_issued(claims.issued_at, expected.now)?;
    check_expires(claims.issued_at, claims.expires_at, expected)
}

pub(crate) fn check_agent(claimed: &str, expected: &str) -> Result<(), EnvelopeError> {
    if claimed == expected {
        Ok(())
    } else {
        Err(EnvelopeError::AgentMismatch)
    }
}

pub(crate) fn check_business(claimed: &str, expected: &str) -> Result<(), EnvelopeError> {
    if claimed == expected {
        Ok(())
    } else {
        Err(EnvelopeError::BusinessMismatch)
    }
}

pub(crate) fn check_issued(
    issued_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), EnvelopeError> {
    if now + CLOCK_SKEW >= issued_at {
        Ok(())
    } else {
        Err(EnvelopeError::NotYetValid)
    }
}

/// Steps 6 and the validity bound. The bound is checked last so that a plain stale
/// message reports "expired", the more useful of the two.
pub(crate) fn check_expires(
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    expected: &Expected,
) -> Result<(), EnvelopeError> {
    if expected.now >= expires_at {
        return Err(EnvelopeError::Expired);
    }
    if expires_at - issued_at > expected.max_validity {
        return Err(EnvelopeError::ValidityTooLong {
            max_minutes: expected.max_validity.num_minutes(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drp::envelope::testing::*;

    fn claims(issued: &str, expires: &str) -> CommonClaims {
        CommonClaims {
            agent_id: AGENT.into(),
            business_id: BUSINESS.into(),
            issued_at: issued.parse().expect("test timestamp"),
            expires_at: expires.parse().expect("test timestamp"),
        }
    }

    #[test]
    fn claims_happy_path() {
        let c = claims("2026-11-27T12:59:30Z", "2026-11-27T13:04:30Z");
        assert_eq!(check_claims(&c, &expected()), Ok(()));
    }

    #[test]
    fn step_3_wrong_agent() {
        let c = claims("2026-11-27T12:59:30Z", "2026-11-27T13:04:30Z");
        assert_eq!(
            check_claims(
                &c,
                &Expected {
                    agent_id: "someone-else",
                    ..expected()
                }
            ),
            Err(EnvelopeError::AgentMismatch)
        );
    }

    #[test]
    fn step_4_wrong_business() {
        let c = claims("2026-11-27T12:59:30Z", "2026-11-27T13:04:30Z");
        assert_eq!(
            check_claims(
                &c,
                &Expected {
                    business_id: "another-business",
                    ..expected()
                }
            ),
            Err(EnvelopeError::BusinessMismatch)
        );
    }

    #[test]
    fn steps_are_checked_in_order() {
        // Wrong agent, wrong business and expired: the agent is reported.
        let c = claims("2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z");
        assert_eq!(
            check_claims(
                &c,
                &Expected {
                    agent_id: "x",
                    business_id: "y",
                    ..expected()
                }
            ),
            Err(EnvelopeError::AgentMismatch)
        );
        assert_eq!(
            check_claims(
                &c,
                &Expected {
                    business_id: "y",
                    ..expected()
                }
            ),
            Err(EnvelopeError::BusinessMismatch)
        );
        // In the future beyond skew and with too long a validity: the future wins.
        let c = claims("2026-11-27T13:05:00Z", "2026-11-27T14:00:00Z");
        assert_eq!(
            check_claims(&c, &expected()),
            Err(EnvelopeError::NotYetValid)
        );
    }

    #[test]
    fn step_5_issued_in_the_future() {
        let within_skew = claims("2026-11-27T13:00:59Z", "2026-11-27T13:05:00Z");
        assert_eq!(check_claims(&within_skew, &expected()), Ok(()));
        let at_skew = claims("2026-11-27T13:01:00Z", "2026-11-27T13:05:00Z");
        assert_eq!(check_claims(&at_skew, &expected()), Ok(()));
        let beyond = claims("2026-11-27T13:01:01Z", "2026-11-27T13:05:00Z");
        assert_eq!(
            check_claims(&beyond, &expected()),
            Err(EnvelopeError::NotYetValid)
        );
    }

    #[test]
    fn step_6_expired() {
        let at_expiry = claims("2026-11-27T12:55:00Z", "2026-11-27T13:00:00Z");
        assert_eq!(
            check_claims(&at_expiry, &expected()),
            Err(EnvelopeError::Expired)
        );
        let just_before = claims("2026-11-27T12:55:00Z", "2026-11-27T13:00:00.001Z");
        assert_eq!(check_claims(&just_before, &expected()), Ok(()));
        // expires-at before issued-at can never be valid.
        let backwards = claims("2026-11-27T12:59:00Z", "2026-11-27T12:58:00Z");
        assert_eq!(
            check_claims(&backwards, &expected()),
            Err(EnvelopeError::Expired)
        );
    }

    #[test]
    fn validity_up_to_the_configured_maximum() {
        // OSIRAA's fifteen minutes pass the default.
        let fifteen = claims("2026-11-27T12:59:00Z", "2026-11-27T13:14:00Z");
        assert_eq!(check_claims(&fifteen, &expected()), Ok(()));
        let sixteen = claims("2026-11-27T12:59:00Z", "2026-11-27T13:15:00Z");
        assert_eq!(
            check_claims(&sixteen, &expected()),
            Err(EnvelopeError::ValidityTooLong { max_minutes: 15 })
        );
        // A configured maximum moves the bound both ways.
        let ten = Expected {
            max_validity: Duration::minutes(10),
            ..expected()
        };
        let eleven = claims("2026-11-27T12:59:00Z", "2026-11-27T13:10:00Z");
        assert_eq!(
            check_claims(&eleven, &ten),
            Err(EnvelopeError::ValidityTooLong { max_minutes: 10 })
        );
        let thirty = Expected {
            max_validity: Duration::minutes(30),
            ..expected()
        };
        assert_eq!(check_claims(&sixteen, &thirty), Ok(()));
        assert!(EnvelopeError::ValidityTooLong { max_minutes: 30 }
            .to_string()
            .contains("30 minutes"));
    }

    #[test]
    fn offsets_are_compared_as_instants() {
        let c = claims("2026-11-27T14:59:30+02:00", "2026-11-27T08:04:30-05:00");
        assert_eq!(check_claims(&c, &expected()), Ok(()));
    }
}
