//! Typed access to a message's members: each mistake becomes a field error that names
//! the field, with any echoed value quoted and cut short.

use super::MAX_STRING;
use crate::drp::envelope::EnvelopeError;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Typed access to a message's members, turning each mistake into a field error.
/// JSON `null` counts as absent: JWT-style producers emit it for unset claims.
pub(super) struct Fields<'a>(pub(super) &'a Map<String, Value>);

impl<'a> Fields<'a> {
    pub(super) fn value(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn req_str(&self, key: &'static str, max: usize) -> Result<&'a str, EnvelopeError> {
        match self.value(key) {
            None => Err(EnvelopeError::field(key, "is required")),
            Some(Value::String(s)) => {
                check_len(key, s, max)?;
                Ok(s)
            }
            Some(_) => Err(EnvelopeError::field(key, "must be a string")),
        }
    }

    /// An empty or blank optional string is taken as not given.
    pub(super) fn opt_str(
        &self,
        key: &'static str,
        max: usize,
    ) -> Result<Option<&'a str>, EnvelopeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => {
                check_len(key, s, max)?;
                Ok(Some(s.trim()))
            }
            Some(_) => Err(EnvelopeError::field(key, "must be a string")),
        }
    }

    pub(super) fn opt_bool(&self, key: &'static str) -> Result<Option<bool>, EnvelopeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(EnvelopeError::field(key, "must be true or false")),
        }
    }

    pub(super) fn req_time(&self, key: &'static str) -> Result<DateTime<Utc>, EnvelopeError> {
        let s = self.req_str(key, MAX_STRING)?;
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                EnvelopeError::field(
                    key,
                    "not an ISO 8601 timestamp with a time zone, such as \"2026-11-27T13:00:00Z\"",
                )
            })
    }

    pub(super) fn opt_str_list(
        &self,
        key: &'static str,
        max_items: usize,
    ) -> Result<Vec<String>, EnvelopeError> {
        let items = match self.value(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(EnvelopeError::field(key, "must be an array of strings")),
        };
        if items.len() > max_items {
            return Err(EnvelopeError::field(
                key,
                format!("too many entries: at most {max_items}"),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let Value::String(s) = item else {
                return Err(EnvelopeError::field(key, "must be an array of strings"));
            };
            if s.chars().count() > MAX_STRING {
                return Err(EnvelopeError::field(
                    key,
                    format!(
                        "entry {} is too long: at most {MAX_STRING} characters",
                        i + 1
                    ),
                ));
            }
            if !s.trim().is_empty() {
                out.push(s.trim().to_owned());
            }
        }
        Ok(out)
    }
}

/// Size of a map as compact JSON. Serialising a map of JSON values cannot fail; if it
/// somehow did, counting it as too big is the safe answer.
pub(super) fn json_chars(m: &Map<String, Value>) -> usize {
    serde_json::to_string(m).map_or(usize::MAX, |s| s.chars().count())
}

pub(super) fn check_len(key: &'static str, s: &str, max: usize) -> Result<(), EnvelopeError> {
    if s.chars().count() > max {
        Err(EnvelopeError::field(
            key,
            format!("too long: at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

/// A value echoed in an error message: quoted and escaped so it cannot pass for our
/// own words, and cut short so an error body cannot be made to carry a payload.
pub(super) fn quoted(s: &str) -> String {
    const SHOWN: usize = 40;
    if s.chars().count() > SHOWN {
        let head: String = s.chars().take(SHOWN).collect();
        format!("{head:?}…")
    } else {
        format!("{s:?}")
    }
}
