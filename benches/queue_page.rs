//! Benchmark: the staff queue's first page with a long history.
//!
//! Fills a database with BENCH_ROWS requests (default 1,000,000; 1% open, the rest
//! closed over five years), starts the real server on it, logs a handler in and times
//! the queue pages over HTTP. Runs on SQLite, and on PostgreSQL too when
//! BENCH_DATABASE_URL names a server database to use (it is emptied first).
//!
//!     cargo bench --bench queue_page
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench cargo bench --bench queue_page
//!
//! `cargo test` runs it as a smoke run (`support`): SMOKE_ROWS rows, a couple of requests
//! per page, and PostgreSQL in a scratch database on the TEST_DATABASE_URL server.
//! BENCH_ROWS must leave a full first page of open requests and a second page.
//! Figures go to docs/PERFORMANCE.md by hand; nothing here asserts on time.

#[allow(dead_code)]
mod support;

use diesel::connection::SimpleConnection;
use dsar_portal::config::Settings;
use std::time::{Duration, Instant};

const SQLITE_FILL: &str = "
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {N})
INSERT INTO requests (id, reference, kind, jurisdiction, regime, status, source, gpc, received_at,
    due_on, paused_days, extended, submission_key, closed_at, version, updated_at)
SELECT printf('bench-%09d', x), printf('DSR-B%08d', x),
    CASE x % 4 WHEN 0 THEN 'access' WHEN 1 THEN 'deletion' WHEN 2 THEN 'correction' ELSE 'opt_out' END,
    CASE x % 3 WHEN 0 THEN 'eu' WHEN 1 THEN 'california' ELSE 'us_other' END,
    CASE x % 3 WHEN 0 THEN 'gdpr' WHEN 1 THEN 'ccpa' ELSE 'us_state' END,
    CASE WHEN x % 100 = 0 THEN 'in_progress' ELSE 'fulfilled' END,
    'web_form', 0,
    datetime('2021-01-01', '+' || (x % 2000) || ' days'),
    date('2021-01-01', '+' || (x % 2000 + 30) || ' days'),
    0, 0, printf('bench-key-%09d', x),
    CASE WHEN x % 100 = 0 THEN NULL ELSE datetime('2021-01-01', '+' || (x % 2000 + 20) || ' days') END,
    0, '2021-01-01 00:00:00'
FROM c;
ANALYZE;";

const PG_FILL: &str = "
INSERT INTO requests (id, reference, kind, jurisdiction, regime, status, source, gpc, received_at,
    due_on, paused_days, extended, submission_key, closed_at, version, updated_at)
SELECT 'bench-' || lpad(x::text, 9, '0'), 'DSR-B' || lpad(x::text, 8, '0'),
    CASE x % 4 WHEN 0 THEN 'access' WHEN 1 THEN 'deletion' WHEN 2 THEN 'correction' ELSE 'opt_out' END,
    CASE x % 3 WHEN 0 THEN 'eu' WHEN 1 THEN 'california' ELSE 'us_other' END,
    CASE x % 3 WHEN 0 THEN 'gdpr' WHEN 1 THEN 'ccpa' ELSE 'us_state' END,
    CASE WHEN x % 100 = 0 THEN 'in_progress' ELSE 'fulfilled' END,
    'web_form', FALSE,
    timestamp '2021-01-01' + (x % 2000) * interval '1 day',
    date '2021-01-01' + (x % 2000 + 30),
    0, FALSE, 'bench-key-' || lpad(x::text, 9, '0'),
    CASE WHEN x % 100 = 0 THEN NULL ELSE timestamp '2021-01-01' + (x % 2000 + 20) * interval '1 day' END,
    0, timestamp '2021-01-01'
FROM generate_series(1, {N}) AS x;
ANALYZE;";

/// The first page's request links (the queue's page size).
const PAGE: usize = 50;
/// Rows of a smoke run: 60 of them open, a full first page and a second one.
const SMOKE_ROWS: u64 = 6_000;

fn main() {
    let smoke = support::smoke();
    if smoke && !support::wanted("queue_page") {
        return;
    }
    let rows: u64 = if smoke {
        SMOKE_ROWS
    } else {
        std::env::var("BENCH_ROWS")
            .ok()
            .and_then(|v| v.replace(['_', ','], "").parse().ok())
            .unwrap_or(1_000_000)
    };
    // Every hundredth row is open: the first page needs PAGE of them and a next page.
    assert!(
        rows / 100 > PAGE as u64,
        "BENCH_ROWS must be at least {}: 1% of the rows are open, and the queue needs a full first page and a second one",
        (PAGE as u64 + 1) * 100
    );
    let mut targets = vec![("SQLite", None)];
    // Kept to the end of main: the smoke run's scratch database is dropped with it.
    let mut scratch = None;
    if smoke {
        if let Some(admin) = support::test_server("TEST_DATABASE_URL", "queue_page") {
            let db = support::ScratchPg::create(&admin);
            targets.push(("PostgreSQL", Some(db.url.clone())));
            scratch = Some(db);
        }
    } else if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        targets.push(("PostgreSQL", Some(url)));
    }
    if !smoke {
        println!("| backend | rows | fill | first page median | p95 | max | filtered (kind) median | overdue median | page 2 median | email search median |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
    }
    for (name, url) in targets {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut settings = Settings {
            bind: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            database_url: url.clone(),
            ..Settings::default()
        };
        settings.worker.enabled = false;
        settings.rate_limits.enabled = false;
        settings.log = "warn".into();
        let fill_time = fill(&settings, rows, url.is_some());
        actix_web::rt::System::new().block_on(async move {
            let figures = measure(settings, if smoke { 2 } else { 33 }).await;
            if smoke {
                println!("queue_page smoke run on {name}: {rows} rows, every page answered in full (nothing measured)");
                return;
            }
            println!(
                "| {name} | {rows} | {:.1} s | {} | {} | {} | {} | {} | {} | {} |",
                fill_time.as_secs_f64(),
                figures[0].0,
                figures[0].1,
                figures[0].2,
                figures[1].0,
                figures[2].0,
                figures[3].0,
                figures[4].0
            );
        });
    }
    drop(scratch);
}

fn fill(settings: &Settings, rows: u64, postgres: bool) -> Duration {
    if postgres {
        // Start from an empty schema so reruns measure the same thing.
        let url = settings.database_url.clone().expect("url");
        let mut c = <diesel::PgConnection as diesel::Connection>::establish(&url).expect("connect");
        c.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .expect("reset");
    }
    let (pool, _) = dsar_portal::prepare_database(settings).expect("migrate");
    let mut conn = pool.get().expect("conn");
    let sql = if postgres { PG_FILL } else { SQLITE_FILL }.replace("{N}", &rows.to_string());
    let start = Instant::now();
    conn.batch_execute(&sql).expect("fill");
    start.elapsed()
}

/// (median, p95, max) in ms for each of: first page, kind filter, overdue, page 2, email
/// search, over `rounds` requests each (the first few not counted: warm-up).
async fn measure(settings: Settings, rounds: usize) -> Vec<(String, String, String)> {
    let app = dsar_portal::Application::build(settings).expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    actix_web::rt::spawn(app.run_until_stopped());
    let email = "bench@staff.example";
    let password = "a long benchmark password";
    {
        let mut conn = state.pool.get().expect("conn");
        dsar_portal::staff::accounts::create(
            &mut conn,
            &state.hasher,
            email,
            dsar_portal::domain::roles::Role::Handler,
            Some(password),
            "bench",
            dsar_portal::clock::now(),
        )
        .expect("staff");
    }
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = client
        .get(format!("{base}/staff/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("csrf") + marker.len();
    let csrf = &page[start..start + page[start..].find('"').expect("quote")];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf_token", csrf),
            ("email", email),
            ("password", password),
        ])
        .finish();
    let r = client
        .post(format!("{base}/staff/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "logged in");
    let first = client
        .get(format!("{base}/staff"))
        .send()
        .await
        .expect("queue")
        .text()
        .await
        .expect("body");
    // Links to requests, not the "enter a request" link (`/staff/requests/new`).
    let request_links = first.matches("href=\"/staff/requests/").count()
        - first.matches("href=\"/staff/requests/new\"").count();
    assert_eq!(request_links, PAGE, "a full first page");
    let end = first.find("\" rel=\"next\"").expect("next link");
    let next = first[first[..end].rfind("href=\"").expect("href") + 6..end]
        .replace("&#x3D;", "=")
        .replace("&amp;", "&");
    let mut out = Vec::new();
    for path in [
        "/staff".to_string(),
        "/staff?kind=deletion".into(),
        "/staff?overdue=1".into(),
        next,
        "/staff?q=nobody%40example.com".into(),
    ] {
        let mut times = Vec::new();
        let warm_up = if rounds > 3 { 3 } else { 1 };
        for i in 0..rounds {
            let t = Instant::now();
            let r = client
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("GET");
            assert_eq!(r.status(), 200);
            r.text().await.expect("body");
            if i >= warm_up {
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        out.push((
            format!("{:.1} ms", at(0.5)),
            format!("{:.1} ms", at(0.95)),
            format!("{:.1} ms", at(1.0)),
        ));
    }
    out
}
