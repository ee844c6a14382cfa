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

#[actix_web::test]
async fn one_fixed_revoke_body_revokes_each_request_once() {
    for backend in backends() {
        let (agent, app) = paired_with_recommended_window(&backend, 11).await;
        let first = id_of(&filed(&app, &agent, "deletion", "one@example.com", true).await);
        let second = id_of(&filed(&app, &agent, "access", "two@example.com", true).await);

        // Ed25519 is deterministic: both bodies are the same bytes.
        let body = agent.revoke_body();
        assert_eq!(body, agent.revoke_body());
        for id in [&first, &second] {
            let revoked = agent
                .revoke(&app, id, body.clone())
                .await
                .ok(&format!("revoke ({})", app.backend));
            assert_eq!(revoked["status"], "revoked", "{revoked}");
            assert_eq!(revoked["request_id"], id.as_str());
        }
        // The same body to the same request again is a replay.
        let replay = agent.revoke(&app, &first, body.clone()).await.error(403);
        assert!(
            replay["message"]
                .as_str()
                .is_some_and(|m| m.contains("already")),
            "{replay}"
        );
        // A captured exercise body sent again is refused, and files nothing.
        let exercise = agent.exercise_body("access", "three@example.com", true);
        agent.file(&app, exercise.clone()).await.ok("exercise");
        let before = app.count("drp_requests");
        agent.file(&app, exercise).await.error(403);
        assert_eq!(app.count("drp_requests"), before);
        // A revoke body captured from this agent is no key to another agent's request.
        let mut other = SpecAgent::with_window("AA_OTHER", 12, Duration::minutes(10));
        register(&app, &other);
        other.pair(&app).await.ok("other pairs");
        let theirs = id_of(&filed(&app, &other, "access", "four@example.com", true).await);
        agent
            .revoke(&app, &theirs, agent.revoke_body())
            .await
            .error(403);
        assert_eq!(
            other.status(&app, &theirs).await.ok("status")["status"],
            "in_progress"
        );
    }
}

#[actix_web::test]
async fn fifteen_minute_windows_are_accepted_up_to_the_configured_maximum() {
    for backend in backends() {
        let (agent, app) = paired(&backend, SpecAgent::new(AGENT, 21)).await;
        filed(&app, &agent, "access", "window@example.com", true).await;
        agent
            .revoke(&app, "no-such-request", agent.revoke_body())
            .await
            .error(404);

        // Past the default maximum (15 minutes): refused, and the maximum is named.
        let long = agent.signing_for(Duration::minutes(16));
        let refused = long
            .file(&app, long.exercise_body("access", "long@example.com", true))
            .await
            .error(400);
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("15 minutes")),
            "{refused}"
        );

        // The other time checks stand: issued in the future beyond the clock skew.
        let mut future = agent.stamped(json!({
            "drp.version": "1.0", "exercise": "access", "email": "f@example.com",
        }));
        let later = Utc::now() + Duration::minutes(5);
        future["issued-at"] = json!(iso_ms(later));
        future["expires-at"] = json!(iso_ms(later + Duration::minutes(10)));
        agent.file(&app, agent.seal(&future)).await.error(400);
    }
}

#[actix_web::test]
async fn a_longer_maximum_can_be_configured() {
    let backend = Backend::Sqlite;
    let mut agent = SpecAgent::with_window(AGENT, 22, Duration::minutes(25));
    let app = spawn_app_with(&backend, |s| {
        s.drp.business_id = Some(BUSINESS.into());
        s.drp.max_validity_minutes = 30;
    })
    .await;
    register(&app, &agent);
    agent
        .pair(&app)
        .await
        .ok("a 25-minute window under a 30-minute maximum");
}

#[actix_web::test]
async fn need_user_verification_carries_a_url_that_reaches_the_person() {
    for backend in backends() {
        let (agent, app) = paired_with_recommended_window(&backend, 31).await;
        let email = "unconfirmed@example.com";
        let first = filed(&app, &agent, "deletion", email, false).await;
        assert_eq!(first["status"], "in_progress", "{first}");
        assert_eq!(first["reason"], "need_user_verification", "{first}");
        let id = id_of(&first);
        // §3.02.1: such a status MUST carry user_verification_url.
        let url = first["user_verification_url"]
            .as_str()
            .unwrap_or_else(|| panic!("no user_verification_url: {first}"))
            .to_owned();
        let again = agent.status(&app, &id).await.ok("status");
        assert_eq!(again["user_verification_url"], url.as_str(), "one URL");
        // A status without that reason has none.
        let verified = filed(&app, &agent, "access", "fine@example.com", true).await;
        assert!(
            verified.get("user_verification_url").is_none(),
            "{verified}"
        );

        let (path, page) = open_verification_url(&app, &url, &id).await;
        let path = path.as_str();
        // Whoever opens it learns nothing of the request.
        assert!(!page.contains(email), "no address on the page");
        let reference = app.request_field(&id, "reference").expect("reference");
        assert!(!page.contains(&reference), "no reference on the page");
        assert!(!page.contains("<script"), "no script on the page");
        // Another request's id with this URL: not presented (§3.02.1).
        let other = dsar_portal::clock::new_id();
        let (status, _) = app.get(&format!("{path}?request_id={other}")).await;
        assert_eq!(status, 404);
        // Without the form's CSRF token nothing is sent.
        let (status, _) = app.post_form(path, &[]).await;
        assert_eq!(status, 403);

        let (status, sent) = app.post_with_csrf(&page, path).await;
        assert_eq!(status, 200, "{sent}");
        let links = verify_links_to(&app, email, 2).await;
        // The new link replaced the first; the person confirms with it.
        let mut usable = Vec::new();
        for mail in &links {
            let verify = link_path(&mail.text, "/verify/");
            let (s, page) = app.get(&verify).await;
            if s == 200 {
                usable.push((verify, page));
            }
        }
        assert_eq!(usable.len(), 1, "only the newest link is usable");
        let (verify, verify_page) = &usable[0];
        assert_eq!(app.post_with_csrf(verify_page, verify).await.0, 200);
        let now = agent.status(&app, &id).await.ok("status after confirming");
        assert_eq!(now["status"], "in_progress");
        assert!(now.get("reason").is_none(), "{now}");
        assert!(now.get("user_verification_url").is_none(), "{now}");

        // Pressed for an unknown handle, the button answers exactly as for a known
        // one; its page is not shown.
        let unknown = "/requests/confirm/not-a-handle";
        assert_eq!(app.get(unknown).await.0, 404);
        assert_eq!(app.post_with_csrf(&page, unknown).await, (200, sent));
        assert!(
            audit_actions(&app, &id).iter().any(|a| a == "link_resent"),
            "the resend is audited"
        );
    }
}

#[actix_web::test]
async fn every_answer_under_v1_is_the_protocols_json() {
    use reqwest::Method;
    for backend in backends() {
        let (agent, app) = paired_with_recommended_window(&backend, 41).await;
        let id = id_of(&filed(&app, &agent, "access", "json@example.com", true).await);

        for path in ["/v1/nothing-here", "/v1/data-rights-request/a/b", "/v1/"] {
            let v = agent.send(&app, Method::GET, path, None).await.error(404);
            assert_eq!(v["fatal"], false, "{path}: {v}");
        }
        let wrong_methods = [
            (Method::PUT, format!("{EXERCISE_PATH}/{id}")),
            (Method::POST, format!("{EXERCISE_PATH}/{id}")),
            (Method::GET, EXERCISE_PATH.to_owned()),
            (Method::DELETE, format!("/v1/agent/{AGENT}")),
            (Method::PATCH, EXERCISE_PATH.to_owned()),
        ];
        for (method, path) in wrong_methods {
            let a = agent
                .send(&app, method.clone(), &path, Some(("x".into(), None)))
                .await;
            let v = a.error(405);
            assert_eq!(v["fatal"], false, "{method} {path}: {v}");
        }
        // A body over the limit: refused in JSON too.
        let big = agent.file(&app, "A".repeat(70_000)).await;
        assert!((400..500).contains(&big.status), "{}", big.status);
        big.error(big.status);

        // §3.06: fatal only when the request moves to a final state. None of these
        // refusals changes a request, so none is fatal.
        let not_fatal = [
            (
                "unknown request",
                agent.status(&app, "no-such-id").await,
                404,
            ),
            (
                "bad signature",
                agent
                    .file(
                        &app,
                        SpecAgent::new(AGENT, 99).exercise_body("access", "x@example.com", true),
                    )
                    .await,
                403,
            ),
            ("malformed body", agent.file(&app, "%%%".into()).await, 400),
        ];
        for (what, answer, status) in not_fatal {
            let v = answer.error(status);
            assert_eq!(v["fatal"], false, "{what}: {v}");
        }
        // Agent information with a token that is not this agent's: JSON too (§2.06.1
        // asks for a 403; only pairing refusals are bare, §2.05.1).
        let v = agent
            .send(&app, Method::GET, "/v1/agent/AA_SOMEONE", None)
            .await
            .error(403);
        assert_eq!(v["fatal"], false, "{v}");
        // §2.01: a request made after its expires-at is discarded with a fatal error.
        let mut stale = agent.stamped(json!({
            "drp.version": "1.0", "exercise": "access", "email": "s@example.com",
        }));
        let then = Utc::now() - Duration::minutes(20);
        stale["issued-at"] = json!(iso_ms(then));
        stale["expires-at"] = json!(iso_ms(then + Duration::minutes(10)));
        let v = agent.file(&app, agent.seal(&stale)).await.error(400);
        assert_eq!(v["fatal"], true, "{v}");

        // A pairing refusal stays the spec's bare 403.
        let stranger = SpecAgent::new(AGENT, 98);
        let a = stranger
            .send(
                &app,
                Method::POST,
                &format!("/v1/agent/{AGENT}"),
                Some((stranger.pairing_body(), Some("text/plain"))),
            )
            .await;
        assert_eq!((a.status, a.body.as_str()), (403, ""));
    }
}

#[actix_web::test]
async fn an_agent_from_the_spec_pairs_files_reads_revokes_and_is_refused_replays() {
    for backend in backends() {
        let (agent, app) = paired(&backend, SpecAgent::new(AGENT, 51)).await;
        let info = agent
            .send(
                &app,
                reqwest::Method::GET,
                &format!("/v1/agent/{AGENT}"),
                None,
            )
            .await
            .ok("agent information");
        assert_eq!(info, json!({}));

        let mut ids = Vec::new();
        for (kind, n) in [
            ("access", 1),
            ("deletion", 2),
            ("sale:opt-out", 3),
            ("deletion", 4),
        ] {
            let s = filed(&app, &agent, kind, &format!("person{n}@example.com"), true).await;
            assert_eq!(s["status"], "in_progress", "{s}");
            assert!(s["expected_by"].as_str().is_some(), "§3.03: {s}");
            ids.push(id_of(&s));
        }
        let unverified = filed(&app, &agent, "access", "person5@example.com", false).await;
        let waiting = agent
            .status(&app, &id_of(&unverified))
            .await
            .ok("status of the unverified request");
        assert_eq!(waiting["reason"], "need_user_verification");
        let url = waiting["user_verification_url"]
            .as_str()
            .expect("§3.02.1 user_verification_url");
        let (path, page) = open_verification_url(&app, url, &id_of(&unverified)).await;
        assert_eq!(app.post_with_csrf(&page, &path).await.0, 200);
        verify_links_to(&app, "person5@example.com", 2).await;

        let revoke = agent.revoke_body();
        for id in [&ids[1], &ids[3]] {
            let s = agent.revoke(&app, id, revoke.clone()).await.ok("revoke");
            assert_eq!(s["status"], "revoked", "{s}");
        }
        agent.revoke(&app, &ids[1], revoke).await.error(403);
        for (id, status) in [
            (&ids[0], "in_progress"),
            (&ids[1], "revoked"),
            (&ids[3], "revoked"),
        ] {
            assert_eq!(agent.status(&app, id).await.ok("status")["status"], status);
        }
        agent
            .send(&app, reqwest::Method::GET, "/v1/unknown", None)
            .await
            .error(404);
        agent
            .send(
                &app,
                reqwest::Method::PUT,
                &format!("{EXERCISE_PATH}/{}", ids[0]),
                None,
            )
            .await
            .error(405);
    }
}
