//! The database stops answering without refusing (a stalled network path): `/readyz`
//! still answers within its limit, says "timeout", and recovers when the path does.

use super::*;

#[actix_web::test]
async fn readyz_answers_timeout_while_the_database_path_stalls_and_recovers_after() {
    let Some(backend) = postgres() else { return };
    let Backend::Postgres(admin) = &backend else {
        unreachable!()
    };
    let upstream = host_port(admin);
    let proxy = Proxy::start(&upstream);
    let through = proxy.addr.to_string();
    let app = spawn_app_with(&backend, move |s| {
        s.worker.enabled = false;
        let url = s.database_url.take().expect("a fresh database");
        s.database_url = Some(url.replacen(&upstream, &through, 1));
    })
    .await;
    let (s, ready) = app.get("/readyz").await;
    assert_eq!(s, 200, "{ready}");

    // Connections stay open, pooled and idle; nothing on them is answered any more.
    proxy.freeze();
    for probe in [
        "the first probe",
        "a probe while the first check still hangs",
    ] {
        let started = Instant::now();
        let (s, body) = app.get("/readyz").await;
        // The check's own limit is 3 s; the bound here only says "it did not hang".
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{probe} answered"
        );
        assert_eq!(s, 503, "{probe}: {body}");
        let v: Json = serde_json::from_str(&body).expect("json");
        assert_eq!(v["checks"]["database"], "timeout", "{probe}: {v}");
        assert_eq!(v["checks"]["mail"], "ok", "{probe}: {v}");
    }
    assert_eq!(
        app.get("/healthz").await.0,
        200,
        "liveness needs no database"
    );

    proxy.thaw();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (s, body) = app.get("/readyz").await;
        if s == 200 {
            let v: Json = serde_json::from_str(&body).expect("json");
            assert_eq!(v["checks"]["database"], "ok", "{v}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ready again after the thaw: {body}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}
