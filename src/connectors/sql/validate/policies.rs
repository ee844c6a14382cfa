//! Each table's erase policy and each column policy against what the table and its
//! columns can take: rows must be nameable, a kept row needs the reason the person is
//! told, and a value written by erasure must fit its column.

use super::{kind, Kind, Model};
use crate::connectors::sql::dataset::{ColumnErase, SimpleErase, TableErase, TableSpec};
use crate::connectors::sql::schema::{Column, Table};

/// The shortest column an HMAC fits in: 64 hexadecimal characters.
const HMAC_CHARS: u32 = 64;

pub(super) fn check(model: &Model, has_hmac_key: bool, errors: &mut Vec<String>) {
    for (spec, table) in &model.tables {
        let acted_on = model.reached.contains(spec.name.as_str());
        let name = &spec.name;
        if acted_on && Model::key_of(spec, table).is_empty() {
            errors.push(format!(
                "table {name:?} has no primary key: name the columns that identify one row \
                 with key = [\"…\"], so the search and erasure act on exactly the rows shown"
            ));
        }
        table_policy(spec, acted_on, errors);
        if spec.on_erase == TableErase::Update {
            let key = Model::key_of(spec, table);
            for (column, policy) in &spec.columns {
                if let Some(c) = table.column(column) {
                    column_policy(name, c, policy, key, table, has_hmac_key, errors);
                }
            }
        }
    }
}

fn table_policy(spec: &TableSpec, acted_on: bool, errors: &mut Vec<String>) {
    let name = &spec.name;
    let reason_given = spec
        .keep_reason
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty());
    match spec.on_erase {
        TableErase::Keep if acted_on && !reason_given => {
            errors.push(format!(
                "table {name:?}: on_erase = \"keep\" needs keep_reason = \"…\", the reason \
                 the person is told why these rows stay; or choose \"delete\", or \
                 \"update\" with column policies"
            ));
        }
        TableErase::Delete | TableErase::Update if spec.keep_reason.is_some() => {
            errors.push(format!(
                "table {name:?}: keep_reason applies only with on_erase = \"keep\" (for one \
                 column kept in an update, write column = {{ keep = \"…\" }})"
            ));
        }
        _ => {}
    }
    if spec.on_erase != TableErase::Update && !spec.columns.is_empty() {
        errors.push(format!(
            "table {name:?}: column policies apply only with on_erase = \"update\""
        ));
    }
    if spec.on_erase == TableErase::Update && spec.columns.is_empty() {
        errors.push(format!(
            "table {name:?}: on_erase = \"update\" changes nothing without column policies \
             under [tables.columns]"
        ));
    }
}

fn column_policy(
    table_name: &str,
    column: &Column,
    policy: &ColumnErase,
    key: &[String],
    table: &Table,
    has_hmac_key: bool,
    errors: &mut Vec<String>,
) {
    let at = format!("{table_name}.{}", column.name);
    if key.contains(&column.name) {
        errors.push(format!(
            "{at} names the table's rows (it is part of its key): it cannot be changed by \
             erasure; delete the rows instead, or choose another key"
        ));
        return;
    }
    match policy {
        ColumnErase::Simple(SimpleErase::Null) if !column.nullable => errors.push(format!(
            "{at} = \"null\": the column cannot be NULL (NOT NULL); use {{ fixed = \"…\" }} or \
             \"hmac\" instead"
        )),
        ColumnErase::Simple(SimpleErase::Null) => {}
        ColumnErase::Fixed { fixed } => {
            let chars = fixed.chars().count();
            if column.max_chars.is_some_and(|max| chars > max as usize) {
                errors.push(format!(
                    "{at}: the fixed value is {chars} characters long, more than the column's \
                     {} ({})",
                    column.max_chars.unwrap_or_default(),
                    column.data_type
                ));
            }
            if table.unique(&column.name) {
                errors.push(format!(
                    "{at} is unique: a fixed value would collide for the second person erased; \
                     use \"hmac\" (distinct per value) or \"null\""
                ));
            }
            if kind(column) == Some(Kind::Integer) && fixed.trim().parse::<i64>().is_err() {
                errors.push(format!(
                    "{at} holds integers ({}): the fixed value must be a whole number",
                    column.data_type
                ));
            }
        }
        ColumnErase::Simple(SimpleErase::Hmac) => {
            if !column.is_text || column.max_chars.is_some_and(|max| max < HMAC_CHARS) {
                errors.push(format!(
                    "{at} = \"hmac\": the HMAC is {HMAC_CHARS} hexadecimal characters, and the \
                     column ({}) cannot hold them; use a text column of at least \
                     {HMAC_CHARS} characters, or another policy",
                    column.data_type
                ));
            }
            if !has_hmac_key {
                errors.push(format!(
                    "{at} = \"hmac\" needs the connector's key: set hmac_key_env or \
                     hmac_key_file"
                ));
            }
        }
        ColumnErase::Keep { keep } if keep.trim().is_empty() => errors.push(format!(
            "{at} = {{ keep = \"\" }}: write the reason the person is told why it stays"
        )),
        ColumnErase::Keep { .. } => {}
    }
}
