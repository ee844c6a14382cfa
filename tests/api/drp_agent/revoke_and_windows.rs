//! Revoking with OSIRAA's fixed body, and the validity windows a portal accepts.

use super::*;

#[actix_web::test]
async fn one_fixed_revoke_body_revokes_each_request_once() {
    for backend in backends() {
        let (agent, app) = paired_with_recommended_window(&backend, 11).await;
        let first = id_of(&filed(&app, &agent, "deletion", "one@example.com", true).await);
        let second = id_of(&filed(&app, &agent, "access", "two@example.com", true).await);

        // Ed25519 is deterministic: both bodies are the same bytes.
        let body = agent.revoke_body();
        assert_eq!(body, agent.revoke_body());
        for id in [&first, &second] {
            let revoked = agent
                .revoke(&app, id, body.clone())
                .await
                .ok(&format!("revoke ({})", app.backend));
            assert_eq!(revoked["status"], "revoked", "{revoked}");
            assert_eq!(revoked["request_id"], id.as_str());
        }
        // The same body to the same request again is a replay.
        let replay = agent.revoke(&app, &first, body.clone()).await.error(403);
        assert!(
            replay["message"]
                .as_str()
                .is_some_and(|m| m.contains("already")),
            "{replay}"
        );
        // A captured exercise body sent again is refused, and files nothing.
        let exercise = agent.exercise_body("access", "three@example.com", true);
        agent.file(&app, exercise.clone()).await.ok("exercise");
        let before = app.count("drp_requests");
        agent.file(&app, exercise).await.error(403);
        assert_eq!(app.count("drp_requests"), before);
        // A revoke body captured from this agent is no key to another agent's request.
        let mut other = SpecAgent::with_window("AA_OTHER", 12, Duration::minutes(10));
        register(&app, &other);
        other.pair(&app).await.ok("other pairs");
        let theirs = id_of(&filed(&app, &other, "access", "four@example.com", true).await);
        agent
            .revoke(&app, &theirs, agent.revoke_body())
            .await
            .error(403);
        assert_eq!(
            other.status(&app, &theirs).await.ok("status")["status"],
            "in_progress"
        );
    }
}

#[actix_web::test]
async fn fifteen_minute_windows_are_accepted_up_to_the_configured_maximum() {
    for backend in backends() {
        let (agent, app) = paired(&backend, SpecAgent::new(AGENT, 21)).await;
        filed(&app, &agent, "access", "window@example.com", true).await;
        agent
            .revoke(&app, "no-such-request", agent.revoke_body())
            .await
            .error(404);

        // Past the default maximum (15 minutes): refused, and the maximum is named.
        let long = agent.signing_for(Duration::minutes(16));
        let refused = long
            .file(&app, long.exercise_body("access", "long@example.com", true))
            .await
            .error(400);
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("15 minutes")),
            "{refused}"
        );

        // The other time checks stand: issued in the future beyond the clock skew.
        let mut future = agent.stamped(json!({
            "drp.version": "1.0", "exercise": "access", "email": "f@example.com",
        }));
        let later = Utc::now() + Duration::minutes(5);
        future["issued-at"] = json!(iso_ms(later));
        future["expires-at"] = json!(iso_ms(later + Duration::minutes(10)));
        agent.file(&app, agent.seal(&future)).await.error(400);
    }
}

#[actix_web::test]
async fn a_longer_maximum_can_be_configured() {
    let backend = Backend::Sqlite;
    let mut agent = SpecAgent::with_window(AGENT, 22, Duration::minutes(25));
    let app = spawn_app_with(&backend, |s| {
        s.drp.business_id = Some(BUSINESS.into());
        s.drp.max_validity_minutes = 30;
    })
    .await;
    register(&app, &agent);
    agent
        .pair(&app)
        .await
        .ok("a 25-minute window under a 30-minute maximum");
}
