//! The access package: every row of the person's visits in Matomo's log tables, with
//! the action names (URLs, titles) the rows refer to resolved.

use super::errors::db_error;
use super::sql::*;
use super::values::{to_json, value_u64};
use super::MatomoDb;
use crate::connectors::matomo_ids;
use crate::connectors::{ConnectorError, Matches, Records};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

impl MatomoDb {
    /// The visit ids that `find` put in `refs`, within the configured sites.
    pub(super) fn visit_refs(&self, matches: &Matches) -> Result<Vec<u64>, ConnectorError> {
        Ok(matomo_ids::visit_refs(matches, &self.site_ids)?
            .into_iter()
            .map(|(_, idvisit)| idvisit)
            .collect())
    }

    pub(super) async fn export_async(&self, matches: &Matches) -> Result<Records, ConnectorError> {
        refuse_weak(matches)?;
        let ids = self.visit_refs(matches)?;
        let mut conn = self.connect().await?;
        let mut tables: BTreeMap<String, Vec<Map<String, Json>>> = BTreeMap::new();
        let mut action_ids: BTreeSet<u64> = BTreeSet::new();
        for (table, order) in EXPORT_TABLES {
            let mut out = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                let sql = format!(
                    "SELECT * FROM {} WHERE idvisit IN ({}) ORDER BY {order}",
                    self.table(table),
                    placeholders(chunk.len())
                );
                let rows: Vec<Row> = conn.exec(sql, ids_params(chunk)).await.map_err(db_error)?;
                for row in rows {
                    let columns = row.columns();
                    let mut object = Map::new();
                    for (column, value) in columns.iter().zip(row.unwrap()) {
                        let name = column.name_str().into_owned();
                        if is_action_column(&name) {
                            action_ids.extend(value_u64(&value).filter(|id| *id > 0));
                        }
                        object.insert(name, to_json(column, value));
                    }
                    out.push(object);
                }
            }
            tables.insert(table.to_string(), out);
        }

        let names = self.action_names(&mut conn, &action_ids).await?;
        for rows in tables.values_mut() {
            for row in rows.iter_mut() {
                let resolved: Vec<(String, Json)> = row
                    .iter()
                    .filter(|(column, _)| is_action_column(column))
                    .map(|(column, id)| {
                        let name = id.as_u64().and_then(|id| names.get(&id)).cloned();
                        (
                            format!("{column}_name"),
                            name.map_or(Json::Null, Json::String),
                        )
                    })
                    .collect();
                row.extend(resolved);
            }
        }
        Ok(Records {
            tables,
            ..Default::default()
        })
    }

    /// log_action names, with the URL prefix Matomo strips on storage put back.
    async fn action_names(
        &self,
        conn: &mut Conn,
        ids: &BTreeSet<u64>,
    ) -> Result<BTreeMap<u64, String>, ConnectorError> {
        let ids: Vec<u64> = ids.iter().copied().collect();
        let mut names = BTreeMap::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT idaction, name, url_prefix FROM {} WHERE idaction IN ({})",
                self.table(LOG_ACTION),
                placeholders(chunk.len())
            );
            let rows: Vec<Row> = conn.exec(sql, ids_params(chunk)).await.map_err(db_error)?;
            for row in rows {
                let values = row.unwrap();
                let (Some(id), Some(Value::Bytes(name))) =
                    (values.first().and_then(value_u64), values.get(1))
                else {
                    continue;
                };
                let name = match std::str::from_utf8(name) {
                    Ok(text) => text.to_string(),
                    Err(_) => hex::encode(name),
                };
                let prefix = match values.get(2).and_then(value_u64) {
                    Some(0) => "http://",
                    Some(1) => "http://www.",
                    Some(2) => "https://",
                    Some(3) => "https://www.",
                    _ => "",
                };
                names.insert(id, format!("{prefix}{name}"));
            }
        }
        Ok(names)
    }
}

pub(super) fn refuse_weak(matches: &Matches) -> Result<(), ConnectorError> {
    if matches.actionable() {
        Ok(())
    } else {
        Err(ConnectorError::Permanent(
            "only a weak key matched; nothing is exported on a masked IP alone".into(),
        ))
    }
}
