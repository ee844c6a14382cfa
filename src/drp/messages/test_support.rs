//! A valid exercise message to vary, for the tests of each message family.

use super::*;
use crate::drp::envelope::testing::*;
use crate::drp::envelope::EnvelopeError;
use serde_json::json;
use serde_json::Value;

/// A valid exercise body, with `changes` applied; a `null` change removes the key.
pub(super) fn exercise_json(changes: Value) -> Value {
    let mut body = common();
    let base = json!({"drp.version": "1.0", "exercise": "access"});
    for (k, v) in base.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    if let (Some(obj), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            if v.is_null() {
                obj.remove(k);
            } else {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    body
}

pub(super) fn verify(changes: Value) -> Result<ExerciseRequest, EnvelopeError> {
    let body = seal(&exercise_json(changes));
    verify_exercise(&body, &signing_key().verifying_key(), &expected()).map(|v| v.message)
}

pub(super) fn field_error(r: Result<ExerciseRequest, EnvelopeError>) -> (String, String) {
    match r {
        Err(EnvelopeError::Field { field, problem }) => (field.to_string(), problem),
        other => panic!("expected a field error, got {other:?}"),
    }
}
