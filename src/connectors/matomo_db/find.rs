//! Finding a person's visits: by the user id column, by the visitor id Matomo derives
//! from it (or one the person supplied), and — counted only, never acted on — by their
//! masked IP address.

use super::errors::db_error;
use super::sql::*;
use super::values::{first_u64, format_datetime, visit_from_row};
use super::{MatomoDb, Visit};
use crate::connectors::matomo_ids;
use crate::connectors::{ConnectorError, KeyMatch, Matches, Strength, Subject};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Row, Value};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::IpAddr;

impl MatomoDb {
    pub(super) async fn find_async(&self, subject: &Subject) -> Result<Matches, ConnectorError> {
        let user_id = self.user_ids.stored(subject)?;
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

    pub(super) async fn visits_by_id(
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
}

fn strong(key: &str, records: usize) -> KeyMatch {
    KeyMatch {
        key: key.into(),
        strength: Strength::Strong,
        records: records as u64,
    }
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
}
