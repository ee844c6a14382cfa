//! The two things put into SQL text that are not parameters: names, always quoted, and
//! column types for casts, taken from the catalogue and checked against a narrow set of
//! characters before use.

use crate::connectors::ConnectorError;

/// `name` as a quoted identifier: `"a ""b"""` for `a "b"`.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `"schema"."table"`.
pub fn table(schema: &str, table: &str) -> String {
    format!("{}.{}", ident(schema), ident(table))
}

/// A column type as `format_type(atttypid, NULL)` printed it ("integer", "character
/// varying", "timestamp with time zone", `myschema."Kind"`, "text[]"), accepted only
/// when made of letters, digits, spaces, underscores, dots, double quotes and a
/// trailing `[]`: no parenthesis, semicolon, dash or comment can reach the statement.
pub fn cast_type(formatted: &str) -> Result<&str, ConnectorError> {
    let body = formatted.trim_end_matches("[]");
    let fine = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '"'))
        && body.matches('"').count().is_multiple_of(2);
    if fine {
        Ok(formatted)
    } else {
        Err(ConnectorError::Permanent(format!(
            "PostgreSQL: the column type {formatted:?} cannot be used to compare keys"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_with_inner_quotes_doubled() {
        assert_eq!(ident("first name"), "\"first name\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(table("s", "t x"), "\"s\".\"t x\"");
    }

    #[test]
    fn catalogue_types_pass_and_anything_else_does_not() {
        for ok in [
            "integer",
            "character varying",
            "timestamp with time zone",
            "public.citext",
            "shop.\"Kind\"",
            "text[]",
        ] {
            assert_eq!(cast_type(ok).ok(), Some(ok));
        }
        for bad in [
            "",
            "int); drop table x; --",
            "text -- x",
            "numeric(10,2)",
            "\"a",
        ] {
            assert!(cast_type(bad).is_err(), "{bad}");
        }
    }
}
