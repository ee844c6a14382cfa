//! The webhook connector against a real HTTP receiver started by each test.
//!
//! Plain `#[test]`s: the connector uses reqwest's blocking client, which must not run
//! inside an async runtime. The receiver runs actix-web on its own `System` in a thread,
//! checks every request's signature with the portal's own `verify` (401 when it fails),
//! keeps an in-memory "orders" table for two customers and records what it received.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
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
    system: actix_web::rt::System,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start(mode: Mode) -> Receiver {
        let state: Shared = Arc::new(Mutex::new(State {
            mode,
            orders: all_orders(),
            received: Vec::new(),
        }));
        let data = web::Data::new(state.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .default_service(web::to(receive))
                })
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .expect("bind the receiver");
                let port = server.addrs()[0].port();
                actix_web::rt::spawn(server.run());
                tx.send((port, actix_web::rt::System::current()))
                    .expect("report the port");
            });
            let _ = system.run();
        });
        let (port, system) = rx.recv().expect("the receiver starts");
        Receiver {
            url: format!("http://127.0.0.1:{port}/dsar"),
            state,
            system,
            thread: Some(thread),
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

impl Drop for Receiver {
    fn drop(&mut self) {
        self.system.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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

fn subject(pairs: &[(&str, &str)]) -> Subject {
    Subject {
        identities: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
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

#[test]
fn webhook_find_export_erase_round_trip() {
    let receiver = Receiver::start(Mode::Normal);
    let hook = connector(&receiver.url);
    assert_eq!(hook.name(), "shop");
    hook.check().expect("ping");

    let matches = hook.find(&alice()).expect("find");
    assert!(matches.actionable());
    assert_eq!(
        matches.keys,
        vec![KeyMatch {
            key: "account_id".into(),
            strength: Strength::Strong,
            records: 3,
        }]
    );
    assert_eq!(matches.counts, BTreeMap::from([("orders".to_string(), 3)]));
    assert_eq!(matches.first_seen.as_deref(), Some("2024-03-01T10:00:00Z"));
    assert_eq!(matches.last_seen, None);
    assert_eq!(
        matches.refs,
        json!({"account": ALICE_ACCOUNT, "order_ids": ["o-1", "o-2", "o-3"]})
    );

    let records = hook.export(&matches).expect("export");
    assert_eq!(records.tables.len(), 1);
    let exported: Vec<&str> = records.tables["orders"]
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(exported, ["o-1", "o-2", "o-3"]);
    assert_eq!(records.tables["orders"][2]["item"], json!("kettle"));

    let report = hook.erase(&matches).expect("erase");
    assert_eq!(report.deleted, BTreeMap::from([("orders".to_string(), 3)]));
    assert!(report.follow_up.is_empty());
    assert!(receiver.order_ids(ALICE_ACCOUNT).is_empty());
    assert_eq!(receiver.order_ids(BOB_ACCOUNT), ["o-4", "o-5"]);

    // Idempotent: the same refs again delete nothing, and the other customer is intact.
    let again = hook.erase(&matches).expect("second erase");
    assert_eq!(again.deleted, BTreeMap::from([("orders".to_string(), 0)]));
    assert_eq!(receiver.order_ids(BOB_ACCOUNT), ["o-4", "o-5"]);

    // A fresh find now finds nothing to act on.
    let after = hook.find(&alice()).expect("find after erase");
    assert!(!after.actionable());
    assert!(after.is_empty());

    assert_eq!(
        hook.opt_out(&alice()).expect("opt out"),
        OptOutOutcome::Done
    );
    let stranger = subject(&[("account_id", "acct-unknown")]);
    assert_eq!(
        hook.opt_out(&stranger).expect("opt out"),
        OptOutOutcome::Unsupported
    );

    // Every request was signed correctly, and each call had its own run id.
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 8);
    assert!(receiver.verified().iter().all(|v| *v));
    let events: Vec<&str> = bodies
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["ping", "find", "export", "erase", "erase", "find", "opt_out", "opt_out"]
    );
    assert_eq!(bodies[0], json!({"event": "ping"}));
    let run_ids: BTreeSet<&str> = bodies[1..]
        .iter()
        .map(|b| b["run_id"].as_str().expect("run_id"))
        .collect();
    assert_eq!(run_ids.len(), 7);
    assert!(bodies[1..].iter().all(|b| b["connector"] == json!("shop")));
    // Export and erase send the refs exactly as find returned them.
    assert_eq!(bodies[2]["matches"], matches.refs);
    assert_eq!(bodies[3]["matches"], matches.refs);
}

#[test]
fn webhook_bodies_carry_only_the_subjects_own_identities() {
    let receiver = Receiver::start(Mode::Normal);
    let hook = connector(&receiver.url);
    // A blank identity is not sent at all.
    let person = subject(&[
        ("account_id", ALICE_ACCOUNT),
        ("email", ALICE_EMAIL),
        ("phone", "   "),
    ]);
    let matches = hook.find(&person).expect("find");
    hook.export(&matches).expect("export");
    hook.erase(&matches).expect("erase");
    hook.opt_out(&person).expect("opt out");

    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 4);
    for with_subject in [&bodies[0], &bodies[3]] {
        assert_eq!(
            object_keys(with_subject),
            BTreeSet::from(["event", "connector", "run_id", "subject"])
        );
        assert_eq!(
            with_subject["subject"],
            json!({"account_id": ALICE_ACCOUNT, "email": ALICE_EMAIL})
        );
    }
    for with_matches in [&bodies[1], &bodies[2]] {
        assert_eq!(
            object_keys(with_matches),
            BTreeSet::from(["event", "connector", "run_id", "matches"])
        );
    }
    for raw in receiver.raw_bodies() {
        assert!(!raw.contains(BOB_ACCOUNT) && !raw.contains(BOB_EMAIL));
        assert!(!raw.contains(SECRET));
        assert!(!raw.contains("phone"));
    }
    // Export and erase carry no identity of their own, only the system's refs.
    for raw in &receiver.raw_bodies()[1..3] {
        assert!(!raw.contains(ALICE_EMAIL));
    }
}

#[test]
fn webhook_refuses_weak_matches_without_calling() {
    let receiver = Receiver::start(Mode::Normal);
    let hook = connector(&receiver.url);
    let weak = Matches {
        keys: vec![KeyMatch {
            key: "ip".into(),
            strength: Strength::Weak,
            records: 40,
        }],
        counts: BTreeMap::from([("orders".to_string(), 40)]),
        refs: json!({"account": BOB_ACCOUNT, "order_ids": ["o-4", "o-5"]}),
        ..Matches::default()
    };
    assert!(matches!(
        hook.export(&weak),
        Err(ConnectorError::Permanent(_))
    ));
    assert!(matches!(
        hook.erase(&weak),
        Err(ConnectorError::Permanent(_))
    ));
    assert!(matches!(
        hook.find(&Subject::default()),
        Err(ConnectorError::Permanent(_))
    ));
    assert!(receiver.bodies().is_empty());
    assert_eq!(receiver.order_ids(BOB_ACCOUNT), ["o-4", "o-5"]);
}

#[test]
fn webhook_wrong_secret_is_refused_permanently() {
    let receiver = Receiver::start(Mode::Normal);
    let hook = Webhook::new(&config(&receiver.url), "not-the-shared-secret").expect("connector");
    let err = hook.find(&alice()).expect_err("a 401");
    match err {
        ConnectorError::Permanent(message) => {
            assert!(message.contains("401"), "{message}");
            assert!(!message.contains("not-the-shared-secret"), "{message}");
            assert!(!message.contains(ALICE_ACCOUNT), "{message}");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert!(matches!(hook.check(), Err(ConnectorError::Permanent(_))));
    assert_eq!(receiver.verified(), [false, false]);
    assert_eq!(receiver.order_ids(ALICE_ACCOUNT).len(), 3);
}

#[test]
fn webhook_replayed_request_with_old_timestamp_is_rejected() {
    let receiver = Receiver::start(Mode::Normal);
    let body = br#"{"event":"erase","connector":"shop","run_id":"r","matches":{"account":"acct-bob-2002","order_ids":["o-4","o-5"]}}"#;
    let old = now() - 3600;
    let signature = sign(SECRET.as_bytes(), old, body);
    // Valid when it was made…
    assert!(verify(
        SECRET.as_bytes(),
        &old.to_string(),
        &signature,
        body,
        old + 10,
        DEFAULT_REPLAY_WINDOW_SECS
    ));
    // …refused by `verify` now, and so by the receiver.
    assert!(!verify(
        SECRET.as_bytes(),
        &old.to_string(),
        &signature,
        body,
        now(),
        DEFAULT_REPLAY_WINDOW_SECS
    ));
    let status = reqwest::blocking::Client::new()
        .post(&receiver.url)
        .header("Content-Type", "application/json")
        .header("X-DSAR-Timestamp", old.to_string())
        .header("X-DSAR-Signature", signature)
        .body(body.to_vec())
        .send()
        .expect("the receiver answers")
        .status();
    assert_eq!(status.as_u16(), 401);
    assert_eq!(receiver.order_ids(BOB_ACCOUNT), ["o-4", "o-5"]);
}

#[test]
fn webhook_sign_and_verify() {
    let secret = b"whsec_test";
    let body = br#"{"event":"ping"}"#;
    // Pinned: `printf '1700000000.{"event":"ping"}' | openssl dgst -sha256 -hmac whsec_test`.
    let signature = sign(secret, 1_700_000_000, body);
    assert_eq!(
        signature,
        "v1=aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447"
    );
    let ok = |ts: &str, sig: &str, body: &[u8], now: i64| {
        verify(secret, ts, sig, body, now, DEFAULT_REPLAY_WINDOW_SECS)
    };
    assert!(ok("1700000000", &signature, body, 1_700_000_000));
    // Within the window either way (clock skew), not beyond it.
    assert!(ok("1700000000", &signature, body, 1_700_000_300));
    assert!(ok("1700000000", &signature, body, 1_699_999_700));
    assert!(!ok("1700000000", &signature, body, 1_700_000_301));
    assert!(!ok("1700000000", &signature, body, 1_699_999_699));
    // One body byte changed.
    let mut tampered = body.to_vec();
    tampered[3] ^= 0x01;
    assert!(!ok("1700000000", &signature, &tampered, 1_700_000_000));
    // Another timestamp, another secret, a changed or truncated signature, no version.
    assert!(!ok("1700000001", &signature, body, 1_700_000_000));
    assert!(!verify(
        b"other",
        "1700000000",
        &signature,
        body,
        1_700_000_000,
        300
    ));
    let mut flipped = signature.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
    assert!(!ok(
        "1700000000",
        std::str::from_utf8(&flipped).unwrap(),
        body,
        1_700_000_000
    ));
    assert!(!ok("1700000000", &signature[..20], body, 1_700_000_000));
    assert!(!ok("1700000000", &signature[3..], body, 1_700_000_000));
    assert!(!ok("1700000000", "v1=", body, 1_700_000_000));
    assert!(!ok("1700000000", "v1=zz", body, 1_700_000_000));
    assert!(!ok("", &signature, body, 1_700_000_000));
    assert!(!ok("+1700000000", &signature, body, 1_700_000_000));
    assert!(!ok("not a time", &signature, body, 1_700_000_000));
    // Extreme values neither overflow nor pass.
    assert!(!ok(&i64::MIN.to_string(), &signature, body, i64::MAX));
    assert!(!verify(
        secret,
        "1700000000",
        &signature,
        body,
        1_700_000_000,
        -1
    ));
}

#[test]
fn webhook_server_errors_are_temporary() {
    for code in [500, 503, 429] {
        let receiver = Receiver::start(Mode::Status(code));
        let hook = connector(&receiver.url);
        match hook.find(&alice()) {
            Err(ConnectorError::Temporary(message)) => {
                assert!(message.contains(&code.to_string()), "{message}")
            }
            other => panic!("{code}: expected a temporary error, got {other:?}"),
        }
        assert!(matches!(hook.check(), Err(ConnectorError::Temporary(_))));
    }
}

#[test]
fn webhook_client_errors_are_permanent() {
    for code in [400, 404, 422] {
        let receiver = Receiver::start(Mode::Status(code));
        let hook = connector(&receiver.url);
        assert!(
            matches!(hook.find(&alice()), Err(ConnectorError::Permanent(_))),
            "{code}"
        );
    }
    // Redirects are not followed: personal data goes to the configured address only.
    let receiver = Receiver::start(Mode::Status(307));
    let hook = connector(&receiver.url);
    assert!(matches!(
        hook.find(&alice()),
        Err(ConnectorError::Permanent(_))
    ));
    assert_eq!(receiver.bodies().len(), 1);
}

#[test]
fn webhook_accepted_waits_for_the_callback() {
    let receiver = Receiver::start(Mode::Status(202));
    let hook = connector(&receiver.url);
    // The call waits for a callback that names the run_id the portal sent.
    match hook.find(&alice()) {
        Err(ConnectorError::Accepted { call_id }) => {
            assert_eq!(receiver.bodies()[0]["run_id"], call_id.as_str());
        }
        other => panic!("expected an accepted call, got {other:?}"),
    }
    // For check, any 2xx will do.
    hook.check().expect("202 is fine for a ping");
}

#[test]
fn webhook_unparseable_answer_is_permanent() {
    let receiver = Receiver::start(Mode::Garbage);
    let hook = connector(&receiver.url);
    match hook.find(&alice()) {
        Err(ConnectorError::Permanent(message)) => {
            assert_eq!(message, "the system answered in an unexpected format")
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[test]
fn webhook_unreachable_or_slow_endpoint_is_temporary() {
    let hook = connector("http://127.0.0.1:1/dsar");
    match hook.find(&alice()) {
        Err(ConnectorError::Temporary(message)) => {
            assert!(!message.contains("127.0.0.1"), "{message}")
        }
        other => panic!("expected a temporary error, got {other:?}"),
    }
    assert!(matches!(hook.check(), Err(ConnectorError::Temporary(_))));

    let receiver = Receiver::start(Mode::Slow);
    let mut cfg = config(&receiver.url);
    cfg.timeout_seconds = 1;
    let hook = Webhook::new(&cfg, SECRET).expect("connector");
    assert!(matches!(
        hook.find(&alice()),
        Err(ConnectorError::Temporary(_))
    ));
}

#[test]
fn webhook_config_is_checked_when_built() {
    let mut cfg = config("http://127.0.0.1:1/dsar");
    assert!(Webhook::new(&cfg, "   ").is_err());
    cfg.base_url = None;
    assert!(Webhook::new(&cfg, SECRET).is_err());
    cfg.base_url = Some("ftp://example.com/".into());
    assert!(Webhook::new(&cfg, SECRET).is_err());
    cfg.base_url = Some("https://user:pa55word@[not a url".into());
    match Webhook::new(&cfg, SECRET) {
        Err(ConnectorError::Permanent(message)) => assert!(!message.contains("pa55word")),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    // Building needs no runtime and makes no connection; the Debug form hides the secret.
    cfg.base_url = Some("https://hooks.example.com/dsar".into());
    let hook = Webhook::new(&cfg, SECRET).expect("connector");
    assert!(!format!("{hook:?}").contains(SECRET));
}
