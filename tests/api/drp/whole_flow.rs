//! An agent pairs, files every exercise, follows its statuses and revokes.

use super::*;

#[actix_web::test]
async fn an_agent_pairs_files_every_exercise_follows_and_revokes() {
    for backend in backends() {
        let app = drp_app(&backend).await;
        let (callback, received) = start_listener();
        let agent = Agent::new(AGENT, 1);
        register(&app, &agent);

        let token = pair(&app, &agent).await;
        let (s, body) = call(
            &app,
            reqwest::Method::GET,
            &format!("/v1/agent/{AGENT}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(s, 200, "agent information: {body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("JSON"),
            json!({})
        );

        let kinds = [
            "access",
            "deletion",
            "sale:opt-out",
            "sale:opt-in",
            "access:categories",
            "access:specific",
        ];
        let mut ids = std::collections::HashMap::new();
        for (i, kind) in kinds.iter().enumerate() {
            let agent_request_id = format!("ar-{i}-{}", kind.replace(':', "-"));
            let fields = merge(
                exercise_fields(kind, &format!("consumer{i}@example.com"), true),
                json!({"status_callback": callback, "agent-request-id": agent_request_id}),
            );
            let first = ok_json(
                &format!("exercise {kind}"),
                &app,
                exercise(&app, &token, agent.body(fields)).await,
            );
            let id = first["request_id"]
                .as_str()
                .expect("request_id")
                .to_string();
            assert_uuid(&id);
            assert_eq!(first["agent_request_id"], agent_request_id.as_str());
            let received_at = assert_time(&first, "received_at");
            assert!(
                (Utc::now() - received_at).num_minutes().abs() < 5,
                "received_at is now: {first}"
            );
            if *kind == "sale:opt-in" {
                assert_eq!(
                    first["status"], "fulfilled",
                    "opt-in is done at once: {first}"
                );
                assert!(first.get("expected_by").is_none(), "{first}");
            } else {
                assert_eq!(first["status"], "in_progress", "{kind}: {first}");
                let expected_by = assert_time(&first, "expected_by");
                assert!(expected_by > received_at, "{kind}: {first}");
                assert!(
                    first.get("reason").is_none(),
                    "an attested email needs no verification: {first}"
                );
            }
            let again = ok_json(
                &format!("status of {kind}"),
                &app,
                status_of(&app, Some(&token), &id).await,
            );
            assert_eq!(again, first, "GET answers the same status for {kind}");
            ids.insert(*kind, id);
        }
        assert_eq!(app.count("drp_requests"), kinds.len() as i64);

        // A retry (a new signature, same agent-request-id) answers with the same request.
        let retry = ok_json(
            "retry",
            &app,
            exercise(
                &app,
                &token,
                agent.body(merge(
                    exercise_fields("access", "consumer0@example.com", true),
                    json!({"agent-request-id": "ar-0-access", "status_callback": callback}),
                )),
            )
            .await,
        );
        assert_eq!(retry["request_id"], ids["access"].as_str());
        assert_eq!(app.count("drp_requests"), kinds.len() as i64);

        // Staff work the access request to fulfilment; the agent hears of it.
        let access = ids["access"].clone();
        let handler = app.staff("handler").await;
        handler.verify_and_fulfil(&access).await;
        assert_eq!(
            app.request_field(&access, "status").as_deref(),
            Some("fulfilled")
        );
        let called = callback_for(&received, &access, "fulfilled").await;
        assert_eq!(called["agent_request_id"], "ar-0-access");
        let results_url = called["results_url"]
            .as_str()
            .unwrap_or_else(|| panic!("a fulfilled callback has a results_url: {called}"));
        assert!(results_url.contains("/status/"), "{results_url}");
        let now = ok_json(
            "status after fulfilment",
            &app,
            status_of(&app, Some(&token), &access).await,
        );
        assert_eq!(now["status"], "fulfilled");
        assert_eq!(now["results_url"], results_url, "one results link");
        assert!(now.get("expected_by").is_none(), "{now}");
        // The results link opens the status page.
        let path = &results_url[results_url.find("/status/").expect("path")..];
        let (s, _) = app.get(path).await;
        assert_eq!(s, 200, "results_url opens");

        // Revoking the deletion request.
        let deletion = ids["deletion"].clone();
        let revoke = agent.body(json!({"reason": "The consumer changed their mind."}));
        let revoked = ok_json(
            "revoke",
            &app,
            call(
                &app,
                reqwest::Method::DELETE,
                &format!("/v1/data-rights-request/{deletion}"),
                Some(&token),
                Some(revoke.clone()),
            )
            .await,
        );
        assert_eq!(revoked["status"], "revoked", "{revoked}");
        assert_eq!(revoked["request_id"], deletion.as_str());
        assert_eq!(
            app.request_field(&deletion, "status").as_deref(),
            Some("withdrawn")
        );
        let after = ok_json(
            "status after revoke",
            &app,
            status_of(&app, Some(&token), &deletion).await,
        );
        assert_eq!(after["status"], "revoked");
        assert_refusal(
            "replayed revoke",
            call(
                &app,
                reqwest::Method::DELETE,
                &format!("/v1/data-rights-request/{deletion}"),
                Some(&token),
                Some(revoke),
            )
            .await,
            403,
            Some(false),
        );
        callback_for(&received, &deletion, "revoked").await;
        // A closed request cannot be revoked.
        let (s, body) = call(
            &app,
            reqwest::Method::DELETE,
            &format!("/v1/data-rights-request/{access}"),
            Some(&token),
            Some(agent.body(json!({"reason": "too late"}))),
        )
        .await;
        assert!(
            (400..500).contains(&s),
            "revoking a fulfilled request: {s} {body}"
        );

        // An email the agent did not verify is verified by the business first.
        let unverified = ok_json(
            "unverified email",
            &app,
            exercise(
                &app,
                &token,
                agent.body(exercise_fields("access", "unverified@example.com", false)),
            )
            .await,
        );
        assert_eq!(unverified["status"], "in_progress");
        assert_eq!(
            unverified["reason"], "need_user_verification",
            "{unverified}"
        );
        let id = unverified["request_id"].as_str().expect("id");
        assert_eq!(
            app.request_field(id, "status").as_deref(),
            Some("submitted")
        );
        app.email_where("to confirm the email", |m| {
            m.to == "unverified@example.com" && m.text.contains("/verify/")
        })
        .await;
    }
}
