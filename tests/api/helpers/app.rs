//! The running app as a test drives it: pages, forms, emails and the database.

use super::*;

/// The request form's fields of the simplest request: Jane asks for access.
pub const JANE_ACCESS: &[(&str, &str)] = &[
    ("kind", "access"),
    ("name", "Jane"),
    ("email", "jane@example.com"),
];

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// GETs `path`, answering the whole response (for its status and headers).
    pub async fn get_response(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.get_response(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(fields))
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// Opens the form for `jurisdiction` and submits `fields` with its CSRF token and
    /// submission id, like a browser would.
    pub async fn submit(&self, jurisdiction: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let (status, page) = self
            .get(&format!("/requests/new?jurisdiction={jurisdiction}"))
            .await;
        assert_eq!(status, 200, "form page");
        let csrf = hidden(&page, "csrf_token");
        let sid = hidden(&page, "submission_id");
        let mut all: Vec<(&str, &str)> = vec![
            ("csrf_token", &csrf),
            ("submission_id", &sid),
            ("jurisdiction", jurisdiction),
        ];
        all.extend_from_slice(fields);
        self.post_form("/requests", &all).await
    }

    /// Follows a page's form that needs only the CSRF token (verify, resend).
    pub async fn post_with_csrf(&self, page: &str, action: &str) -> (u16, String) {
        self.post_page(page, action, &[]).await
    }

    /// Waits until at least `n` emails were written, and returns them oldest first.
    pub async fn emails(&self, n: usize) -> Vec<Email> {
        let dir = self.data_dir.join("mail");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut files = eml_files(&dir);
            if files.len() >= n || Instant::now() > deadline {
                files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
                let emails: Vec<Email> = files
                    .iter()
                    .map(|p| parse_email(&std::fs::read(p).expect("read eml")))
                    .collect();
                assert!(
                    emails.len() >= n,
                    "expected {n} emails, found {} ({})",
                    emails.len(),
                    self.backend
                );
                return emails;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the one email that matches `pred` (file times are too coarse to order
    /// emails written in the same instant, so tests pick emails by content).
    pub async fn email_where(&self, what: &str, pred: impl Fn(&Email) -> bool) -> Email {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let found: Vec<Email> = self
                .emails(0)
                .await
                .into_iter()
                .filter(|e| pred(e))
                .collect();
            match found.len() {
                1 => return found.into_iter().next().expect("one"),
                0 if Instant::now() < deadline => {
                    actix_web::rt::time::sleep(Duration::from_millis(50)).await
                }
                n => panic!("expected one email {what}, found {n} ({})", self.backend),
            }
        }
    }

    /// Adds a DRP agent to the directory, as the operator does with `agents add`.
    pub fn add_drp_agent(&self, id: &str, verify_key: &str) {
        let (id, key) = (id.to_owned(), verify_key.to_owned());
        self.db(move |c| {
            dsar_portal::flows::drp_directory::add_agent(
                c,
                &id,
                &format!("Agent {id}"),
                &key,
                "test",
                dsar_portal::clock::now(),
            )
            .expect("agent added")
        });
    }

    /// Queues a connector run for a request, as a staff member's click does
    /// ("staff:test" is the actor).
    pub fn queue_connector_run(&self, request_id: &str, connector: &str, action: &str) {
        let state = self.state.clone();
        let (rid, connector, action) = (
            request_id.to_owned(),
            connector.to_owned(),
            action.to_owned(),
        );
        self.db(move |c| {
            dsar_portal::flows::connector_runs::queue(
                &state,
                c,
                &rid,
                &connector,
                &action,
                "staff:test",
                dsar_portal::clock::now(),
            )
            .expect("queue")
        });
    }

    /// Runs blocking database code against the app's own pool.
    pub fn db<T>(&self, f: impl FnOnce(&mut dsar_portal::db::DbConn) -> T) -> T {
        let mut conn = self.state.pool.get().expect("connection");
        f(&mut conn)
    }

    pub fn exec(&self, sql: &str) {
        self.db(|c| c.batch_execute(sql).expect("sql"));
    }

    pub fn count(&self, table: &str) -> i64 {
        use diesel::sql_types::BigInt;
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        self.db(|c| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result::<N>(c)
                .expect("count")
                .n
        })
    }

    /// Files a request through the form, confirms the email, and returns the status
    /// page path.
    pub async fn file_and_verify(&self, jurisdiction: &str, kind: &str, email: &str) -> String {
        let (status, page) = self
            .submit(
                jurisdiction,
                &[("kind", kind), ("name", "Jane Doe"), ("email", email)],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let mail = self
            .email_where("to confirm", |m| {
                m.to == email && m.text.contains("/verify/")
            })
            .await;
        let verify = link_path(&mail.text, "/verify/");
        let (status, confirm) = self.get(&verify).await;
        assert_eq!(status, 200);
        let (status, done) = self.post_with_csrf(&confirm, &verify).await;
        assert_eq!(status, 200, "{done}");
        link_path(&done, "/status/")
    }
}

/// Files and verifies a request; returns (request id, status page path).
pub async fn verified(app: &TestApp, place: &str, kind: &str, email: &str) -> (String, String) {
    let status_path = app.file_and_verify(place, kind, email).await;
    let (_, page) = app.get(&status_path).await;
    let reference = link_path(&page, "DSR-");
    (app.request_id(&reference), status_path)
}
