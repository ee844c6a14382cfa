//! The SQL this backend writes, built from catalogue names only: identifiers in
//! backticks, one placeholder per value (`UNHEX(?)` for binary columns, whose text form
//! is hex), and long value lists cut into statements of bounded size.

use mysql_async::Value;

/// Placeholders per statement: far below the 65535 a statement allows, and small
/// enough that one statement never holds locks on very many rows at once.
pub(super) const CHUNK: usize = 1000;

/// A name inside backticks, backticks in it doubled.
pub(super) fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// BINARY, VARBINARY, the BLOBs and BIT: compared and shown as lowercase hex.
pub(super) fn is_binary_type(column_type: &str) -> bool {
    let t = column_type.trim().to_ascii_lowercase();
    t.starts_with("binary") || t.starts_with("varbinary") || t.starts_with("bit") || {
        let base = t.split('(').next().unwrap_or("");
        base.ends_with("blob")
    }
}

/// One column as a statement names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Col {
    pub quoted: String,
    pub binary: bool,
}

impl Col {
    pub(super) fn placeholder(&self) -> &'static str {
        if self.binary {
            "UNHEX(?)"
        } else {
            "?"
        }
    }
}

/// A statement with its bound values.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

pub(super) fn text(value: &str) -> Value {
    Value::Bytes(value.as_bytes().to_vec())
}

/// `col IN (?, …)` for each chunk of values, after `head` ("DELETE FROM `t` WHERE").
pub(super) fn in_list(head: &str, lhs: &str, col: &Col, values: &[String]) -> Vec<Statement> {
    values
        .chunks(CHUNK)
        .map(|chunk| Statement {
            sql: format!(
                "{head} {lhs} IN ({})",
                vec![col.placeholder(); chunk.len()].join(", ")
            ),
            params: chunk.iter().map(|v| text(v)).collect(),
        })
        .collect()
}

/// `(a = ? AND b = ?) OR (…)` for each chunk of rows: a form that MySQL and MariaDB
/// both answer through the key's index, unlike some row-constructor `IN` lists.
pub(super) fn key_match(head: &str, key: &[Col], rows: &[Vec<String>]) -> Vec<Statement> {
    let per_statement = (CHUNK / key.len().max(1)).max(1);
    let one = key
        .iter()
        .map(|c| format!("{} = {}", c.quoted, c.placeholder()))
        .collect::<Vec<_>>()
        .join(" AND ");
    rows.chunks(per_statement)
        .map(|chunk| Statement {
            sql: format!(
                "{head} {}",
                vec![format!("({one})"); chunk.len()].join(" OR ")
            ),
            params: chunk.iter().flatten().map(|v| text(v)).collect(),
        })
        .collect()
}

/// For a `lower(column)` part of a MySQL 8 functional index, the column; `None` for any
/// other expression. The server writes it as "lower(`email`)", with backticks doubled.
pub(super) fn lowered_column(expression: &str) -> Option<String> {
    let e = expression.trim();
    let open = e.find('(')?;
    if !e[..open].trim().eq_ignore_ascii_case("lower") || !e.ends_with(')') {
        return None;
    }
    let inner = e[open + 1..e.len() - 1].trim();
    let name = inner.strip_prefix('`')?.strip_suffix('`')?;
    // A lone backtick inside would end the name: then this is not one column.
    let single = name.replace("``", "");
    if single.contains('`') {
        return None;
    }
    Some(name.replace("``", "`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, binary: bool) -> Col {
        Col {
            quoted: quote(name),
            binary,
        }
    }

    #[test]
    fn backticks_are_doubled() {
        assert_eq!(quote("odd `name`"), "`odd ``name```");
    }

    #[test]
    fn binary_types_are_told_from_text_types() {
        for t in ["varbinary(16)", "BINARY(4)", "blob", "longblob", "bit(1)"] {
            assert!(is_binary_type(t), "{t}");
        }
        for t in [
            "varchar(20)",
            "text",
            "int(11)",
            "bigint unsigned",
            "tinytext",
        ] {
            assert!(!is_binary_type(t), "{t}");
        }
    }

    #[test]
    fn long_lists_are_cut_into_chunks() {
        let values: Vec<String> = (0..CHUNK + 1).map(|i| i.to_string()).collect();
        let statements = in_list("DELETE FROM `t` WHERE", "`id`", &col("id", false), &values);
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0].params.len(), CHUNK);
        assert_eq!(statements[1].sql, "DELETE FROM `t` WHERE `id` IN (?)");
    }

    #[test]
    fn composite_keys_match_row_by_row_and_binary_parts_go_through_unhex() {
        let key = [col("a", false), col("b", true)];
        let rows = vec![vec!["1".into(), "ff".into()], vec!["2".into(), "00".into()]];
        let statements = key_match("DELETE FROM `t` WHERE", &key, &rows);
        assert_eq!(
            statements[0].sql,
            "DELETE FROM `t` WHERE (`a` = ? AND `b` = UNHEX(?)) OR (`a` = ? AND `b` = UNHEX(?))"
        );
        assert_eq!(
            statements[0].params,
            vec![text("1"), text("ff"), text("2"), text("00")]
        );
    }

    #[test]
    fn only_lower_of_one_column_counts_as_lowered() {
        assert_eq!(lowered_column("lower(`email`)"), Some("email".into()));
        assert_eq!(
            lowered_column("LOWER( `odd``name` )"),
            Some("odd`name".into())
        );
        assert_eq!(lowered_column("upper(`email`)"), None);
        assert_eq!(lowered_column("lower(concat(`a`,`b`))"), None);
        assert_eq!(lowered_column("lower(`a`) + lower(`b`)"), None);
    }
}
