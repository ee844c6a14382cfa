//! MySQL values into Rust and JSON: the ids, texts and times the queries read, and each
//! column of an exported row as the access package shows it.

use super::sql::BINARY_COLUMNS;
use super::Visit;
use chrono::{NaiveDate, NaiveDateTime};
use mysql_async::consts::ColumnType;
use mysql_async::{Column, Row, Value};
use serde_json::{json, Value as Json};

pub(super) fn value_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::UInt(u) => Some(*u),
        Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Bytes(b) => String::from_utf8(b.clone()).ok(),
        _ => None,
    }
}

fn value_datetime(value: &Value) -> Option<NaiveDateTime> {
    match value {
        Value::Date(y, m, d, h, mi, s, us) => {
            NaiveDate::from_ymd_opt(*y as i32, *m as u32, *d as u32)?
                .and_hms_micro_opt(*h as u32, *mi as u32, *s as u32, *us)
        }
        Value::Bytes(b) => {
            NaiveDateTime::parse_from_str(std::str::from_utf8(b).ok()?, "%Y-%m-%d %H:%M:%S").ok()
        }
        _ => None,
    }
}

pub(super) fn first_u64(row: Row) -> Option<u64> {
    row.unwrap().first().and_then(value_u64)
}

pub(super) fn visit_from_row(row: Row) -> Option<Visit> {
    let values = row.unwrap();
    Some(Visit {
        idsite: u32::try_from(value_u64(values.first()?)?).ok()?,
        idvisit: value_u64(values.get(1)?)?,
        first: values.get(2).and_then(value_datetime),
        last: values.get(3).and_then(value_datetime),
    })
}

pub(super) fn format_datetime(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A column value for the access package: numbers as numbers, text as text, and bytes
/// that are not text (identifiers, IP addresses) as lowercase hex.
pub(super) fn to_json(column: &Column, value: Value) -> Json {
    let kind = column.column_type();
    match value {
        Value::NULL => Json::Null,
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        // Through its decimal text, so a FLOAT 0.1 reads 0.1 rather than 0.10000000149.
        Value::Float(f) => number(f.to_string().parse().unwrap_or(f as f64)),
        Value::Double(d) => number(d),
        Value::Date(y, m, d, h, mi, s, us) => {
            let mut text = format!("{y:04}-{m:02}-{d:02}");
            if kind != ColumnType::MYSQL_TYPE_DATE {
                text.push_str(&format!(" {h:02}:{mi:02}:{s:02}"));
                if us > 0 {
                    text.push_str(&format!(".{us:06}"));
                }
            }
            Json::String(text)
        }
        Value::Time(negative, days, h, mi, s, us) => {
            let hours = days * 24 + h as u32;
            let sign = if negative { "-" } else { "" };
            let mut text = format!("{sign}{hours:02}:{mi:02}:{s:02}");
            if us > 0 {
                text.push_str(&format!(".{us:06}"));
            }
            Json::String(text)
        }
        Value::Bytes(bytes) => {
            let name = column.name_str();
            if BINARY_COLUMNS.contains(&name.as_ref()) || is_binary_string(column) {
                return Json::String(hex::encode(bytes));
            }
            match String::from_utf8(bytes) {
                Ok(text) => Json::String(text),
                Err(e) => Json::String(hex::encode(e.into_bytes())),
            }
        }
    }
}

fn number(f: f64) -> Json {
    serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
}

/// BINARY, VARBINARY and BLOB columns: string types in the binary character set (63).
/// Numeric types carry that character set as well, hence the type check.
fn is_binary_string(column: &Column) -> bool {
    use ColumnType::*;
    matches!(
        column.column_type(),
        MYSQL_TYPE_STRING
            | MYSQL_TYPE_VAR_STRING
            | MYSQL_TYPE_VARCHAR
            | MYSQL_TYPE_BLOB
            | MYSQL_TYPE_TINY_BLOB
            | MYSQL_TYPE_MEDIUM_BLOB
            | MYSQL_TYPE_LONG_BLOB
            | MYSQL_TYPE_BIT
    ) && column.character_set() == 63
}
