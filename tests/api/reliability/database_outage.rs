//! The database goes away and comes back: 503s, nothing lost, recovery without restart.

use super::*;

#[actix_web::test]
async fn database_outage_answers_503_loses_nothing_and_recovers_without_restart() {
    let Some(backend) = postgres() else { return };
    let Backend::Postgres(admin) = &backend else {
        unreachable!()
    };
    let upstream = host_port(admin);
    let mut proxy = Proxy::start(&upstream);
    let through = proxy.addr.to_string();
    let app = spawn_app_with(&backend, move |s| {
        let url = s.database_url.take().expect("a fresh database");
        assert!(url.contains(&upstream), "{url}");
        s.database_url = Some(url.replacen(&upstream, &through, 1));
    })
    .await;
    let status_page = app
        .file_and_verify("eu", "access", "before@example.com")
        .await;
    assert_eq!(app.get(&status_page).await.0, 200);
    let before = app.count("requests");

    proxy.cut();
    let (s, page) = app.get(&status_page).await;
    assert_eq!(s, 503, "{page}");
    assert!(page.contains("temporarily unavailable"), "{page}");
    // Alive but not ready: an orchestrator keeps the process and sends it no traffic.
    assert_eq!(
        app.get("/healthz").await.0,
        200,
        "liveness needs no database"
    );
    let (s, ready) = app.get("/readyz").await;
    assert_eq!(s, 503, "{ready}");
    // Pages that need no database still answer.
    for path in [
        "/static/style.css",
        "/.well-known/gpc.json",
        "/requests/new?jurisdiction=eu",
    ] {
        assert_eq!(app.get(path).await.0, 200, "{path}");
    }
    // Submissions during the outage get a clear 503, never a 2xx.
    let body = intake_body("access", "eu", "during@example.com");
    let r = post_outage_request(&app, &body).await;
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let v: Json = r.json().await.expect("json");
    assert_eq!(v["error"], "unavailable", "{v}");
    let (s, page) = app
        .submit(
            "eu",
            &[
                ("kind", "access"),
                ("name", "Form Outage"),
                ("email", "form-during@example.com"),
            ],
        )
        .await;
    assert_eq!(s, 503, "{page}");
    assert!(page.contains("temporarily unavailable"));

    proxy.reopen();
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.get(&status_page).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "the page answers again after the outage"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/healthz").await.0, 200);
    assert_eq!(
        app.count("requests"),
        before,
        "what was refused during the outage was not stored"
    );
    // The refused submission, retried, is accepted; the worker survived and mails it.
    let r = post_outage_request(&app, &body).await;
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(app.count("requests"), before + 1);
    app.email_where("for the retried request", |m| {
        m.to == "during@example.com" && m.text.contains("/verify/")
    })
    .await;
    assert!(app.db(audit_chain_holds));
}

/// The JSON API's filing of `body`, under the one idempotency key of the outage test.
async fn post_outage_request(app: &TestApp, body: &Json) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/requests"))
        .header("Idempotency-Key", "rel-outage")
        .json(body)
        .send()
        .await
        .expect("POST")
}
