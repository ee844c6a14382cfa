//! How a form page shows what was wrong, shared by the consumer's request form and the
//! staff's manual entry: each field's messages in the portal's language, the summary at
//! the top that links to each field, and the configured identifier fields with what was
//! typed into them. Staff read the same checks in their own words (`Voice::Staff`):
//! "Enter the person's name", not "Enter your name".

use crate::domain::intake::FieldErrors;
use crate::i18n::{key, Message};
use crate::state::AppState;
use crate::templates::Templates;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Who reads the form: the person it is about, or staff entering it for them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Voice {
    Person,
    Staff,
}

pub struct ShownErrors<'a> {
    state: &'a AppState,
    /// The page's language.
    words: &'a Templates,
    errors: &'a FieldErrors,
    voice: Voice,
}

impl<'a> ShownErrors<'a> {
    pub fn new(
        state: &'a AppState,
        words: &'a Templates,
        errors: &'a FieldErrors,
    ) -> ShownErrors<'a> {
        ShownErrors {
            state,
            words,
            errors,
            voice: Voice::Person,
        }
    }

    /// The same errors as staff should read them.
    pub fn for_staff(state: &'a AppState, errors: &'a FieldErrors) -> ShownErrors<'a> {
        ShownErrors {
            state,
            words: &state.templates,
            errors,
            voice: Voice::Staff,
        }
    }

    /// The field's messages as one text, or null when the field is fine.
    pub fn of(&self, field: &str) -> Value {
        self.errors
            .get(field)
            .map(|m| Value::String(self.words(m)))
            .unwrap_or(Value::Null)
    }

    fn words(&self, messages: &[Message]) -> String {
        match self.voice {
            Voice::Person => self.words.messages(messages),
            Voice::Staff => {
                let staff: Vec<Message> = messages.iter().map(for_staff).collect();
                self.words.messages(&staff)
            }
        }
    }

    /// One entry per field in error, with the anchor of the field it links to.
    pub fn summary(&self) -> Vec<Value> {
        self.errors
            .iter()
            .map(|(field, messages)| {
                json!({"anchor": field.replace('.', "-"), "message": self.words(messages)})
            })
            .collect()
    }

    /// `summary`, in the order the request form shows its fields.
    pub fn summary_in_form_order(&self) -> Vec<Value> {
        let mut fields: Vec<(String, Value)> =
            self.errors.keys().cloned().zip(self.summary()).collect();
        crate::domain::form_order::sort(&mut fields);
        fields.into_iter().map(|(_, v)| v).collect()
    }

    /// The configured identifiers, each with its typed value and its error.
    pub fn identifier_fields(&self, typed: &BTreeMap<String, String>) -> Vec<Value> {
        self.state
            .settings
            .identifiers
            .iter()
            .map(|i| {
                json!({"name": i.name, "label": i.label, "help": i.help, "required": i.required,
                       "value": typed.get(&i.name).cloned().unwrap_or_default(),
                       "error": self.of(&format!("identifiers.{}", i.name))})
            })
            .collect()
    }
}

/// A check's message reworded for staff where the person's words would say "your";
/// the rest (formats, lengths) read the same to both.
fn for_staff(m: &Message) -> Message {
    let staff_key = match m.key {
        "intake.email_missing" => key("staff_intake.email_missing"),
        "intake.name_missing" => key("staff_intake.name_missing"),
        "intake.name_control" => key("staff_intake.name_control"),
        "intake.jurisdiction_missing" => key("staff_intake.jurisdiction_missing"),
        "intake.kind_missing" => key("staff_intake.kind_missing"),
        "intake.identifier_missing" => key("staff_intake.identifier_missing"),
        "intake.identifier_invalid" => key("staff_intake.identifier_invalid"),
        "intake.correction_missing" => key("staff_intake.correction_missing"),
        other => other,
    };
    Message {
        key: staff_key,
        ..m.clone()
    }
}
