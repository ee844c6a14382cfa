//! Reading the JSON bodies people and agents send (the intake API, DRP bodies).
//!
//! Two rules the plain `serde_json` calls did not keep:
//! - a problem is described by its kind, position and field, never by the value: serde's
//!   own message quotes the offending value ("invalid type: string \"jane@…\""), and that
//!   message went into the API's answer and, through actix's debug log of error
//!   responses, into the log;
//! - a key may appear once per object: `{"kind":"access","kind":"deletion"}` is refused
//!   rather than read as its last value (serde_json has no switch for this, so objects
//!   are built by a visitor that checks each key).

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;

/// The custom error the visitor raises; recognised again by `describe`.
const DUPLICATE_KEY: &str = "duplicate key in an object";

/// Parses `bytes` as one JSON object whose objects (at any depth) repeat no key.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, Problem> {
    match serde_json::from_slice::<Unique>(bytes) {
        Ok(Unique(Value::Object(map))) => Ok(map),
        Ok(_) => Err(Problem::NotAnObject),
        Err(e) => Err(Problem::Json(describe(&e))),
    }
}

/// Reads `map` as `T`; a wrong field is named (found by reading it alone), its value never.
pub fn read_as<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, Problem> {
    let probe = map.clone();
    serde_json::from_value::<T>(Value::Object(map)).map_err(|e| {
        let field = probe.iter().find_map(|(k, v)| {
            let alone = Value::Object(Map::from_iter([(k.clone(), v.clone())]));
            serde_json::from_value::<T>(alone)
                .is_err()
                .then(|| k.clone())
        });
        let what = describe(&e);
        Problem::Json(match field {
            Some(f) => format!("field {}: {what}", shown_key(&f)),
            None => what,
        })
    })
}

/// `map` as compact JSON with the keys of every object sorted: two bodies that differ
/// only in key order or spacing give the same text (what an `Idempotency-Key` is bound
/// to). Sorted here rather than trusting `Map`'s order, which a `preserve_order` feature
/// switched on by any dependency would change.
pub fn canonical(map: &Map<String, Value>) -> String {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let fields: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), canonical_value(v)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn canonical_value(v: &Value) -> String {
    match v {
        Value::Object(m) => canonical(m),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical_value).collect();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not JSON, or not of the expected shape: the description holds no value.
    Json(String),
    NotAnObject,
}

/// What is wrong with a body, in words that quote none of its values.
pub fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = if e.line() > 0 {
        format!(" (line {}, column {})", e.line(), e.column())
    } else {
        String::new()
    };
    match e.classify() {
        Category::Io => "the body could not be read".into(),
        Category::Eof => format!("the JSON ends too early{at}"),
        Category::Syntax => format!("not valid JSON{at}"),
        Category::Data => format!("{}{at}", data_problem(&e.to_string())),
    }
}

/// serde's data messages, with the value taken out: "invalid type: string \"…\",
/// expected a boolean" becomes "wrong type, expected a boolean".
fn data_problem(text: &str) -> String {
    let text = text.split(" at line ").next().unwrap_or(text);
    if text.starts_with(DUPLICATE_KEY) {
        return "a key appears more than once in an object".into();
    }
    for (prefix, words) in [
        ("unknown field `", "unknown field"),
        ("missing field `", "missing field"),
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            let name = rest.split('`').next().unwrap_or("");
            return format!("{words} {}", shown_key(name));
        }
    }
    let kind = if text.starts_with("invalid type") {
        "wrong type"
    } else if text.starts_with("invalid length") {
        "wrong length"
    } else {
        "invalid value"
    };
    // What follows ", expected " comes from the type (our code), never from the input.
    match text.rsplit_once(", expected ") {
        Some((_, expected)) => format!("{kind}, expected {expected}"),
        None => kind.into(),
    }
}

/// A key as it may be shown: a key is a name, but a body can put anything there.
fn shown_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 40
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("`{key}`")
    } else {
        "(a key that is not a plain name)".into()
    }
}

/// A JSON value whose objects repeat no key.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor).map(Unique)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(DUPLICATE_KEY));
            }
            let Unique(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_ignores_key_order_and_spacing_only() {
        let parse = |s: &str| parse_object(s.as_bytes()).expect("object");
        let a = parse(r#"{"b":{"y":1,"x":[2,{"q":"\u00e9","p":null}]},"a":"s"}"#);
        let b = parse(r#"{ "a" : "s", "b" : { "x" : [2, {"p":null, "q":"é"}], "y" : 1 } }"#);
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(
            canonical(&a),
            r#"{"a":"s","b":{"x":[2,{"p":null,"q":"é"}],"y":1}}"#
        );
        let c = parse(r#"{"a":"s","b":{"x":[{"p":null,"q":"é"},2],"y":1}}"#);
        assert_ne!(canonical(&a), canonical(&c), "array order counts");
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        assert!(parse_object(br#"{"kind":"access","kind":"deletion"}"#).is_err());
        assert!(parse_object(br#"{"a":{"b":1,"b":2}}"#).is_err());
        assert!(parse_object(br#"{"a":[{"b":1},{"b":2}]}"#).is_ok());
        assert_eq!(parse_object(b"[1]"), Err(Problem::NotAnObject));
    }

    #[test]
    fn problems_never_quote_values() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            flag: Option<bool>,
            name: Option<String>,
        }
        let map = parse_object(br#"{"name":"ok","flag":"jane@example.com"}"#).expect("object");
        let Err(Problem::Json(text)) = read_as::<T>(map) else {
            panic!("refused")
        };
        assert!(!text.contains("jane"), "{text}");
        assert!(
            text.contains("`flag`") && text.contains("expected a boolean"),
            "{text}"
        );
        let Err(Problem::Json(text)) = parse_object(br#"{"dob":"1980-04-12","x":}"#) else {
            panic!("refused")
        };
        assert!(!text.contains("1980"), "{text}");
    }
}
