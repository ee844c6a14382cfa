//! Matomo, through its PrivacyManager HTTP API (the "GDPR tools").
//!
//! For installs where the portal may not reach Matomo's database. Every call is one
//! `POST {base_url}index.php` with a form body
//! `module=API&method=…&format=json&token_auth=…&…`: the token travels in the body, never
//! in the URL, because Matomo rejects tokens marked "secure only" on GET requests (and
//! URLs end up in access logs). Matomo answers errors with HTTP 200 and
//! `{"result":"error","message":"…"}`; those messages can quote the segment, and with it
//! the person's user id, so they are classified and never passed on.
//!
//! Keys, as in the database mode ([`super::matomo_db`]): the user id (`userId==`), the
//! visitor id Matomo derives from it (first 16 hex digits of its sha1, `visitorId==`), a
//! visitor id the person gave us (`matomo_visitor_id`), and, as a weak key that is
//! counted but never acted on, the masked IP address (`visitIp>=a.b.0.0;visitIp<=a.b.255.255`).
//! With Matomo's "pseudonymise user id" option the stored user id is sha1(uid . salt).
//! The userId and visitorId segments only exist while the visitor profile is enabled.
//!
//! Limits of the API that shape this connector, one module each:
//! - [`matching`]: the `userId==` search ignores case and trailing spaces, so it returns
//!   other people too; only visits carrying the key exactly are acted on, the others are
//!   counted as "not this person" (`Matches::excluded`).
//! - [`paging`]: one search returns at most 401 visits and has no offset; find pages
//!   through all of them by last action time (the worker runs it, never a web request),
//!   so counts and dates are true. Past [`MAX_PAGES`] pages per key it stops and says
//!   so (`Matches::at_least`); export then refuses rather than send part of the data.
//! - `erase` deletes the previewed visits, then searches again and deletes the exact
//!   matches that turned up since (at most [`MAX_ERASE_ROUNDS`] rounds).
//! - The API gives no per-table counts before an export, so `find` counts only `log_visit`.
//! - Searches can take minutes on large installs: keep `timeout_seconds` generous.

mod matching;
mod paging;
mod segments;
mod wire;

use super::{http, matomo_ids};
use super::{
    Connector, ConnectorError, ErasureReport, KeyMatch, Matches, Records, Strength, Subject,
};
use crate::config::ConnectorConfig;
use chrono::NaiveDateTime;
use matching::Expect;
use paging::{Row, Searched};
use segments::{masked_ip_segment, strong_segments};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Duration;
use wire::{api_error, as_u64, endpoint_of, format_datetime, join, unexpected};

const LOG_VISIT: &str = "log_visit";

/// Matomo's own cap on `findDataSubjects` (Live.getLastVisitsDetails with filter_limit=401).
pub const FIND_CAP: usize = 401;

/// Pages per key and search: 250 × 401, about 100,000 visits.
pub const MAX_PAGES: usize = 250;

/// Visits per `exportDataSubjects` / `deleteDataSubjects` call.
pub const VISITS_PER_CALL: usize = 400;

/// Search-and-delete rounds after the previewed visits are gone. Each round pages
/// through every search, so more than one is needed only while the person keeps being
/// tracked, or past [`MAX_PAGES`].
pub const MAX_ERASE_ROUNDS: usize = 50;

/// The connector for `kind = "matomo_api"`.
///
/// Synchronous: it uses reqwest's blocking client, which runs its own runtime. Callers
/// must call it (and drop it) from a plain thread, never from inside an async runtime
/// (the worker runs connectors on their own threads). The HTTP client is only built on
/// the first call, so constructing the connector is safe anywhere.
pub struct MatomoApi {
    name: String,
    endpoint: reqwest::Url,
    token: String,
    site_ids: Vec<u32>,
    user_ids: matomo_ids::UserIdRule,
    timeout: Duration,
    client: OnceLock<reqwest::blocking::Client>,
}

impl std::fmt::Debug for MatomoApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatomoApi")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &"[redacted]")
            .field("site_ids", &self.site_ids)
            .finish_non_exhaustive()
    }
}

/// One visit, as export and delete name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Visit {
    idsite: u64,
    idvisit: u64,
}

impl From<&Row> for Visit {
    fn from(row: &Row) -> Visit {
        Visit {
            idsite: row.idsite,
            idvisit: row.idvisit,
        }
    }
}

impl MatomoApi {
    /// `token` is Matomo's token_auth (from `ConnectorConfig::secret_token`); it needs
    /// admin access to the sites searched.
    pub fn new(cfg: &ConnectorConfig, token: &str) -> Result<MatomoApi, ConnectorError> {
        let permanent = |what: &str| http::permanent(cfg, what);
        let base = http::base_url(cfg, "base_url (Matomo's address) is not set")?;
        if base.query().is_some() || base.fragment().is_some() {
            return Err(permanent(
                "base_url must be Matomo's address without a query string (e.g. https://matomo.example/)",
            ));
        }
        let token = token.trim();
        if token.is_empty() {
            return Err(permanent("the Matomo API token is empty"));
        }
        if cfg.timeout_seconds == 0 {
            return Err(permanent("timeout_seconds must be at least 1"));
        }
        Ok(MatomoApi {
            name: cfg.name.clone(),
            endpoint: endpoint_of(&base),
            token: token.to_string(),
            site_ids: cfg.site_ids.clone(),
            user_ids: matomo_ids::UserIdRule::new(cfg),
            timeout: Duration::from_secs(cfg.timeout_seconds),
            client: OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, ConnectorError> {
        http::client(&self.client, self.timeout)
    }

    /// One API call: `POST index.php` with the method, the token and `params` in the form
    /// body. The parsed JSON answer, or the error it stands for.
    fn call(&self, method: &str, params: &[(String, String)]) -> Result<Json, ConnectorError> {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("module", "API")
            .append_pair("method", method)
            .append_pair("format", "json")
            .append_pair("token_auth", &self.token);
        for (key, value) in params {
            form.append_pair(key, value);
        }
        let body = form.finish();
        let response = self
            .client()?
            .post(self.endpoint.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let answer = response.bytes().map_err(|e| self.transport_error(&e))?;
        let code = status.as_u16();
        match code {
            200 => {}
            408 | 429 | 500..=599 => {
                return Err(ConnectorError::Temporary(format!(
                    "Matomo answered HTTP {code} to {method}"
                )))
            }
            401 | 403 => {
                return Err(ConnectorError::Permanent(format!(
                    "Matomo refused {method} (HTTP {code}); check the token and that nothing \
                     in front of Matomo blocks the API"
                )))
            }
            300..=399 => {
                return Err(ConnectorError::Permanent(format!(
                    "Matomo answered {method} with a redirect (HTTP {code}); set base_url to \
                     the final address (https, with or without www)"
                )))
            }
            _ => {
                return Err(ConnectorError::Permanent(format!(
                    "Matomo answered HTTP {code} to {method}; check base_url"
                )))
            }
        }
        let json: Json = serde_json::from_slice(&answer).map_err(|_| {
            ConnectorError::Permanent(format!(
                "Matomo's answer to {method} is not JSON; check that base_url is Matomo's \
                 address and that the API is not behind a login page"
            ))
        })?;
        if json.get("result").and_then(Json::as_str) == Some("error") {
            let message = json.get("message").and_then(Json::as_str).unwrap_or("");
            return Err(api_error(method, message));
        }
        Ok(json)
    }

    /// reqwest's own messages name the URL, so they are not passed on.
    fn transport_error(&self, e: &reqwest::Error) -> ConnectorError {
        if e.is_timeout() {
            ConnectorError::Temporary(format!(
                "Matomo did not answer within {} s (searches can be slow on large installs; \
                 timeout_seconds can be raised)",
                self.timeout.as_secs()
            ))
        } else if e.is_connect() {
            ConnectorError::Temporary("cannot connect to Matomo".into())
        } else if e.is_builder() {
            ConnectorError::Permanent("the request to Matomo could not be built".into())
        } else {
            ConnectorError::Temporary("the connection to Matomo failed".into())
        }
    }

    /// `idSite` for searches: the configured sites, else every site.
    fn id_site(&self) -> String {
        if self.site_ids.is_empty() {
            "all".into()
        } else {
            join(self.site_ids.iter())
        }
    }

    /// One `findDataSubjects` page (at most [`FIND_CAP`] visits), oldest first, after
    /// `min_timestamp` when given (see [`paging`]).
    fn search_page(
        &self,
        segment: &str,
        min_timestamp: Option<i64>,
    ) -> Result<Vec<Row>, ConnectorError> {
        let mut params = vec![
            ("idSite".to_string(), self.id_site()),
            ("segment".to_string(), segment.to_string()),
            // Matomo 5 ignores it here (findDataSubjects forces 401 and skips the generic
            // filters); releases that still post-processed the answer cut it to 100 rows.
            ("filter_limit".to_string(), "-1".to_string()),
            ("filter_sort_order".to_string(), "asc".to_string()),
        ];
        if let Some(ts) = min_timestamp {
            params.push(("minTimestamp".to_string(), ts.to_string()));
        }
        let answer = self.call("PrivacyManager.findDataSubjects", &params)?;
        answer
            .as_array()
            .ok_or_else(|| unexpected("findDataSubjects"))?
            .iter()
            .map(|row| Row::from_json(row).ok_or_else(|| unexpected("findDataSubjects")))
            .collect()
    }

    /// Every visit `segment` finds, page by page.
    fn search_all(&self, segment: &str) -> Result<Searched, ConnectorError> {
        paging::search_all(segment, MAX_PAGES, |s, after| self.search_page(s, after))
    }

    /// The visits within the configured sites that carry `expect` exactly.
    fn exact<'a>(&self, rows: &'a [Row], expect: &'a Expect) -> impl Iterator<Item = &'a Row> {
        let sites = self.site_ids.clone();
        rows.iter()
            .filter(move |r| matomo_ids::in_scope(&sites, r.idsite) && expect.accepts(r))
    }

    fn in_scope(&self, idsite: u64) -> bool {
        matomo_ids::in_scope(&self.site_ids, idsite)
    }

    /// The visits that `find` put in `refs`, within the configured sites.
    fn visit_refs(&self, matches: &Matches) -> Result<Vec<Visit>, ConnectorError> {
        Ok(matomo_ids::visit_refs(matches, &self.site_ids)?
            .into_iter()
            .map(|(idsite, idvisit)| Visit { idsite, idvisit })
            .collect())
    }

    /// `visits[N][idsite]` / `visits[N][idvisit]`, as Matomo's API reads arrays.
    fn visit_params(visits: &[Visit]) -> Vec<(String, String)> {
        visits
            .iter()
            .enumerate()
            .flat_map(|(i, v)| {
                [
                    (format!("visits[{i}][idsite]"), v.idsite.to_string()),
                    (format!("visits[{i}][idvisit]"), v.idvisit.to_string()),
                ]
            })
            .collect()
    }

    /// Deletes `visits` in chunks, adding Matomo's per-table counts to `deleted`.
    fn delete(
        &self,
        visits: &[Visit],
        deleted: &mut BTreeMap<String, u64>,
    ) -> Result<(), ConnectorError> {
        for chunk in visits.chunks(VISITS_PER_CALL) {
            let answer = self.call(
                "PrivacyManager.deleteDataSubjects",
                &Self::visit_params(chunk),
            )?;
            let counts = answer
                .as_object()
                .ok_or_else(|| unexpected("deleteDataSubjects"))?;
            for (table, n) in counts {
                let n = as_u64(n).ok_or_else(|| unexpected("deleteDataSubjects"))?;
                *deleted.entry(table.clone()).or_default() += n;
            }
        }
        Ok(())
    }
}

impl Connector for MatomoApi {
    fn name(&self) -> &str {
        &self.name
    }

    /// Pages through every strong key's search (see [`paging`]); `refs` names the
    /// visits that carry a key exactly, plus the segments that found them, so that
    /// `erase` can search again for visits tracked after the preview.
    fn find(&self, subject: &Subject) -> Result<Matches, ConnectorError> {
        let user_id = self.user_ids.stored(subject)?;
        let supplied_visitor = subject
            .get("matomo_visitor_id")
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| segments::is_visitor_id(v));

        let mut strong_keys: Vec<(&str, Expect)> = Vec::new();
        if let Some(uid) = &user_id {
            strong_keys.push(("user_id", Expect::UserId(uid.clone())));
            strong_keys.push(("visitor_id", Expect::VisitorId(visitor_id_of(uid))));
        }
        if let Some(id) = supplied_visitor {
            strong_keys.push(("supplied_visitor_id", Expect::VisitorId(id)));
        }

        let mut keys = Vec::new();
        // Each visit once, with its last action time.
        let mut visits: BTreeMap<Visit, NaiveDateTime> = BTreeMap::new();
        let mut others: BTreeSet<Visit> = BTreeSet::new();
        let mut segments: Vec<String> = Vec::new();
        let mut at_least = false;
        // The supplied visitor id is often the derived one: one search per segment.
        let mut searched: BTreeMap<String, Searched> = BTreeMap::new();
        for (key, expect) in strong_keys {
            let segment = expect.segment();
            if !searched.contains_key(&segment) {
                let found = self.search_all(&segment)?;
                searched.insert(segment.clone(), found);
            }
            let Some(found) = searched.get(&segment) else {
                continue;
            };
            at_least |= !found.complete;
            let mut records = 0;
            for row in &found.rows {
                if !self.in_scope(row.idsite) {
                    continue;
                }
                if expect.accepts(row) {
                    records += 1;
                    visits.insert(Visit::from(row), row.last_action);
                } else {
                    others.insert(Visit::from(row));
                }
            }
            if records > 0 && !segments.contains(&segment) {
                segments.push(segment);
            }
            keys.push(KeyMatch {
                key: key.into(),
                strength: Strength::Strong,
                records,
            });
        }

        if let Some(segment) = subject.get("ip").and_then(masked_ip_segment) {
            // Counted only, on one page: a masked address is shared by many people, so
            // these visits never join `refs` (and their details are dropped here).
            let found = self.search_page(&segment, None)?;
            keys.push(KeyMatch {
                key: "masked_ip".into(),
                strength: Strength::Weak,
                records: found.iter().filter(|r| self.in_scope(r.idsite)).count() as u64,
            });
        }

        let excluded = others.iter().filter(|v| !visits.contains_key(v)).count() as u64;
        if excluded > 0 {
            tracing::info!(
                connector = %self.name,
                excluded,
                "matomo search returned visits of look-alike identifiers; left out"
            );
        }
        let mut counts = BTreeMap::new();
        counts.insert(LOG_VISIT.to_string(), visits.len() as u64);
        let pairs: Vec<Json> = visits
            .keys()
            .map(|v| json!([v.idsite, v.idvisit]))
            .collect();
        Ok(Matches {
            keys,
            counts,
            first_seen: visits.values().min().map(|t| format_datetime(*t)),
            last_seen: visits.values().max().map(|t| format_datetime(*t)),
            refs: json!({ "visits": pairs, "segments": segments }),
            excluded,
            at_least,
            ..Default::default()
        })
    }

    fn export(&self, matches: &Matches) -> Result<Records, ConnectorError> {
        refuse_weak(matches)?;
        if matches.at_least {
            // An access package must hold everything; a part would read as the whole.
            return Err(ConnectorError::Permanent(format!(
                "the find stopped before the end of Matomo's results ({MAX_PAGES} pages per \
                 key), so an export would be incomplete; use the database mode for a \
                 person with this many visits"
            )));
        }
        let visits = self.visit_refs(matches)?;
        let mut tables: BTreeMap<String, Vec<Map<String, Json>>> = BTreeMap::new();
        for chunk in visits.chunks(VISITS_PER_CALL) {
            let answer = self.call(
                "PrivacyManager.exportDataSubjects",
                &Self::visit_params(chunk),
            )?;
            let by_table = answer
                .as_object()
                .ok_or_else(|| unexpected("exportDataSubjects"))?;
            for (table, rows) in by_table {
                // PHP encodes an array whose keys are not 0..n as an object.
                let rows: Vec<&Json> = match rows {
                    Json::Array(rows) => rows.iter().collect(),
                    Json::Object(rows) => rows.values().collect(),
                    _ => return Err(unexpected("exportDataSubjects")),
                };
                let out = tables.entry(table.clone()).or_default();
                for row in rows {
                    let row = row
                        .as_object()
                        .ok_or_else(|| unexpected("exportDataSubjects"))?;
                    out.push(row.clone());
                }
            }
        }
        Ok(Records {
            tables,
            ..Default::default()
        })
    }

    /// Deletes the previewed visits, then searches again with the strong segments that
    /// found them and deletes the exact matches that turn up (visits tracked since the
    /// preview, or past the page bound), until a search finds none. Look-alikes the
    /// searches return are never deleted. Idempotent: with nothing left every count is
    /// zero.
    fn erase(&self, matches: &Matches) -> Result<ErasureReport, ConnectorError> {
        refuse_weak(matches)?;
        let visits = self.visit_refs(matches)?;
        let expects = strong_segments(matches)?;

        let mut deleted: BTreeMap<String, u64> = BTreeMap::new();
        deleted.insert(LOG_VISIT.to_string(), 0);
        self.delete(&visits, &mut deleted)?;

        let mut rounds = 0;
        loop {
            let mut found: BTreeSet<Visit> = BTreeSet::new();
            for expect in &expects {
                let searched = self.search_all(&expect.segment())?;
                found.extend(self.exact(&searched.rows, expect).map(Visit::from));
            }
            if found.is_empty() {
                break;
            }
            let erased_so_far = deleted[LOG_VISIT];
            if rounds == MAX_ERASE_ROUNDS {
                return Err(ConnectorError::Temporary(format!(
                    "{erased_so_far} visits were erased, but Matomo still finds more after \
                     {MAX_ERASE_ROUNDS} rounds of searching; running the erase again continues"
                )));
            }
            rounds += 1;
            let found: Vec<Visit> = found.into_iter().collect();
            self.delete(&found, &mut deleted)?;
            if deleted[LOG_VISIT] == erased_so_far {
                return Err(ConnectorError::Permanent(format!(
                    "Matomo found {} visits again but deleted none of them ({erased_so_far} \
                     were erased before); check the token's admin access to every site",
                    found.len()
                )));
            }
        }

        let erased = deleted[LOG_VISIT];
        tracing::info!(
            connector = %self.name,
            visits = erased,
            rounds,
            "matomo visits erased through the API"
        );
        let follow_up = if erased > 0 {
            vec![
                "Matomo has queued the reports that counted these visits for invalidation; \
                 they are rebuilt without them on the next `./console core:archive` run \
                 (until then archived reports still include the erased visits)."
                    .to_string(),
                "Matomo's deletion keeps log_action rows (visited URLs and page titles, which \
                 can hold personal data); they are only removed by Matomo's \"delete old raw \
                 data\" purge."
                    .to_string(),
            ]
        } else {
            vec!["Nothing was left to delete, so no Matomo reports need rebuilding.".to_string()]
        };
        Ok(ErasureReport {
            deleted,
            follow_up,
            ..Default::default()
        })
    }

    fn check(&self) -> Result<(), ConnectorError> {
        let version = self.call("API.getMatomoVersion", &[])?;
        if version.get("value").and_then(Json::as_str).is_none() {
            return Err(unexpected("API.getMatomoVersion"));
        }
        // PrivacyManager needs admin access, which getMatomoVersion does not prove.
        let admin = self.call("SitesManager.getSitesIdWithAdminAccess", &[])?;
        let admin: BTreeSet<u64> = admin
            .as_array()
            .ok_or_else(|| unexpected("SitesManager.getSitesIdWithAdminAccess"))?
            .iter()
            .filter_map(as_u64)
            .collect();
        if admin.is_empty() {
            return Err(ConnectorError::Permanent(format!(
                "connector {:?}: the token has no admin access to any Matomo site; the \
                 GDPR tools (PrivacyManager) need admin access",
                self.name
            )));
        }
        let missing: Vec<u32> = self
            .site_ids
            .iter()
            .copied()
            .filter(|s| !admin.contains(&u64::from(*s)))
            .collect();
        if !missing.is_empty() {
            return Err(ConnectorError::Permanent(format!(
                "connector {:?}: the token has no admin access to site(s) {}",
                self.name,
                join(missing.iter())
            )));
        }
        Ok(())
    }
}

fn refuse_weak(matches: &Matches) -> Result<(), ConnectorError> {
    if matches.actionable() {
        Ok(())
    } else {
        Err(ConnectorError::Permanent(
            "only a weak key matched; nothing is exported or erased on a masked IP alone".into(),
        ))
    }
}

/// Matomo's visitor id for a (stored) user id, as the 16 hex digits segments use.
fn visitor_id_of(user_id: &str) -> String {
    hex::encode(matomo_ids::visitor_id_bytes(user_id))
}
