//! The Data Rights Protocol 1.0 API.
//!
//! A test agent (an Ed25519 key registered in the directory) pairs with the running
//! portal, files every kind of exercise, reads statuses, receives status callbacks on a
//! real local HTTP listener and revokes; every refusal the spec defines is checked for
//! its status and `{code, message, fatal}` body, and never a 5xx. `fatal` is true only
//! for an expired exercise (§2.01, §3.06): no other refusal ends a request.

use crate::helpers::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const BUSINESS: &str = "CB_TEST";
const AGENT: &str = "AA_TEST";
const OTHER: &str = "AA_OTHER";

/// An authorized agent: its directory id and signing key.
struct Agent {
    id: &'static str,
    key: SigningKey,
}

impl Agent {
    fn new(id: &'static str, seed: u8) -> Agent {
        Agent {
            id,
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    fn verify_key(&self) -> String {
        STANDARD.encode(self.key.verifying_key().to_bytes())
    }

    /// The claims every signed body carries, valid for five minutes from now.
    /// Signatures are deterministic, so each body gets its own issued-at (two bodies
    /// made in the same second would otherwise be byte-identical, i.e. replays).
    fn common(&self) -> Value {
        static SEQ: AtomicI64 = AtomicI64::new(0);
        let n = SEQ.fetch_add(1, Ordering::SeqCst) % 200;
        let now = Utc::now();
        common_at(
            self.id,
            BUSINESS,
            now - Duration::seconds(5 + n),
            now + Duration::minutes(5),
        )
    }

    /// `extra` merged over the common claims, signed by this agent.
    fn body(&self, extra: Value) -> String {
        seal(&self.key, &merge(self.common(), extra))
    }

    fn pair_body(&self) -> String {
        self.body(json!({"drp.version": "1.0"}))
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn common_at(agent: &str, business: &str, issued: DateTime<Utc>, expires: DateTime<Utc>) -> Value {
    json!({
        "agent-id": agent,
        "business-id": business,
        "issued-at": ts(issued),
        "expires-at": ts(expires),
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    let map = base.as_object_mut().expect("object");
    for (k, v) in extra.as_object().expect("object") {
        map.insert(k.clone(), v.clone());
    }
    base
}

/// base64(signature || json): libsodium's combined mode.
fn seal(key: &SigningKey, message: &Value) -> String {
    let json = message.to_string().into_bytes();
    let mut combined = key.sign(&json).to_bytes().to_vec();
    combined.extend_from_slice(&json);
    STANDARD.encode(combined)
}

fn exercise_fields(exercise: &str, email: &str, verified: bool) -> Value {
    json!({
        "drp.version": "1.0",
        "exercise": exercise,
        "regime": "ccpa",
        "name": "Jane Doe",
        "email": email,
        "email_verified": verified,
    })
}

async fn drp_app(backend: &Backend) -> TestApp {
    spawn_app_with(backend, |s| {
        s.drp.business_id = Some(BUSINESS.into());
        s.rate_limits.enabled = false;
    })
    .await
}

fn register(app: &TestApp, agent: &Agent) {
    app.add_drp_agent(agent.id, &agent.verify_key());
}

/// Sends one DRP call; returns (status, body text).
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, String) {
    let mut rb = app.client.request(method, app.url(path));
    if let Some(t) = token {
        rb = rb.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        rb = rb.header("Content-Type", "text/plain").body(b);
    }
    let r = rb.send().await.expect("DRP call");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

async fn pair(app: &TestApp, agent: &Agent) -> String {
    let (s, body) = call(
        app,
        reqwest::Method::POST,
        &format!("/v1/agent/{}", agent.id),
        None,
        Some(agent.pair_body()),
    )
    .await;
    assert_eq!(s, 200, "pairing {} ({}): {body}", agent.id, app.backend);
    let v: Value = serde_json::from_str(&body).expect("pairing answer is JSON");
    assert_eq!(v["agent-id"], agent.id);
    let token = v["token"].as_str().expect("token").to_string();
    assert!(!token.is_empty());
    token
}

async fn exercise(app: &TestApp, token: &str, body: String) -> (u16, String) {
    call(
        app,
        reqwest::Method::POST,
        "/v1/data-rights-request",
        Some(token),
        Some(body),
    )
    .await
}

async fn status_of(app: &TestApp, token: Option<&str>, id: &str) -> (u16, String) {
    call(
        app,
        reqwest::Method::GET,
        &format!("/v1/data-rights-request/{id}"),
        token,
        None,
    )
    .await
}

fn ok_json(what: &str, app: &TestApp, (status, body): (u16, String)) -> Value {
    assert_eq!(status, 200, "{what} ({}): {body}", app.backend);
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"))
}

/// A refusal in the spec's shape: `{code: "<status>", message, fatal}`.
fn assert_refusal(what: &str, got: (u16, String), status: u16, fatal: Option<bool>) {
    let (s, body) = got;
    assert_eq!(s, status, "{what}: {body}");
    let v: Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {body}"));
    assert_eq!(v["code"], status.to_string(), "{what}: {v}");
    let message = v["message"].as_str().unwrap_or_default();
    assert!(!message.trim().is_empty(), "{what}: message: {v}");
    let f = v["fatal"]
        .as_bool()
        .unwrap_or_else(|| panic!("{what}: fatal must be a boolean: {v}"));
    if let Some(expected) = fatal {
        assert_eq!(f, expected, "{what}: fatal: {v}");
    }
}

/// Pairing refusals are a bare 403.
fn assert_bare_403(what: &str, (status, body): (u16, String)) {
    assert_eq!(status, 403, "{what}: {body}");
    assert!(body.is_empty(), "{what}: the body must be empty: {body}");
}

fn assert_uuid(id: &str) {
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "request_id {id} is a UUID"
    );
    assert_eq!(id.len(), 36, "hyphenated UUID: {id}");
}

fn assert_time(v: &Value, field: &str) -> DateTime<Utc> {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} missing: {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{field} is not RFC 3339 ({e}): {v}"))
        .with_timezone(&Utc)
}

/// A tiny HTTP server recording the JSON bodies posted to it (answers 200).
fn start_listener() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind listener");
    let addr = listener.local_addr().expect("address");
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let store = store.clone();
            std::thread::spawn(move || serve_one(stream, store));
        }
    });
    (format!("http://{addr}/drp/status-callback"), got)
}

fn serve_one(mut s: TcpStream, store: Arc<Mutex<Vec<Value>>>) {
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(10)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let end = (header_end + len).min(buf.len());
    if let Ok(v) = serde_json::from_slice::<Value>(&buf[header_end..end]) {
        store.lock().expect("store").push(v);
    }
    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

/// Waits for a callback about `id` with `status`.
async fn callback_for(got: &Arc<Mutex<Vec<Value>>>, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let found = got
            .lock()
            .expect("store")
            .iter()
            .find(|v| v["request_id"] == id && v["status"] == status)
            .cloned();
        if let Some(v) = found {
            return v;
        }
        if Instant::now() > deadline {
            panic!(
                "no {status} callback for {id}; received: {:?}",
                got.lock().expect("store")
            );
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

mod availability;
mod refusals;
mod whole_flow;
