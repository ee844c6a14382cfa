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

#[actix_web::test]
async fn an_agent_pairs_files_every_exercise_follows_and_revokes() {
    for backend in backends() {
        let app = drp_app(&backend).await;
        let (callback, received) = start_listener();
        let agent = Agent::new(AGENT, 1);
        register(&app, &agent);

        let token = pair(&app, &agent).await;
        let (s, body) = call(
            &app,
            reqwest::Method::GET,
            &format!("/v1/agent/{AGENT}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(s, 200, "agent information: {body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("JSON"),
            json!({})
        );

        let kinds = [
            "access",
            "deletion",
            "sale:opt-out",
            "sale:opt-in",
            "access:categories",
            "access:specific",
        ];
        let mut ids = std::collections::HashMap::new();
        for (i, kind) in kinds.iter().enumerate() {
            let agent_request_id = format!("ar-{i}-{}", kind.replace(':', "-"));
            let fields = merge(
                exercise_fields(kind, &format!("consumer{i}@example.com"), true),
                json!({"status_callback": callback, "agent-request-id": agent_request_id}),
            );
            let first = ok_json(
                &format!("exercise {kind}"),
                &app,
                exercise(&app, &token, agent.body(fields)).await,
            );
            let id = first["request_id"]
                .as_str()
                .expect("request_id")
                .to_string();
            assert_uuid(&id);
            assert_eq!(first["agent_request_id"], agent_request_id.as_str());
            let received_at = assert_time(&first, "received_at");
            assert!(
                (Utc::now() - received_at).num_minutes().abs() < 5,
                "received_at is now: {first}"
            );
            if *kind == "sale:opt-in" {
                assert_eq!(
                    first["status"], "fulfilled",
                    "opt-in is done at once: {first}"
                );
                assert!(first.get("expected_by").is_none(), "{first}");
            } else {
                assert_eq!(first["status"], "in_progress", "{kind}: {first}");
                let expected_by = assert_time(&first, "expected_by");
                assert!(expected_by > received_at, "{kind}: {first}");
                assert!(
                    first.get("reason").is_none(),
                    "an attested email needs no verification: {first}"
                );
            }
            let again = ok_json(
                &format!("status of {kind}"),
                &app,
                status_of(&app, Some(&token), &id).await,
            );
            assert_eq!(again, first, "GET answers the same status for {kind}");
            ids.insert(*kind, id);
        }
        assert_eq!(app.count("drp_requests"), kinds.len() as i64);

        // A retry (a new signature, same agent-request-id) answers with the same request.
        let retry = ok_json(
            "retry",
            &app,
            exercise(
                &app,
                &token,
                agent.body(merge(
                    exercise_fields("access", "consumer0@example.com", true),
                    json!({"agent-request-id": "ar-0-access", "status_callback": callback}),
                )),
            )
            .await,
        );
        assert_eq!(retry["request_id"], ids["access"].as_str());
        assert_eq!(app.count("drp_requests"), kinds.len() as i64);

        // Staff work the access request to fulfilment; the agent hears of it.
        let access = ids["access"].clone();
        let handler = app.staff("handler").await;
        handler.verify_and_fulfil(&access).await;
        assert_eq!(
            app.request_field(&access, "status").as_deref(),
            Some("fulfilled")
        );
        let called = callback_for(&received, &access, "fulfilled").await;
        assert_eq!(called["agent_request_id"], "ar-0-access");
        let results_url = called["results_url"]
            .as_str()
            .unwrap_or_else(|| panic!("a fulfilled callback has a results_url: {called}"));
        assert!(results_url.contains("/status/"), "{results_url}");
        let now = ok_json(
            "status after fulfilment",
            &app,
            status_of(&app, Some(&token), &access).await,
        );
        assert_eq!(now["status"], "fulfilled");
        assert_eq!(now["results_url"], results_url, "one results link");
        assert!(now.get("expected_by").is_none(), "{now}");
        // The results link opens the status page.
        let path = &results_url[results_url.find("/status/").expect("path")..];
        let (s, _) = app.get(path).await;
        assert_eq!(s, 200, "results_url opens");

        // Revoking the deletion request.
        let deletion = ids["deletion"].clone();
        let revoke = agent.body(json!({"reason": "The consumer changed their mind."}));
        let revoked = ok_json(
            "revoke",
            &app,
            call(
                &app,
                reqwest::Method::DELETE,
                &format!("/v1/data-rights-request/{deletion}"),
                Some(&token),
                Some(revoke.clone()),
            )
            .await,
        );
        assert_eq!(revoked["status"], "revoked", "{revoked}");
        assert_eq!(revoked["request_id"], deletion.as_str());
        assert_eq!(
            app.request_field(&deletion, "status").as_deref(),
            Some("withdrawn")
        );
        let after = ok_json(
            "status after revoke",
            &app,
            status_of(&app, Some(&token), &deletion).await,
        );
        assert_eq!(after["status"], "revoked");
        assert_refusal(
            "replayed revoke",
            call(
                &app,
                reqwest::Method::DELETE,
                &format!("/v1/data-rights-request/{deletion}"),
                Some(&token),
                Some(revoke),
            )
            .await,
            403,
            Some(false),
        );
        callback_for(&received, &deletion, "revoked").await;
        // A closed request cannot be revoked.
        let (s, body) = call(
            &app,
            reqwest::Method::DELETE,
            &format!("/v1/data-rights-request/{access}"),
            Some(&token),
            Some(agent.body(json!({"reason": "too late"}))),
        )
        .await;
        assert!(
            (400..500).contains(&s),
            "revoking a fulfilled request: {s} {body}"
        );

        // An email the agent did not verify is verified by the business first.
        let unverified = ok_json(
            "unverified email",
            &app,
            exercise(
                &app,
                &token,
                agent.body(exercise_fields("access", "unverified@example.com", false)),
            )
            .await,
        );
        assert_eq!(unverified["status"], "in_progress");
        assert_eq!(
            unverified["reason"], "need_user_verification",
            "{unverified}"
        );
        let id = unverified["request_id"].as_str().expect("id");
        assert_eq!(
            app.request_field(id, "status").as_deref(),
            Some("submitted")
        );
        app.email_where("to confirm the email", |m| {
            m.to == "unverified@example.com" && m.text.contains("/verify/")
        })
        .await;
    }
}

#[actix_web::test]
async fn every_failure_is_answered_as_the_spec_says() {
    use reqwest::Method;
    for backend in backends() {
        let app = drp_app(&backend).await;
        let a = Agent::new(AGENT, 1);
        let b = Agent::new(OTHER, 2);
        let stranger = SigningKey::from_bytes(&[3; 32]);
        register(&app, &a);
        register(&app, &b);
        let token_a = pair(&app, &a).await;
        let token_b = pair(&app, &b).await;
        let fields = || exercise_fields("access", "jane@example.com", true);
        let filed = ok_json(
            "A files",
            &app,
            exercise(&app, &token_a, a.body(fields())).await,
        );
        let id_a = filed["request_id"].as_str().expect("id").to_string();

        assert_refusal(
            "signed with another key",
            exercise(
                &app,
                &token_a,
                seal(&stranger, &merge(a.common(), fields())),
            )
            .await,
            403,
            Some(false),
        );
        assert_refusal(
            "another agent's token for this request",
            status_of(&app, Some(&token_b), &id_a).await,
            403,
            Some(false),
        );
        assert_refusal(
            "A's body with B's token",
            exercise(&app, &token_b, a.body(fields())).await,
            403,
            Some(false),
        );
        assert_refusal(
            "another agent revokes",
            call(
                &app,
                Method::DELETE,
                &format!("/v1/data-rights-request/{id_a}"),
                Some(&token_b),
                Some(b.body(json!({"reason": "not mine"}))),
            )
            .await,
            403,
            Some(false),
        );

        let now = Utc::now();
        let timed = |issued: DateTime<Utc>, expires: DateTime<Utc>| {
            seal(
                &a.key,
                &merge(common_at(AGENT, BUSINESS, issued, expires), fields()),
            )
        };
        assert_refusal(
            "expired",
            exercise(
                &app,
                &token_a,
                timed(now - Duration::minutes(8), now - Duration::minutes(3)),
            )
            .await,
            400,
            Some(true),
        );
        assert_refusal(
            "valid for longer than the default fifteen minutes",
            exercise(
                &app,
                &token_a,
                timed(now - Duration::seconds(5), now + Duration::minutes(16)),
            )
            .await,
            400,
            Some(false),
        );
        assert_refusal(
            "issued in the future",
            exercise(
                &app,
                &token_a,
                timed(now + Duration::minutes(3), now + Duration::minutes(8)),
            )
            .await,
            400,
            Some(false),
        );
        assert_refusal(
            "wrong business",
            exercise(
                &app,
                &token_a,
                seal(
                    &a.key,
                    &merge(
                        common_at(AGENT, "CB_SOMEONE_ELSE", now, now + Duration::minutes(5)),
                        fields(),
                    ),
                ),
            )
            .await,
            403,
            Some(false),
        );

        let once = a.body(exercise_fields("deletion", "replay@example.com", true));
        ok_json(
            "first of a replay",
            &app,
            exercise(&app, &token_a, once.clone()).await,
        );
        assert_refusal(
            "replayed exercise",
            exercise(&app, &token_a, once).await,
            403,
            Some(false),
        );

        assert_refusal(
            "malformed base64",
            exercise(&app, &token_a, "this is not base64 at all!".into()).await,
            400,
            Some(false),
        );
        assert_refusal(
            "too short",
            exercise(&app, &token_a, STANDARD.encode([1u8; 64])).await,
            400,
            None,
        );
        assert_refusal(
            "unsupported version",
            exercise(
                &app,
                &token_a,
                a.body(merge(fields(), json!({"drp.version": "0.9"}))),
            )
            .await,
            400,
            None,
        );
        assert_refusal(
            "unknown exercise",
            exercise(
                &app,
                &token_a,
                a.body(merge(fields(), json!({"exercise": "teleport"}))),
            )
            .await,
            400,
            None,
        );
        assert_refusal(
            "no email claim",
            exercise(
                &app,
                &token_a,
                a.body(json!({"drp.version": "1.0", "exercise": "access", "name": "Jane"})),
            )
            .await,
            400,
            None,
        );
        assert_refusal(
            "callback is not http",
            exercise(
                &app,
                &token_a,
                a.body(merge(
                    fields(),
                    json!({"status_callback": "ftp://example.com/x"}),
                )),
            )
            .await,
            400,
            None,
        );
        let (s, body) = exercise(&app, &token_a, "A".repeat(70_000)).await;
        assert!(
            (400..500).contains(&s),
            "a 70 000-byte body is refused with a 4xx, got {s}: {body}"
        );

        assert_refusal(
            "no bearer",
            call(
                &app,
                Method::POST,
                "/v1/data-rights-request",
                None,
                Some(a.body(fields())),
            )
            .await,
            403,
            Some(false),
        );
        assert_refusal(
            "garbage bearer",
            exercise(&app, "not-a-token", a.body(fields())).await,
            403,
            Some(false),
        );
        let mut forged = token_a.clone().into_bytes();
        forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).expect("text");
        assert_refusal(
            "unknown bearer",
            exercise(&app, &forged, a.body(fields())).await,
            403,
            Some(false),
        );
        assert_refusal(
            "status without bearer",
            status_of(&app, None, &id_a).await,
            403,
            Some(false),
        );
        assert_refusal(
            "agent information with another agent's token",
            call(
                &app,
                Method::GET,
                &format!("/v1/agent/{AGENT}"),
                Some(&token_b),
                None,
            )
            .await,
            403,
            Some(false),
        );
        assert_refusal(
            "agent information without a token",
            call(&app, Method::GET, &format!("/v1/agent/{AGENT}"), None, None).await,
            403,
            Some(false),
        );

        // Pairing failures: a bare 403.
        assert_bare_403(
            "pairing with a bad signature",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{AGENT}"),
                None,
                Some(seal(
                    &stranger,
                    &merge(a.common(), json!({"drp.version": "1.0"})),
                )),
            )
            .await,
        );
        let nobody = Agent::new("AA_NOBODY", 3);
        assert_bare_403(
            "pairing an unknown agent",
            call(
                &app,
                Method::POST,
                "/v1/agent/AA_NOBODY",
                None,
                Some(nobody.pair_body()),
            )
            .await,
        );
        // B's own key signs a body naming A, sent to B's pairing URL.
        assert_bare_403(
            "agent-id in the body is not the URL's",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{OTHER}"),
                None,
                Some(seal(
                    &b.key,
                    &merge(
                        common_at(AGENT, BUSINESS, now, now + Duration::minutes(5)),
                        json!({"drp.version": "1.0"}),
                    ),
                )),
            )
            .await,
        );
        let pairing = a.pair_body();
        let (s, _) = call(
            &app,
            Method::POST,
            &format!("/v1/agent/{AGENT}"),
            None,
            Some(pairing.clone()),
        )
        .await;
        assert_eq!(s, 200, "pairing again with a fresh body");
        assert_bare_403(
            "replayed pairing",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{AGENT}"),
                None,
                Some(pairing),
            )
            .await,
        );
        assert_bare_403(
            "pairing with a malformed body",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{AGENT}"),
                None,
                Some("%%%".into()),
            )
            .await,
        );

        // Unknown request ids.
        let missing = dsar_portal::clock::new_id();
        assert_refusal(
            "unknown request id",
            status_of(&app, Some(&token_a), &missing).await,
            404,
            Some(false),
        );
        assert_refusal(
            "revoking an unknown request",
            call(
                &app,
                Method::DELETE,
                &format!("/v1/data-rights-request/{missing}"),
                Some(&token_a),
                Some(a.body(json!({"reason": "x"}))),
            )
            .await,
            404,
            None,
        );

        // A disabled agent's token stops working, and it cannot pair again.
        app.db(|c| {
            dsar_portal::flows::drp_directory::set_enabled(
                c,
                OTHER,
                false,
                "test",
                dsar_portal::clock::now(),
            )
            .expect("disable")
        });
        assert_refusal(
            "disabled agent files",
            exercise(&app, &token_b, b.body(fields())).await,
            403,
            Some(false),
        );
        assert_refusal(
            "disabled agent's information",
            call(
                &app,
                Method::GET,
                &format!("/v1/agent/{OTHER}"),
                Some(&token_b),
                None,
            )
            .await,
            403,
            Some(false),
        );
        assert_bare_403(
            "disabled agent pairs",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{OTHER}"),
                None,
                Some(b.pair_body()),
            )
            .await,
        );

        // Nothing refused was filed, and A's token still works.
        assert_eq!(
            app.count("drp_requests"),
            2,
            "only the two accepted exercises"
        );
        let (s, _) = status_of(&app, Some(&token_a), &id_a).await;
        assert_eq!(s, 200);
    }
}

#[actix_web::test]
async fn the_api_is_off_without_a_business_id() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.rate_limits.enabled = false).await;
        let a = Agent::new(AGENT, 1);
        register(&app, &a);
        let (s, _) = app.get(&format!("/v1/agent/{AGENT}")).await;
        assert_eq!(s, 404, "GET agent ({})", app.backend);
        let (s, _) = call(
            &app,
            reqwest::Method::POST,
            &format!("/v1/agent/{AGENT}"),
            None,
            Some(a.pair_body()),
        )
        .await;
        assert_eq!(s, 404, "pairing");
        let (s, body) = call(
            &app,
            reqwest::Method::POST,
            "/v1/data-rights-request",
            Some("anything"),
            Some(a.body(exercise_fields("access", "jane@example.com", true))),
        )
        .await;
        assert_eq!(s, 404, "exercise");
        // Agents are programs: the protocol's error object, never an HTML page.
        let error: Value = serde_json::from_str(&body).expect("a JSON error object");
        assert_eq!(error["code"], "404", "{body}");
        assert_eq!(
            error["fatal"], false,
            "nothing moves to a final state: {body}"
        );
    }
}

#[actix_web::test]
async fn calls_are_rate_limited() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.drp.business_id = Some(BUSINESS.into());
            s.rate_limits.enabled = true;
            s.rate_limits.drp_per_minute = 3;
        })
        .await;
        let mut statuses = Vec::new();
        let mut last = String::new();
        for _ in 0..5 {
            let (s, body) = app.get(&format!("/v1/agent/{AGENT}")).await;
            statuses.push(s);
            last = body;
        }
        assert_eq!(statuses[..3], [403, 403, 403], "{statuses:?}");
        assert_eq!(statuses[3..], [429, 429], "{statuses:?}");
        let error: Value = serde_json::from_str(&last).expect("a JSON error object");
        assert_eq!(error["code"], "429", "{last}");
        assert_eq!(error["fatal"], false, "worth retrying later: {last}");
    }
}
