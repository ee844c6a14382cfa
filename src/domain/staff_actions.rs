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

/// Where the work on a request stands beside its status, for the next-step hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkFacts {
    /// A connected system may still be searched and has not been.
    pub systems_to_search: bool,
    /// A run is queued, running or waiting on some system.
    pub systems_busy: bool,
    /// A system found the person and its export or erasure is still to start.
    pub systems_to_act: bool,
    /// The kind is answered with an access package, and none has been sent yet.
    pub package_due: bool,
}

/// The one thing to do next on a request, as the page suggests it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The person (or agent) has not confirmed the email address yet.
    AwaitEmail,
    /// The person has not confirmed the agent yet.
    AwaitConsumer,
    VerifyIdentity,
    /// Information was asked for: record the reply when it comes.
    AwaitReply,
    SearchSystems,
    AwaitSystems,
    ActOnSystems,
    SendPackage,
    Decide,
}

impl NextStep {
    /// The `staff_next` catalogue key of its hint.
    pub fn label_key(self) -> &'static str {
        use crate::i18n::key;
        match self {
            NextStep::AwaitEmail => key("staff_next.await_email"),
            NextStep::AwaitConsumer => key("staff_next.await_consumer"),
            NextStep::VerifyIdentity => key("staff_next.verify_identity"),
            NextStep::AwaitReply => key("staff_next.await_reply"),
            NextStep::SearchSystems => key("staff_next.search_systems"),
            NextStep::AwaitSystems => key("staff_next.await_systems"),
            NextStep::ActOnSystems => key("staff_next.act_on_systems"),
            NextStep::SendPackage => key("staff_next.send_package"),
            NextStep::Decide => key("staff_next.decide"),
        }
    }

    /// The id of the page section where the step is taken.
    pub fn anchor(self) -> &'static str {
        match self {
            NextStep::AwaitEmail | NextStep::AwaitConsumer => "next-step",
            NextStep::VerifyIdentity => "verify",
            NextStep::AwaitReply => "info-received",
            NextStep::SearchSystems | NextStep::AwaitSystems | NextStep::ActOnSystems => "systems",
            NextStep::SendPackage => "package",
            NextStep::Decide => "decide",
        }
    }
}

/// The next step of a request from its status and where its work stands; none once
/// it is closed.
pub fn next_step(status: Status, work: WorkFacts) -> Option<NextStep> {
    Some(match status {
        Status::Submitted => NextStep::AwaitEmail,
        Status::AwaitingConsumer => NextStep::AwaitConsumer,
        Status::EmailVerified => NextStep::VerifyIdentity,
        Status::AwaitingInformation => NextStep::AwaitReply,
        Status::InProgress if work.systems_busy => NextStep::AwaitSystems,
        Status::InProgress if work.systems_to_search => NextStep::SearchSystems,
        Status::InProgress if work.systems_to_act => NextStep::ActOnSystems,
        Status::InProgress if work.package_due => NextStep::SendPackage,
        Status::InProgress => NextStep::Decide,
        _ => return None,
    })
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

    #[test]
    fn the_next_step_follows_the_work() {
        let none = WorkFacts::default();
        assert_eq!(
            next_step(Status::Submitted, none),
            Some(NextStep::AwaitEmail)
        );
        assert_eq!(
            next_step(Status::EmailVerified, none),
            Some(NextStep::VerifyIdentity)
        );
        assert_eq!(
            next_step(Status::AwaitingInformation, none),
            Some(NextStep::AwaitReply)
        );
        let access = WorkFacts {
            systems_to_search: true,
            package_due: true,
            ..none
        };
        assert_eq!(
            next_step(Status::InProgress, access),
            Some(NextStep::SearchSystems)
        );
        let busy = WorkFacts {
            systems_busy: true,
            ..access
        };
        assert_eq!(
            next_step(Status::InProgress, busy),
            Some(NextStep::AwaitSystems)
        );
        let found = WorkFacts {
            systems_to_search: false,
            systems_to_act: true,
            ..access
        };
        assert_eq!(
            next_step(Status::InProgress, found),
            Some(NextStep::ActOnSystems)
        );
        let exported = WorkFacts {
            systems_to_act: false,
            ..found
        };
        assert_eq!(
            next_step(Status::InProgress, exported),
            Some(NextStep::SendPackage)
        );
        let sent = WorkFacts {
            package_due: false,
            ..exported
        };
        assert_eq!(next_step(Status::InProgress, sent), Some(NextStep::Decide));
        assert_eq!(next_step(Status::Fulfilled, access), None);
        assert_eq!(NextStep::Decide.anchor(), "decide");
    }
}
