//! A webhook system that answers later: the run waits, and the system's signed callback
//! to `/api/v1/connectors/{name}/callback` completes it — once.

use crate::helpers::*;
use dsar_portal::connectors::webhook::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use std::sync::{Arc, Mutex};

const SECRET: &str = "a shared secret for the callback test";

/// A receiver that answers find at once and accepts erase for later (202), keeping the
/// run ids it was sent.
fn start_receiver(calls: Arc<Mutex<Vec<serde_json::Value>>>) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                let calls = calls.clone();
                actix_web::App::new().default_service(actix_web::web::to(
                    move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                        let calls = calls.clone();
                        async move {
                            let h = |n: &str| {
                                req.headers()
                                    .get(n)
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or("")
                                    .to_string()
                            };
                            let now = chrono::Utc::now().timestamp();
                            if !dsar_portal::connectors::webhook::verify(
                                SECRET.as_bytes(),
                                &h(TIMESTAMP_HEADER),
                                &h(SIGNATURE_HEADER),
                                &body,
                                now,
                                300,
                            ) {
                                return actix_web::HttpResponse::Unauthorized().finish();
                            }
                            let v: serde_json::Value =
                                serde_json::from_slice(&body).unwrap_or_default();
                            calls.lock().expect("lock").push(v.clone());
                            match v["event"].as_str() {
                                Some("find") => {
                                    actix_web::HttpResponse::Ok().json(serde_json::json!({
                                "keys": [{"key": "account_id", "strength": "strong", "records": 2}],
                                "counts": {"orders": 2}, "refs": {"orders": [1, 2]}}))
                                }
                                _ => actix_web::HttpResponse::Accepted().finish(),
                            }
                        }
                    },
                ))
            })
            .bind(("127.0.0.1", 0))
            .expect("bind");
            let port = server.addrs()[0].port();
            tx.send(port).expect("port");
            server.run().await
        })
    });
    format!(
        "http://127.0.0.1:{}/hook",
        rx.recv().expect("receiver port")
    )
}

fn signed(body: &serde_json::Value, secret: &str) -> (String, String, Vec<u8>) {
    let bytes = serde_json::to_vec(body).expect("json");
    let ts = chrono::Utc::now().timestamp();
    (ts.to_string(), sign(secret.as_bytes(), ts, &bytes), bytes)
}

#[actix_web::test]
async fn an_accepted_erase_is_completed_by_one_signed_callback() {
    let var = format!("HOOK_SECRET_{}", std::process::id());
    std::env::set_var(&var, SECRET);
    for backend in backends() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let url = start_receiver(calls.clone());
        let v = var.clone();
        let app = spawn_app_with(&backend, move |s| {
            s.worker.enabled = false;
            s.connectors = vec![dsar_portal::config::ConnectorConfig {
                token_env: Some(v),
                timeout_seconds: 10,
                ..webhook_config("crm", &url)
            }];
        })
        .await;
        app.submit(
            "california",
            &[
                ("kind", "deletion"),
                ("name", "Jane"),
                ("email", "jane@example.com"),
            ],
        )
        .await;
        let id = app.only_request_id();
        app.exec(&format!(
            "UPDATE requests SET status = 'in_progress' WHERE id = '{id}'"
        ));
        let run_one = || {
            let state = app.state.clone();
            std::thread::spawn(move || {
                let mut conn = state.pool.get().expect("conn");
                dsar_portal::flows::connector_runs::run_next(&state, &mut conn).expect("run")
            })
            .join()
            .expect("thread")
        };
        for action in ["find", "erase"] {
            app.queue_connector_run(&id, "crm", action);
            assert!(run_one());
        }
        let (status, external): (String, Option<String>) = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::connector_runs::dsl::*;
            connector_runs
                .filter(action.eq("erase"))
                .select((status, external_id))
                .first(c)
                .expect("run")
        });
        assert_eq!(status, "waiting");
        let call_id = calls.lock().expect("lock").last().expect("erase call")["run_id"]
            .as_str()
            .expect("id")
            .to_string();
        assert_eq!(external.as_deref(), Some(call_id.as_str()));
        assert!(!run_one(), "a waiting run is not retried");

        let callback = app.url("/api/v1/connectors/crm/callback");
        let answer =
            serde_json::json!({"run_id": call_id, "event": "erase", "deleted": {"orders": 2}});
        let post = |secret: &'static str, body: serde_json::Value, path: String| {
            let client = app.client.clone();
            async move {
                let (ts, sig, bytes) = signed(&body, secret);
                client
                    .post(path)
                    .header("content-type", "application/json")
                    .header(TIMESTAMP_HEADER, ts)
                    .header(SIGNATURE_HEADER, sig)
                    .body(bytes)
                    .send()
                    .await
                    .expect("POST")
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(
            post("the wrong secret", answer.clone(), callback.clone()).await,
            403
        );
        assert_eq!(
            post(
                SECRET,
                answer.clone(),
                app.url("/api/v1/connectors/nope/callback")
            )
            .await,
            404
        );
        assert_eq!(post(SECRET, answer.clone(), callback.clone()).await, 200);
        assert_eq!(
            post(SECRET, answer.clone(), callback.clone()).await,
            409,
            "accepted once"
        );
        let (status, summary): (String, Option<String>) = app.db(|c| {
            use diesel::prelude::*;
            use dsar_portal::db::schema::connector_runs::dsl::*;
            connector_runs
                .filter(action.eq("erase"))
                .select((status, summary))
                .first(c)
                .expect("run")
        });
        assert_eq!(status, "done");
        assert!(summary.expect("summary").contains("\"orders\":2"));
        // A replayed signature from outside the window is refused as well.
        let bytes = serde_json::to_vec(&answer).expect("json");
        let old = chrono::Utc::now().timestamp() - 3600;
        let r = app
            .client
            .post(&callback)
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, old.to_string())
            .header(SIGNATURE_HEADER, sign(SECRET.as_bytes(), old, &bytes))
            .body(bytes)
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), 403);
    }
}
