//! Two instances on one PostgreSQL do each piece of work once.

use super::*;

#[actix_web::test]
async fn two_instances_on_one_postgres_do_each_piece_of_work_once() {
    let Some(backend) = postgres() else { return };
    std::env::set_var(SHOP_SECRET_VAR, SHOP_SECRET);
    let receiver = Receiver::start(|_, _| false);
    let cfg = shop_config(&receiver.url, 30);
    let c1 = cfg.clone();
    let a = spawn_app_with(&backend, move |s| s.connectors = vec![c1]).await;
    let c2 = cfg.clone();
    let b = rel_spawn_second(&a, move |s| s.connectors = vec![c2]).await;
    const N: usize = 12;
    let email = |i: usize| format!("twice-{i}@example.com");

    // N requests, alternately through each instance: N verification emails.
    let mut ids = Vec::new();
    for i in 0..N {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = app
            .client
            .post(app.url("/api/v1/requests"))
            .json(&intake_body("access", "eu", &email(i)))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status().as_u16(), 202);
        let v: Json = r.json().await.expect("json");
        ids.push(app.request_id(v["reference"].as_str().expect("reference")));
    }
    let sent = |app: &TestApp, template: &'static str| {
        app.db(move |c| {
            let by_status: Vec<(String, i64)> = outbox::table
                .filter(outbox::template.eq(template))
                .group_by(outbox::status)
                .select((outbox::status, diesel::dsl::count_star()))
                .load(c)
                .expect("outbox");
            by_status
        })
    };
    rel_wait_async(
        "both workers sent every email",
        Duration::from_secs(60),
        || (sent(&a, "verify_email") == vec![("sent".to_string(), N as i64)]).then_some(()),
    )
    .await;
    let mail_dir = a.data_dir.join("mail");
    let mut to = eml_recipients(&mail_dir);
    to.sort();
    let mut wanted: Vec<String> = (0..N).map(email).collect();
    wanted.sort();
    assert_eq!(to, wanted, "each email written exactly once");

    // N connector runs, queued alternately through each instance.
    a.exec("UPDATE requests SET status = 'email_verified'");
    for (i, id) in ids.iter().enumerate() {
        let app = if i % 2 == 0 { &a } else { &b };
        queue_run(&app.state, id, "find");
    }
    rel_wait_async("every run is done", Duration::from_secs(60), || {
        let done: i64 = a.db(|c| {
            connector_runs::table
                .filter(connector_runs::status.eq("done"))
                .count()
                .get_result(c)
                .expect("count")
        });
        (done == N as i64).then_some(())
    })
    .await;
    {
        let calls = receiver.calls.lock().unwrap();
        assert!(calls.iter().all(|c| c.verified && c.event == "find"));
        let mut subjects: Vec<String> = calls
            .iter()
            .map(|c| {
                c.body["subject"]["email"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string()
            })
            .collect();
        subjects.sort();
        assert_eq!(subjects, wanted, "the system saw each run exactly once");
    }
    let attempts: Vec<i64> = a.db(|c| {
        connector_runs::table
            .select(connector_runs::attempts)
            .load(c)
            .expect("runs")
    });
    assert_eq!(attempts, vec![1; N], "each run claimed once");
    for id in &ids {
        let id = id.clone();
        assert_eq!(a.db(move |c| done_events(c, &id)).len(), 1);
    }

    // Reminders: every request due in 7 days. A third instance starting up runs the
    // housekeeping pass on its own; then all three run it at once, several times.
    let soon = chrono::Utc::now().date_naive() + chrono::Duration::days(7);
    a.exec(&format!("UPDATE requests SET due_on = '{soon}'"));
    let c3 = cfg.clone();
    let c = rel_spawn_second(&a, move |s| s.connectors = vec![c3]).await;
    let reminder_rows = |app: &TestApp| -> i64 {
        app.db(|c| reminders::table.count().get_result(c).expect("count"))
    };
    rel_wait_async(
        "the starting instance's worker queued the reminders",
        Duration::from_secs(60),
        || (reminder_rows(&a) == N as i64).then_some(()),
    )
    .await;
    let barrier = Arc::new(std::sync::Barrier::new(3));
    let passes: Vec<JoinHandle<()>> = [&a, &b, &c]
        .iter()
        .map(|app| {
            let (state, barrier) = (app.state.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..3 {
                    dsar_portal::jobs::housekeeping(&state);
                }
            })
        })
        .collect();
    for p in passes {
        p.join().expect("housekeeping thread");
    }
    assert_eq!(reminder_rows(&a), N as i64, "one reminder key per request");
    rel_wait_async("every reminder sent", Duration::from_secs(60), || {
        (sent(&a, "staff_reminder") == vec![("sent".to_string(), N as i64)]).then_some(())
    })
    .await;
    let admin = &a.first_admin.0;
    let reminders_written = eml_recipients(&mail_dir)
        .iter()
        .filter(|t| *t == admin)
        .count();
    assert_eq!(
        reminders_written, N,
        "the only staff member got one reminder per request"
    );

    // While one instance holds the housekeeping lock, the others skip their pass.
    let url = a.state.settings.database_url.clone().expect("pg url");
    let mut holder = diesel::PgConnection::establish(&url).expect("connect");
    let lock = dsar_portal::jobs::HOUSEKEEPING_LOCK;
    diesel::sql_query(format!("SELECT pg_advisory_lock({lock})"))
        .execute(&mut holder)
        .expect("lock");
    assert!(
        !dsar_portal::jobs::housekeeping(&b.state),
        "skipped while held"
    );
    diesel::sql_query(format!("SELECT pg_advisory_unlock({lock})"))
        .execute(&mut holder)
        .expect("unlock");
    // (Another instance's own minute pass may take the lock first: try until b runs.)
    rel_wait(
        "b runs a pass once the lock is free",
        Duration::from_secs(30),
        || dsar_portal::jobs::housekeeping(&b.state).then_some(()),
    );

    // Filed and confirmed through one instance, seen through the others: the status
    // page on b, the staff request page on c (one verification email in all).
    let status = a
        .file_and_verify("eu", "access", "seen-everywhere@example.com")
        .await;
    let (s, page) = b.get(&status).await;
    assert_eq!(s, 200, "{page}");
    let staff = c.staff("handler").await;
    let (s, queue) = staff.get("/staff").await;
    assert_eq!(s, 200);
    let id = ids_not_in(&a, &ids);
    assert!(queue.contains(&id), "the request is in c's queue");
    let (s, page) = staff.get(&format!("/staff/requests/{id}")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("seen-everywhere@example.com"));
    assert!(a.db(audit_chain_holds));
    drop(c);
    drop(b);
}

/// The one request id not among `known`.
fn ids_not_in(app: &TestApp, known: &[String]) -> String {
    let all: Vec<String> = app.db(|c| requests::table.select(requests::id).load(c).expect("ids"));
    let mut new: Vec<String> = all.into_iter().filter(|i| !known.contains(i)).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    new.remove(0)
}
