//! The Matomo API connector against a fake Matomo started by each test.
//!
//! Plain `#[test]`s: the connector uses reqwest's blocking client, which must not run
//! inside an async runtime. The fake runs actix-web on its own `System` in a thread and
//! follows the PrivacyManager wire format: only `POST /index.php` with a form body
//! (anything else gets Matomo's error JSON), token_auth checked, segments decoded the way
//! Matomo decodes them, at most 401 visits per search, `visits[N][idsite|idvisit]` for
//! export and delete, and an in-memory store that deletes really remove from. It records
//! every request so that tests can check what went over the wire.

use crate::helpers::{
    key, matomo_config, ref_visits, sha1_hex, subject, visitor_hex as visitor_of, FakeServer,
};
use actix_web::{web, HttpRequest, HttpResponse};
use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::matomo_api::MatomoApi;
use dsar_portal::connectors::{Connector, ConnectorError, Strength};
use serde_json::{json, Value as Json};
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
    _server: FakeServer,
}

impl FakeMatomo {
    fn start() -> FakeMatomo {
        FakeMatomo::start_with_salt("unused-salt")
    }

    fn start_with_salt(salt: &str) -> FakeMatomo {
        let state: Shared = Arc::new(Mutex::new(initial_store(salt)));
        let data = web::Data::new(state.clone());
        let server = FakeServer::start("the fake Matomo", move |cfg| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                .default_service(web::to(matomo));
        });
        FakeMatomo {
            // No trailing slash: the connector must add exactly one.
            base_url: format!("http://127.0.0.1:{}", server.port),
            state,
            _server: server,
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

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn config(base_url: &str) -> ConnectorConfig {
    matomo_config("matomo_api", "matomo_", Some(base_url))
}

fn connector(fake: &FakeMatomo) -> MatomoApi {
    MatomoApi::new(&config(&fake.base_url), TOKEN).expect("connector")
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

mod finding;
mod protocol;
mod wire;

use wire::matomo;
