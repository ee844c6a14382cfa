//! kill -9 during a connector call: the run resumes after its lease and completes once;
//! a lease no longer than a call is refused at start.

use super::*;

#[test]
fn kill_9_during_a_connector_call_resumes_after_the_lease_and_completes_once() {
    std::env::set_var(SHOP_SECRET_VAR, SHOP_SECRET);
    for backend in backends() {
        let work = tempfile::tempdir().expect("tempdir");
        let db = rel_database(&backend);
        // The first erase call is held open until the portal dies; later ones answer.
        let receiver = Receiver::start(|event, nth| event == "erase" && nth == 0);
        let config = work.path().join("portal.toml");
        std::fs::write(
            &config,
            format!(
                "[[connectors]]\nname = \"shop\"\nkind = \"webhook\"\nbase_url = \"{}\"\n\
                 token_env = \"{SHOP_SECRET_VAR}\"\ntimeout_seconds = 10\n",
                receiver.url
            ),
        )
        .expect("config");
        let config = config.to_string_lossy().into_owned();
        let args = ["--config", config.as_str()];
        // A short lease (longer than the call's timeout, as the settings check demands).
        let env = [
            ("DSAR_WORKER__CONNECTOR_LEASE_SECONDS", "11"),
            (SHOP_SECRET_VAR, SHOP_SECRET),
        ];
        let portal = Portal::start(work.path(), &db, &args, &env);
        let client = blocking_client();
        let (s, v) = post_intake(
            &client,
            &portal.url("/api/v1/requests"),
            "rel-erase",
            &intake_body("deletion", "california", "erase-me@example.com"),
        )
        .expect("intake");
        assert_eq!(s, 202, "{v}");
        let reference = v["reference"].as_str().expect("reference").to_string();

        let state = local_state(work.path(), &db, vec![shop_config(&receiver.url, 10)]);
        let id: String = requests::table
            .filter(requests::reference.eq(&reference))
            .select(requests::id)
            .first(&mut *conn(&state))
            .expect("request");
        // Verified and in progress (the identity steps are covered elsewhere).
        diesel::update(requests::table.find(&id))
            .set(requests::status.eq("in_progress"))
            .execute(&mut *conn(&state))
            .expect("in progress");
        queue_run(&state, &id, "find");
        rel_wait("the find is done", Duration::from_secs(60), || {
            run_row(&mut conn(&state), &id, "find")
                .filter(|r| r.status == dsar_portal::domain::runs::RunStatus::Done)
        });
        queue_run(&state, &id, "erase");
        rel_wait(
            "the system holds the erase call",
            Duration::from_secs(60),
            || (receiver.count("erase") == 1).then_some(()),
        );
        portal.kill_9();
        let run = run_row(&mut conn(&state), &id, "erase").expect("erase run");
        assert_eq!(
            (run.status.as_str(), run.attempts),
            ("running", 1),
            "claimed by the killed worker ({})",
            backend.name()
        );

        let portal = Portal::start(work.path(), &db, &args, &env);
        let done = rel_wait(
            "the erase is taken up again and done",
            Duration::from_secs(120),
            || {
                run_row(&mut conn(&state), &id, "erase")
                    .filter(|r| r.status == dsar_portal::domain::runs::RunStatus::Done)
            },
        );
        assert_eq!(done.attempts, 2, "one call killed, one completed");
        assert!(done.claimed_until.is_none() && done.finished_at.is_some());
        let summary: Json = serde_json::from_str(&done.summary.expect("summary")).expect("json");
        assert_eq!(summary["deleted"]["orders"], 1);
        {
            let calls = receiver.calls.lock().unwrap();
            let erases: Vec<&Call> = calls.iter().filter(|c| c.event == "erase").collect();
            assert_eq!(
                erases.len(),
                2,
                "the held call, then one more after the lease"
            );
            assert!(erases.iter().all(|c| c.verified), "every call signed");
            assert_eq!(
                erases[0].body["matches"], erases[1].body["matches"],
                "the same approved matches both times"
            );
        }
        let mut c = conn(&state);
        let runs: i64 = connector_runs::table
            .filter(connector_runs::request_id.eq(&id))
            .filter(connector_runs::action.eq("erase"))
            .count()
            .get_result(&mut *c)
            .expect("count");
        assert_eq!(runs, 1, "no second run row");
        let done = done_events(&mut c, &id);
        let erase_done = done.iter().filter(|d| d["action"] == "erase").count();
        assert_eq!(
            (done.len(), erase_done),
            (2, 1),
            "one completion for the find, exactly one for the erase ({})",
            backend.name()
        );
        assert!(audit_chain_holds(&mut c));
        drop(c);
        drop(portal);
    }
}

#[test]
fn a_connector_lease_no_longer_than_a_call_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = test_settings(dir.path());
    s.connectors = vec![shop_config("http://127.0.0.1:9/dsar", 30)];
    s.worker.connector_lease_seconds = 30;
    let err = s
        .check()
        .expect_err("a lease as long as the call is refused");
    assert!(err.to_string().contains("connector_lease_seconds"), "{err}");
    s.worker.connector_lease_seconds = 31;
    s.check().expect("a longer lease is fine");
}
