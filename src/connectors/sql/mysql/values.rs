//! A row read into `FoundRow`: each column as the access package shows it (JSON) and as
//! keys are compared and bound (text).
//!
//! The text forms follow the server's own: integers and decimals as it prints them,
//! dates and times with as many fraction digits as the column declares, binary columns
//! as lowercase hex (bound back through `UNHEX(?)`).

use crate::connectors::sql::backend::FoundRow;
use mysql_async::consts::ColumnType;
use mysql_async::{Column, Row, Value};
use serde_json::{json, Value as Json};

pub(super) fn found_row(row: Row) -> FoundRow {
    let columns = row.columns();
    let mut found = FoundRow::default();
    for (column, value) in columns.iter().zip(row.unwrap()) {
        let (json, text) = convert(column, value);
        let name = column.name_str().into_owned();
        found.json.insert(name.clone(), json);
        found.text.insert(name, text);
    }
    found
}

fn convert(column: &Column, value: Value) -> (Json, Option<String>) {
    match value {
        Value::NULL => (Json::Null, None),
        Value::Int(i) => (integer(column, i128::from(i)), Some(i.to_string())),
        Value::UInt(u) => (integer(column, i128::from(u)), Some(u.to_string())),
        Value::Float(f) => {
            // Through its decimal text, so a FLOAT 0.1 reads 0.1, not 0.10000000149.
            let text = f.to_string();
            (number(text.parse().unwrap_or(f64::from(f))), Some(text))
        }
        Value::Double(d) => (number(d), Some(d.to_string())),
        Value::Date(y, m, d, h, mi, s, us) => {
            let mut text = format!("{y:04}-{m:02}-{d:02}");
            if column.column_type() != ColumnType::MYSQL_TYPE_DATE {
                text.push_str(&format!(" {h:02}:{mi:02}:{s:02}{}", fraction(column, us)));
            }
            (Json::String(text.clone()), Some(text))
        }
        Value::Time(negative, days, h, mi, s, us) => {
            let hours = days * 24 + u32::from(h);
            let sign = if negative { "-" } else { "" };
            let text = format!("{sign}{hours:02}:{mi:02}:{s:02}{}", fraction(column, us));
            (Json::String(text.clone()), Some(text))
        }
        Value::Bytes(bytes) => bytes_value(column, bytes),
    }
}

/// TINYINT(1) is how MySQL declares a boolean: 0 and 1 read as false and true.
fn integer(column: &Column, n: i128) -> Json {
    let boolean =
        column.column_type() == ColumnType::MYSQL_TYPE_TINY && column.column_length() == 1;
    match n {
        0 | 1 if boolean => Json::Bool(n == 1),
        _ => match (i64::try_from(n), u64::try_from(n)) {
            (Ok(i), _) => json!(i),
            (_, Ok(u)) => json!(u),
            _ => Json::String(n.to_string()),
        },
    }
}

fn number(f: f64) -> Json {
    serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
}

/// The fraction of a second as the column declares it (DATETIME(6): six digits, even
/// when zero, as the server prints it).
fn fraction(column: &Column, micros: u32) -> String {
    let digits = usize::from(column.decimals());
    match digits {
        1..=6 => {
            let six = format!("{micros:06}");
            format!(".{}", &six[..digits])
        }
        // No declared precision (a computed value): as many as there are.
        _ if digits > 6 && micros > 0 => format!(".{micros:06}"),
        _ => String::new(),
    }
}

fn bytes_value(column: &Column, bytes: Vec<u8>) -> (Json, Option<String>) {
    if is_binary_string(column) {
        let hex = hex::encode(bytes);
        return (Json::String(hex.clone()), Some(hex));
    }
    match String::from_utf8(bytes) {
        Ok(text) if is_decimal(column) => (decimal(&text), Some(text)),
        Ok(text) => (Json::String(text.clone()), Some(text)),
        Err(e) => {
            let hex = hex::encode(e.into_bytes());
            (Json::String(hex.clone()), Some(hex))
        }
    }
}

/// A DECIMAL as a JSON number when a double holds it exactly enough to print it back
/// (15 significant digits); longer ones stay text, so no digit of an amount is lost.
fn decimal(text: &str) -> Json {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    match text.parse::<f64>() {
        Ok(f) if digits <= 15 => number(f),
        _ => Json::String(text.to_string()),
    }
}

fn is_decimal(column: &Column) -> bool {
    matches!(
        column.column_type(),
        ColumnType::MYSQL_TYPE_DECIMAL | ColumnType::MYSQL_TYPE_NEWDECIMAL
    )
}

/// BINARY, VARBINARY, BLOB and BIT: string types in the binary character set (63).
/// Numeric and JSON types carry that character set as well, hence the type check.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_numbers_until_a_double_would_lose_digits() {
        assert_eq!(decimal("12.50"), json!(12.5));
        assert_eq!(decimal("-0.01"), json!(-0.01));
        assert_eq!(decimal("1234567890123456.78"), json!("1234567890123456.78"));
    }
}
