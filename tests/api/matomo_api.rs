//! The Matomo API connector against a fake Matomo started by each test.
//!
//! Plain `#[test]`s: the connector uses reqwest's blocking client, which must not run
//! inside an async runtime. The fake runs actix-web on its own `System` in a thread and
//! follows the PrivacyManager wire format: only `POST /index.php` with a form body
//! (anything else gets Matomo's error JSON), token_auth checked, segments decoded the way
//! Matomo decodes them, at most 401 visits per search, `visits[N][idsite|idvisit]` for
//! export and delete, and an in-memory store that deletes really remove from. It records
//! every request so that tests can check what went over the wire.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::matomo_api::MatomoApi;
use dsar_portal::connectors::{Connector, ConnectorError, KeyMatch, Matches, Strength, Subject};
use serde_json::{json, Value as Json};
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

const TOKEN: &str = "3f1c9a0d5e7b2468ace013579bdf2468";
/// A valid token with view access only.
const VIEW_TOKEN: &str = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";

const ALICE: &str = "alice@example.com";
/// A plus address: `+` must survive Matomo's extra decoding of segment values.
const BOB: &str = "bob+shop@example.com";
const ERIN: &str = "erin@example.com";
/// A cookie visitor id given by the person, with no user id behind it.
const DAVE_VISITOR: &str = "d00dfeedd00dfeed";
const COOKIELESS_VISITOR: &str = "c0ffee00c0ffee00";

const ALICE_VISITS: u64 = 450;
const ACTIONS_PER_VISIT: u64 = 2;
const CAP: usize = 401;
const SITES: [u64; 2] = [1, 2];

fn sha1_hex(data: &str) -> String {
    hex::encode(Sha1::digest(data.as_bytes()))
}

fn visitor_of(user_id: &str) -> String {
    sha1_hex(user_id)[..16].to_string()
}

// ---------------------------------------------------------------------------------------
// The fake Matomo
// ---------------------------------------------------------------------------------------

#[derive(Clone)]
struct FakeVisit {
    idsite: u64,
    idvisit: u64,
    visitor_id: String,
    user_id: Option<String>,
    /// Stored masked, as Matomo does by default.
    ip: Ipv4Addr,
    last_action: String,
}

struct Action {
    idlink_va: u64,
    idvisit: u64,
    idsite: u64,
}

struct Recorded {
    http_method: String,
    path: String,
    query: String,
    content_type: String,
    params: Vec<(String, String)>,
}

impl Recorded {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    visits: BTreeMap<u64, FakeVisit>,
    actions: Vec<Action>,
    requests: Vec<Recorded>,
}

type Shared = Arc<Mutex<State>>;

fn datetime(hours: u64) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    (start + chrono::Duration::hours(hours as i64))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn salted(uid: &str, salt: &str) -> String {
    sha1_hex(&format!("{uid}{salt}"))
}

/// Alice (450 visits on two sites, over the 401 cap), Bob, a cookieless visitor sharing
/// Bob's masked address, Dave (known only by a cookie visitor id) and Erin (tracked with
/// a pseudonymised user id under `salt`).
fn initial_store(salt: &str) -> State {
    let mut state = State {
        visits: BTreeMap::new(),
        actions: Vec::new(),
        requests: Vec::new(),
    };
    for i in 0..ALICE_VISITS {
        let site = if i % 3 == 0 { 2 } else { 1 };
        state.add(site, &visitor_of(ALICE), Some(ALICE), [10, 9], 10 + i);
    }
    for i in 0..3 {
        state.add(1, &visitor_of(BOB), Some(BOB), [10, 1], 100 + i);
    }
    for i in 0..2 {
        state.add(1, COOKIELESS_VISITOR, None, [10, 1], 200 + i);
    }
    for i in 0..4 {
        state.add(2, DAVE_VISITOR, None, [172, 16], 300 + i);
    }
    let erin = salted(ERIN, salt);
    for i in 0..2 {
        state.add(1, &visitor_of(&erin), Some(&erin), [192, 168], 400 + i);
    }
    state
}

impl State {
    /// One visit with its actions, last active `hours` into 2024, stored with the masked
    /// address `ip.0.0`; the next free ids. Returns the visit's id.
    fn add(
        &mut self,
        idsite: u64,
        visitor_id: &str,
        user_id: Option<&str>,
        ip: [u8; 2],
        hours: u64,
    ) -> u64 {
        let idvisit = self.visits.keys().max().map_or(1001, |id| id + 1);
        self.visits.insert(
            idvisit,
            FakeVisit {
                idsite,
                idvisit,
                visitor_id: visitor_id.to_string(),
                user_id: user_id.map(str::to_string),
                ip: Ipv4Addr::new(ip[0], ip[1], 0, 0),
                last_action: datetime(hours),
            },
        );
        for _ in 0..ACTIONS_PER_VISIT {
            let idlink_va = self.actions.iter().map(|a| a.idlink_va).max().unwrap_or(0) + 1;
            self.actions.push(Action {
                idlink_va,
                idvisit,
                idsite,
            });
        }
        idvisit
    }
}

struct FakeMatomo {
    base_url: String,
    state: Shared,
    system: actix_web::rt::System,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeMatomo {
    fn start() -> FakeMatomo {
        FakeMatomo::start_with_salt("unused-salt")
    }

    fn start_with_salt(salt: &str) -> FakeMatomo {
        let state: Shared = Arc::new(Mutex::new(initial_store(salt)));
        let data = web::Data::new(state.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                        .default_service(web::to(matomo))
                })
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .expect("bind the fake Matomo");
                let port = server.addrs()[0].port();
                actix_web::rt::spawn(server.run());
                tx.send((port, actix_web::rt::System::current()))
                    .expect("report the port");
            });
            let _ = system.run();
        });
        let (port, system) = rx.recv().expect("the fake Matomo starts");
        FakeMatomo {
            // No trailing slash: the connector must add exactly one.
            base_url: format!("http://127.0.0.1:{port}"),
            state,
            system,
            thread: Some(thread),
        }
    }

    /// The recorded API calls of one method (e.g. "PrivacyManager.findDataSubjects").
    fn calls(&self, method: &str) -> Vec<Vec<(String, String)>> {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.param("method") == Some(method))
            .map(|r| r.params.clone())
            .collect()
    }

    fn segments_sent(&self) -> Vec<String> {
        self.calls("PrivacyManager.findDataSubjects")
            .iter()
            .filter_map(|p| {
                p.iter()
                    .find(|(k, _)| k == "segment")
                    .map(|(_, v)| v.clone())
            })
            .collect()
    }

    fn request_count(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }

    /// Adds `n` visits (with their actions) of one visitor on `idsite`, the i-th last
    /// active `hours(i)` hours into 2024; returns their ids.
    fn add_visits(
        &self,
        idsite: u64,
        visitor_id: &str,
        user_id: Option<&str>,
        n: u64,
        hours: impl Fn(u64) -> u64,
    ) -> BTreeSet<u64> {
        let mut state = self.state.lock().unwrap();
        (0..n)
            .map(|i| state.add(idsite, visitor_id, user_id, [10, 77], hours(i)))
            .collect()
    }

    /// Visits left in the store per user id / visitor id.
    fn visits_of(&self, pred: impl Fn(&FakeVisit) -> bool) -> Vec<FakeVisit> {
        self.state
            .lock()
            .unwrap()
            .visits
            .values()
            .filter(|v| pred(v))
            .cloned()
            .collect()
    }

    fn user_visits(&self, uid: &str) -> usize {
        self.visits_of(|v| v.user_id.as_deref() == Some(uid)).len()
    }

    fn visitor_visits(&self, visitor: &str) -> usize {
        self.visits_of(|v| v.visitor_id == visitor).len()
    }

    fn actions_of(&self, ids: &BTreeSet<u64>) -> usize {
        self.state
            .lock()
            .unwrap()
            .actions
            .iter()
            .filter(|a| ids.contains(&a.idvisit))
            .count()
    }
}

impl Drop for FakeMatomo {
    fn drop(&mut self) {
        self.system.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn error(message: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(json!({"result": "error", "message": message}).to_string())
}

fn ok(value: Json) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(value.to_string())
}

#[derive(PartialEq)]
enum Access {
    Admin,
    View,
}

async fn matomo(req: HttpRequest, body: web::Bytes, state: web::Data<Shared>) -> HttpResponse {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let mut state = state.lock().unwrap();
    state.requests.push(Recorded {
        http_method: req.method().to_string(),
        path: req.path().to_string(),
        query: req.query_string().to_string(),
        content_type: content_type.clone(),
        params: params.clone(),
    });
    if req.method() != actix_web::http::Method::POST {
        // What a secure-only token gets on GET.
        return error(
            "token_auth is not allowed to be sent by GET: this token may only be used in POST requests",
        );
    }
    if req.path() != "/index.php" || !content_type.starts_with("application/x-www-form-urlencoded")
    {
        return HttpResponse::NotFound().body("<html>Not Found</html>");
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if param("module") != Some("API")
        || !param("format").is_some_and(|f| f.eq_ignore_ascii_case("json"))
    {
        return error("Please specify module=API and format=json");
    }
    let access = match param("token_auth") {
        Some(TOKEN) => Access::Admin,
        Some(VIEW_TOKEN) => Access::View,
        _ => return error(
            "You can't access this resource as it requires 'view' access for the website id = 1.",
        ),
    };
    let method = param("method").unwrap_or("");
    let needs_admin = || {
        error(
            "You can't access this resource as it requires 'admin' access for the website id = 1.",
        )
    };
    match method {
        "API.getMatomoVersion" => ok(json!({"value": "5.2.0"})),
        "SitesManager.getSitesIdWithAdminAccess" => match access {
            Access::Admin => ok(json!(SITES)),
            Access::View => ok(json!([])),
        },
        "PrivacyManager.findDataSubjects" => {
            if access != Access::Admin {
                return needs_admin();
            }
            let sites = match param("idSite") {
                Some("all") => SITES.to_vec(),
                Some(list) => match list.split(',').map(|s| s.trim().parse()).collect() {
                    Ok(sites) => sites,
                    Err(_) => return error("The parameter idSite is not a valid site list"),
                },
                None => return error("Please specify a value for 'idSite'."),
            };
            let segment = match param("segment").map(parse_segment) {
                Some(Ok(segment)) => segment,
                Some(Err(message)) => return error(&message),
                None => return error("Please specify a value for 'segment'."),
            };
            // findDataSubjects calls Live.getLastVisitsDetails with filter_limit=401 as a
            // parameter override, and its own answer is not post-processed: the caller's
            // filter_limit changes nothing. The caller's other parameters do reach Live
            // (a nested request inherits the outer one): filter_sort_order and minTimestamp.
            let descending =
                !param("filter_sort_order").is_some_and(|o| o.eq_ignore_ascii_case("asc"));
            let after = match param("minTimestamp").map(str::parse::<i64>) {
                Some(Ok(ts)) => chrono::DateTime::from_timestamp(ts, 0)
                    .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string()),
                _ => None,
            };
            let mut found: Vec<&FakeVisit> = state
                .visits
                .values()
                .filter(|v| sites.contains(&v.idsite) && segment_matches(&segment, v))
                .filter(|v| {
                    after
                        .as_ref()
                        .is_none_or(|t| v.last_action.as_str() > t.as_str())
                })
                .collect();
            // Live\Model::makeLogVisitsQueryString: `idsite, visit_last_action_time, idvisit`
            // for one site, without idsite for several, all in the one direction.
            let one_site = sites.len() <= 1;
            found.sort_by(|a, b| {
                let key = |v: &FakeVisit| {
                    (
                        if one_site { v.idsite } else { 0 },
                        v.last_action.clone(),
                        v.idvisit,
                    )
                };
                if descending {
                    key(b).cmp(&key(a))
                } else {
                    key(a).cmp(&key(b))
                }
            });
            let rows: Vec<Json> = found
                .into_iter()
                .take(CAP)
                .map(|v| {
                    json!({
                        "lastActionDateTime": v.last_action,
                        "idVisit": v.idvisit,
                        "idSite": v.idsite,
                        "siteName": format!("Site {}", v.idsite),
                        "visitorId": v.visitor_id,
                        "visitIp": v.ip.to_string(),
                        "userId": v.user_id,
                        "deviceType": "Desktop",
                        "operatingSystem": "GNU/Linux",
                        "browser": "Firefox 128.0",
                        "country": "Germany",
                    })
                })
                .collect();
            ok(Json::Array(rows))
        }
        "PrivacyManager.exportDataSubjects" | "PrivacyManager.deleteDataSubjects" => {
            if access != Access::Admin {
                return needs_admin();
            }
            let visits = match parse_visits(&params) {
                Ok(visits) => visits,
                Err(message) => return error(&message),
            };
            let ids: BTreeSet<u64> = visits
                .iter()
                .filter(|(site, id)| state.visits.get(id).is_some_and(|v| v.idsite == *site))
                .map(|(_, id)| *id)
                .collect();
            if method.ends_with("exportDataSubjects") {
                let log_visit: Vec<Json> = ids
                    .iter()
                    .map(|id| {
                        let v = &state.visits[id];
                        json!({
                            "idvisit": v.idvisit,
                            "idsite": v.idsite,
                            "idvisitor": v.visitor_id,
                            "user_id": v.user_id,
                            "location_ip": hex::encode(v.ip.octets()),
                            "visit_last_action_time": v.last_action,
                        })
                    })
                    .collect();
                let actions: Vec<Json> = state
                    .actions
                    .iter()
                    .filter(|a| ids.contains(&a.idvisit))
                    .map(|a| {
                        json!({
                            "idlink_va": a.idlink_va,
                            "idvisit": a.idvisit,
                            "idsite": a.idsite,
                            "idaction_url": 7,
                            "idaction_name": 8,
                        })
                    })
                    .collect();
                ok(json!({
                    "log_visit": log_visit,
                    "log_link_visit_action": actions,
                    "log_conversion": [],
                    "log_conversion_item": [],
                    "log_action_log_link_visit_action_idaction_url": [
                        {"idaction": 7, "name": "example.org/account"}
                    ],
                }))
            } else {
                let before = state.actions.len();
                state.actions.retain(|a| !ids.contains(&a.idvisit));
                let actions = before - state.actions.len();
                for id in &ids {
                    state.visits.remove(id);
                }
                ok(json!({
                    "log_conversion_item": 0,
                    "log_conversion": 0,
                    "log_link_visit_action": actions,
                    "log_visit": ids.len(),
                }))
            }
        }
        other => error(&format!(
            "The method '{other}' does not exist or is not available in the module 'API'."
        )),
    }
}

/// `visits[N][idsite]=…&visits[N][idvisit]=…` into (idsite, idvisit) pairs.
fn parse_visits(params: &[(String, String)]) -> Result<Vec<(u64, u64)>, String> {
    let mut by_index: BTreeMap<usize, (Option<u64>, Option<u64>)> = BTreeMap::new();
    for (key, value) in params {
        let Some(rest) = key.strip_prefix("visits[") else {
            continue;
        };
        let (index, field) = rest
            .split_once("][")
            .ok_or_else(|| format!("malformed parameter {key}"))?;
        let index: usize = index.parse().map_err(|_| format!("malformed {key}"))?;
        let value: u64 = value.parse().map_err(|_| format!("malformed {key}"))?;
        let entry = by_index.entry(index).or_default();
        match field {
            "idsite]" => entry.0 = Some(value),
            "idvisit]" => entry.1 = Some(value),
            _ => return Err(format!("unknown field in {key}")),
        }
    }
    if by_index.is_empty() {
        return Err("No list of visits given".into());
    }
    by_index
        .into_values()
        .map(|pair| match pair {
            (Some(site), Some(visit)) => Ok((site, visit)),
            _ => Err("Each visit needs an idsite and an idvisit".into()),
        })
        .collect()
}

/// PHP's urldecode.
fn urldecode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

struct Condition {
    name: String,
    op: String,
    value: String,
}

/// AND of ORs, as Matomo groups `a,b;c`.
type Segment = Vec<Vec<Condition>>;

/// Matomo's decoding of the (form-decoded) segment parameter: the whole is urldecoded,
/// split at `;` and `,` not escaped by a backslash (the backslash is dropped), then each
/// condition is urldecoded and its value urldecoded once more.
fn parse_segment(raw: &str) -> Result<Segment, String> {
    let whole = urldecode(raw);
    let mut groups: Segment = vec![Vec::new()];
    let mut operand = String::new();
    let mut backslash = false;
    let push = |operand: &str, groups: &mut Segment| -> Result<(), String> {
        let operand = urldecode(operand);
        let (name, op, value) = ["==", "!=", ">=", "<=", ">", "<"]
            .iter()
            .filter_map(|op| operand.find(op).map(|at| (at, *op)))
            .min_by_key(|(at, op)| (*at, std::cmp::Reverse(op.len())))
            .map(|(at, op)| (&operand[..at], op, &operand[at + op.len()..]))
            .ok_or_else(|| format!("The segment condition '{operand}' is not valid."))?;
        if !matches!(name, "userId" | "visitorId" | "visitIp" | "visitId") {
            return Err(format!("Segment '{name}' is not a supported segment."));
        }
        groups.last_mut().unwrap().push(Condition {
            name: name.to_string(),
            op: op.to_string(),
            value: urldecode(value),
        });
        Ok(())
    };
    for c in whole.chars() {
        let delimiter = c == ';' || c == ',';
        if delimiter && !backslash {
            push(&std::mem::take(&mut operand), &mut groups)?;
            if c == ';' {
                groups.push(Vec::new());
            }
        } else {
            if delimiter {
                operand.pop();
            }
            operand.push(c);
        }
        backslash = c == '\\';
    }
    push(&operand, &mut groups)?;
    Ok(groups)
}

/// How Matomo's segments compare, as SQL on `log_visit`:
/// - `userId` is `user_id = ?` on a VARCHAR in `utf8mb4_general_ci`, which ignores case
///   and (PAD SPACE) trailing spaces: `ALICE@example.com` and `alice@example.com ` match
///   `userId==alice@example.com` (the collation also folds many accents; no test needs it);
/// - `visitorId` goes through `Common::convertVisitorIdToBin` and compares BINARY(8) bytes,
///   so it is exact (hex digits in either case are the same bytes);
/// - `visitId` is `idvisit <op> ?`, a number.
fn segment_matches(segment: &Segment, v: &FakeVisit) -> bool {
    segment.iter().all(|any| {
        any.iter().any(|c| match (c.name.as_str(), c.op.as_str()) {
            ("userId", "==") => v
                .user_id
                .as_deref()
                .is_some_and(|stored| general_ci_eq(stored, &c.value)),
            ("visitorId", "==") => match (hex::decode(&v.visitor_id), hex::decode(&c.value)) {
                (Ok(stored), Ok(wanted)) => stored == wanted,
                _ => false,
            },
            ("visitId", op) => c.value.parse::<u64>().is_ok_and(|n| match op {
                "==" => v.idvisit == n,
                ">" => v.idvisit > n,
                "<" => v.idvisit < n,
                ">=" => v.idvisit >= n,
                "<=" => v.idvisit <= n,
                _ => false,
            }),
            ("visitIp", op) => match c.value.parse::<Ipv4Addr>() {
                Ok(bound) => match op {
                    ">=" => v.ip >= bound,
                    "<=" => v.ip <= bound,
                    "==" => v.ip == bound,
                    _ => false,
                },
                Err(_) => false,
            },
            _ => false,
        })
    })
}

/// `utf8mb4_general_ci` equality with PAD SPACE, for the ASCII these tests use.
fn general_ci_eq(a: &str, b: &str) -> bool {
    let fold = |s: &str| s.trim_end_matches(' ').to_lowercase();
    fold(a) == fold(b)
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn config(base_url: &str) -> ConnectorConfig {
    ConnectorConfig {
        name: "matomo".into(),
        kind: "matomo_api".into(),
        url_env: None,
        url_file: None,
        table_prefix: "matomo_".into(),
        site_ids: Vec::new(),
        user_id_from: "email".into(),
        user_id_salt_env: None,
        purge_orphaned_actions: false,
        search_user_id_column: true,
        batch_size: 5000,
        base_url: Some(base_url.into()),
        token_env: None,
        token_file: None,
        timeout_seconds: 30,
    }
}

fn connector(fake: &FakeMatomo) -> MatomoApi {
    MatomoApi::new(&config(&fake.base_url), TOKEN).expect("connector")
}

fn subject(pairs: &[(&str, &str)]) -> Subject {
    Subject {
        identities: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn key(matches: &Matches, name: &str) -> Option<(Strength, u64)> {
    matches
        .keys
        .iter()
        .find(|k| k.key == name)
        .map(|k: &KeyMatch| (k.strength, k.records))
}

fn ref_visits(matches: &Matches) -> Vec<(u64, u64)> {
    matches.refs["visits"]
        .as_array()
        .expect("refs.visits")
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
        .collect()
}

fn ids_of(visits: &[FakeVisit]) -> BTreeSet<u64> {
    visits.iter().map(|v| v.idvisit).collect()
}

fn permanent(r: Result<impl std::fmt::Debug, ConnectorError>) -> String {
    match r {
        Err(ConnectorError::Permanent(m)) => m,
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn find_pages_past_the_cap_and_reports_true_counts_and_dates() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let alice_all = fake.visits_of(|v| v.user_id.as_deref() == Some(ALICE));
    assert_eq!(alice_all.len() as u64, ALICE_VISITS);

    let m = matomo
        .find(&subject(&[("email", ALICE), ("ip", "10.1.77.12")]))
        .expect("find");
    // Past the 401 one search returns: all 450, by both keys.
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, ALICE_VISITS)));
    assert_eq!(
        key(&m, "visitor_id"),
        Some((Strength::Strong, ALICE_VISITS))
    );
    // Bob's 3 visits and the cookieless visitor's 2 share 10.1.0.0: counted, weak.
    assert_eq!(key(&m, "masked_ip"), Some((Strength::Weak, 5)));
    assert!(m.actionable());
    assert!(!m.at_least);
    assert_eq!(m.excluded, 0);
    assert_eq!(
        m.counts,
        BTreeMap::from([("log_visit".to_string(), ALICE_VISITS)])
    );

    let refs = ref_visits(&m);
    let mut sorted = refs.clone();
    sorted.sort_unstable();
    assert_eq!(refs, sorted, "refs are sorted");
    let alice_pairs: BTreeSet<(u64, u64)> =
        alice_all.iter().map(|v| (v.idsite, v.idvisit)).collect();
    assert_eq!(refs.into_iter().collect::<BTreeSet<_>>(), alice_pairs);
    assert_eq!(
        m.refs["segments"],
        json!([
            "userId==alice%40example.com",
            format!("visitorId=={}", visitor_of(ALICE))
        ])
    );
    // The whole range, oldest to newest.
    assert_eq!(m.first_seen.as_deref(), Some(datetime(10).as_str()));
    assert_eq!(
        m.last_seen.as_deref(),
        Some(datetime(10 + ALICE_VISITS - 1).as_str())
    );

    // Segments as Matomo documents them: the value URL-encoded inside the segment, the
    // IP range as two AND-ed conditions; every search over all sites, oldest first, the
    // later pages after the last second seen.
    let sent = fake.segments_sent();
    assert!(sent.contains(&"userId==alice%40example.com".to_string()));
    assert!(sent.contains(&"visitIp>=10.1.0.0;visitIp<=10.1.255.255".to_string()));
    let calls = fake.calls("PrivacyManager.findDataSubjects");
    for call in &calls {
        let get = |k: &str| call.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("idSite"), Some("all"));
        assert_eq!(get("filter_sort_order"), Some("asc"));
    }
    // Two pages per strong key (401 + 49), one for the masked IP.
    assert_eq!(calls.len(), 5);
    let paged = calls
        .iter()
        .filter(|c| c.iter().any(|(k, _)| k == "minTimestamp"))
        .count();
    assert_eq!(paged, 2);
    // Nothing was changed by a preview.
    assert_eq!(fake.user_visits(ALICE) as u64, ALICE_VISITS);
}

#[test]
fn find_with_site_ids_and_a_plus_address() {
    let fake = FakeMatomo::start();
    let mut cfg = config(&fake.base_url);
    cfg.site_ids = vec![2];
    let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();

    let m = matomo.find(&subject(&[("email", ALICE)])).unwrap();
    let on_site_2 = fake.visits_of(|v| v.user_id.as_deref() == Some(ALICE) && v.idsite == 2);
    assert_eq!(
        key(&m, "user_id"),
        Some((Strength::Strong, on_site_2.len() as u64))
    );
    assert!(ref_visits(&m).iter().all(|(site, _)| *site == 2));
    for call in fake.calls("PrivacyManager.findDataSubjects") {
        assert!(call.contains(&("idSite".to_string(), "2".to_string())));
    }

    // "+" survives Matomo's extra decoding of segment values (else: "bob shop@…").
    let matomo = connector(&fake);
    let m = matomo.find(&subject(&[("email", BOB)])).unwrap();
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 3)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 3)));
    assert_eq!(m.counts["log_visit"], 3);
}

#[test]
fn ip_only_subject_is_not_actionable_and_export_and_erase_refuse() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let m = matomo.find(&subject(&[("ip", "10.1.200.3")])).unwrap();
    assert_eq!(m.keys.len(), 1);
    assert_eq!(key(&m, "masked_ip"), Some((Strength::Weak, 5)));
    assert!(!m.actionable());
    assert_eq!(m.counts["log_visit"], 0);
    assert!(ref_visits(&m).is_empty(), "weak matches never join refs");
    assert_eq!(m.refs["segments"], json!([]));

    let before = fake.request_count();
    assert!(permanent(matomo.export(&m)).contains("weak"));
    assert!(permanent(matomo.erase(&m)).contains("weak"));
    assert_eq!(fake.request_count(), before, "nothing was sent");
    assert_eq!(fake.user_visits(BOB), 3);
    assert_eq!(fake.visitor_visits(COOKIELESS_VISITOR), 2);
}

#[test]
fn export_returns_exactly_the_persons_visits_and_rows() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);

    let m = matomo.find(&subject(&[("email", BOB)])).unwrap();
    let records = matomo.export(&m).expect("export");
    let bob = ids_of(&fake.visits_of(|v| v.user_id.as_deref() == Some(BOB)));
    let exported: BTreeSet<u64> = records.tables["log_visit"]
        .iter()
        .map(|r| r["idvisit"].as_u64().unwrap())
        .collect();
    assert_eq!(exported, bob);
    assert!(records.tables["log_visit"]
        .iter()
        .all(|r| r["user_id"] == json!(BOB)));
    let actions = &records.tables["log_link_visit_action"];
    assert_eq!(actions.len() as u64, 3 * ACTIONS_PER_VISIT);
    assert!(actions
        .iter()
        .all(|r| bob.contains(&r["idvisit"].as_u64().unwrap())));
    assert!(records.tables["log_conversion"].is_empty());
    assert!(records
        .tables
        .contains_key("log_action_log_link_visit_action_idaction_url"));

    // Alice's 450 previewed visits go in chunks of 400, concatenated per table.
    let m = matomo.find(&subject(&[("email", ALICE)])).unwrap();
    let records = matomo.export(&m).unwrap();
    assert_eq!(records.tables["log_visit"].len() as u64, ALICE_VISITS);
    assert_eq!(
        records.tables["log_link_visit_action"].len() as u64,
        ALICE_VISITS * ACTIONS_PER_VISIT
    );
    let chunks: Vec<usize> = fake
        .calls("PrivacyManager.exportDataSubjects")
        .iter()
        .skip(1)
        .map(|p| p.iter().filter(|(k, _)| k.ends_with("[idvisit]")).count())
        .collect();
    assert_eq!(chunks, vec![400, 50]);
    let previewed: BTreeSet<u64> = ref_visits(&m).iter().map(|p| p.1).collect();
    let exported: BTreeSet<u64> = records.tables["log_visit"]
        .iter()
        .map(|r| r["idvisit"].as_u64().unwrap())
        .collect();
    assert_eq!(exported, previewed);
    assert!(records.tables["log_visit"]
        .iter()
        .all(|r| r["user_id"] == json!(ALICE)));
    // Export deletes nothing.
    assert_eq!(fake.user_visits(ALICE) as u64, ALICE_VISITS);
}

#[test]
fn erase_removes_every_visit_and_a_second_erase_gives_zeros() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let others = ids_of(&fake.visits_of(|v| v.user_id.as_deref() != Some(ALICE)));
    let others_actions = fake.actions_of(&others);

    let m = matomo.find(&subject(&[("email", ALICE)])).unwrap();
    assert_eq!(ref_visits(&m).len() as u64, ALICE_VISITS);
    let report = matomo.erase(&m).expect("erase");

    // All 450, and nobody else's.
    assert_eq!(fake.user_visits(ALICE), 0);
    assert_eq!(fake.visitor_visits(&visitor_of(ALICE)), 0);
    assert_eq!(ids_of(&fake.visits_of(|_| true)), others);
    assert_eq!(fake.actions_of(&others), others_actions);
    assert_eq!(report.deleted["log_visit"], ALICE_VISITS);
    assert_eq!(
        report.deleted["log_link_visit_action"],
        ALICE_VISITS * ACTIONS_PER_VISIT
    );
    assert_eq!(report.deleted["log_conversion"], 0);
    assert!(report
        .follow_up
        .iter()
        .any(|n| n.contains("./console core:archive") && n.contains("invalidat")));

    // Deletes are POSTed in chunks of at most 400 visits.
    let deletes = fake.calls("PrivacyManager.deleteDataSubjects");
    let sizes: Vec<usize> = deletes
        .iter()
        .map(|p| p.iter().filter(|(k, _)| k.ends_with("[idvisit]")).count())
        .collect();
    assert!(sizes.iter().all(|n| *n <= 400), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>() as u64, ALICE_VISITS);

    // Idempotent: nothing left, every count zero.
    let again = matomo.erase(&m).expect("second erase");
    assert!(
        again.deleted.values().all(|n| *n == 0),
        "{:?}",
        again.deleted
    );
    assert_eq!(again.deleted["log_visit"], 0);
    assert!(again.follow_up[0].contains("Nothing was left"));
    let m = matomo.find(&subject(&[("email", ALICE)])).unwrap();
    assert_eq!(m.counts["log_visit"], 0);
    assert!(!m.actionable());
    assert_eq!(ids_of(&fake.visits_of(|_| true)), others);
}

#[test]
fn supplied_visitor_id_finds_and_erases_cookie_visits() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let m = matomo
        .find(&subject(&[("matomo_visitor_id", "D00DFEEDD00DFEED")]))
        .unwrap();
    assert_eq!(key(&m, "supplied_visitor_id"), Some((Strength::Strong, 4)));
    assert!(fake
        .segments_sent()
        .contains(&format!("visitorId=={DAVE_VISITOR}")));
    let report = matomo.erase(&m).unwrap();
    assert_eq!(report.deleted["log_visit"], 4);
    assert_eq!(fake.visitor_visits(DAVE_VISITOR), 0);
    assert_eq!(fake.user_visits(BOB), 3);

    // Not 16 hex digits: ignored, not searched.
    let before = fake.request_count();
    let m = matomo
        .find(&subject(&[("matomo_visitor_id", "not-a-visitor")]))
        .unwrap();
    assert!(m.keys.is_empty());
    assert_eq!(fake.request_count(), before);
}

#[test]
fn token_travels_in_the_post_body_only() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let m = matomo
        .find(&subject(&[("email", BOB), ("ip", "10.1.0.9")]))
        .unwrap();
    matomo.export(&m).unwrap();
    matomo.erase(&m).unwrap();
    matomo.check().unwrap();

    let state = fake.state.lock().unwrap();
    assert!(state.requests.len() >= 6);
    for r in &state.requests {
        assert_eq!(r.http_method, "POST");
        assert_eq!(r.path, "/index.php");
        assert!(r.query.is_empty(), "nothing in the URL: {:?}", r.query);
        assert!(r
            .content_type
            .starts_with("application/x-www-form-urlencoded"));
        assert_eq!(r.param("token_auth"), Some(TOKEN));
        assert_eq!(r.param("module"), Some("API"));
        assert_eq!(r.param("format"), Some("json"));
    }
    let methods: BTreeSet<&str> = state
        .requests
        .iter()
        .filter_map(|r| r.param("method"))
        .collect();
    assert!(methods.contains("PrivacyManager.deleteDataSubjects"));
    drop(state);

    // The fake does refuse a GET, as Matomo does for secure-only tokens.
    let url = format!(
        "{}/index.php?module=API&method=API.getMatomoVersion&format=json&token_auth={TOKEN}",
        fake.base_url
    );
    let answer: Json = reqwest::blocking::get(url).unwrap().json().unwrap();
    assert_eq!(answer["result"], "error");
}

#[test]
fn wrong_token_is_a_permanent_error_without_secrets() {
    let fake = FakeMatomo::start();
    let wrong = "00000000000000000000000000000000";
    let matomo = MatomoApi::new(&config(&fake.base_url), wrong).unwrap();
    let message = permanent(matomo.find(&subject(&[("email", ALICE)])));
    assert!(message.contains("token"), "{message}");
    assert!(
        !message.contains(wrong) && !message.contains(ALICE),
        "{message}"
    );
    permanent(matomo.check());

    // Valid but view only: the GDPR tools need admin access.
    let view = MatomoApi::new(&config(&fake.base_url), VIEW_TOKEN).unwrap();
    let message = permanent(view.check());
    assert!(message.contains("admin"), "{message}");
    permanent(view.find(&subject(&[("email", ALICE)])));

    // A configured site the token cannot administer is named.
    let mut cfg = config(&fake.base_url);
    cfg.site_ids = vec![1, 7];
    let message = permanent(MatomoApi::new(&cfg, TOKEN).unwrap().check());
    assert!(message.contains('7'), "{message}");

    connector(&fake).check().expect("a good token passes check");
}

#[test]
fn unreachable_matomo_is_a_temporary_error() {
    let matomo = MatomoApi::new(&config("http://127.0.0.1:1/"), TOKEN).unwrap();
    for result in [
        matomo.find(&subject(&[("email", ALICE)])).map(|_| ()),
        matomo.check(),
    ] {
        match result {
            Err(ConnectorError::Temporary(m)) => {
                assert!(!m.contains(TOKEN) && !m.contains(ALICE), "{m}")
            }
            other => panic!("expected a temporary error, got {other:?}"),
        }
    }
}

#[test]
fn not_matomo_at_base_url_is_permanent() {
    let fake = FakeMatomo::start();
    let mut cfg = config(&format!("{}/elsewhere/", fake.base_url));
    cfg.timeout_seconds = 5;
    let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();
    permanent(matomo.check());
    // And the configuration errors are caught up front.
    assert!(MatomoApi::new(&config("not a url"), TOKEN).is_err());
    assert!(MatomoApi::new(&config(&fake.base_url), "  ").is_err());
    assert!(MatomoApi::new(&config("https://m.example/?token_auth=x"), TOKEN).is_err());
}

#[test]
fn pseudonymised_user_id_is_sent_hashed() {
    let salt = "a-matomo-useridsalt-value";
    let var = "DSAR_TEST_MATOMO_API_SALT";
    std::env::set_var(var, salt);
    let fake = FakeMatomo::start_with_salt(salt);
    let mut cfg = config(&fake.base_url);
    cfg.user_id_salt_env = Some(var.into());
    let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();

    let m = matomo.find(&subject(&[("email", ERIN)])).unwrap();
    let stored = salted(ERIN, salt);
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 2)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 2)));
    let sent = fake.segments_sent();
    assert!(sent.contains(&format!("userId=={stored}")), "{sent:?}");
    assert!(sent.contains(&format!("visitorId=={}", visitor_of(&stored))));
    assert!(sent.iter().all(|s| !s.contains("erin")), "{sent:?}");

    let report = matomo.erase(&m).unwrap();
    assert_eq!(report.deleted["log_visit"], 2);
    assert_eq!(fake.user_visits(&stored), 0);

    // The salt must be there: without it the search would silently find nothing.
    let mut cfg = config(&fake.base_url);
    cfg.user_id_salt_env = Some("DSAR_TEST_MATOMO_API_SALT_MISSING".into());
    let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();
    let message = permanent(matomo.find(&subject(&[("email", ERIN)])));
    assert!(
        message.contains("DSAR_TEST_MATOMO_API_SALT_MISSING"),
        "{message}"
    );
}

#[test]
fn erase_refuses_segments_that_could_widen_the_search() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let mut m = matomo.find(&subject(&[("email", BOB)])).unwrap();
    m.refs["segments"] = json!(["visitIp>=0.0.0.0;visitIp<=255.255.255.255"]);
    permanent(matomo.erase(&m));
    assert_eq!(fake.user_visits(BOB), 3);
    assert_eq!(
        fake.visits_of(|_| true).len() as u64,
        ALICE_VISITS + 3 + 2 + 4 + 2
    );
}

/// Matomo's `userId==` is SQL on a case- and trailing-space-insensitive column: the search
/// also returns `BOB+SHOP@example.com` and `bob+shop@example.com `. Those are other
/// accounts: counted as "not this person", never exported or erased, not even by the
/// erase's searches after the preview.
#[test]
fn look_alike_user_ids_are_counted_and_left_alone() {
    let fake = FakeMatomo::start();
    let upper = "BOB+SHOP@example.com";
    let padded = "bob+shop@example.com ";
    let upper_visits = fake.add_visits(1, &visitor_of(upper), Some(upper), 3, |i| 150 + i);
    let padded_visits = fake.add_visits(2, &visitor_of(padded), Some(padded), 2, |i| 160 + i);
    let look_alikes: BTreeSet<u64> = upper_visits.union(&padded_visits).copied().collect();
    let bob = ids_of(&fake.visits_of(|v| v.user_id.as_deref() == Some(BOB)));
    assert_eq!(bob.len(), 3);
    let matomo = connector(&fake);

    let m = matomo.find(&subject(&[("email", BOB)])).expect("find");
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 3)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 3)));
    assert_eq!(m.counts["log_visit"], 3);
    assert_eq!(
        m.excluded, 5,
        "the look-alikes are counted as not this person"
    );
    assert!(!m.at_least);
    let refs: BTreeSet<u64> = ref_visits(&m).iter().map(|p| p.1).collect();
    assert_eq!(refs, bob);
    // The preview's dates are Bob's alone (100–102 h), not his neighbours' (150–161 h).
    assert_eq!(m.first_seen.as_deref(), Some(datetime(100).as_str()));
    assert_eq!(m.last_seen.as_deref(), Some(datetime(102).as_str()));

    let records = matomo.export(&m).expect("export");
    assert!(records.tables["log_visit"]
        .iter()
        .all(|r| r["user_id"] == json!(BOB)));
    assert_eq!(records.tables["log_visit"].len(), 3);

    // A visit Bob makes after the preview is caught by the erase's search after it; his
    // neighbours' visits, which that search returns too, are not.
    let late = fake.add_visits(1, &visitor_of(BOB), Some(BOB), 1, |_| 170);
    let report = matomo.erase(&m).expect("erase");
    assert_eq!(report.deleted["log_visit"], 4);
    assert_eq!(fake.user_visits(BOB), 0);
    assert!(ids_of(&fake.visits_of(|_| true)).is_disjoint(&late));
    let left = ids_of(&fake.visits_of(|_| true));
    assert!(
        look_alikes.is_subset(&left),
        "the look-alikes are all still there"
    );
    assert_eq!(fake.user_visits(upper), 3);
    assert_eq!(fake.user_visits(padded), 2);
}

/// Access must be complete past Matomo's 401-visit cap: a person with 900 visits, half
/// as many look-alike visits between them and many visits sharing a second, is found,
/// exported and erased whole, and nobody else is touched.
#[test]
fn nine_hundred_visits_are_found_exported_and_erased_completely() {
    let fake = FakeMatomo::start();
    let zoe = "zoe@example.com";
    let zoe_upper = "Zoe@Example.com";
    // Three visits per hour, alternating sites: ties on the last action time everywhere,
    // and across every page boundary.
    let zoe_visits = fake.add_visits(1, &visitor_of(zoe), Some(zoe), 450, |i| 1000 + i / 3);
    let zoe_visits: BTreeSet<u64> = zoe_visits
        .union(&fake.add_visits(2, &visitor_of(zoe), Some(zoe), 450, |i| 1000 + i / 3))
        .copied()
        .collect();
    assert_eq!(zoe_visits.len(), 900);
    let look_alikes = fake.add_visits(1, &visitor_of(zoe_upper), Some(zoe_upper), 450, |i| {
        1000 + i / 3
    });
    let others = ids_of(&fake.visits_of(|v| v.user_id.as_deref() != Some(zoe)));
    let matomo = connector(&fake);

    let m = matomo.find(&subject(&[("email", zoe)])).expect("find");
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 900)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 900)));
    assert_eq!(m.counts["log_visit"], 900);
    assert_eq!(m.excluded, 450);
    assert!(!m.at_least, "paged to the end");
    let refs: BTreeSet<u64> = ref_visits(&m).iter().map(|p| p.1).collect();
    assert_eq!(refs, zoe_visits);
    // The true range, not the newest 401's.
    assert_eq!(m.first_seen.as_deref(), Some(datetime(1000).as_str()));
    assert_eq!(
        m.last_seen.as_deref(),
        Some(datetime(1000 + 449 / 3).as_str())
    );
    let searches = fake.calls("PrivacyManager.findDataSubjects").len();

    let records = matomo.export(&m).expect("export");
    let exported: BTreeSet<u64> = records.tables["log_visit"]
        .iter()
        .map(|r| r["idvisit"].as_u64().unwrap())
        .collect();
    assert_eq!(records.tables["log_visit"].len(), 900, "no visit twice");
    assert_eq!(exported, zoe_visits);
    assert_eq!(
        records.tables["log_link_visit_action"].len() as u64,
        900 * ACTIONS_PER_VISIT
    );
    assert_eq!(fake.calls("PrivacyManager.exportDataSubjects").len(), 3);

    let report = matomo.erase(&m).expect("erase");
    assert_eq!(report.deleted["log_visit"], 900);
    assert_eq!(ids_of(&fake.visits_of(|_| true)), others);
    assert!(look_alikes.is_subset(&others));
    // Pages of 401 (less the visits seen again at a page's last second): 4 for the
    // user id's 1,350 visits (look-alikes included), 3 for the visitor id's 900.
    assert_eq!(searches, 7);
    assert_eq!(fake.calls("PrivacyManager.deleteDataSubjects").len(), 3);
}

/// More visits in one second than a search returns: paging by time alone would stall,
/// so the connector pages through that second by visit id.
#[test]
fn more_visits_in_one_second_than_one_search_returns_are_all_found() {
    let fake = FakeMatomo::start();
    let tess = "tess@example.com";
    let mut tess_visits = fake.add_visits(1, &visitor_of(tess), Some(tess), 3, |i| 2000 + i);
    tess_visits.extend(fake.add_visits(2, &visitor_of(tess), Some(tess), 420, |_| 2010));
    tess_visits.extend(fake.add_visits(1, &visitor_of(tess), Some(tess), 420, |_| 2010));
    tess_visits.extend(fake.add_visits(1, &visitor_of(tess), Some(tess), 5, |i| 2020 + i));
    for site_ids in [vec![], vec![1, 2]] {
        let mut cfg = config(&fake.base_url);
        cfg.site_ids = site_ids;
        let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();
        let m = matomo.find(&subject(&[("email", tess)])).expect("find");
        assert_eq!(m.counts["log_visit"], 848);
        let refs: BTreeSet<u64> = ref_visits(&m).iter().map(|p| p.1).collect();
        assert_eq!(refs, tess_visits);
        assert!(!m.at_least);
    }
    // One site: Matomo orders by site first; the paging does not depend on it.
    let mut cfg = config(&fake.base_url);
    cfg.site_ids = vec![1];
    let m = MatomoApi::new(&cfg, TOKEN)
        .unwrap()
        .find(&subject(&[("email", tess)]))
        .expect("find");
    assert_eq!(m.counts["log_visit"], 3 + 420 + 5);
}

/// The request page tells staff, in the catalogue's words, how many of the search's
/// visits were left out as not this person.
#[actix_web::test]
async fn the_request_page_says_how_many_visits_are_not_this_person() {
    use crate::connector_flow::{alices_checked_access_request, wait_for_run};
    use crate::helpers::{spawn_app_with, Backend};
    let fake = FakeMatomo::start();
    // Alice's look-alike neighbours (the portal's Alice is ALICE above).
    fake.add_visits(
        1,
        &visitor_of("ALICE@example.com"),
        Some("ALICE@example.com"),
        2,
        |i| 5 + i,
    );
    fake.add_visits(
        2,
        &visitor_of("alice@example.com "),
        Some("alice@example.com "),
        1,
        |_| 9,
    );
    let var = format!("MATOMO_API_TOKEN_{}", std::process::id());
    std::env::set_var(&var, TOKEN);
    let mut cfg = config(&fake.base_url);
    cfg.name = "analytics".into();
    cfg.token_env = Some(var);
    let app = spawn_app_with(&Backend::Sqlite, move |s| s.connectors = vec![cfg]).await;
    let (id, handler) = alices_checked_access_request(&app).await;
    let path = format!("/staff/requests/{id}");
    handler
        .post(
            &path,
            &format!("{path}/run"),
            &[("connector", "analytics"), ("action", "find")],
        )
        .await;
    let (status, summary) = wait_for_run(&app, &id, "find").await;
    assert_eq!(status, "done", "{summary:?}");
    let (code, page) = handler.get(&path).await;
    assert_eq!(code, 200);
    assert!(
        page.contains("Not this person: 3 records"),
        "the count of look-alikes is shown"
    );
    assert!(!page.contains("lower bounds"), "the find reached the end");
}
