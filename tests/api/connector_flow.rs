//! Connector runs driven from the staff pages, against a real MariaDB seeded as a Matomo
//! store: find shows the matches, erase removes exactly them, and it all lands in the
//! audit trail.

use crate::helpers::*;
use crate::matomo_db::{db_url, seed_people, Fixture, ALICE};
use std::time::{Duration, Instant};

/// The form of a confirmed erasure on the "analytics" connector.
const ERASE_CONFIRMED: &[(&str, &str)] = &[
    ("connector", "analytics"),
    ("action", "erase"),
    ("confirm", "yes"),
];

/// A freshly seeded Matomo store (its own table prefix, dropped with the fixture) and the
/// settings of a connector named "analytics" on it.
pub(crate) fn seeded_store(
    url: &str,
) -> (
    std::sync::Arc<Fixture>,
    dsar_portal::config::ConnectorConfig,
) {
    let u = url.to_string();
    let fixture = std::sync::Arc::new(off_runtime(move || {
        let f = Fixture::new(u);
        seed_people(&f);
        f
    }));
    let mut cfg = fixture.config();
    cfg.name = "analytics".into();
    (fixture, cfg)
}

/// Rows in the four log tables, in Matomo's deletion order reversed.
fn log_counts(fixture: &std::sync::Arc<Fixture>) -> [u64; 4] {
    let f = fixture.clone();
    off_runtime(move || {
        [
            "log_visit",
            "log_link_visit_action",
            "log_conversion",
            "log_conversion_item",
        ]
        .map(|t| f.count(t))
    })
}

/// The Matomo fixture blocks on its own runtime: build and query it off the test's runtime.
fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().expect("fixture thread")
}

pub(crate) async fn wait_for_run(
    app: &TestApp,
    request_id: &str,
    action: &str,
) -> (String, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rid = request_id.to_string();
        let act = action.to_string();
        let row: Option<(String, Option<String>)> = app.db(move |c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::connector_runs::dsl::*;
            connector_runs
                .filter(request_id.eq(rid))
                .filter(action.eq(act))
                .order(created_at.desc())
                .select((status, summary))
                .first(c)
                .optional()
                .expect("run")
        });
        if let Some((status, summary)) = row {
            if status == "done" || status == "failed" {
                return (status, summary);
            }
        }
        assert!(Instant::now() < deadline, "run {action} did not finish");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Alice's access request, filed and confirmed by her, and her identity recorded by a
/// handler (who is returned).
pub(crate) async fn alices_checked_access_request(app: &TestApp) -> (String, Staff) {
    app.file_and_verify("eu", "access", ALICE).await;
    let id = app.only_request_id();
    let handler = app.staff("handler").await;
    handler
        .act(&id, &[("action", "verify"), ("method", "account_login")])
        .await;
    (id, handler)
}

/// Runs find, then export, on the "analytics" connector for request `id`.
pub(crate) async fn find_and_export(app: &TestApp, handler: &Staff, id: &str) {
    for action in ["find", "export"] {
        handler
            .run_connector(id, &[("connector", "analytics"), ("action", action)])
            .await;
        let (status, summary) = wait_for_run(app, id, action).await;
        assert_eq!(status, "done", "{action}: {summary:?}");
    }
}

/// Presses the download button of the download page `page` (at `download`).
pub(crate) async fn take_download(app: &TestApp, download: &str, page: &str) -> reqwest::Response {
    app.client
        .post(app.url(download))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body_with_token(page, &[]))
        .send()
        .await
        .expect("POST")
}

#[actix_web::test]
async fn staff_find_then_erase_exactly_one_persons_analytics() {
    let Some(url) = db_url() else { return };
    let var = format!("MATOMO_URL_{}", std::process::id());
    std::env::set_var(&var, &url);
    for backend in backends() {
        // A freshly seeded Matomo store (own table prefix) per backend.
        let (fixture, mut cfg) = seeded_store(&url);
        cfg.purge_orphaned_actions = true;
        cfg.url_env = Some(var.clone());
        let app = spawn_app_with(&backend, move |s| s.connectors = vec![cfg]).await;
        let counts = || log_counts(&fixture);
        let before = counts();

        app.file_and_verify("california", "deletion", ALICE).await;
        let id = app.only_request_id();
        let handler = app.staff("handler").await;
        let path = format!("/staff/requests/{id}");

        // Erase is refused before a find.
        let (s, _) = handler.run_connector(&id, ERASE_CONFIRMED).await;
        assert_eq!(s, 409);
        let (s, _) = handler
            .run_connector(&id, &[("connector", "analytics"), ("action", "find")])
            .await;
        assert_eq!(s, 303);
        let (status, summary) = wait_for_run(&app, &id, "find").await;
        assert_eq!(status, "done", "{summary:?}");
        let (_, page) = handler.get(&path).await;
        assert!(
            page.contains("log_visit: 3 rows"),
            "the preview shows Alice's visits"
        );
        // Erasure needs verified identity first (in progress).
        let (s, _) = handler.run_connector(&id, ERASE_CONFIRMED).await;
        assert_eq!(s, 409);
        handler
            .act(
                &id,
                &[
                    ("action", "verify"),
                    ("method", "data_points"),
                    ("points", "name"),
                    ("points", "account_id"),
                ],
            )
            .await;
        let (s, page) = handler
            .run_connector(&id, &[("connector", "analytics"), ("action", "erase")])
            .await;
        assert_eq!(s, 400, "erase needs the confirmation box: {page}");
        let (s, _) = handler.run_connector(&id, ERASE_CONFIRMED).await;
        assert_eq!(s, 303);
        let (status, summary) = wait_for_run(&app, &id, "erase").await;
        assert_eq!(status, "done", "{summary:?}");
        let summary: serde_json::Value =
            serde_json::from_str(&summary.expect("summary")).expect("json");
        assert_eq!(summary["deleted"]["log_visit"], 3);
        assert_eq!(summary["deleted"]["log_link_visit_action"], 4);
        let after = counts();
        assert_eq!(
            after,
            [before[0] - 3, before[1] - 4, before[2] - 1, before[3] - 1],
            "only Alice's rows went ({})",
            app.backend
        );
        // The trail records the counts, and the chain holds.
        let (_, page) = handler.get(&path).await;
        assert!(page.contains("System run done"));
        assert!(app
            .db(|c| dsar_portal::db::models::audit::verify_chain(c).expect("walk"))
            .is_ok());
    }
}

#[actix_web::test]
async fn an_access_request_ends_with_a_zip_of_exactly_the_persons_data() {
    let Some(url) = db_url() else { return };
    let var = format!("MATOMO_URL_PKG_{}", std::process::id());
    std::env::set_var(&var, &url);
    for backend in backends() {
        let (_store_kept_until_the_end, mut cfg) = seeded_store(&url);
        cfg.url_env = Some(var.clone());
        let app = spawn_app_with(&backend, move |s| {
            s.connectors = vec![cfg];
            s.report.categories = vec![dsar_portal::config::DataCategory {
                name: "Website analytics".into(),
                purposes: vec!["Understanding how the site is used".into()],
                retention: "25 months".into(),
                ..Default::default()
            }];
        })
        .await;
        let (id, handler) = alices_checked_access_request(&app).await;
        let path = format!("/staff/requests/{id}");
        let (s, _) = handler.post(&path, &format!("{path}/package"), &[]).await;
        assert_eq!(s, 409, "no package before the exports");
        find_and_export(&app, &handler, &id).await;
        let (s, _) = handler.post(&path, &format!("{path}/package"), &[]).await;
        assert_eq!(s, 303);

        let mail = app
            .email_where("with the download link", |m| {
                m.to == ALICE && m.text.contains("/download/")
            })
            .await;
        let download = link_path(&mail.text, "/download/");
        let (s, page) = app.get(&download).await;
        assert_eq!(s, 200);
        assert!(page.contains("downloaded 0 of 5 times"));
        let r = take_download(&app, &download, &page).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/zip");
        let bytes = r.bytes().await.expect("zip").to_vec();
        let mut zip = Package::open(bytes);
        let names = zip.names();
        assert!(names.contains(&"report.html".to_string()));
        for table in [
            "log_visit",
            "log_link_visit_action",
            "log_conversion",
            "log_conversion_item",
        ] {
            for ext in ["json", "csv", "schema.json"] {
                assert!(
                    names.contains(&format!("analytics/{table}.{ext}")),
                    "{table}.{ext} in {names:?}"
                );
            }
        }
        let visits: Vec<serde_json::Value> =
            serde_json::from_str(&zip.text("analytics/log_visit.json")).expect("json");
        let mut ids: Vec<u64> = visits
            .iter()
            .map(|v| v["idvisit"].as_u64().expect("id"))
            .collect();
        ids.sort();
        assert_eq!(ids, [1, 2, 3], "exactly Alice's visits ({})", app.backend);
        assert!(visits
            .iter()
            .all(|v| v["user_id"].is_null() || v["user_id"] == ALICE));
        let report = zip.text("report.html");
        assert!(report.contains("Website analytics") && report.contains("25 months"));
        assert!(report.contains("supervisory authority"));
        // The download is counted, and the trail says so.
        let (_, page) = app.get(&download).await;
        assert!(page.contains("downloaded 1 of 5 times"));
        let (_, staff_page) = handler.get(&path).await;
        assert!(staff_page.contains("Access package downloaded"));
    }
}

#[actix_web::test]
async fn an_opt_out_runs_every_connector_and_completes_without_staff() {
    let Some(url) = db_url() else { return };
    let var = format!("MATOMO_URL_OPT_{}", std::process::id());
    std::env::set_var(&var, &url);
    for backend in backends() {
        let (fixture, mut cfg) = seeded_store(&url);
        cfg.url_env = Some(var.clone());
        let app = spawn_app_with(&backend, move |s| s.connectors = vec![cfg]).await;
        let (status, _) = app
            .submit("california", &[("kind", "opt_out"), ("email", ALICE)])
            .await;
        assert_eq!(status, 200);
        let id = app.only_request_id();
        let (run_status, summary) = wait_for_run(&app, &id, "opt_out").await;
        assert_eq!(run_status, "done", "{summary:?}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while app.request_field(&id, "status").as_deref() != Some("fulfilled") {
            assert!(Instant::now() < deadline, "the opt-out completes by itself");
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        app.email_where("confirming the opt-out is done", |m| {
            m.to == ALICE && m.text.contains("stopped selling or sharing")
        })
        .await;
        drop(fixture);
    }
}

/// Runs one due connector run on a plain thread, as the connector thread does.
fn run_next(app: &TestApp) -> bool {
    let state = app.state.clone();
    off_runtime(move || {
        let mut conn = state.pool.get().expect("conn");
        dsar_portal::flows::connector_runs::run_next(&state, &mut conn).expect("run")
    })
}

#[actix_web::test]
async fn an_erase_whose_worker_died_midway_is_taken_up_again_and_completes_once() {
    let Some(url) = db_url() else { return };
    let var = format!("MATOMO_URL_CRASH_{}", std::process::id());
    std::env::set_var(&var, &url);
    for backend in backends() {
        let (fixture, mut cfg) = seeded_store(&url);
        cfg.url_env = Some(var.clone());
        // No worker threads: this test plays the worker, and its crash.
        let app = spawn_app_with(&backend, move |s| {
            s.connectors = vec![cfg];
            s.worker.enabled = false;
        })
        .await;
        let counts = || log_counts(&fixture);
        let before = counts();
        app.submit(
            "california",
            &[("kind", "deletion"), ("name", "Alice"), ("email", ALICE)],
        )
        .await;
        let id = app.only_request_id();
        // Verified and in progress (the email and identity steps are covered elsewhere).
        app.exec(&format!(
            "UPDATE requests SET status = 'in_progress' WHERE id = '{id}'"
        ));
        app.queue_connector_run(&id, "analytics", "find");
        assert!(run_next(&app));
        app.queue_connector_run(&id, "analytics", "erase");

        // A worker claims the erase, deletes the first batch, and dies.
        let claimed = app.db(|c| {
            let now = dsar_portal::clock::now();
            dsar_portal::db::models::connector_runs::claim_next(
                c,
                now,
                now + chrono::Duration::minutes(30),
            )
            .expect("claim")
            .expect("a run")
        });
        assert_eq!(claimed.action, dsar_portal::domain::runs::RunAction::Erase);
        let f = fixture.clone();
        off_runtime(move || {
            let p = f.prefix();
            f.execute(&[
                format!("DELETE FROM {p}log_conversion_item WHERE idvisit = 1"),
                format!("DELETE FROM {p}log_conversion WHERE idvisit = 1"),
                format!("DELETE FROM {p}log_link_visit_action WHERE idvisit = 1"),
                format!("DELETE FROM {p}log_visit WHERE idvisit = 1"),
            ])
        });
        // While its lease runs, nobody else takes the run.
        assert!(!run_next(&app), "a claimed run is not taken twice");
        // The lease lapses (the worker never came back): the next worker resumes it.
        app.exec("UPDATE connector_runs SET claimed_until = '2000-01-01 00:00:00' WHERE status = 'running'");
        assert!(run_next(&app));
        assert!(!run_next(&app), "nothing left to do");

        let (status, attempts): (String, i64) = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::connector_runs::dsl::*;
            connector_runs
                .filter(action.eq("erase"))
                .select((status, attempts))
                .first(c)
                .expect("run")
        });
        assert_eq!((status.as_str(), attempts), ("done", 2), "{}", app.backend);
        let done_events: i64 = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::audit_events::dsl::*;
            audit_events
                .filter(action.eq("connector_run_done"))
                .count()
                .get_result(c)
                .expect("count")
        });
        assert_eq!(
            done_events, 2,
            "one for the find, exactly one for the erase"
        );
        let after = counts();
        assert_eq!(
            after,
            [before[0] - 3, before[1] - 4, before[2] - 1, before[3] - 1],
            "all of Alice's rows and nothing else"
        );
    }
}

#[actix_web::test]
async fn concurrent_workers_claim_each_run_exactly_once() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.worker.enabled = false).await;
        app.submit("eu", JANE_ACCESS).await;
        let request = app.only_request_id();
        let rid = request.clone();
        app.db(move |c| {
            for i in 0..40 {
                dsar_portal::flows::connector_runs::insert_pending(
                    c,
                    &rid,
                    &format!("system{i}"),
                    dsar_portal::domain::runs::RunAction::Find,
                    None,
                    "test",
                    dsar_portal::clock::now(),
                )
                .expect("insert");
            }
        });
        // Four workers, each with its own connection, race for the runs.
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let state = app.state.clone();
                std::thread::spawn(move || {
                    let mut conn = state.pool.get().expect("conn");
                    let mut mine = Vec::new();
                    loop {
                        let now = dsar_portal::clock::now();
                        match dsar_portal::db::models::connector_runs::claim_next(
                            &mut conn,
                            now,
                            now + chrono::Duration::minutes(30),
                        )
                        .expect("claim")
                        {
                            Some(run) => mine.push(run.id),
                            None => break mine,
                        }
                    }
                })
            })
            .collect();
        let mut all: Vec<String> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect();
        let claimed = all.len();
        all.sort();
        all.dedup();
        assert_eq!(
            (claimed, all.len()),
            (40, 40),
            "every run claimed, none twice ({})",
            app.backend
        );
    }
}
