//! `/readyz`, `/metrics` and JSON logs.

use crate::helpers::*;
use crate::process::Server;
use serde_json::Value;
use std::time::{Duration, Instant};

async fn readyz(app: &TestApp, query: &str) -> (u16, Value, String) {
    let (status, body) = app.get(&format!("/readyz{query}")).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON: {body}"));
    (status, json, body)
}

#[actix_web::test]
async fn readyz_answers_ready_without_a_login() {
    each_backend(|app| async move {
        let (status, body, _) = readyz(&app, "").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "ready");
        assert_eq!(body["checks"]["database"], "ok");
        assert_eq!(body["checks"]["mail"], "ok");
    })
    .await;
}

#[actix_web::test]
async fn readyz_names_smtp_when_its_port_is_closed_and_reveals_no_address() {
    for backend in backends() {
        // Nothing listens on it.
        let port = free_port();
        let app = spawn_app_with(&backend, |s| {
            s.worker.enabled = false;
            s.mail.smtp = Some(local_smtp(port));
        })
        .await;
        let (status, body, raw) = readyz(&app, "").await;
        assert_eq!(status, 503, "{raw}");
        assert_eq!(body["status"], "not_ready");
        assert_eq!(body["checks"]["mail"], "failed");
        assert_eq!(body["checks"]["database"], "ok");
        assert!(!raw.contains(&port.to_string()), "no address: {raw}");
        assert!(!raw.contains("127.0.0.1"), "no address: {raw}");
        // A load balancer that should keep serving while mail is down leaves it out.
        let (status, body, _) = readyz(&app, "?exclude=mail").await;
        assert_eq!(status, 200, "{body}");
        assert!(body["checks"].get("mail").is_none());
    }
}

#[actix_web::test]
async fn readyz_names_a_connector_whose_configuration_is_broken() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.connectors = vec![dsar_portal::config::ConnectorConfig {
                token_env: Some("OBSERVABILITY_TEST_UNSET_SECRET".into()),
                ..webhook_config("shop", "https://hooks.internal.example/dsar")
            }];
        })
        .await;
        let (status, body, raw) = readyz(&app, "").await;
        assert_eq!(status, 503, "{raw}");
        assert_eq!(body["checks"]["connector:shop"], "misconfigured");
        assert!(!raw.contains("hooks.internal"), "no URL: {raw}");
        assert!(
            !raw.contains("OBSERVABILITY_TEST"),
            "no variable names: {raw}"
        );
        let (status, _, _) = readyz(&app, "?exclude=connectors").await;
        assert_eq!(status, 200);
    }
}

#[actix_web::test]
async fn readyz_names_the_database_when_postgresql_is_gone() {
    let Some(Backend::Postgres(admin)) = backends().into_iter().nth(1) else {
        eprintln!("skipping: needs TEST_DATABASE_URL (SQLite is a file, not a server)");
        return;
    };
    let app = spawn_app_with(&Backend::Postgres(admin.clone()), |s| {
        s.worker.enabled = false;
    })
    .await;
    let (status, _, _) = readyz(&app, "").await;
    assert_eq!(status, 200);
    let url = app.state.settings.database_url();
    let name = url
        .rsplit('/')
        .next()
        .and_then(|n| n.split('?').next())
        .expect("database name")
        .to_string();
    drop_postgres_database(&admin, &name);
    let started = Instant::now();
    let (status, body, raw) = readyz(&app, "").await;
    assert_eq!(status, 503, "{raw}");
    assert_eq!(body["checks"]["database"], "failed");
    assert_eq!(body["checks"]["mail"], "ok");
    assert!(!raw.contains("postgres"), "no URL: {raw}");
    // The check has a short limit of its own: the probe is not left hanging.
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// The value of the sample `series` (name and labels exactly), 0 when absent.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().expect("number"))
}

#[actix_web::test]
async fn metrics_count_requests_the_outbox_overdue_work_and_latency() {
    for backend in backends() {
        // No worker: emails stay in the outbox, so the backlog is visible.
        let app = spawn_app_with(&backend, |s| s.worker.enabled = false).await;
        let (status, before) = app.get("/metrics").await;
        assert_eq!(status, 200, "{before}");
        assert!(before.contains("# TYPE dsar_requests gauge"));
        let access = "dsar_requests{kind=\"access\",status=\"submitted\",source=\"web_form\"}";
        let backlog = "dsar_outbox_emails{status=\"pending\"}";
        assert_eq!(sample(&before, access), 0.0);
        assert_eq!(sample(&before, backlog), 0.0);

        for email in ["m.one@example.net", "m.two@example.net"] {
            let (status, page) = app
                .submit(
                    "california",
                    &[
                        ("kind", "access"),
                        ("name", "Metric Person"),
                        ("email", email),
                    ],
                )
                .await;
            assert!(status < 400, "{page}");
        }
        // A token URL, to show that only its pattern is recorded.
        let (status, _) = app.get("/status/not-a-real-token-QQQQ").await;
        assert!(status >= 400);
        app.exec("UPDATE requests SET due_on = '2020-01-01'");

        let (_, after) = app.get("/metrics").await;
        assert_eq!(sample(&after, access), 2.0, "{after}");
        assert_eq!(sample(&after, backlog), 2.0, "{after}");
        assert_eq!(sample(&after, "dsar_requests_overdue"), 2.0, "{after}");
        assert_eq!(sample(&after, "dsar_outbox_emails{status=\"failed\"}"), 0.0);
        let posted = after
            .lines()
            .filter(|l| {
                l.starts_with(
                    "dsar_http_request_duration_seconds_count{method=\"POST\",route=\"/requests\"",
                )
            })
            .map(|l| {
                l.rsplit(' ')
                    .next()
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
            })
            .sum::<f64>();
        assert_eq!(posted, 2.0, "{after}");
        assert!(
            after.contains("dsar_http_request_duration_seconds_bucket{method=\"GET\",route=\"/status/{token}\",status=\"4xx\",le=\"+Inf\"} 1"),
            "{after}"
        );
        assert!(!after.contains("QQQQ"), "no paths, no tokens");
        assert!(!after.contains("example.net"), "no personal data");
    }
}

#[actix_web::test]
async fn metrics_need_the_token_when_one_is_set_and_stay_local_otherwise() {
    let backend = Backend::Sqlite;
    let secrets = tempfile::tempdir().expect("tempdir");
    let token_file = secrets.path().join("metrics.token");
    std::fs::write(&token_file, "scrape-token-for-tests-0123456789\n").expect("token");
    let app = spawn_app_with(&backend, |s| {
        s.metrics.token_file = Some(token_file.clone());
    })
    .await;
    let get = |auth: Option<&'static str>| {
        let mut r = app.client.get(app.url("/metrics"));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        async move { r.send().await.expect("GET").status().as_u16() }
    };
    assert_eq!(get(None).await, 401);
    assert_eq!(get(Some("Bearer wrong-token-wrong-token-00")).await, 401);
    assert_eq!(
        get(Some("Bearer scrape-token-for-tests-0123456789")).await,
        200
    );
    // The scheme's name is case-insensitive (RFC 7235).
    assert_eq!(
        get(Some("bearer scrape-token-for-tests-0123456789")).await,
        200
    );

    // Without a token: this machine only, and never through a proxy.
    let local = spawn_app(&backend).await;
    let (status, _) = local.get("/metrics").await;
    assert_eq!(status, 200);
    let proxied = local
        .client
        .get(local.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16();
    assert_eq!(proxied, 403);

    let off = spawn_app_with(&backend, |s| s.metrics.enabled = false).await;
    let (status, _) = off.get("/metrics").await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn json_logs_are_one_object_per_line_without_personal_data() {
    const EMAIL: &str = "jason.logline@private-mail.example";
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = dir.path().join("dsar-portal.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:0\"\ndata_dir = {data:?}\nlog = \"debug\"\nlog_format = \"json\"\n\
             [rate_limits]\nenabled = false\n[worker]\npoll_milliseconds = 50\n"
        ),
    )
    .expect("config");
    let server = Server::start(&config);
    let base = server.address().await;

    // A browser (a client keeping cookies) files a request through the form.
    let visitor = Staff::anonymous_at(&base);
    let form_page = "/requests/new?jurisdiction=eu";
    let (_, form) = visitor.get(form_page).await;
    let submission_id = hidden(&form, "submission_id");
    let (status, _) = visitor
        .post(
            form_page,
            "/requests",
            &[
                ("submission_id", &submission_id),
                ("jurisdiction", "eu"),
                ("kind", "access"),
                ("name", "Jason Logline"),
                ("email", EMAIL),
            ],
        )
        .await;
    assert!(status < 400);
    // Wait for the worker to send the verification email (more log lines on the way).
    let mail = data.join("mail");
    let deadline = Instant::now() + Duration::from_secs(30);
    while eml_files(&mail).is_empty() {
        assert!(Instant::now() < deadline, "no email was sent");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let text = server.stop().join("\n");
    let objects: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        objects.iter().any(|o| o["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("/requests "))),
        "the request log is there, by route pattern: {text}"
    );
    assert!(objects
        .iter()
        .all(|o| o["level"].is_string() && o["timestamp"].is_string()));
    let lowered = text.to_lowercase();
    for needle in ["jason.logline", "private-mail", "jason logline"] {
        assert!(!lowered.contains(needle), "{needle} was logged:\n{text}");
    }
}
