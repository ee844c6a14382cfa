//! Staff sign-in through a real OpenID provider: `tests/browser/oidc/provider.mjs` runs
//! the OpenID-certified `oidc-provider` (Node) on 127.0.0.1 with the portal as its
//! client, and these tests drive the authorization code flow like a browser, following
//! each redirect between the portal and the provider with one cookie jar.
//!
//! Needs `node` and `npm ci --prefix tests/browser`. Under CI a missing piece fails the
//! tests; elsewhere each test says loudly that it skipped.

mod accounts;
mod flow;
mod tokens;

use crate::helpers::*;
use dsar_portal::config::{OidcSettings, RoleGroups, RoleSource};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What is missing to run the provider, if anything.
fn missing_prerequisite() -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !project()
        .join("tests/browser/node_modules/oidc-provider")
        .exists()
    {
        return Some("oidc-provider is missing (npm ci --prefix tests/browser)".into());
    }
    None
}

/// The people the test provider knows, by the email a test names in `login_hint`.
pub fn people() -> Value {
    json!({
        "ann@corp.example": {"groups": ["everyone", "dsar-admins"], "email_verified": true},
        "hal@corp.example": {"groups": ["privacy-team"]},
        "aud@corp.example": {"groups": "dsar-auditors", "email_verified": true},
        "nog@corp.example": {"groups": ["everyone"], "email_verified": true},
        "unv@corp.example": {"groups": ["privacy-team"], "email_verified": false},
        "pat@corp.example": {"email": " Pat@Corp.Example", "groups": ["everyone"]},
    })
}

/// `oidc-provider` in a Node process, stopped when dropped.
pub struct OidcProvider {
    child: Child,
    pub issuer: String,
}

impl OidcProvider {
    fn spawn(redirect_uri: &str) -> OidcProvider {
        let mut child = Command::new("node")
            .arg(project().join("tests/browser/oidc/provider.mjs"))
            .args(["--redirect-uri", redirect_uri])
            .args(["--users", &people().to_string()])
            .stdout(Stdio::piped())
            // Its warnings and errors only when asked for (OIDC_PROVIDER_LOG=1).
            .stderr(if std::env::var_os("OIDC_PROVIDER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("node starts");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = out.read_line(&mut line);
            let _ = tx.send(line);
            // Whatever it prints later is read and dropped: a closed pipe would stop it.
            std::io::copy(&mut out, &mut std::io::sink())
        });
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the provider prints its issuer within a minute");
        let issuer = line.trim().to_string();
        assert!(
            issuer.starts_with("http://127.0.0.1:"),
            "issuer: {issuer:?}"
        );
        OidcProvider { child, issuer }
    }

    /// The provider signs with a new key from now on, and publishes only that one.
    pub async fn rotate_keys(&self) {
        let r = reqwest::Client::new()
            .post(format!("{}/test/rotate", self.issuer))
            .send()
            .await
            .expect("provider");
        assert_eq!(r.status(), 204);
    }

    /// Makes the provider's next token response misbehave ("tamper", "audience",
    /// "expired"; see provider.mjs).
    pub async fn next_token(&self, mode: &str) {
        let r = reqwest::Client::new()
            .post(format!("{}/test/next-token?mode={mode}", self.issuer))
            .send()
            .await
            .expect("provider");
        assert_eq!(r.status(), 204);
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The portal's `[staff.oidc]` for the test provider: roles from the `groups` claim.
pub fn oidc_settings(issuer: &str, secret_file: PathBuf) -> OidcSettings {
    OidcSettings {
        issuer: issuer.to_string(),
        client_id: "dsar-portal".into(),
        client_secret_env: None,
        client_secret_file: Some(secret_file),
        scopes: ["openid", "email", "profile", "groups"]
            .map(String::from)
            .to_vec(),
        email_claim: "email".into(),
        display_name: "Corp ID".into(),
        roles: RoleSource::Claim,
        role_claim: Some("groups".into()),
        groups: RoleGroups {
            admin: vec!["dsar-admins".into()],
            handler: vec!["privacy-team".into()],
            auditor: vec!["dsar-auditors".into()],
        },
        password_login: true,
        break_glass: vec![],
    }
}

/// A portal with a provider, both running.
pub struct OidcApp {
    pub app: TestApp,
    pub provider: OidcProvider,
    _secret_dir: tempfile::TempDir,
}

/// A portal signing staff in through a fresh test provider, its `[staff.oidc]` as
/// `tweak` leaves it; `None` (the test skips) without node or oidc-provider.
pub async fn spawn(backend: &Backend, tweak: impl FnOnce(&mut OidcSettings)) -> Option<OidcApp> {
    if let Some(missing) = missing_prerequisite() {
        if std::env::var("CI").is_ok() {
            panic!("CI is set, so the OpenID provider tests must run, but {missing}");
        }
        eprintln!("\n!!!!!!!! SKIPPED an OpenID provider test: {missing} !!!!!!!!\n");
        return None;
    }
    // The provider must know where to send people back, so the portal's port comes first.
    let port = free_port();
    let portal = format!("http://127.0.0.1:{port}");
    let provider = OidcProvider::spawn(&format!("{portal}/staff/login/oidc/callback"));
    let secret_dir = tempfile::tempdir().expect("dir");
    let secret_file = secret_dir.path().join("client-secret");
    std::fs::write(&secret_file, "portal-secret\n").expect("secret");
    let mut oidc = oidc_settings(&provider.issuer, secret_file);
    tweak(&mut oidc);
    let app = spawn_app_with(backend, |s| {
        s.bind = format!("127.0.0.1:{port}");
        s.staff.oidc = Some(oidc);
    })
    .await;
    Some(OidcApp {
        app,
        provider,
        _secret_dir: secret_dir,
    })
}

/// A browser: one cookie jar for the portal and the provider; redirects shown. A
/// request that gets no answer fails after a minute, naming its URL, rather than
/// holding the suite until TCP gives up.
pub fn browser() -> reqwest::Client {
    browser_builder()
        .cookie_store(true)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Where a sign-in ended: the last answer, and every URL on the way.
pub struct Flow {
    pub status: u16,
    pub body: String,
    pub refresh: Option<String>,
    pub urls: Vec<String>,
}

impl Flow {
    /// The provider's answer to the portal (the callback with its code and state).
    pub fn callback(&self) -> &str {
        self.urls
            .iter()
            .find(|u| u.contains("/staff/login/oidc/callback"))
            .expect("the flow reached the callback")
    }
}

/// GETs `url` and follows redirects like a browser, across the two servers.
pub async fn follow(client: &reqwest::Client, url: &str) -> Flow {
    let mut url = reqwest::Url::parse(url).expect("url");
    let mut urls = vec![url.to_string()];
    for _ in 0..10 {
        let r = client.get(url.clone()).send().await.expect("GET");
        if r.status().is_redirection() {
            let to = r.headers()["location"].to_str().expect("location");
            url = url.join(to).expect("redirect url");
            urls.push(url.to_string());
            continue;
        }
        let status = r.status().as_u16();
        let refresh = r
            .headers()
            .get("refresh")
            .map(|v| v.to_str().expect("refresh").to_string());
        let body = r.text().await.expect("body");
        return Flow {
            status,
            body,
            refresh,
            urls,
        };
    }
    panic!("too many redirects: {urls:?}");
}

/// Signs in at the portal as `email` (the provider's user of that name), in `client`.
pub async fn sign_in(app: &TestApp, client: &reqwest::Client, email: &str) -> Flow {
    let start = app.url(&format!("/staff/login/oidc?login_hint={email}"));
    follow(client, &start).await
}

/// Whether `client` holds a working staff session.
pub async fn has_session(app: &TestApp, client: &reqwest::Client) -> bool {
    let r = client.get(app.url("/staff")).send().await.expect("GET");
    r.status() == 200
}

/// The staff account behind a login, if any.
pub fn account(app: &TestApp, email: &str) -> Option<dsar_portal::db::models::staff::StaffRow> {
    let email = email.to_string();
    app.db(move |c| dsar_portal::db::models::staff::find_by_email(c, &email).expect("find"))
}

/// The details of the portal events named `action`, oldest first.
pub fn details(app: &TestApp, action: &str) -> Vec<Value> {
    use diesel::prelude::*;
    use dsar_portal::db::schema::audit_events as a;
    let action = action.to_string();
    let rows: Vec<String> = app.db(move |c| {
        a::table
            .filter(a::action.eq(action))
            .order(a::seq.asc())
            .select(a::detail)
            .load(c)
            .expect("events")
    });
    rows.iter()
        .map(|d| serde_json::from_str(d).expect("json"))
        .collect()
}

/// Every audit detail and actor, for checking that no email address was written.
pub fn audit_text(app: &TestApp) -> String {
    use diesel::prelude::*;
    use dsar_portal::db::schema::audit_events as a;
    let rows: Vec<(String, String)> = app.db(|c| {
        a::table
            .select((a::actor, a::detail))
            .load(c)
            .expect("events")
    });
    format!("{rows:?}")
}

/// The main text of a page, for failure messages.
pub fn message_of(page: &str) -> &str {
    let start = page.find("<main").unwrap_or(0);
    let end = page[start..]
        .find("</main>")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}
