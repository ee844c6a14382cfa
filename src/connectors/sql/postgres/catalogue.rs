//! The schema's base tables as pg_catalog describes them (ordinary and partitioned
//! tables; views, and the partitions of a partitioned table, left out), plus what the
//! backend itself needs of each column: the type to cast bound text to.

use super::super::schema::{Column, ForeignKey, Index, Schema, Table};
use postgres::Client;
use std::collections::HashMap;

/// A schema read once, and the cast type of every column.
#[derive(Debug)]
pub struct Catalogue {
    pub schema: Schema,
    types: HashMap<String, Vec<ColumnType>>,
}

#[derive(Debug, Clone)]
pub struct ColumnType {
    pub name: String,
    /// `format_type(atttypid, NULL)`: the type without its modifier ("character
    /// varying", "numeric"), for `$1::text::<type>`.
    pub cast: String,
    /// bytea: `row_to_json` writes it as "\\x…", the access package wants plain hex.
    pub bytes: bool,
    /// Text-like: `lower(column)` needs no cast to text.
    pub text: bool,
}

impl Catalogue {
    /// The columns of `table` in their order, when it is a table of the schema.
    pub fn table(&self, table: &str) -> Option<&[ColumnType]> {
        self.types.get(table).map(Vec::as_slice)
    }

    pub fn column(&self, table: &str, column: &str) -> Option<&ColumnType> {
        self.table(table)?.iter().find(|c| c.name == column)
    }
}

/// Filters every query below shares: base tables of schema `$1`.
const BASE_TABLES: &str = "c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace \
     WHERE nspname = $1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition";

pub fn read(client: &mut Client, schema: &str) -> Result<Catalogue, postgres::Error> {
    let mut tables: Vec<Table> = Vec::new();
    let mut types: HashMap<String, Vec<ColumnType>> = HashMap::new();
    let sql = format!(
        "SELECT c.relname::text, a.attname::text, \
           pg_catalog.format_type(a.atttypid, a.atttypmod), \
           pg_catalog.format_type(a.atttypid, NULL), NOT a.attnotnull, \
           CASE WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 \
             THEN a.atttypmod - 4 END, \
           CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation \
             THEN co.collname::text END, \
           t.typcategory = 'S', t.typname = 'bytea' \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
         WHERE {BASE_TABLES} AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY c.relname, a.attnum"
    );
    for row in client.query(&sql, &[&schema])? {
        let table: String = row.try_get(0)?;
        if tables.last().is_none_or(|t| t.name != table) {
            tables.push(Table {
                name: table.clone(),
                ..Table::default()
            });
        }
        let column = Column {
            name: row.try_get(1)?,
            data_type: row.try_get(2)?,
            nullable: row.try_get(4)?,
            max_chars: row
                .try_get::<_, Option<i32>>(5)?
                .and_then(|n| u32::try_from(n).ok()),
            collation: row.try_get(6)?,
            is_text: row.try_get(7)?,
        };
        types.entry(table).or_default().push(ColumnType {
            name: column.name.clone(),
            cast: row.try_get(3)?,
            bytes: row.try_get(8)?,
            text: column.is_text,
        });
        if let Some(t) = tables.last_mut() {
            t.columns.push(column);
        }
    }
    read_constraints(client, schema, &mut tables)?;
    read_indexes(client, schema, &mut tables)?;
    Ok(Catalogue {
        schema: Schema { tables },
        types,
    })
}

/// Primary keys and foreign keys (to tables of the same schema), columns in key order.
fn read_constraints(
    client: &mut Client,
    schema: &str,
    tables: &mut [Table],
) -> Result<(), postgres::Error> {
    let names = |key: &str, rel: &str| {
        format!(
            "ARRAY(SELECT a.attname::text FROM unnest(k.{key}) WITH ORDINALITY AS u(n, i) \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.{rel} AND a.attnum = u.n \
             ORDER BY u.i)"
        )
    };
    let sql = format!(
        "SELECT c.relname::text, k.contype::text, {}, r.relname::text, {}, \
           k.confdeltype::text \
         FROM pg_catalog.pg_constraint k \
         JOIN pg_catalog.pg_class c ON c.oid = k.conrelid \
         LEFT JOIN pg_catalog.pg_class r ON r.oid = k.confrelid \
         WHERE {BASE_TABLES} AND k.conparentid = 0 \
           AND (k.contype = 'p' OR (k.contype = 'f' AND r.relnamespace = c.relnamespace)) \
         ORDER BY c.relname, k.conname",
        names("conkey", "conrelid"),
        names("confkey", "confrelid"),
    );
    for row in client.query(&sql, &[&schema])? {
        let table: String = row.try_get(0)?;
        let Some(t) = tables.iter_mut().find(|t| t.name == table) else {
            continue;
        };
        let columns: Vec<String> = row.try_get(2)?;
        if row.try_get::<_, String>(1)? == "p" {
            t.primary_key = columns;
        } else {
            let action: Option<String> = row.try_get(5)?;
            t.foreign_keys.push(ForeignKey {
                columns,
                ref_table: row.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
                ref_columns: row.try_get(4)?,
                on_delete: on_delete(action.as_deref().unwrap_or("a")).into(),
            });
        }
    }
    Ok(())
}

/// `pg_constraint.confdeltype` in the words of the SQL standard.
fn on_delete(code: &str) -> &'static str {
    match code {
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        "r" => "RESTRICT",
        _ => "NO ACTION",
    }
}

/// Indexes without a predicate (a partial index serves only its own WHERE). Each key
/// part is a plain column (its name) or an expression (`pg_get_indexdef`'s text).
fn read_indexes(
    client: &mut Client,
    schema: &str,
    tables: &mut [Table],
) -> Result<(), postgres::Error> {
    let sql = format!(
        "SELECT c.relname::text, x.relname::text, i.indisunique, \
           ARRAY(SELECT CASE WHEN i.indkey[k - 1] <> 0 THEN '' \
                   ELSE pg_catalog.pg_get_indexdef(i.indexrelid, k, true) END \
                 FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k), \
           ARRAY(SELECT coalesce(a.attname::text, '') FROM generate_series(1, i.indnkeyatts) AS k \
                 LEFT JOIN pg_catalog.pg_attribute a \
                   ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1] AND i.indkey[k - 1] <> 0 \
                 ORDER BY k) \
         FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_class c ON c.oid = i.indrelid \
         JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid \
         WHERE {BASE_TABLES} AND i.indpred IS NULL \
         ORDER BY c.relname, x.relname"
    );
    for row in client.query(&sql, &[&schema])? {
        let table: String = row.try_get(0)?;
        let Some(t) = tables.iter_mut().find(|t| t.name == table) else {
            continue;
        };
        let expressions: Vec<String> = row.try_get(3)?;
        let plain: Vec<String> = row.try_get(4)?;
        let mut index = Index {
            name: row.try_get(1)?,
            unique: row.try_get(2)?,
            ..Index::default()
        };
        // Key parts are taken while they are understood: a column after an unknown
        // expression cannot lead a lookup, so it is not listed either.
        for (expression, column) in expressions.iter().zip(&plain) {
            if !column.is_empty() {
                index.columns.push(column.clone());
            } else if let Some(c) = lowered(expression).filter(|c| t.column(c).is_some()) {
                index.lowered.push(c);
            } else {
                break;
            }
        }
        t.indexes.push(index);
    }
    Ok(())
}

/// The column of `lower(col)`, or of `lower(col::text)` / `lower((col)::text)` (how
/// PostgreSQL prints an index on `lower(col)` for a varchar column, pretty or not), the
/// name unquoted.
pub fn lowered(expression: &str) -> Option<String> {
    let inner = expression.strip_prefix("lower(")?.strip_suffix(')')?;
    let name = match inner.strip_suffix("::text") {
        Some(cast) => match cast.strip_prefix('(') {
            Some(rest) => rest.strip_suffix(')')?,
            None => cast,
        },
        None => inner,
    };
    if let Some(quoted) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        let unquoted = quoted.replace("\"\"", "\"");
        // A lone quote inside would mean the text was not one identifier.
        return (unquoted.matches('"').count() * 2 == quoted.matches('"').count())
            .then_some(unquoted);
    }
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    plain.then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_expressions_name_their_column() {
        assert_eq!(lowered("lower(email)").as_deref(), Some("email"));
        assert_eq!(lowered("lower((email)::text)").as_deref(), Some("email"));
        assert_eq!(lowered("lower(email::text)").as_deref(), Some("email"));
        assert_eq!(lowered("lower(\"E m\"::text)").as_deref(), Some("E m"));
        assert_eq!(
            lowered("lower((\"E \"\"mail\")::text)").as_deref(),
            Some("E \"mail")
        );
        assert_eq!(lowered("lower(\"Email\")").as_deref(), Some("Email"));
    }

    #[test]
    fn other_expressions_are_not_lowered_columns() {
        for e in [
            "upper(email)",
            "lower(email || name)",
            "lower((email)::character varying)",
            "lower(trim(email))",
            "lower(\"a\"b\")",
        ] {
            assert_eq!(lowered(e), None, "{e}");
        }
    }

    #[test]
    fn delete_actions_read_as_sql_words() {
        assert_eq!(on_delete("c"), "CASCADE");
        assert_eq!(on_delete("n"), "SET NULL");
        assert_eq!(on_delete("d"), "SET DEFAULT");
        assert_eq!(on_delete("r"), "RESTRICT");
        assert_eq!(on_delete("a"), "NO ACTION");
    }
}
