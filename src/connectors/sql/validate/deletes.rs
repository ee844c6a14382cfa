//! Deleting rows that other rows point at. For every live foreign key into a table whose
//! rows the dataset deletes, the referencing rows must go the same way: deleted too (the
//! reference walked, their table deleted), emptied (the reference walked, their table
//! updated with the column set to NULL) or let go of the row (`on_delete = "set_null"`
//! on a nullable column, or the key's own ON DELETE SET NULL). Otherwise the database
//! refuses the erasure (RESTRICT, NO ACTION) or, worse, deletes rows the preview never
//! showed (CASCADE).

use super::Model;
use crate::connectors::sql::dataset::{ColumnErase, OnDelete, SimpleErase, TableErase};
use crate::connectors::sql::schema::{ForeignKey, Table};

pub(super) fn check(model: &Model, errors: &mut Vec<String>) {
    for (spec, target) in &model.tables {
        if spec.on_erase != TableErase::Delete || !model.reached.contains(spec.name.as_str()) {
            continue;
        }
        for referencing in &model.schema.tables {
            for fk in referencing
                .foreign_keys
                .iter()
                .filter(|fk| fk.ref_table == target.name)
            {
                if let Some(problem) = unhandled(model, referencing, fk) {
                    errors.push(problem);
                }
            }
        }
    }
}

/// The error for a foreign key whose rows a deletion would leave behind, if any.
fn unhandled(model: &Model, referencing: &Table, fk: &ForeignKey) -> Option<String> {
    let action = fk.on_delete.trim().to_ascii_uppercase();
    if action == "SET NULL" || action == "SET DEFAULT" {
        return None;
    }
    let pairs = || fk.columns.iter().zip(fk.ref_columns.iter());
    let from = &referencing.name;
    let to = &fk.ref_table;
    let deleted_along = model.erases(from, TableErase::Delete)
        && pairs().any(|(c, k)| {
            model
                .reference(from, c, to, k)
                .is_some_and(|l| l.reference.walk)
        });
    let let_go = pairs().any(|(c, k)| {
        model
            .reference(from, c, to, k)
            .is_some_and(|l| l.reference.on_delete == OnDelete::SetNull && l.from_column.nullable)
    });
    // The person's own referencing rows stay but their link is emptied first (an
    // `update` table walked along the reference, its column set to NULL): the erasure
    // changes them before it deletes.
    let walked = pairs().any(|(c, k)| {
        model
            .reference(from, c, to, k)
            .is_some_and(|l| l.reference.walk)
    });
    let emptied_along = walked
        && model.erases(from, TableErase::Update)
        && model.spec(from).is_some_and(|spec| {
            fk.columns.iter().all(|c| {
                spec.columns.get(c) == Some(&ColumnErase::Simple(SimpleErase::Null))
                    && referencing.column(c).is_some_and(|col| col.nullable)
            })
        });
    if deleted_along || let_go || emptied_along {
        return None;
    }
    let key = format!(
        "{from}.{} → {to}.{}",
        fk.columns.join(","),
        fk.ref_columns.join(",")
    );
    let reference = fk
        .columns
        .first()
        .zip(fk.ref_columns.first())
        .map(|(c, k)| format!("from = \"{from}.{c}\", to = \"{to}.{k}\""))
        .unwrap_or_default();
    let delete_them = if model.spec(from).is_some() {
        format!("set on_erase = \"delete\" on {from:?} and walk the reference ({reference})")
    } else {
        format!("list {from:?} with on_erase = \"delete\" and walk the reference ({reference})")
    };
    Some(if action == "CASCADE" {
        format!(
            "deleting rows of {to:?} would make the database delete rows of {from:?} as well \
             (foreign key {key}, ON DELETE CASCADE), rows the preview never showed: \
             {delete_them}, or do not delete {to:?}'s rows"
        )
    } else {
        let nullable = fk
            .columns
            .iter()
            .all(|c| referencing.column(c).is_some_and(|c| c.nullable));
        let set_null = if nullable {
            format!(
                "; or, if those rows belong to other people, add the reference with \
                 on_delete = \"set_null\" and walk = false ({reference})"
            )
        } else {
            String::new()
        };
        format!(
            "deleting rows of {to:?} would leave rows of {from:?} pointing at them (foreign \
             key {key}, ON DELETE {}), so the database would refuse the erasure: \
             {delete_them}{set_null}; or do not delete {to:?}'s rows",
            if action.is_empty() {
                "NO ACTION"
            } else {
                &action
            }
        )
    })
}
