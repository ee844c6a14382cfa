//! What staff may do on a request page right now: the request's own actions (from its
//! status and dates) and, per connected system, which runs a button may start. Pure:
//! the page's read model gathers the facts and these functions decide.

use super::state::{Event, Status};
use serde::Serialize;

/// The request's own actions, one flag a form (the template names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RequestActions {
    pub acknowledge: bool,
    pub verify: bool,
    pub request_info: bool,
    pub info_received: bool,
    pub extend: bool,
    pub deny: bool,
    pub fulfil: bool,
}

/// The facts beside the status that decide the request's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFacts {
    pub acknowledged: bool,
    pub extended: bool,
    /// The deadline rules still allow an extension today (`deadlines::can_extend`).
    pub extension_possible: bool,
}

/// The actions the state machine and the request's dates allow.
pub fn request_actions(status: Status, facts: RequestFacts) -> RequestActions {
    let can = |e: Event| status.transition(e).is_ok();
    let open = status.is_open();
    RequestActions {
        acknowledge: open && !facts.acknowledged,
        verify: can(Event::IdentityConfirmed),
        request_info: can(Event::InformationRequested),
        info_received: can(Event::InformationReceived),
        extend: open && !facts.extended && facts.extension_possible,
        deny: can(Event::Denied),
        fulfil: can(Event::Fulfilled),
    }
}

/// A closed request that was once open (not one never got past submission), whose
/// page says how it ended.
pub fn shows_closing(status: Status) -> bool {
    !status.is_open() && status != Status::Submitted
}

/// Which runs the state of a request allows on any system: a search once the email is
/// verified, exports and erasures only after identity verification, for the kinds
/// that ask for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunsAllowed {
    pub find: bool,
    pub export: bool,
    pub erase: bool,
}

/// What the runs of one system so far tell the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunsSeen {
    /// The system can be reached (its configuration built).
    pub usable: bool,
    /// A run is queued, running or waiting for the system's answer.
    pub busy: bool,
    /// The latest search finished.
    pub found: bool,
    /// The latest search found records by a strong match, so acting on them is safe.
    pub actionable: bool,
}

/// The buttons of one system's panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SystemActions {
    pub busy: bool,
    pub can_find: bool,
    pub can_export: bool,
    pub can_erase: bool,
    /// The search found only weak matches: nothing may be exported or erased.
    pub weak_only: bool,
}

/// One button per run, shown only when the system is usable and idle; exports and
/// erasures also need a search that found records by a strong match.
pub fn system_actions(allowed: RunsAllowed, seen: RunsSeen) -> SystemActions {
    let idle = seen.usable && !seen.busy;
    SystemActions {
        busy: seen.busy,
        can_find: idle && allowed.find,
        can_export: idle && seen.actionable && allowed.export,
        can_erase: idle && seen.actionable && allowed.erase,
        weak_only: seen.found && !seen.actionable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: RunsAllowed = RunsAllowed {
        find: true,
        export: true,
        erase: true,
    };

    #[test]
    fn a_busy_or_broken_system_offers_no_run() {
        let busy = RunsSeen {
            usable: true,
            busy: true,
            found: true,
            actionable: true,
        };
        let a = system_actions(ALL, busy);
        assert!(a.busy && !a.can_find && !a.can_export && !a.can_erase);
        let broken = RunsSeen {
            usable: false,
            busy: false,
            ..busy
        };
        let a = system_actions(ALL, broken);
        assert!(!a.can_find && !a.can_export && !a.can_erase);
    }

    #[test]
    fn exports_and_erasures_wait_for_a_strong_match() {
        let weak = RunsSeen {
            usable: true,
            busy: false,
            found: true,
            actionable: false,
        };
        let a = system_actions(ALL, weak);
        assert!(a.can_find && !a.can_export && !a.can_erase && a.weak_only);
        let strong = RunsSeen {
            actionable: true,
            ..weak
        };
        let a = system_actions(ALL, strong);
        assert!(a.can_export && a.can_erase && !a.weak_only);
    }

    #[test]
    fn a_closed_request_offers_no_action() {
        let facts = RequestFacts {
            acknowledged: false,
            extended: false,
            extension_possible: true,
        };
        let a = request_actions(Status::Fulfilled, facts);
        assert_eq!(
            a,
            RequestActions {
                acknowledge: false,
                verify: false,
                request_info: false,
                info_received: false,
                extend: false,
                deny: false,
                fulfil: false,
            }
        );
        assert!(shows_closing(Status::Fulfilled) && !shows_closing(Status::Submitted));
    }

    #[test]
    fn an_extension_is_offered_once() {
        let facts = RequestFacts {
            acknowledged: true,
            extended: true,
            extension_possible: true,
        };
        assert!(!request_actions(Status::InProgress, facts).extend);
        let first = RequestFacts {
            extended: false,
            ..facts
        };
        assert!(request_actions(Status::InProgress, first).extend);
        assert!(!request_actions(Status::InProgress, first).acknowledge);
    }
}
