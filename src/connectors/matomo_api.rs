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
//! Limits of the API that shape this connector:
//! - `findDataSubjects` returns at most 401 visits per search and has no offset. `find`
//!   therefore reports at most what one search returns per key (`counts["log_visit"]` is
//!   the distinct visits found; 401 on a key means "401 or more"), and `erase`, after
//!   deleting the previewed visits, searches again with the same strong segments and
//!   deletes again until nothing is found (at most [`MAX_ERASE_ROUNDS`] rounds). That is
//!   how visits past the cap are erased.
//! - The API gives no per-table counts before an export, so `find` counts only `log_visit`.
//! - Searches can take minutes on large installs: keep `timeout_seconds` generous.

use super::matomo_ids;
use super::{
    Connector, ConnectorError, ErasureReport, KeyMatch, Matches, Records, Strength, Subject,
};
use crate::config::ConnectorConfig;
use chrono::NaiveDateTime;
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;
use std::time::Duration;

const LOG_VISIT: &str = "log_visit";

/// Matomo's own cap on `findDataSubjects` (Live.getLastVisitsDetails with filter_limit=401).
pub const FIND_CAP: usize = 401;

/// Visits per `exportDataSubjects` / `deleteDataSubjects` call.
pub const VISITS_PER_CALL: usize = 400;

/// Search-and-delete rounds after the previewed visits are gone: 50 × 401 visits.
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
    user_id_from: String,
    user_id_salt_env: Option<String>,
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

/// One visit as `findDataSubjects` lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Visit {
    idsite: u64,
    idvisit: u64,
}

/// What one search found.
#[derive(Debug, Default)]
struct Found {
    visits: BTreeSet<Visit>,
    last_actions: Vec<NaiveDateTime>,
}

impl MatomoApi {
    /// `token` is Matomo's token_auth (from `ConnectorConfig::secret_token`); it needs
    /// admin access to the sites searched.
    pub fn new(cfg: &ConnectorConfig, token: &str) -> Result<MatomoApi, ConnectorError> {
        let permanent =
            |what: &str| ConnectorError::Permanent(format!("connector {:?}: {what}", cfg.name));
        let base_url = cfg
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| permanent("base_url (Matomo's address) is not set"))?;
        // The parser's error could echo the URL, which may carry credentials.
        let base =
            reqwest::Url::parse(base_url).map_err(|_| permanent("base_url is not a valid URL"))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(permanent("base_url must be an http:// or https:// URL"));
        }
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
            user_id_from: cfg.user_id_from.clone(),
            user_id_salt_env: cfg.user_id_salt_env.clone(),
            timeout: Duration::from_secs(cfg.timeout_seconds),
            client: OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, ConnectorError> {
        super::http::client(&self.client, self.timeout)
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

    /// The user id as Matomo stored it.
    fn stored_user_id(&self, subject: &Subject) -> Result<Option<String>, ConnectorError> {
        matomo_ids::stored_user_id(
            &self.name,
            &self.user_id_from,
            self.user_id_salt_env.as_deref(),
            subject,
        )
    }

    /// One `findDataSubjects` search (at most [`FIND_CAP`] visits).
    fn search(&self, segment: &str) -> Result<Found, ConnectorError> {
        let params = [
            ("idSite".to_string(), self.id_site()),
            ("segment".to_string(), segment.to_string()),
            // Matomo trims API answers to 100 rows unless told otherwise; the search's
            // own cap of 401 still applies.
            ("filter_limit".to_string(), "-1".to_string()),
        ];
        let answer = self.call("PrivacyManager.findDataSubjects", &params)?;
        let rows = answer
            .as_array()
            .ok_or_else(|| unexpected("findDataSubjects"))?;
        let mut found = Found::default();
        for row in rows {
            let (Some(idsite), Some(idvisit)) = (
                row.get("idSite").and_then(as_u64),
                row.get("idVisit").and_then(as_u64),
            ) else {
                return Err(unexpected("findDataSubjects"));
            };
            if !self.in_scope(idsite) {
                continue;
            }
            found.visits.insert(Visit { idsite, idvisit });
            if let Some(at) = row
                .get("lastActionDateTime")
                .and_then(Json::as_str)
                .and_then(parse_datetime)
            {
                found.last_actions.push(at);
            }
        }
        Ok(found)
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

    /// At most 401 visits per key (Matomo's cap, see the module docs); `refs` names the
    /// visits found by strong keys plus the strong segments that found them, so that
    /// `erase` can search again for visits past the cap.
    fn find(&self, subject: &Subject) -> Result<Matches, ConnectorError> {
        let user_id = self.stored_user_id(subject)?;
        let derived_visitor = user_id.as_deref().map(visitor_id_of);
        let supplied_visitor = subject
            .get("matomo_visitor_id")
            .map(|v| v.trim().to_ascii_lowercase())
            .filter(|v| is_visitor_id(v));

        let mut strong_keys: Vec<(&str, String)> = Vec::new();
        if let Some(uid) = &user_id {
            strong_keys.push(("user_id", segment_condition("userId", "==", uid)));
        }
        if let Some(id) = &derived_visitor {
            strong_keys.push(("visitor_id", segment_condition("visitorId", "==", id)));
        }
        if let Some(id) = &supplied_visitor {
            strong_keys.push((
                "supplied_visitor_id",
                segment_condition("visitorId", "==", id),
            ));
        }

        let mut keys = Vec::new();
        let mut visits: BTreeSet<Visit> = BTreeSet::new();
        let mut last_actions: Vec<NaiveDateTime> = Vec::new();
        let mut segments: Vec<String> = Vec::new();
        // The supplied visitor id is often the derived one: one search per segment.
        let mut searched: BTreeMap<String, usize> = BTreeMap::new();
        for (key, segment) in strong_keys {
            let n = match searched.get(&segment) {
                Some(n) => *n,
                None => {
                    let found = self.search(&segment)?;
                    let n = found.visits.len();
                    visits.extend(found.visits);
                    last_actions.extend(found.last_actions);
                    searched.insert(segment.clone(), n);
                    if n > 0 {
                        segments.push(segment);
                    }
                    n
                }
            };
            keys.push(KeyMatch {
                key: key.into(),
                strength: Strength::Strong,
                records: n as u64,
            });
        }

        if let Some(segment) = subject.get("ip").and_then(masked_ip_segment) {
            // Counted only: a masked address is shared by many people, so these visits
            // never join `refs` (and their details are dropped here).
            let found = self.search(&segment)?;
            keys.push(KeyMatch {
                key: "masked_ip".into(),
                strength: Strength::Weak,
                records: found.visits.len() as u64,
            });
        }

        let mut counts = BTreeMap::new();
        counts.insert(LOG_VISIT.to_string(), visits.len() as u64);
        let pairs: Vec<Json> = visits
            .iter()
            .map(|v| json!([v.idsite, v.idvisit]))
            .collect();
        Ok(Matches {
            keys,
            counts,
            first_seen: last_actions.iter().min().map(|t| format_datetime(*t)),
            last_seen: last_actions.iter().max().map(|t| format_datetime(*t)),
            refs: json!({ "visits": pairs, "segments": segments }),
        })
    }

    fn export(&self, matches: &Matches) -> Result<Records, ConnectorError> {
        refuse_weak(matches)?;
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
        Ok(Records { tables })
    }

    /// Deletes the previewed visits, then searches again with the strong segments that
    /// found them and deletes what turns up, until a search comes back empty: the only
    /// way past the 401-visit cap. Idempotent: with nothing left every count is zero.
    fn erase(&self, matches: &Matches) -> Result<ErasureReport, ConnectorError> {
        refuse_weak(matches)?;
        let visits = self.visit_refs(matches)?;
        let segments = strong_segments(matches)?;

        let mut deleted: BTreeMap<String, u64> = BTreeMap::new();
        deleted.insert(LOG_VISIT.to_string(), 0);
        self.delete(&visits, &mut deleted)?;

        let mut rounds = 0;
        loop {
            let mut found: BTreeSet<Visit> = BTreeSet::new();
            for segment in &segments {
                found.extend(self.search(segment)?.visits);
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
        Ok(ErasureReport { deleted, follow_up })
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

/// `{base}index.php`, with exactly one slash between; a base that already names
/// index.php is used as it is.
fn endpoint_of(base: &reqwest::Url) -> reqwest::Url {
    let mut url = base.clone();
    let path = base.path().trim_end_matches('/');
    if path.ends_with("/index.php") {
        url.set_path(path);
    } else {
        url.set_path(&format!("{path}/index.php"));
    }
    url
}

/// One segment condition, `name<op>value`, with the value encoded so that it reaches
/// Matomo's SQL unchanged.
///
/// Matomo documents segment values as URL-encoded inside the segment, with `,` and `;`
/// (OR and AND) escaped by a backslash. The whole parameter is then form-encoded by
/// [`MatomoApi::call`]. On the way in, Matomo decodes the segment once as a whole (then
/// splits it at unescaped `,`/`;`, dropping the escaping backslash), and then urldecodes
/// each condition and its value once more. Those two extra decodes only change `%` and
/// `+` (every other character survives them), so those two are pre-encoded for them:
/// otherwise an address such as `alice+news@example.com` would be searched as
/// `alice news@example.com` and silently find nothing.
fn segment_condition(name: &str, op: &str, value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '%' => escaped.push_str("%2525"),
            '+' => escaped.push_str("%252B"),
            ',' | ';' => {
                escaped.push('\\');
                escaped.push(c);
            }
            c => escaped.push(c),
        }
    }
    let encoded: String = form_urlencoded::byte_serialize(escaped.as_bytes()).collect();
    format!("{name}{op}{encoded}")
}

/// The masked-IP range segment (Matomo's default anonymisation: IPv4 a.b.0.0, IPv6 /48).
fn masked_ip_segment(ip: &str) -> Option<String> {
    let (low, high) = match ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => v4_range(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_range(v4),
            None => {
                let s = v6.segments();
                let low = Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
                let high = Ipv6Addr::new(s[0], s[1], s[2], 0xffff, 0xffff, 0xffff, 0xffff, 0xffff);
                (IpAddr::V6(low), IpAddr::V6(high))
            }
        },
    };
    Some(format!(
        "{};{}",
        segment_condition("visitIp", ">=", &low.to_string()),
        segment_condition("visitIp", "<=", &high.to_string())
    ))
}

fn v4_range(v4: Ipv4Addr) -> (IpAddr, IpAddr) {
    let o = v4.octets();
    (
        IpAddr::V4(Ipv4Addr::new(o[0], o[1], 0, 0)),
        IpAddr::V4(Ipv4Addr::new(o[0], o[1], 255, 255)),
    )
}

/// The strong segments `find` stored, checked to be exactly one `userId==` or
/// `visitorId==` condition each: erase deletes whatever they find, so a segment that
/// could widen the search (an OR, a range, an IP) is refused.
fn strong_segments(matches: &Matches) -> Result<Vec<String>, ConnectorError> {
    let Some(list) = matches.refs.get("segments") else {
        return Ok(Vec::new());
    };
    let list = list.as_array().ok_or_else(malformed)?;
    let mut segments = Vec::new();
    for segment in list {
        let segment = segment.as_str().ok_or_else(malformed)?;
        let ok = match segment.split_once("==") {
            Some(("userId", value)) => !value.is_empty() && value.chars().all(is_encoded_char),
            Some(("visitorId", value)) => is_visitor_id(value),
            _ => false,
        };
        if !ok {
            return Err(ConnectorError::Permanent(
                "the matches name a Matomo segment that is not a single user or visitor id".into(),
            ));
        }
        if !segments.iter().any(|s| s == segment) {
            segments.push(segment.to_string());
        }
    }
    Ok(segments)
}

/// The characters `segment_condition` can produce for a value: no raw `,` or `;`.
fn is_encoded_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '%' | '+' | '*' | '-' | '.' | '_')
}

fn is_visitor_id(v: &str) -> bool {
    v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Classifies a Matomo error message. The text itself is never passed on: it can quote
/// the segment, and with it the person's user id.
fn api_error(method: &str, message: &str) -> ConnectorError {
    let m = message.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
    if any(&[
        "token_auth",
        "access",
        "permission",
        "not allowed",
        "must be logged in",
        "authenticat",
    ]) {
        ConnectorError::Permanent(format!(
            "Matomo refused {method}: the token is not valid or lacks admin access to the \
             sites (the GDPR tools need admin access); check token_env / token_file"
        ))
    } else if m.contains("segment") {
        ConnectorError::Permanent(format!(
            "Matomo rejected the search segment in {method}; the userId and visitorId \
             segments need Matomo's visitor profile to be enabled"
        ))
    } else if any(&["does not exist", "not available", "not activated", "plugin"]) {
        ConnectorError::Permanent(format!(
            "Matomo does not offer {method}; check that the PrivacyManager plugin is \
             activated and Matomo is version 3.5 or later"
        ))
    } else if any(&[
        "timed out",
        "timeout",
        "maximum execution time",
        "took too long",
        "lock wait",
        "deadlock",
        "gone away",
        "too many connections",
    ]) {
        ConnectorError::Temporary(format!(
            "Matomo could not finish {method} in time or its database was busy"
        ))
    } else {
        ConnectorError::Permanent(format!(
            "Matomo answered {method} with an error (its message is not shown, as it can \
             quote personal data)"
        ))
    }
}

fn unexpected(method: &str) -> ConnectorError {
    ConnectorError::Permanent(format!(
        "Matomo's answer to {method} is not in the expected format"
    ))
}

use matomo_ids::malformed;

fn refuse_weak(matches: &Matches) -> Result<(), ConnectorError> {
    if matches.actionable() {
        Ok(())
    } else {
        Err(ConnectorError::Permanent(
            "only a weak key matched; nothing is exported or erased on a masked IP alone".into(),
        ))
    }
}

/// Matomo's JSON has ids as numbers or, depending on version and database driver, as
/// numeric strings.
fn as_u64(v: &Json) -> Option<u64> {
    match v {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok()
}

fn format_datetime(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn join<T: ToString>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

/// Matomo's visitor id for a (stored) user id, as the 16 hex digits segments use.
fn visitor_id_of(user_id: &str) -> String {
    hex::encode(matomo_ids::visitor_id_bytes(user_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PHP's urldecode: `+` is a space, `%XX` a byte, anything else as is.
    fn urldecode(s: &str) -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }

    /// Matomo's path from the (already form-decoded) segment parameter to the values it
    /// binds: decode the whole, split at unescaped `;`/`,`, decode each condition, then
    /// each value.
    fn matomo_values(segment: &str) -> Vec<String> {
        let whole = urldecode(segment);
        let mut operands = Vec::new();
        let mut current = String::new();
        let mut backslash = false;
        for c in whole.chars() {
            if (c == ';' || c == ',') && !backslash {
                operands.push(std::mem::take(&mut current));
            } else {
                if (c == ';' || c == ',') && backslash {
                    current.pop();
                }
                current.push(c);
            }
            backslash = c == '\\';
        }
        operands.push(current);
        operands
            .iter()
            .map(|op| {
                let op = urldecode(op);
                let at = op.find(['=', '>', '<']).unwrap();
                let rest = op[at..].trim_start_matches(['=', '>', '<']);
                urldecode(rest)
            })
            .collect()
    }

    #[test]
    fn segment_values_survive_matomos_decoding() {
        for value in [
            "alice@example.com",
            "alice+news@example.com",
            "100%,real;id",
            "back\\slash, and space",
            "ünïcode",
        ] {
            let segment = segment_condition("userId", "==", value);
            assert!(!segment[8..].contains([',', ';']), "{segment}");
            assert_eq!(
                matomo_values(&segment),
                vec![value.to_string()],
                "{segment}"
            );
        }
        // The documented shape for an ordinary address.
        assert_eq!(
            segment_condition("userId", "==", "alice@example.com"),
            "userId==alice%40example.com"
        );
    }

    #[test]
    fn ip_ranges_follow_the_default_mask() {
        let segment = masked_ip_segment("192.168.77.12").unwrap();
        assert_eq!(
            matomo_values(&segment),
            vec!["192.168.0.0".to_string(), "192.168.255.255".to_string()]
        );
        let v6 = masked_ip_segment("2001:db8:abcd:12::1").unwrap();
        assert_eq!(
            matomo_values(&v6),
            vec![
                "2001:db8:abcd::".to_string(),
                "2001:db8:abcd:ffff:ffff:ffff:ffff:ffff".to_string()
            ]
        );
        assert_eq!(masked_ip_segment("nope"), None);
    }

    #[test]
    fn endpoint_has_exactly_one_slash() {
        for (base, want) in [
            ("https://m.example", "https://m.example/index.php"),
            ("https://m.example/", "https://m.example/index.php"),
            (
                "https://m.example/matomo//",
                "https://m.example/matomo/index.php",
            ),
            (
                "https://m.example/matomo/index.php",
                "https://m.example/matomo/index.php",
            ),
        ] {
            let url = endpoint_of(&reqwest::Url::parse(base).unwrap());
            assert_eq!(url.as_str(), want);
        }
    }

    #[test]
    fn stored_segments_must_be_single_strong_conditions() {
        let with = |segments: Json| Matches {
            refs: json!({"visits": [], "segments": segments}),
            ..Matches::default()
        };
        assert!(strong_segments(&with(json!(["userId==alice%40example.com"]))).is_ok());
        assert!(strong_segments(&with(json!(["visitorId==0123456789abcdef"]))).is_ok());
        for bad in [
            "userId==a,visitIp>=0.0.0.0",
            "userId==a;userId!=b",
            "visitIp>=1.2.0.0",
            "visitorId==nothex",
            "userId==",
        ] {
            assert!(strong_segments(&with(json!([bad]))).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_messages_are_classified_without_their_text() {
        let e = api_error(
            "PrivacyManager.findDataSubjects",
            "The segment condition 'userId==alice@example.com' is not valid.",
        );
        assert!(matches!(&e, ConnectorError::Permanent(m) if !m.contains("alice")));
        assert!(matches!(
            api_error("X", "You can't access this resource as it requires 'view' access"),
            ConnectorError::Permanent(m) if m.contains("token")
        ));
        assert!(matches!(
            api_error("X", "Lock wait timeout exceeded"),
            ConnectorError::Temporary(_)
        ));
    }
}
