//! How a form page shows what was wrong, shared by the consumer's request form and the
//! staff's manual entry: each field's messages in the portal's language, the summary at
//! the top that links to each field, and the configured identifier fields with what was
//! typed into them.

use crate::domain::intake::FieldErrors;
use crate::state::AppState;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub struct ShownErrors<'a> {
    state: &'a AppState,
    errors: &'a FieldErrors,
}

impl<'a> ShownErrors<'a> {
    pub fn new(state: &'a AppState, errors: &'a FieldErrors) -> ShownErrors<'a> {
        ShownErrors { state, errors }
    }

    /// The field's messages as one text, or null when the field is fine.
    pub fn of(&self, field: &str) -> Value {
        self.errors
            .get(field)
            .map(|m| Value::String(self.state.templates.messages(m)))
            .unwrap_or(Value::Null)
    }

    /// One entry per field in error, with the anchor of the field it links to.
    pub fn summary(&self) -> Vec<Value> {
        self.errors
            .iter()
            .map(|(field, messages)| {
                json!({"anchor": field.replace('.', "-"), "message": self.state.templates.messages(messages)})
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
