//! The webhook connector against a real HTTP receiver started by each test.
//!
//! Plain `#[test]`s: the connector uses reqwest's blocking client, which must not run
//! inside an async runtime. The receiver runs actix-web on its own `System` in a thread,
//! checks every request's signature with the portal's own `verify` (401 when it fails),
//! keeps an in-memory "orders" table for two customers and records what it received.

use crate::helpers::{subject, FakeServer};
use actix_web::{web, HttpRequest, HttpResponse};
use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::webhook::{sign, verify, Webhook, DEFAULT_REPLAY_WINDOW_SECS};
use dsar_portal::connectors::{
    Connector, ConnectorError, KeyMatch, Matches, OptOutOutcome, Strength, Subject,
};
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_test-shared-secret";
const ALICE_ACCOUNT: &str = "acct-alice-1001";
const ALICE_EMAIL: &str = "alice@example.com";
const BOB_ACCOUNT: &str = "acct-bob-2002";
const BOB_EMAIL: &str = "bob@example.com";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// How the receiver answers requests whose signature is valid.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Per the contract.
    Normal,
    /// This status with an empty body.
    Status(u16),
    /// 200 with a body that is not the contract's JSON.
    Garbage,
    /// Sleeps past the connector's timeout.
    Slow,
}

struct Received {
    body: Vec<u8>,
    verified: bool,
}

struct State {
    mode: Mode,
    /// Orders by account id.
    orders: BTreeMap<String, Vec<Map<String, Json>>>,
    received: Vec<Received>,
}

type Shared = Arc<Mutex<State>>;

fn order(id: &str, item: &str, cents: u64) -> Map<String, Json> {
    match json!({"order_id": id, "item": item, "total_cents": cents}) {
        Json::Object(map) => map,
        _ => unreachable!(),
    }
}

fn all_orders() -> BTreeMap<String, Vec<Map<String, Json>>> {
    BTreeMap::from([
        (
            ALICE_ACCOUNT.to_string(),
            vec![
                order("o-1", "tea", 450),
                order("o-2", "cups", 1200),
                order("o-3", "kettle", 3999),
            ],
        ),
        (
            BOB_ACCOUNT.to_string(),
            vec![order("o-4", "coffee", 700), order("o-5", "filter", 300)],
        ),
    ])
}

/// The organisation's system, as a webhook receiver on 127.0.0.1.
struct Receiver {
    url: String,
    state: Shared,
    _server: FakeServer,
}

impl Receiver {
    fn start(mode: Mode) -> Receiver {
        let state: Shared = Arc::new(Mutex::new(State {
            mode,
            orders: all_orders(),
            received: Vec::new(),
        }));
        let data = web::Data::new(state.clone());
        let server = FakeServer::start("the receiver", move |cfg| {
            cfg.app_data(data.clone()).default_service(web::to(receive));
        });
        Receiver {
            url: format!("http://127.0.0.1:{}/dsar", server.port),
            state,
            _server: server,
        }
    }

    fn bodies(&self) -> Vec<Json> {
        self.state
            .lock()
            .unwrap()
            .received
            .iter()
            .map(|r| serde_json::from_slice(&r.body).expect("the portal sends JSON"))
            .collect()
    }

    fn raw_bodies(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .received
            .iter()
            .map(|r| String::from_utf8(r.body.clone()).expect("UTF-8"))
            .collect()
    }

    fn verified(&self) -> Vec<bool> {
        let state = self.state.lock().unwrap();
        state.received.iter().map(|r| r.verified).collect()
    }

    fn order_ids(&self, account: &str) -> Vec<String> {
        self.state.lock().unwrap().orders[account]
            .iter()
            .map(|o| o["order_id"].as_str().unwrap().to_string())
            .collect()
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<Shared>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let verified = header("content-type") == "application/json"
        && verify(
            SECRET.as_bytes(),
            &header("x-dsar-timestamp"),
            &header("x-dsar-signature"),
            &body,
            now(),
            DEFAULT_REPLAY_WINDOW_SECS,
        );
    let mode = {
        let mut state = state.lock().unwrap();
        state.received.push(Received {
            body: body.to_vec(),
            verified,
        });
        state.mode
    };
    if !verified {
        return HttpResponse::Unauthorized().finish();
    }
    match mode {
        Mode::Status(code) => {
            let status = actix_web::http::StatusCode::from_u16(code).expect("status");
            return HttpResponse::build(status).finish();
        }
        Mode::Garbage => {
            return HttpResponse::Ok()
                .content_type("text/html")
                .body("<html>Welcome to nginx!</html>")
        }
        Mode::Slow => {
            actix_web::rt::time::sleep(Duration::from_secs(3)).await;
            return HttpResponse::Ok().json(json!({"keys": []}));
        }
        Mode::Normal => {}
    }
    let Ok(request) = serde_json::from_slice::<Json>(&body) else {
        return HttpResponse::BadRequest().finish();
    };
    let mut state = state.lock().unwrap();
    let answer = match request["event"].as_str() {
        Some("ping") => json!({"pong": true}),
        Some("find") => {
            let account = request["subject"]["account_id"].as_str().unwrap_or("");
            let ids: Vec<Json> = state
                .orders
                .get(account)
                .map(|orders| orders.iter().map(|o| o["order_id"].clone()).collect())
                .unwrap_or_default();
            json!({
                "keys": [{"key": "account_id", "strength": "strong", "records": ids.len()}],
                "counts": {"orders": ids.len()},
                "refs": {"account": account, "order_ids": ids},
                "first_seen": "2024-03-01T10:00:00Z",
                "last_seen": null,
            })
        }
        Some(event @ ("export" | "erase")) => {
            let account = request["matches"]["account"].as_str().unwrap_or("");
            let ids: BTreeSet<&str> = request["matches"]["order_ids"]
                .as_array()
                .map(|ids| ids.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default();
            let Some(orders) = state.orders.get_mut(account) else {
                return HttpResponse::NotFound().finish();
            };
            let wanted = |o: &Map<String, Json>| ids.contains(o["order_id"].as_str().unwrap());
            if event == "export" {
                let rows: Vec<_> = orders.iter().filter(|o| wanted(o)).cloned().collect();
                json!({"tables": {"orders": rows}})
            } else {
                let before = orders.len();
                orders.retain(|o| !wanted(o));
                json!({"deleted": {"orders": before - orders.len()}, "follow_up": []})
            }
        }
        Some("opt_out") => match request["subject"]["account_id"].as_str() {
            Some(account) if state.orders.contains_key(account) => json!({"opt_out": "done"}),
            _ => json!({"opt_out": "unsupported"}),
        },
        _ => return HttpResponse::BadRequest().finish(),
    };
    HttpResponse::Ok().json(answer)
}

fn config(base_url: &str) -> ConnectorConfig {
    crate::helpers::webhook_config("shop", base_url)
}

fn connector(base_url: &str) -> Webhook {
    Webhook::new(&config(base_url), SECRET).expect("connector")
}

fn alice() -> Subject {
    subject(&[("account_id", ALICE_ACCOUNT), ("email", ALICE_EMAIL)])
}

fn object_keys(value: &Json) -> BTreeSet<&str> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

mod failures;
mod round_trip;
