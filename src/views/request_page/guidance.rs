//! What the request page says beyond the request itself: the next step, and a refused
//! form shown again with what was typed.

use super::RequestPage;
use crate::domain::staff_actions::NextStep;
use serde::Serialize;
use std::collections::BTreeMap;

/// The page's textareas, by id: each has an entry in `drafts` (empty unless text is
/// kept), since `lookup` in a strict template fails on a missing key.
pub const DRAFTED: [&str; 6] = [
    "info-message",
    "extend-reason",
    "fulfil-message",
    "deny-message",
    "note-body",
    "message-body",
];

/// A form's error shown on the page again: `form` names the form (`deny`, `fulfil`…),
/// empty when there is none.
#[derive(Serialize, Default)]
pub struct FormError {
    pub form: String,
    pub message: String,
    /// The request changed under the staff member's edit.
    pub conflict: bool,
}

#[derive(Serialize)]
pub(super) struct NextStepView {
    pub text: String,
    pub anchor: &'static str,
}

/// Every textarea's draft, empty.
pub(super) fn empty_drafts() -> BTreeMap<String, String> {
    DRAFTED
        .iter()
        .map(|id| (id.to_string(), String::new()))
        .collect()
}

impl RequestPage {
    /// The page section the next step is taken in, for landing there after an action.
    pub fn next_anchor(&self) -> &'static str {
        self.next.map_or("next-step", NextStep::anchor)
    }
}
