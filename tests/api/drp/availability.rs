//! The API is off without a business id, and calls are rate limited.

use super::*;

#[actix_web::test]
async fn the_api_is_off_without_a_business_id() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.rate_limits.enabled = false).await;
        let a = Agent::new(AGENT, 1);
        register(&app, &a);
        let (s, _) = app.get(&format!("/v1/agent/{AGENT}")).await;
        assert_eq!(s, 404, "GET agent ({})", app.backend);
        let (s, _) = call(
            &app,
            reqwest::Method::POST,
            &format!("/v1/agent/{AGENT}"),
            None,
            Some(a.pair_body()),
        )
        .await;
        assert_eq!(s, 404, "pairing");
        let (s, body) = call(
            &app,
            reqwest::Method::POST,
            "/v1/data-rights-request",
            Some("anything"),
            Some(a.body(exercise_fields("access", "jane@example.com", true))),
        )
        .await;
        assert_eq!(s, 404, "exercise");
        // Agents are programs: the protocol's error object, never an HTML page.
        let error: Value = serde_json::from_str(&body).expect("a JSON error object");
        assert_eq!(error["code"], "404", "{body}");
        assert_eq!(
            error["fatal"], false,
            "nothing moves to a final state: {body}"
        );
    }
}

#[actix_web::test]
async fn calls_are_rate_limited() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| {
            s.drp.business_id = Some(BUSINESS.into());
            s.rate_limits.enabled = true;
            s.rate_limits.drp_per_minute = 3;
        })
        .await;
        let mut statuses = Vec::new();
        let mut last = String::new();
        for _ in 0..5 {
            let (s, body) = app.get(&format!("/v1/agent/{AGENT}")).await;
            statuses.push(s);
            last = body;
        }
        assert_eq!(statuses[..3], [403, 403, 403], "{statuses:?}");
        assert_eq!(statuses[3..], [429, 429], "{statuses:?}");
        let error: Value = serde_json::from_str(&last).expect("a JSON error object");
        assert_eq!(error["code"], "429", "{last}");
        assert_eq!(error["fatal"], false, "worth retrying later: {last}");
    }
}
