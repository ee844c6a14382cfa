//! A Data Rights Protocol agent written from the DRP 1.0 text alone, making the
//! reference agent's (OSIRAA's) choices, against the running portal.
//!
//! Nothing here comes from the portal's code: the envelope is built as §3.07.1 says
//! (the Ed25519 signature over the JSON, the JSON after it, base64 of both, sent as
//! `text/plain`), the bodies are the JSON objects of §2.01, §2.04 and §2.05, written
//! the way Python's `json.dumps` writes them (`", "` and `": "` between members), and
//! the answers are read as §3.03 and §3.06 describe them. From OSIRAA it takes what the
//! spec leaves open: 15-minute validity windows, timestamps in milliseconds with a
//! `+00:00` offset, the same fixed `{"reason": …}` body for every revoke, and a revoke
//! sent without a `Content-Type`.

use crate::helpers::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};

pub const BUSINESS: &str = "CB_SPEC";
const AGENT: &str = "AA_SPEC";
/// OSIRAA's revoke reason, the same for every request it revokes.
const REVOKE_REASON: &str = "I don't want my account deleted.";
const EXERCISE_PATH: &str = "/v1/data-rights-request";

/// The agent: its directory id, its signing key and the validity window it signs.
pub struct SpecAgent {
    pub id: &'static str,
    key: SigningKey,
    window: Duration,
    token: Option<String>,
}

/// What the portal answered: HTTP status, the `Content-Type` and the body.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// §3.06: a non-200 answer with `{code, message, fatal}`, `code` the status as text.
    pub fn error(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert!(
            self.content_type.starts_with("application/json"),
            "an error is application/json, not {:?}: {}",
            self.content_type,
            self.body
        );
        let v = self.json();
        assert_eq!(v["code"], status.to_string(), "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(v["fatal"].is_boolean() || v.get("fatal").is_none(), "{v}");
        v
    }

    pub fn ok(&self, what: &str) -> Value {
        assert_eq!(self.status, 200, "{what}: {}", self.body);
        self.json()
    }
}

/// `json.dumps` of an object: members separated by `", "`, keys from values by `": "`.
fn dumps(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let members: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), dumps(v)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(dumps).collect();
            format!("[{}]", items.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

/// `datetime.isoformat(timespec='milliseconds')` of an aware UTC time.
pub fn iso_ms(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

impl SpecAgent {
    /// An agent signing OSIRAA's 15-minute windows.
    pub fn new(id: &'static str, seed: u8) -> SpecAgent {
        SpecAgent::with_window(id, seed, Duration::minutes(15))
    }

    pub fn with_window(id: &'static str, seed: u8, window: Duration) -> SpecAgent {
        SpecAgent {
            id,
            key: SigningKey::from_bytes(&[seed; 32]),
            window,
            token: None,
        }
    }

    /// The same agent and token, signing windows of another length.
    pub fn signing_for(&self, window: Duration) -> SpecAgent {
        SpecAgent {
            id: self.id,
            key: self.key.clone(),
            window,
            token: self.token.clone(),
        }
    }

    /// The verify key as the service directory publishes it (§3.05.1): base64.
    pub fn verify_key(&self) -> String {
        STANDARD.encode(self.key.verifying_key().to_bytes())
    }

    /// §3.07.1: base64(signature ‖ JSON).
    pub fn seal(&self, message: &Value) -> String {
        let json = dumps(message).into_bytes();
        let mut signed = self.key.sign(&json).to_bytes().to_vec();
        signed.extend_from_slice(&json);
        STANDARD.encode(signed)
    }

    /// The claims of §2.01's first group, issued now for this agent's window.
    fn stamped(&self, mut fields: Value) -> Value {
        let issued = Utc::now();
        let map = fields.as_object_mut().expect("an object");
        map.insert("agent-id".into(), json!(self.id));
        map.insert("business-id".into(), json!(BUSINESS));
        map.insert("issued-at".into(), json!(iso_ms(issued)));
        map.insert("expires-at".into(), json!(iso_ms(issued + self.window)));
        fields
    }

    /// §2.05's body.
    pub fn pairing_body(&self) -> String {
        self.seal(&self.stamped(json!({"drp.version": "1.0"})))
    }

    /// §2.01's body with schema.org/Person claims.
    pub fn exercise_body(&self, exercise: &str, email: &str, email_verified: bool) -> String {
        self.seal(&self.stamped(json!({
            "drp.version": "1.0",
            "exercise": exercise,
            "regime": "ccpa",
            "name": "Doe, Jane",
            "email": email,
            "email_verified": email_verified,
        })))
    }

    /// §2.04's body as OSIRAA sends it: the reason and nothing else.
    pub fn revoke_body(&self) -> String {
        self.seal(&json!({"reason": REVOKE_REASON}))
    }

    pub async fn send(
        &self,
        app: &TestApp,
        method: reqwest::Method,
        path: &str,
        body: Option<(String, Option<&str>)>,
    ) -> Answer {
        let mut rb = app.client.request(method, app.url(path));
        if let Some(token) = &self.token {
            rb = rb.header("Authorization", format!("Bearer {token}"));
        }
        if let Some((text, content_type)) = body {
            if let Some(ct) = content_type {
                rb = rb.header("Content-Type", ct);
            }
            rb = rb.body(text);
        }
        let r = rb.send().await.expect("the portal answers");
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Answer {
            status,
            content_type,
            body: r.text().await.expect("a body"),
        }
    }

    /// §2.05: pairs and keeps the token (§2.05.1).
    pub async fn pair(&mut self, app: &TestApp) -> Answer {
        let path = format!("/v1/agent/{}", self.id);
        let answer = self
            .send(
                app,
                reqwest::Method::POST,
                &path,
                Some((self.pairing_body(), Some("text/plain"))),
            )
            .await;
        if answer.status == 200 {
            let v = answer.json();
            assert_eq!(v["agent-id"], self.id, "{v}");
            self.token = v["token"].as_str().map(str::to_owned);
        }
        answer
    }

    pub async fn file(&self, app: &TestApp, body: String) -> Answer {
        self.send(
            app,
            reqwest::Method::POST,
            EXERCISE_PATH,
            Some((body, Some("text/plain"))),
        )
        .await
    }

    pub async fn status(&self, app: &TestApp, request_id: &str) -> Answer {
        let path = format!("{EXERCISE_PATH}/{request_id}");
        self.send(app, reqwest::Method::GET, &path, None).await
    }

    /// §2.04, sent like OSIRAA's `requests.delete(url, data=…)`: no `Content-Type`.
    pub async fn revoke(&self, app: &TestApp, request_id: &str, body: String) -> Answer {
        let path = format!("{EXERCISE_PATH}/{request_id}");
        self.send(app, reqwest::Method::DELETE, &path, Some((body, None)))
            .await
    }
}

/// Settings for a portal taking DRP as business `CB_SPEC`.
pub fn takes_drp(s: &mut dsar_portal::config::Settings) {
    s.drp.business_id = Some(BUSINESS.into());
    s.rate_limits.enabled = false;
}

/// A portal taking DRP as business `CB_SPEC`, with the agent in its directory.
pub async fn portal_with(backend: &Backend, agent: &SpecAgent) -> TestApp {
    let app = spawn_app_with(backend, takes_drp).await;
    register(&app, agent);
    app
}

/// Adds the agent to the portal's directory, as the operator does.
pub fn register(app: &TestApp, agent: &SpecAgent) {
    app.add_drp_agent(agent.id, &agent.verify_key());
}

/// Files an exercise and returns its status object (§3.03) after checking its shape.
pub async fn filed(
    app: &TestApp,
    agent: &SpecAgent,
    kind: &str,
    email: &str,
    verified: bool,
) -> Value {
    let status = agent
        .file(app, agent.exercise_body(kind, email, verified))
        .await
        .ok(&format!("exercise {kind} ({})", app.backend));
    assert!(status["request_id"].as_str().is_some(), "{status}");
    assert!(status["received_at"].as_str().is_some(), "{status}");
    status
}

/// Opens a `user_verification_url` as §3.02.1 has the agent present it, with
/// `redirect_to` and `request_id` added; returns the portal's path and the page.
pub async fn open_verification_url(app: &TestApp, url: &str, request_id: &str) -> (String, String) {
    let (path, presented) = as_presented(url, request_id);
    let (status, page) = app.get(&presented).await;
    assert_eq!(status, 200, "{page}");
    (path, page)
}

/// The portal's path of a `user_verification_url`, and that path with the parameters
/// §3.02.1 has the agent add: `redirect_to` (URL-encoded) and `request_id`.
fn as_presented(url: &str, request_id: &str) -> (String, String) {
    let path = &url[url.find("/requests/confirm/").expect("the portal's path")..];
    let presented =
        format!("{path}?redirect_to=https%3A%2F%2Fagent.example%2Fdone&request_id={request_id}");
    (path.to_owned(), presented)
}

/// Has an agent file a request whose email is not verified, and returns its
/// `user_verification_url` as the agent presents it (a path on `app`).
pub async fn waiting_for_the_person(app: &TestApp, email: &str) -> String {
    let mut agent = SpecAgent::new(AGENT, 71);
    register(app, &agent);
    agent.pair(app).await.ok("pairing");
    let status = filed(app, &agent, "access", email, false).await;
    let url = status["user_verification_url"]
        .as_str()
        .expect("user_verification_url");
    as_presented(url, &id_of(&status)).1
}

/// Waits until `n` emails with a verification link reached `to` (the outbox is sent
/// by the worker, a moment later), and returns them.
async fn verify_links_to(app: &TestApp, to: &str, n: usize) -> Vec<Email> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let links: Vec<Email> = app
            .emails(0)
            .await
            .into_iter()
            .filter(|m| m.to == to && m.text.contains("/verify/"))
            .collect();
        if links.len() >= n || std::time::Instant::now() > deadline {
            assert_eq!(links.len(), n, "verification emails to the person");
            return links;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The audit actions recorded for one request, oldest first.
fn audit_actions(app: &TestApp, request: &str) -> Vec<String> {
    let request = request.to_owned();
    app.db(move |c| {
        use diesel::prelude::*;
        use dsar_portal::db::schema::audit_events::dsl::*;
        audit_events
            .filter(request_id.eq(request))
            .order(seq.asc())
            .select(action)
            .load(c)
            .expect("audit events")
    })
}

pub fn id_of(status: &Value) -> String {
    status["request_id"]
        .as_str()
        .expect("request_id")
        .to_owned()
}

/// A portal and a paired agent signing the spec's recommended window (§2.01: "no
/// more than 10 minute"), for the tests that are about something other than windows.
async fn paired_with_recommended_window(backend: &Backend, seed: u8) -> (SpecAgent, TestApp) {
    paired(
        backend,
        SpecAgent::with_window(AGENT, seed, Duration::minutes(10)),
    )
    .await
}

/// A portal with the agent in its directory, and the agent paired with it.
async fn paired(backend: &Backend, mut agent: SpecAgent) -> (SpecAgent, TestApp) {
    let app = portal_with(backend, &agent).await;
    let window = agent.window.num_minutes();
    agent
        .pair(&app)
        .await
        .ok(&format!("pairing with a {window}-minute window"));
    (agent, app)
}

mod answers;
mod revoke_and_windows;
