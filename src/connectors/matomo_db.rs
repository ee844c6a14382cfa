//! Matomo, read and written directly in its MySQL/MariaDB database.
//!
//! Going to the database rather than through Matomo's PrivacyManager API avoids that API's
//! limits: its subject search stops at 401 visits, times out on large installs and needs
//! the visitor profile for the userId segment. The tables and identifiers follow Matomo
//! 5: `idvisitor` is the first 8 bytes of sha1(user id), the user id itself is stored as
//! sha1(uid . salt) when "pseudonymise user id" is on, and IP addresses are stored masked
//! (a.b.0.0 by default), so an IP can only ever be a weak key.
//!
//! `row.unwrap()` in this file is mysql_async's `Row::unwrap`, which turns a row into its
//! values; it panics only for a column taken out of the row before, which never happens
//! here. It is not `Option::unwrap` on anything the database or a user controls.

use super::matomo_ids;
use super::{
    Connector, ConnectorError, ErasureReport, KeyMatch, Matches, Records, Strength, Subject,
};
use crate::config::ConnectorConfig;
use chrono::{NaiveDate, NaiveDateTime};
use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{Column, Conn, Opts, Params, Pool, Row, TxOpts, Value};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::Duration;
use tokio::runtime::Runtime;

const LOG_VISIT: &str = "log_visit";
const LOG_LINK_VISIT_ACTION: &str = "log_link_visit_action";
const LOG_CONVERSION: &str = "log_conversion";
const LOG_CONVERSION_ITEM: &str = "log_conversion_item";
const LOG_ACTION: &str = "log_action";

/// Matomo's own order: log_visit goes last so that an interrupted erase never leaves
/// actions or conversions behind whose visit (the only way to find them again) is gone.
const ERASE_ORDER: [&str; 4] = [
    LOG_CONVERSION_ITEM,
    LOG_CONVERSION,
    LOG_LINK_VISIT_ACTION,
    LOG_VISIT,
];

/// Tables exported, with their primary keys so that an export reads the same every time.
const EXPORT_TABLES: [(&str, &str); 4] = [
    (LOG_VISIT, "idvisit"),
    (LOG_LINK_VISIT_ACTION, "idvisit, idlink_va"),
    (LOG_CONVERSION, "idvisit, idgoal, buster"),
    (LOG_CONVERSION_ITEM, "idvisit, idorder, idaction_sku"),
];

/// Matomo stores these as raw bytes even where the column type would allow text.
const BINARY_COLUMNS: [&str; 3] = ["idvisitor", "config_id", "location_ip"];

/// Ids per `IN (…)` list when reading: well below the 65535 placeholders a statement allows.
const CHUNK: usize = 1000;

/// Statements can legitimately run for minutes on large log tables; only connecting is
/// bounded, so that an unreachable server becomes a retryable error instead of a hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The connector for `kind = "matomo_db"`.
///
/// The `Connector` trait is synchronous, so each instance owns a single-threaded tokio
/// runtime and blocks on it for every call. Callers must therefore call it (and drop it)
/// from a plain thread, never from inside an async runtime, where blocking would panic.
pub struct MatomoDb {
    name: String,
    prefix: String,
    site_ids: Vec<u32>,
    user_id_from: String,
    user_id_salt_env: Option<String>,
    purge_orphaned_actions: bool,
    search_user_id_column: bool,
    batch_size: usize,
    pool: Pool,
    /// Taken out only in `drop`, to shut it down without blocking when that happens
    /// inside another runtime.
    rt: Option<Runtime>,
}

/// One visit found for the person.
#[derive(Debug, Clone)]
struct Visit {
    idsite: u32,
    idvisit: u64,
    first: Option<NaiveDateTime>,
    last: Option<NaiveDateTime>,
}

impl MatomoDb {
    pub fn new(cfg: &ConnectorConfig, url: &str) -> Result<MatomoDb, ConnectorError> {
        // Config validates the prefix too, but it is the one thing written into SQL, so
        // this type does not rely on every caller having gone through config.
        if !cfg
            .table_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ConnectorError::Permanent(format!(
                "connector {:?}: table_prefix may only contain letters, digits and _",
                cfg.name
            )));
        }
        // The URL's own error text could echo the password, so it is not passed on.
        let opts = Opts::from_url(url).map_err(|_| {
            ConnectorError::Permanent(format!(
                "connector {:?}: the database URL is not a valid mysql:// URL",
                cfg.name
            ))
        })?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                ConnectorError::Permanent(format!(
                    "connector {:?}: cannot start its runtime: {e}",
                    cfg.name
                ))
            })?;
        Ok(MatomoDb {
            name: cfg.name.clone(),
            prefix: cfg.table_prefix.clone(),
            site_ids: cfg.site_ids.clone(),
            user_id_from: cfg.user_id_from.clone(),
            user_id_salt_env: cfg.user_id_salt_env.clone(),
            purge_orphaned_actions: cfg.purge_orphaned_actions,
            search_user_id_column: cfg.search_user_id_column,
            batch_size: (cfg.batch_size as usize).clamp(1, 50_000),
            pool: Pool::new(opts),
            rt: Some(rt),
        })
    }

    fn table(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    async fn connect(&self) -> Result<Conn, ConnectorError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, self.pool.get_conn()).await {
            Ok(conn) => conn.map_err(db_error),
            Err(_) => Err(ConnectorError::Temporary(
                "timed out connecting to the Matomo database".into(),
            )),
        }
    }

    /// The user id as Matomo stored it.
    fn stored_user_id(&self, subject: &Subject) -> Result<Option<String>, ConnectorError> {
        matomo_ids::stored_user_id(
            &self.name,
            &self.user_id_from,
            self.user_id_salt_env.as_deref(),
            subject,
        )
    }

    /// Visits matching `condition` (a fixed SQL fragment with one placeholder), in `sites`
    /// when given, else in every site.
    async fn visits_where(
        &self,
        conn: &mut Conn,
        condition: &str,
        value: &Value,
        sites: Option<&[u32]>,
    ) -> Result<Vec<Visit>, ConnectorError> {
        let base = format!(
            "SELECT idsite, idvisit, visit_first_action_time, visit_last_action_time FROM {} WHERE ",
            self.table(LOG_VISIT)
        );
        let Some(sites) = sites else {
            let rows: Vec<Row> = conn
                .exec(
                    format!("{base}{condition}"),
                    Params::Positional(vec![value.clone()]),
                )
                .await
                .map_err(db_error)?;
            return Ok(rows.into_iter().filter_map(visit_from_row).collect());
        };
        let mut visits = Vec::new();
        for chunk in sites.chunks(CHUNK) {
            let sql = format!(
                "{base}idsite IN ({}) AND {condition}",
                placeholders(chunk.len())
            );
            let mut params: Vec<Value> = chunk.iter().map(|s| Value::from(*s)).collect();
            params.push(value.clone());
            let rows: Vec<Row> = conn
                .exec(sql, Params::Positional(params))
                .await
                .map_err(db_error)?;
            visits.extend(rows.into_iter().filter_map(visit_from_row));
        }
        Ok(visits)
    }

    /// The sites to search. With none configured, the sites that have visits at all:
    /// `idvisitor` is only indexed behind `idsite`, and DISTINCT idsite is read from an
    /// index, so this keeps the visitor-id lookups off full table scans.
    async fn sites(&self, conn: &mut Conn) -> Result<Vec<u32>, ConnectorError> {
        if !self.site_ids.is_empty() {
            return Ok(self.site_ids.clone());
        }
        let rows: Vec<Row> = conn
            .exec(
                format!("SELECT DISTINCT idsite FROM {}", self.table(LOG_VISIT)),
                Params::Empty,
            )
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| first_u64(r).and_then(|s| u32::try_from(s).ok()))
            .collect())
    }

    async fn count_by_visits(
        &self,
        conn: &mut Conn,
        table: &str,
        ids: &[u64],
    ) -> Result<u64, ConnectorError> {
        let mut total = 0;
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE idvisit IN ({})",
                self.table(table),
                placeholders(chunk.len())
            );
            let rows: Vec<Row> = conn.exec(sql, ids_params(chunk)).await.map_err(db_error)?;
            total += rows.into_iter().filter_map(first_u64).sum::<u64>();
        }
        Ok(total)
    }

    async fn visits_by_id(
        &self,
        conn: &mut Conn,
        ids: &[u64],
    ) -> Result<Vec<Visit>, ConnectorError> {
        let mut visits = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT idsite, idvisit, visit_first_action_time, visit_last_action_time FROM {} WHERE idvisit IN ({})",
                self.table(LOG_VISIT),
                placeholders(chunk.len())
            );
            let rows: Vec<Row> = conn.exec(sql, ids_params(chunk)).await.map_err(db_error)?;
            visits.extend(rows.into_iter().filter_map(visit_from_row));
        }
        Ok(visits)
    }

    async fn find_async(&self, subject: &Subject) -> Result<Matches, ConnectorError> {
        let user_id = self.stored_user_id(subject)?;
        let derived_visitor = user_id.as_deref().map(visitor_id_of);
        let supplied_visitor = subject
            .get("matomo_visitor_id")
            .map(str::trim)
            .filter(|v| v.len() == 16)
            .and_then(|v| hex::decode(v).ok());
        let masked_ip = subject.get("ip").and_then(mask_ip);

        let mut conn = self.connect().await?;
        let configured = (!self.site_ids.is_empty()).then_some(self.site_ids.as_slice());
        let mut keys = Vec::new();
        let mut visits: BTreeMap<u64, Visit> = BTreeMap::new();

        if let Some(uid) = user_id.as_ref().filter(|_| self.search_user_id_column) {
            // user_id has no index in Matomo; restricting by site is all that can be done.
            // The comparison is binary: the stored id is exactly what Matomo hashed into
            // idvisitor, and the column's case-insensitive collation could otherwise match
            // another account whose id differs only in case.
            let found = self
                .visits_where(
                    &mut conn,
                    "user_id = CAST(? AS BINARY)",
                    &Value::from(uid.as_str()),
                    configured,
                )
                .await?;
            keys.push(strong("user_id", found.len()));
            visits.extend(found.into_iter().map(|v| (v.idvisit, v)));
        }
        let visitor_keys = [
            ("visitor_id", derived_visitor),
            ("supplied_visitor_id", supplied_visitor),
        ];
        if visitor_keys.iter().any(|(_, id)| id.is_some()) {
            let sites = self.sites(&mut conn).await?;
            for (key, id) in visitor_keys {
                let Some(id) = id else { continue };
                let found = if sites.is_empty() {
                    Vec::new()
                } else {
                    self.visits_where(&mut conn, "idvisitor = ?", &Value::from(id), Some(&sites))
                        .await?
                };
                keys.push(strong(key, found.len()));
                visits.extend(found.into_iter().map(|v| (v.idvisit, v)));
            }
        }
        if let Some(ip) = masked_ip {
            // Counted only: a masked address is shared by thousands of people, so these
            // visits never join `refs`.
            let n = self
                .count_where(&mut conn, "location_ip = ?", &Value::from(ip), configured)
                .await?;
            keys.push(KeyMatch {
                key: "masked_ip".into(),
                strength: Strength::Weak,
                records: n,
            });
        }

        let ids: Vec<u64> = visits.keys().copied().collect();
        let mut counts = BTreeMap::new();
        counts.insert(LOG_VISIT.to_string(), ids.len() as u64);
        for table in [LOG_LINK_VISIT_ACTION, LOG_CONVERSION, LOG_CONVERSION_ITEM] {
            let n = self.count_by_visits(&mut conn, table, &ids).await?;
            counts.insert(table.to_string(), n);
        }
        let first_seen = visits.values().filter_map(|v| v.first.or(v.last)).min();
        let last_seen = visits.values().filter_map(|v| v.last.or(v.first)).max();
        let mut refs: Vec<(u32, u64)> = visits.values().map(|v| (v.idsite, v.idvisit)).collect();
        refs.sort_unstable();
        Ok(Matches {
            keys,
            counts,
            first_seen: first_seen.map(format_datetime),
            last_seen: last_seen.map(format_datetime),
            refs: json!({ "visits": refs.iter().map(|(s, v)| json!([s, v])).collect::<Vec<_>>() }),
            ..Matches::default()
        })
    }

    async fn count_where(
        &self,
        conn: &mut Conn,
        condition: &str,
        value: &Value,
        sites: Option<&[u32]>,
    ) -> Result<u64, ConnectorError> {
        let base = format!("SELECT COUNT(*) FROM {} WHERE ", self.table(LOG_VISIT));
        let mut statements = Vec::new();
        match sites {
            None => statements.push((format!("{base}{condition}"), vec![value.clone()])),
            Some(sites) => {
                for chunk in sites.chunks(CHUNK) {
                    let mut params: Vec<Value> = chunk.iter().map(|s| Value::from(*s)).collect();
                    params.push(value.clone());
                    statements.push((
                        format!(
                            "{base}idsite IN ({}) AND {condition}",
                            placeholders(chunk.len())
                        ),
                        params,
                    ));
                }
            }
        }
        let mut total = 0;
        for (sql, params) in statements {
            let rows: Vec<Row> = conn
                .exec(sql, Params::Positional(params))
                .await
                .map_err(db_error)?;
            total += rows.into_iter().filter_map(first_u64).sum::<u64>();
        }
        Ok(total)
    }

    /// The visit ids that `find` put in `refs`, within the configured sites.
    fn visit_refs(&self, matches: &Matches) -> Result<Vec<u64>, ConnectorError> {
        Ok(matomo_ids::visit_refs(matches, &self.site_ids)?
            .into_iter()
            .map(|(_, idvisit)| idvisit)
            .collect())
    }

    async fn export_async(&self, matches: &Matches) -> Result<Records, ConnectorError> {
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
        Ok(Records { tables })
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

    /// Columns holding log_action ids, per (unprefixed) log table, read from the live
    /// schema so that only columns that exist are queried: every `log_*` table under the
    /// prefix, since plugins add columns (content, event, product dimensions) and tables
    /// of their own, and Matomo's own list (`DimensionMetadataProvider::
    /// getActionReferenceColumnsByTable`) is only complete with the plugins' answers to
    /// an event. Each name is checked before it goes into SQL as a quoted identifier
    /// (identifiers cannot be bound).
    async fn action_columns(
        &self,
        conn: &mut Conn,
    ) -> Result<BTreeMap<String, Vec<String>>, ConnectorError> {
        let rows: Vec<Row> = conn
            .exec(
                "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND LEFT(TABLE_NAME, CHAR_LENGTH(?)) = ? \
                 ORDER BY TABLE_NAME, ORDINAL_POSITION",
                (self.prefix.as_str(), self.prefix.as_str()),
            )
            .await
            .map_err(db_error)?;
        let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            let values = row.unwrap();
            let (Some(table), Some(column)) = (
                values.first().and_then(value_text),
                values.get(1).and_then(value_text),
            ) else {
                continue;
            };
            let Some(table) = table.strip_prefix(&self.prefix) else {
                continue;
            };
            if table.starts_with("log_")
                && table != LOG_ACTION
                && is_identifier(table)
                && is_identifier(&column)
                && is_action_column(&column)
            {
                columns.entry(table.to_string()).or_default().push(column);
            }
        }
        Ok(columns)
    }

    /// The log_action ids the visits' rows in `table` refer to (`columns` are its action
    /// columns): the only rows a purge may consider.
    async fn actions_of_visits(
        &self,
        conn: &mut Conn,
        table: &str,
        ids: &[u64],
        columns: &[String],
    ) -> Result<BTreeSet<u64>, ConnectorError> {
        let mut actions = BTreeSet::new();
        if columns.is_empty() {
            return Ok(actions);
        }
        let select = columns
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {select} FROM `{}` WHERE idvisit IN ({})",
                self.table(table),
                placeholders(chunk.len())
            );
            let rows: Vec<Row> = conn.exec(sql, ids_params(chunk)).await.map_err(db_error)?;
            for row in rows {
                actions.extend(
                    row.unwrap()
                        .iter()
                        .filter_map(value_u64)
                        .filter(|id| *id > 0),
                );
            }
        }
        Ok(actions)
    }

    /// Deletes the candidates that no remaining log row refers to, in any action column
    /// of any log table (visits' entry and exit pages, conversions, conversion items and
    /// plugins' tables included): deleting an action another row still names would break
    /// someone else's reports.
    ///
    /// The action columns have no index, so each is scanned once per chunk of candidates.
    /// Unlike Matomo's own purge this does not LOCK TABLES (that would stop tracking for
    /// the whole scan), so a hit tracked in the moment between the scan and the delete
    /// that reuses one of these actions would be left pointing at a missing action name.
    async fn purge_orphans(
        &self,
        conn: &mut Conn,
        candidates: &BTreeSet<u64>,
        columns: &BTreeMap<String, Vec<String>>,
    ) -> Result<u64, ConnectorError> {
        let candidates: Vec<u64> = candidates.iter().copied().collect();
        let mut deleted = 0;
        for chunk in candidates.chunks(CHUNK) {
            let mut unused: BTreeSet<u64> = chunk.iter().copied().collect();
            'scan: for (table, cols) in columns {
                for col in cols {
                    if unused.is_empty() {
                        break 'scan;
                    }
                    let list: Vec<u64> = unused.iter().copied().collect();
                    let sql = format!(
                        "SELECT DISTINCT `{col}` FROM `{}` WHERE `{col}` IN ({})",
                        self.table(table),
                        placeholders(list.len())
                    );
                    let rows: Vec<Row> =
                        conn.exec(sql, ids_params(&list)).await.map_err(db_error)?;
                    for id in rows.into_iter().filter_map(first_u64) {
                        unused.remove(&id);
                    }
                }
            }
            if unused.is_empty() {
                continue;
            }
            let list: Vec<u64> = unused.into_iter().collect();
            let sql = format!(
                "DELETE FROM {} WHERE idaction IN ({})",
                self.table(LOG_ACTION),
                placeholders(list.len())
            );
            conn.exec_drop(sql, ids_params(&list))
                .await
                .map_err(db_error)?;
            deleted += conn.affected_rows();
        }
        Ok(deleted)
    }

    async fn erase_async(&self, matches: &Matches) -> Result<ErasureReport, ConnectorError> {
        refuse_weak(matches)?;
        let ids = self.visit_refs(matches)?;
        let mut conn = self.connect().await?;
        let present = self.visits_by_id(&mut conn, &ids).await?;

        let (action_columns, candidates) = if self.purge_orphaned_actions {
            let columns = self.action_columns(&mut conn).await?;
            // Every action the rows about to be deleted name, in whichever column.
            let mut candidates = BTreeSet::new();
            for table in ERASE_ORDER {
                if let Some(cols) = columns.get(table) {
                    candidates.extend(self.actions_of_visits(&mut conn, table, &ids, cols).await?);
                }
            }
            (columns, candidates)
        } else {
            (BTreeMap::new(), BTreeSet::new())
        };

        let mut deleted: BTreeMap<String, u64> =
            ERASE_ORDER.iter().map(|t| (t.to_string(), 0)).collect();
        // One transaction per batch: a batch is all or nothing, while a long erase does not
        // hold locks that would stall Matomo's tracker for its whole duration.
        for batch in ids.chunks(self.batch_size) {
            let mut tx = conn
                .start_transaction(TxOpts::default())
                .await
                .map_err(db_error)?;
            for table in ERASE_ORDER {
                let sql = format!(
                    "DELETE FROM {} WHERE idvisit IN ({})",
                    self.table(table),
                    placeholders(batch.len())
                );
                tx.exec_drop(sql, ids_params(batch))
                    .await
                    .map_err(db_error)?;
                *deleted.entry(table.to_string()).or_default() += tx.affected_rows();
            }
            tx.commit().await.map_err(db_error)?;
        }

        if self.purge_orphaned_actions {
            let n = self
                .purge_orphans(&mut conn, &candidates, &action_columns)
                .await?;
            deleted.insert(LOG_ACTION.to_string(), n);
        }

        tracing::info!(
            connector = %self.name,
            visits = deleted.get(LOG_VISIT).copied().unwrap_or(0),
            "matomo visits erased"
        );
        Ok(ErasureReport {
            deleted,
            follow_up: follow_up(&present, ids.len(), matches),
        })
    }

    async fn check_async(&self) -> Result<(), ConnectorError> {
        let mut conn = self.connect().await?;
        let table = self.table(LOG_VISIT);
        let rows: Vec<Row> = conn
            .exec(
                "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                Params::Positional(vec![Value::from(table.as_str())]),
            )
            .await
            .map_err(db_error)?;
        if rows.is_empty() {
            return Err(ConnectorError::Permanent(format!(
                "connector {:?}: table {table} does not exist in the configured database \
                 (check table_prefix and the database named in the URL)",
                self.name
            )));
        }
        // Also proves the account may read it, which the schema lookup does not.
        conn.exec_drop(format!("SELECT 1 FROM {table} LIMIT 0"), Params::Empty)
            .await
            .map_err(db_error)
    }

    async fn advice_async(&self) -> Result<Vec<String>, ConnectorError> {
        if !self.search_user_id_column {
            return Ok(Vec::new());
        }
        let mut conn = self.connect().await?;
        let table = self.table(LOG_VISIT);
        // Any index that starts with user_id serves the lookup.
        let indexed: Vec<Row> = conn
            .exec(
                "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME = ? AND COLUMN_NAME = 'user_id' AND SEQ_IN_INDEX = 1",
                Params::Positional(vec![Value::from(table.as_str())]),
            )
            .await
            .map_err(db_error)?;
        if !indexed.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![format!(
            "{table}.user_id has no index, so every search reads the whole table \
             (about 1 s per million visits on a small server). Either add one \
             (`CREATE INDEX index_user_id ON {table} (user_id);`, a few seconds per million \
             visits) or, if Matomo's enable_userid_overwrites_visitorid is on (its default), \
             set search_user_id_column = false for this connector."
        )])
    }
}

impl Connector for MatomoDb {
    fn name(&self) -> &str {
        &self.name
    }

    fn find(&self, subject: &Subject) -> Result<Matches, ConnectorError> {
        self.run(self.find_async(subject))
    }

    fn export(&self, matches: &Matches) -> Result<Records, ConnectorError> {
        self.run(self.export_async(matches))
    }

    fn erase(&self, matches: &Matches) -> Result<ErasureReport, ConnectorError> {
        self.run(self.erase_async(matches))
    }

    fn check(&self) -> Result<(), ConnectorError> {
        self.run(self.check_async())
    }

    fn advice(&self) -> Result<Vec<String>, ConnectorError> {
        self.run(self.advice_async())
    }
}

impl MatomoDb {
    fn run<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ConnectorError>>,
    ) -> Result<T, ConnectorError> {
        match &self.rt {
            Some(rt) => rt.block_on(work),
            None => Err(ConnectorError::Temporary(
                "the connector is shutting down".into(),
            )),
        }
    }
}

impl Drop for MatomoDb {
    fn drop(&mut self) {
        let Some(rt) = self.rt.take() else { return };
        // Inside another runtime (the portal's state dropped by an async task) neither
        // blocking nor a plain runtime drop is allowed: let it wind down in the background.
        if tokio::runtime::Handle::try_current().is_ok() {
            rt.shutdown_background();
            return;
        }
        // Otherwise close pooled connections cleanly instead of leaving the server to
        // notice aborted ones. The timer must be created inside the runtime.
        let pool = self.pool.clone();
        let _ = rt.block_on(async move {
            tokio::time::timeout(Duration::from_secs(5), pool.disconnect()).await
        });
    }
}

fn strong(key: &str, records: usize) -> KeyMatch {
    KeyMatch {
        key: key.into(),
        strength: Strength::Strong,
        records: records as u64,
    }
}

fn refuse_weak(matches: &Matches) -> Result<(), ConnectorError> {
    if matches.actionable() {
        Ok(())
    } else {
        Err(ConnectorError::Permanent(
            "only a weak key matched; nothing is exported on a masked IP alone".into(),
        ))
    }
}

/// The operator's follow-up: archives keep the erased visits (the UserId report even keeps
/// user ids) until they are invalidated and rebuilt.
fn follow_up(present: &[Visit], requested: usize, matches: &Matches) -> Vec<String> {
    let sites: BTreeSet<u32> = present.iter().map(|v| v.idsite).collect();
    let dates: BTreeSet<NaiveDate> = present
        .iter()
        .filter_map(|v| v.last.or(v.first))
        .map(|t| t.date())
        .collect();
    let mut notes = Vec::new();
    if !dates.is_empty() {
        // --dates is repeated rather than comma-joined: Matomo reads "a,b" as the whole
        // range from a to b, and rejects three or more comma-separated dates.
        let dates: Vec<String> = dates
            .iter()
            .map(|d| format!("--dates={}", d.format("%Y-%m-%d")))
            .collect();
        notes.push(format!(
            "Matomo's archived reports still count the erased visits: run `./console \
             core:invalidate-report-data {} --sites={}` on the Matomo server, and the next \
             core:archive run rebuilds those reports without them.",
            dates.join(" "),
            join(&sites)
        ));
    }
    if present.len() < requested {
        // Visits already gone were erased by an earlier run (or Matomo's own purge); if
        // that run failed part-way its follow-up was never shown, so the whole period the
        // preview covered is named instead.
        let day = |s: &Option<String>| s.as_deref().and_then(|s| s.get(..10)).map(str::to_string);
        if let (Some(first), Some(last)) = (day(&matches.first_seen), day(&matches.last_seen)) {
            notes.push(format!(
                "Some of these visits had already been erased before this run; if that earlier \
                 erase did not finish, also run `./console core:invalidate-report-data \
                 --dates={first},{last} --sites={}` so that reports from that whole period \
                 are rebuilt.",
                sites_of_refs(matches)
            ));
        }
    }
    if notes.is_empty() {
        notes.push("Nothing was left to delete, so no Matomo reports need invalidating.".into());
    }
    notes
}

fn sites_of_refs(matches: &Matches) -> String {
    let sites: BTreeSet<u64> = matches
        .refs
        .get("visits")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|pair| pair.get(0).and_then(Json::as_u64))
        .collect();
    join(&sites)
}

fn join<T: ToString>(items: &BTreeSet<T>) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Matomo's idvisitor for a (stored) user id: the first 8 bytes of its sha1.
fn visitor_id_of(user_id: &str) -> Vec<u8> {
    matomo_ids::visitor_id_bytes(user_id)
}

/// The address as Matomo stores it with its default anonymisation: IPv4 a.b.0.0 (4 bytes),
/// IPv6 /48 (16 bytes).
fn mask_ip(ip: &str) -> Option<Vec<u8>> {
    match ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(vec![o[0], o[1], 0, 0])
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => {
                let o = v4.octets();
                Some(vec![o[0], o[1], 0, 0])
            }
            None => {
                let mut o = v6.octets();
                o[6..].fill(0);
                Some(o.to_vec())
            }
        },
    }
}

/// A name that is safe inside backticks.
fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_action_column(name: &str) -> bool {
    name.starts_with("idaction_") || name.contains("_idaction_")
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

fn ids_params(ids: &[u64]) -> Params {
    Params::Positional(ids.iter().map(|id| Value::from(*id)).collect())
}

fn value_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::UInt(u) => Some(*u),
        Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn value_text(value: &Value) -> Option<String> {
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

fn first_u64(row: Row) -> Option<u64> {
    row.unwrap().first().and_then(value_u64)
}

fn visit_from_row(row: Row) -> Option<Visit> {
    let values = row.unwrap();
    Some(Visit {
        idsite: u32::try_from(value_u64(values.first()?)?).ok()?,
        idvisit: value_u64(values.get(1)?)?,
        first: values.get(2).and_then(value_datetime),
        last: values.get(3).and_then(value_datetime),
    })
}

fn format_datetime(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A column value for the access package: numbers as numbers, text as text, and bytes
/// that are not text (identifiers, IP addresses) as lowercase hex.
fn to_json(column: &Column, value: Value) -> Json {
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

/// Worded for staff: the server's own text is passed on only for errors that name
/// schema objects or accounts, never ones that can quote row values (e.g. duplicates).
fn db_error(e: mysql_async::Error) -> ConnectorError {
    use mysql_async::{DriverError, Error};
    match e {
        Error::Io(io) => {
            ConnectorError::Temporary(format!("cannot reach the Matomo database ({io})"))
        }
        Error::Driver(
            DriverError::ConnectionClosed
            | DriverError::PoolDisconnected
            | DriverError::PacketOutOfOrder
            | DriverError::UnexpectedPacket { .. },
        ) => ConnectorError::Temporary("the connection to the Matomo database was lost".into()),
        Error::Driver(_) => {
            ConnectorError::Permanent("the Matomo database client failed on a query".into())
        }
        Error::Server(s) => {
            let code = s.code;
            let state = &s.state;
            match code {
                // Busy, locked, interrupted, out of resources or going away.
                1037 | 1038 | 1040 | 1041 | 1053 | 1152 | 1158 | 1159 | 1160 | 1161 | 1203
                | 1205 | 1213 | 1226 | 1290 | 1317 | 1615 | 1836 | 1927 | 1969 | 3024 | 4031 => {
                    ConnectorError::Temporary(format!(
                    "the Matomo database is busy or unavailable (error {code}, SQLSTATE {state})"
                ))
                }
                // Access denied, unknown database, table or column.
                1044 | 1045 | 1049 | 1054 | 1142 | 1143 | 1146 => ConnectorError::Permanent(
                    format!("the Matomo database refused the query: {}", s.message),
                ),
                _ => ConnectorError::Permanent(format!(
                    "the Matomo database refused the query (error {code}, SQLSTATE {state})"
                )),
            }
        }
        Error::Url(_) => ConnectorError::Permanent("the Matomo database URL is not valid".into()),
        Error::Other(_) => {
            ConnectorError::Temporary("the Matomo database client failed unexpectedly".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_id_is_the_first_16_hex_of_sha1() {
        let uid = "alice@example.com";
        assert_eq!(
            hex::encode(visitor_id_of(uid)),
            matomo_ids::sha1_hex(uid.as_bytes())[..16]
        );
    }

    #[test]
    fn ip_is_masked_like_matomo_default() {
        assert_eq!(mask_ip("192.168.77.12"), Some(vec![192, 168, 0, 0]));
        assert_eq!(mask_ip("::ffff:10.1.2.3"), Some(vec![10, 1, 0, 0]));
        let v6 = mask_ip("2001:db8:abcd:12::1").unwrap();
        assert_eq!(v6.len(), 16);
        assert_eq!(&v6[..6], &[0x20, 0x01, 0x0d, 0xb8, 0xab, 0xcd]);
        assert!(v6[6..].iter().all(|b| *b == 0));
        assert_eq!(mask_ip("not an ip"), None);
    }

    #[test]
    fn follow_up_repeats_dates_and_lists_sites() {
        let at = |d: &str| NaiveDateTime::parse_from_str(d, "%Y-%m-%d %H:%M:%S").ok();
        let visits = [
            Visit {
                idsite: 2,
                idvisit: 7,
                first: at("2025-02-11 09:00:00"),
                last: at("2025-02-11 09:30:00"),
            },
            Visit {
                idsite: 1,
                idvisit: 3,
                first: at("2025-01-03 10:00:00"),
                last: at("2025-01-03 10:05:00"),
            },
            Visit {
                idsite: 1,
                idvisit: 4,
                first: at("2025-01-03 11:00:00"),
                last: at("2025-01-03 11:05:00"),
            },
        ];
        let notes = follow_up(&visits, 3, &Matches::default());
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains(
            "./console core:invalidate-report-data --dates=2025-01-03 --dates=2025-02-11 --sites=1,2"
        ));
        assert!(notes[0].contains("core:archive"));
    }

    #[test]
    fn error_mapping_keeps_row_values_out() {
        let server = |code: u16, message: &str| {
            db_error(mysql_async::Error::Server(mysql_async::ServerError {
                code,
                message: message.into(),
                state: "23000".into(),
            }))
        };
        let dup = server(1062, "Duplicate entry 'alice@example.com' for key 'x'");
        assert!(matches!(&dup, ConnectorError::Permanent(m) if !m.contains("alice")));
        assert!(matches!(
            server(1205, "Lock wait timeout"),
            ConnectorError::Temporary(_)
        ));
        assert!(matches!(
            server(1146, "Table 'm.matomo_log_visit' doesn't exist"),
            ConnectorError::Permanent(m) if m.contains("matomo_log_visit")
        ));
    }
}
