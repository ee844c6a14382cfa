//! The request lifecycle as a pure function `(state, event) -> Result<state>`.
//!
//! ```text
//! submitted ──email link──▶ email_verified ──identity ok──▶ in_progress ──▶ fulfilled
//!     │  └─agent's email link─▶ awaiting_consumer ─confirms─▲      └──▶ denied
//!     │                         (refuses ▶ withdrawn)
//!     │                        │   ▲
//!     │                        ▼   │ info received
//!     │                awaiting_information
//!     └─ unverified past expiry ▶ closed_unverified    withdrawn: from any open step
//! ```

use crate::i18n::key;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    /// An agent with a signed permission proved their email; the consumer must now
    /// confirm directly that the agent may act for them (CCPA §7063(a)(2)).
    AwaitingConsumer,
    EmailVerified,
    AwaitingInformation,
    InProgress,
    Fulfilled,
    Denied,
    Withdrawn,
    ClosedUnverified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The requester followed the email link.
    EmailVerified,
    /// An agent holding a signed permission followed their email link.
    AgentEmailVerified,
    /// The consumer confirmed the agent's permission by their own email link.
    ConsumerConfirmed,
    /// The consumer said the agent may not act for them.
    ConsumerRefused,
    /// Requests that need no verification (opt-out of sale) start work at once.
    AcceptedWithoutVerification,
    IdentityConfirmed,
    InformationRequested,
    InformationReceived,
    Fulfilled,
    Denied,
    Withdrawn,
    VerificationExpired,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {from} cannot take the step '{event:?}'")]
pub struct IllegalTransition {
    pub from: &'static str,
    pub event: Event,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Submitted,
        Status::AwaitingConsumer,
        Status::EmailVerified,
        Status::AwaitingInformation,
        Status::InProgress,
        Status::Fulfilled,
        Status::Denied,
        Status::Withdrawn,
        Status::ClosedUnverified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::AwaitingConsumer => "awaiting_consumer",
            Status::EmailVerified => "email_verified",
            Status::AwaitingInformation => "awaiting_information",
            Status::InProgress => "in_progress",
            Status::Fulfilled => "fulfilled",
            Status::Denied => "denied",
            Status::Withdrawn => "withdrawn",
            Status::ClosedUnverified => "closed_unverified",
        }
    }

    /// What staff read for this status (the code stays in URLs and CSS classes).
    pub fn label_key(self) -> &'static str {
        match self {
            Status::Submitted => key("statuses.submitted"),
            Status::AwaitingConsumer => key("statuses.awaiting_consumer"),
            Status::EmailVerified => key("statuses.email_verified"),
            Status::AwaitingInformation => key("statuses.awaiting_information"),
            Status::InProgress => key("statuses.in_progress"),
            Status::Fulfilled => key("statuses.fulfilled"),
            Status::Denied => key("statuses.denied"),
            Status::Withdrawn => key("statuses.withdrawn"),
            Status::ClosedUnverified => key("statuses.closed_unverified"),
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        !matches!(
            self,
            Status::Fulfilled | Status::Denied | Status::Withdrawn | Status::ClosedUnverified
        )
    }

    /// What the consumer is told about where their request stands.
    pub fn consumer_step_key(self) -> &'static str {
        match self {
            Status::Submitted => key("status_steps.submitted"),
            Status::AwaitingConsumer => key("status_steps.awaiting_consumer"),
            Status::EmailVerified => key("status_steps.email_verified"),
            Status::AwaitingInformation => key("status_steps.awaiting_information"),
            Status::InProgress => key("status_steps.in_progress"),
            Status::Fulfilled => key("status_steps.fulfilled"),
            Status::Denied => key("status_steps.denied"),
            Status::Withdrawn => key("status_steps.withdrawn"),
            Status::ClosedUnverified => key("status_steps.closed_unverified"),
        }
    }

    /// The next state, or why the step is not allowed.
    ///
    /// ```
    /// use dsar_portal::domain::state::{Event, Status};
    /// assert_eq!(Status::Submitted.transition(Event::EmailVerified), Ok(Status::EmailVerified));
    /// assert!(Status::Fulfilled.transition(Event::Withdrawn).is_err());
    /// ```
    pub fn transition(self, event: Event) -> Result<Status, IllegalTransition> {
        use Event as E;
        use Status as S;
        let next = match (self, event) {
            (S::Submitted, E::EmailVerified) => S::EmailVerified,
            (S::Submitted, E::AcceptedWithoutVerification) => S::InProgress,
            (S::Submitted, E::VerificationExpired) => S::ClosedUnverified,
            (S::Submitted, E::AgentEmailVerified) => S::AwaitingConsumer,
            (S::AwaitingConsumer, E::ConsumerConfirmed) => S::EmailVerified,
            (S::AwaitingConsumer, E::ConsumerRefused) => S::Withdrawn,
            (S::AwaitingConsumer, E::VerificationExpired) => S::ClosedUnverified,
            (S::EmailVerified, E::IdentityConfirmed) => S::InProgress,
            (S::EmailVerified, E::InformationRequested) => S::AwaitingInformation,
            (S::AwaitingInformation, E::InformationReceived) => S::EmailVerified,
            (S::InProgress, E::Fulfilled) => S::Fulfilled,
            (S::EmailVerified | S::AwaitingInformation | S::InProgress, E::Denied) => S::Denied,
            (s, E::Withdrawn) if s.is_open() => S::Withdrawn,
            (from, event) => {
                return Err(IllegalTransition {
                    from: from.as_str(),
                    event,
                })
            }
        };
        Ok(next)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn happy_path() {
        let s = Status::Submitted
            .transition(Event::EmailVerified)
            .and_then(|s| s.transition(Event::IdentityConfirmed))
            .and_then(|s| s.transition(Event::Fulfilled));
        assert_eq!(s, Ok(Status::Fulfilled));
    }

    #[test]
    fn closed_requests_take_no_steps() {
        for closed in Status::ALL.into_iter().filter(|s| !s.is_open()) {
            assert!(closed.transition(Event::Withdrawn).is_err());
            assert!(closed.transition(Event::EmailVerified).is_err());
        }
    }

    #[test]
    fn cannot_skip_verification_or_verify_twice() {
        assert!(Status::Submitted.transition(Event::Fulfilled).is_err());
        assert!(Status::Submitted
            .transition(Event::IdentityConfirmed)
            .is_err());
        assert!(Status::EmailVerified
            .transition(Event::EmailVerified)
            .is_err());
        assert!(Status::InProgress
            .transition(Event::VerificationExpired)
            .is_err());
    }

    #[test]
    fn agent_requests_wait_for_the_consumer() {
        let waiting = Status::Submitted.transition(Event::AgentEmailVerified);
        assert_eq!(waiting, Ok(Status::AwaitingConsumer));
        let waiting = Status::AwaitingConsumer;
        assert_eq!(
            waiting.transition(Event::ConsumerConfirmed),
            Ok(Status::EmailVerified)
        );
        assert_eq!(
            waiting.transition(Event::ConsumerRefused),
            Ok(Status::Withdrawn)
        );
        // Staff cannot confirm identity or fulfil before the consumer answered.
        assert!(waiting.transition(Event::IdentityConfirmed).is_err());
        assert!(waiting.transition(Event::Fulfilled).is_err());
        assert!(Status::EmailVerified
            .transition(Event::ConsumerConfirmed)
            .is_err());
    }

    #[test]
    fn withdrawal_from_every_open_state() {
        for open in Status::ALL.into_iter().filter(|s| s.is_open()) {
            assert_eq!(open.transition(Event::Withdrawn), Ok(Status::Withdrawn));
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
