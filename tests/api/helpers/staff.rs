//! A logged-in staff member with their own cookie jar.

use super::*;

/// A logged-in staff member with their own cookie jar.
pub struct Staff {
    pub client: reqwest::Client,
    pub email: String,
    pub id: String,
    base: String,
}

pub const STAFF_PASSWORD: &str = "a perfectly long password";

impl Staff {
    /// A browser with no session yet (for login tests).
    pub fn anonymous(app: &TestApp) -> Staff {
        Staff {
            client: new_client(),
            email: String::new(),
            id: String::new(),
            base: app.address.clone(),
        }
    }

    /// GETs `path`, answering the whole response (for its status and headers).
    pub async fn get_response(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.get_response(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// Logs in through the login page's form; answers its status and body.
    pub async fn login(&self, email: &str, password: &str) -> (u16, String) {
        self.post(
            "/staff/login",
            "/staff/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Posts a form found on `page_path`, with that page's CSRF token added.
    pub async fn post(
        &self,
        page_path: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        let r = self.post_response(page_path, action, fields).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// `post`, answering the whole response (for its headers).
    pub async fn post_response(
        &self,
        page_path: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        post_page_form(
            &self.client,
            &format!("{}{page_path}", self.base),
            &format!("{}{action}", self.base),
            fields,
        )
        .await
    }

    /// Runs an action on a request page with the version the page shows.
    pub async fn act(&self, request_id: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let path = format!("/staff/requests/{request_id}");
        let (status, page) = self.get(&path).await;
        assert_eq!(status, 200, "{page}");
        let version = hidden(&page, "version");
        let mut all = vec![("version", version.as_str())];
        all.extend_from_slice(fields);
        // A refusal or fulfilment is sent from its confirmation page; tests that are
        // not about that page send it at once (`preview` shows the page instead).
        let decides = fields
            .iter()
            .any(|(k, v)| *k == "action" && (*v == "deny" || *v == "fulfil"));
        if decides && !fields.iter().any(|(k, _)| *k == "confirmed") {
            all.push(("confirmed", "yes"));
        }
        self.post(&path, &format!("{path}/action"), &all).await
    }

    /// Starts a connector action from a request's page; `fields` name the connector, the
    /// action and, for an erasure, the confirmation box.
    pub async fn run_connector(&self, request_id: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let path = format!("/staff/requests/{request_id}");
        self.post(&path, &format!("{path}/run"), fields).await
    }

    /// Runs an action that must be accepted (the answer leads back to the request).
    pub async fn act_ok(&self, request_id: &str, fields: &[(&str, &str)]) {
        let (status, page) = self.act(request_id, fields).await;
        assert_eq!(status, 303, "{fields:?}: {page}");
    }

    /// Posts an identity check by matching three data points; returns the answer.
    pub async fn record_identity_check(&self, request_id: &str) -> (u16, String) {
        self.act(
            request_id,
            &[
                ("action", "verify"),
                ("method", "data_points"),
                ("points", "name"),
                ("points", "account_id"),
                ("points", "postal_address"),
                ("declaration", "yes"),
            ],
        )
        .await
    }

    /// Records an identity check by matching data points, then fulfils the request;
    /// both steps must be accepted.
    pub async fn verify_and_fulfil(&self, request_id: &str) {
        let (s, page) = self.record_identity_check(request_id).await;
        assert_eq!(s, 303, "verify: {page}");
        let (s, page) = self
            .act(
                request_id,
                &[("action", "fulfil"), ("message", "Your data is attached.")],
            )
            .await;
        assert_eq!(s, 303, "fulfil: {page}");
    }
}

pub fn new_client() -> reqwest::Client {
    browser_builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

/// How every test browser starts: redirects shown, not followed, and an idle connection
/// given up after a second. The server closes an idle keep-alive connection after five
/// seconds; a client reusing one at that moment (more likely on a loaded machine) sees
/// it closed under its request, which browsers retry and a test would report as a failure
/// of the portal.
pub fn browser_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(1))
}

impl TestApp {
    /// Creates an account with a known password and logs it in.
    pub async fn staff(&self, role: &str) -> Staff {
        self.staff_with_jar(role).await.0
    }

    /// Like `staff`, with the browser's cookie jar, so a test can copy the session
    /// cookie out of it (to replay it as an attacker who captured it would).
    pub async fn staff_with_jar(
        &self,
        role: &str,
    ) -> (Staff, std::sync::Arc<reqwest::cookie::Jar>) {
        let email = format!("{role}-{}@staff.example", &uuid_simple()[20..]);
        let state = self.state.clone();
        let e = email.clone();
        let role = dsar_portal::domain::roles::Role::parse(role).expect("role");
        let (row, _) = self.db(move |c| {
            dsar_portal::staff::accounts::create(
                c,
                &state.hasher,
                &e,
                role,
                Some(STAFF_PASSWORD),
                "test",
                dsar_portal::clock::now(),
            )
            .expect("create staff")
        });
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let staff = Staff {
            client: crate::session_helpers::client_with_jar(jar.clone()),
            email: email.clone(),
            id: row.id,
            base: self.address.clone(),
        };
        let (status, _) = staff.login(&email, STAFF_PASSWORD).await;
        assert_eq!(status, 303, "login");
        (staff, jar)
    }

    /// The id of the one request a test filed.
    pub fn only_request_id(&self) -> String {
        use diesel::prelude::*;
        use dsar_portal::db::schema::requests as r;
        self.db(|c| r::table.select(r::id).first(c).expect("a request"))
    }

    /// The id of the request with `reference`.
    pub fn request_id(&self, reference: &str) -> String {
        use diesel::prelude::*;
        use dsar_portal::db::schema::requests as r;
        let wanted = reference.to_string();
        self.db(move |c| {
            r::table
                .filter(r::reference.eq(wanted))
                .select(r::id)
                .first(c)
                .expect("request")
        })
    }

    /// One retention pass as the worker runs it, at `at`; returns how many requests
    /// lost their personal data.
    pub fn run_retention(&self, at: chrono::NaiveDateTime) -> usize {
        let state = self.state.clone();
        self.db(move |c| {
            dsar_portal::jobs::retention::purge_expired(&state, c, at, 100).expect("retention")
        })
    }

    /// A column of one request, as text (tests read state the pages do not show).
    pub fn request_field(&self, id: &str, column: &str) -> Option<String> {
        use diesel::sql_types::{Nullable, Text};
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct V {
            #[diesel(sql_type = Nullable<Text>)]
            v: Option<String>,
        }
        let sql = format!("SELECT CAST({column} AS TEXT) AS v FROM requests WHERE id = '{id}'");
        self.db(|c| diesel::sql_query(sql).get_result::<V>(c).expect("field").v)
    }
}

impl Staff {
    /// A browser with no session yet for a server at `base` (e.g. the real binary
    /// started as a subprocess, which has no `TestApp`).
    pub fn anonymous_at(base: &str) -> Staff {
        Staff {
            client: new_client(),
            email: String::new(),
            id: String::new(),
            base: base.to_string(),
        }
    }
}
