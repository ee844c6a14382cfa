//! The live schema of a SQLite file: tables from `sqlite_master`, then per table the
//! `pragma_table_info`, `pragma_foreign_key_list`, `pragma_index_list` and
//! `pragma_index_xinfo` table-valued functions, completed from the `CREATE` statements
//! where the pragmas say nothing (`ddl.rs`).

use super::ddl;
use crate::connectors::sql::schema::{Column, ForeignKey, Index, Schema, Table};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::SqliteConnection;

#[derive(QueryableByName)]
struct TableRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    sql: Option<String>,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    ref_table: String,
    #[diesel(sql_type = Text)]
    from_column: String,
    /// NULL when the constraint names only the table: its primary key is meant.
    #[diesel(sql_type = Nullable<Text>)]
    to_column: Option<String>,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    is_unique: i32,
    #[diesel(sql_type = Integer)]
    partial: i32,
    #[diesel(sql_type = Nullable<Text>)]
    sql: Option<String>,
}

#[derive(QueryableByName)]
struct IndexColumnRow {
    #[diesel(sql_type = Integer)]
    seqno: i32,
    /// -1 for the rowid, -2 for an expression.
    #[diesel(sql_type = Integer)]
    cid: i32,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

pub(super) fn read(conn: &mut SqliteConnection) -> QueryResult<Schema> {
    // SQLite reserves names starting with "sqlite_" (in any case) for its own tables.
    let tables: Vec<TableRow> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .load(conn)?;
    let mut schema = Schema::default();
    for t in &tables {
        schema.tables.push(read_table(conn, t)?);
    }
    resolve_references(&mut schema);
    Ok(schema)
}

fn read_table(conn: &mut SqliteConnection, t: &TableRow) -> QueryResult<Table> {
    let create = t.sql.as_deref().unwrap_or("");
    let rows: Vec<ColumnRow> = diesel::sql_query(
        "SELECT name, type AS data_type, \"notnull\" AS not_null, pk \
         FROM pragma_table_info(?) ORDER BY cid",
    )
    .bind::<Text, _>(&t.name)
    .load(conn)?;
    let mut keyed: Vec<(i32, String)> = rows
        .iter()
        .filter(|c| c.pk > 0)
        .map(|c| (c.pk, c.name.clone()))
        .collect();
    keyed.sort();
    // The table's declared key only. A table without one is left keyless rather than
    // keyed by its rowid: VACUUM may renumber the rowids of a table that has no
    // INTEGER PRIMARY KEY, so a rowid found today may name another row tomorrow.
    let primary_key: Vec<String> = keyed.into_iter().map(|(_, n)| n).collect();
    let never_null_key = ddl::without_rowid(create)
        || (primary_key.len() == 1
            && rows
                .iter()
                .any(|c| c.pk == 1 && c.data_type.eq_ignore_ascii_case("INTEGER")));
    let columns = rows
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            data_type: c.data_type.clone(),
            nullable: c.not_null == 0 && !(c.pk > 0 && never_null_key),
            max_chars: declared_length(&c.data_type),
            collation: ddl::column_collation(create, &c.name),
            is_text: text_affinity(&c.data_type),
        })
        .collect();
    Ok(Table {
        name: t.name.clone(),
        columns,
        primary_key,
        foreign_keys: read_foreign_keys(conn, &t.name)?,
        indexes: read_indexes(conn, &t.name)?,
    })
}

fn read_foreign_keys(conn: &mut SqliteConnection, table: &str) -> QueryResult<Vec<ForeignKey>> {
    let rows: Vec<ForeignKeyRow> = diesel::sql_query(
        "SELECT id, \"table\" AS ref_table, \"from\" AS from_column, \"to\" AS to_column, \
         on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq",
    )
    .bind::<Text, _>(table)
    .load(conn)?;
    let mut out: Vec<(i32, ForeignKey)> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|(id, _)| *id != r.id) {
            out.push((
                r.id,
                ForeignKey {
                    ref_table: r.ref_table.clone(),
                    on_delete: r.on_delete.clone(),
                    ..ForeignKey::default()
                },
            ));
        }
        if let Some((_, fk)) = out.last_mut() {
            fk.columns.push(r.from_column);
            // An empty name stands for "the referenced table's primary key", filled in
            // by `resolve_references` once every table is read.
            fk.ref_columns.push(r.to_column.unwrap_or_default());
        }
    }
    Ok(out.into_iter().map(|(_, fk)| fk).collect())
}

fn read_indexes(conn: &mut SqliteConnection, table: &str) -> QueryResult<Vec<Index>> {
    let rows: Vec<IndexRow> = diesel::sql_query(
        "SELECT l.name, l.\"unique\" AS is_unique, l.partial, m.sql \
         FROM pragma_index_list(?) AS l \
         LEFT JOIN sqlite_master AS m ON m.type = 'index' AND m.name = l.name \
         ORDER BY l.name",
    )
    .bind::<Text, _>(table)
    .load(conn)?;
    let mut out = Vec::new();
    // A partial index serves only queries repeating its WHERE clause, never a lookup by
    // a person's identity: listing it would promise an index the search cannot use.
    for r in rows.into_iter().filter(|r| r.partial == 0) {
        let keys: Vec<IndexColumnRow> = diesel::sql_query(
            "SELECT seqno, cid, name FROM pragma_index_xinfo(?) WHERE \"key\" = 1 ORDER BY seqno",
        )
        .bind::<Text, _>(&r.name)
        .load(conn)?;
        let terms = r.sql.as_deref().map(ddl::lowered_terms).unwrap_or_default();
        let mut index = Index {
            name: r.name.clone(),
            unique: r.is_unique != 0,
            ..Index::default()
        };
        for k in keys {
            match (k.cid, k.name) {
                (cid, Some(name)) if cid >= 0 => index.columns.push(name),
                (-2, _) => {
                    let term = usize::try_from(k.seqno).ok().and_then(|i| terms.get(i));
                    if let Some(Some(column)) = term {
                        index.lowered.push(column.clone());
                    }
                }
                _ => {}
            }
        }
        out.push(index);
    }
    Ok(out)
}

/// SQLite compares identifiers without regard to ASCII case and keeps a foreign key's
/// names as the constraint spelled them: map them onto the tables' and columns' own
/// spellings, and an omitted column list onto the referenced primary key.
fn resolve_references(schema: &mut Schema) {
    let tables = schema.tables.clone();
    let find = |name: &str| tables.iter().find(|t| t.name.eq_ignore_ascii_case(name));
    let spelled = |t: &Table, name: &str| {
        t.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .map_or_else(|| name.to_string(), |c| c.name.clone())
    };
    for table in &mut schema.tables {
        let own = tables.iter().find(|t| t.name == table.name).cloned();
        for fk in &mut table.foreign_keys {
            if let Some(own) = &own {
                fk.columns = fk.columns.iter().map(|c| spelled(own, c)).collect();
            }
            let Some(target) = find(&fk.ref_table) else {
                continue;
            };
            fk.ref_table = target.name.clone();
            if fk.ref_columns.iter().all(String::is_empty)
                && target.primary_key.len() == fk.columns.len()
            {
                fk.ref_columns = target.primary_key.clone();
            } else {
                fk.ref_columns = fk.ref_columns.iter().map(|c| spelled(target, c)).collect();
            }
        }
    }
}

/// SQLite's rule for a declared type's affinity (section 3.1 of "Datatypes In SQLite"):
/// INTEGER first, then TEXT for any of CHAR, CLOB or TEXT.
fn text_affinity(declared: &str) -> bool {
    let t = declared.to_ascii_uppercase();
    !t.contains("INT") && (t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT"))
}

/// The length in a declared text type such as `VARCHAR(40)`. SQLite does not enforce
/// it, but it is what the schema's author meant the column to hold.
fn declared_length(declared: &str) -> Option<u32> {
    if !text_affinity(declared) {
        return None;
    }
    let (_, rest) = declared.split_once('(')?;
    let (inner, _) = rest.split_once(')')?;
    inner.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_and_length_follow_sqlites_rules() {
        assert!(text_affinity("VARCHAR(40)"));
        assert!(text_affinity("nvarchar"));
        assert!(text_affinity("CLOB"));
        assert!(!text_affinity("CHARINT"));
        assert!(!text_affinity("BLOB"));
        assert!(!text_affinity(""));
        assert!(!text_affinity("REAL"));
        assert_eq!(declared_length("VARCHAR(40)"), Some(40));
        assert_eq!(declared_length("character varying ( 255 )"), Some(255));
        assert_eq!(declared_length("DECIMAL(10,2)"), None);
        assert_eq!(declared_length("TEXT"), None);
    }
}
