//! Every failure is answered as the spec says.

use super::*;

#[actix_web::test]
async fn every_failure_is_answered_as_the_spec_says() {
    use reqwest::Method;
    for backend in backends() {
        let app = drp_app(&backend).await;
        let a = Agent::new(AGENT, 1);
        let b = Agent::new(OTHER, 2);
        let stranger = SigningKey::from_bytes(&[3; 32]);
        register(&app, &a);
        register(&app, &b);
        let token_a = pair(&app, &a).await;
        let token_b = pair(&app, &b).await;
        let fields = || exercise_fields("access", "jane@example.com", true);
        let filed = ok_json(
            "A files",
            &app,
            exercise(&app, &token_a, a.body(fields())).await,
        );
        let id_a = filed["request_id"].as_str().expect("id").to_string();

        assert_refusal(
            "signed with another key",
            exercise(
                &app,
                &token_a,
                seal(&stranger, &merge(a.common(), fields())),
            )
            .await,
            403,
            Some(false),
        );
        assert_refusal(
            "another agent's token for this request",
            status_of(&app, Some(&token_b), &id_a).await,
            403,
            Some(false),
        );
        assert_refusal(
            "A's body with B's token",
            exercise(&app, &token_b, a.body(fields())).await,
            403,
            Some(false),
        );
        assert_refusal(
            "another agent revokes",
            call(
                &app,
                Method::DELETE,
                &format!("/v1/data-rights-request/{id_a}"),
                Some(&token_b),
                Some(b.body(json!({"reason": "not mine"}))),
            )
            .await,
            403,
            Some(false),
        );

        let now = Utc::now();
        let timed = |issued: DateTime<Utc>, expires: DateTime<Utc>| {
            seal(
                &a.key,
                &merge(common_at(AGENT, BUSINESS, issued, expires), fields()),
            )
        };
        assert_refusal(
            "expired",
            exercise(
                &app,
                &token_a,
                timed(now - Duration::minutes(8), now - Duration::minutes(3)),
            )
            .await,
            400,
            Some(true),
        );
        assert_refusal(
            "valid for longer than the default fifteen minutes",
            exercise(
                &app,
                &token_a,
                timed(now - Duration::seconds(5), now + Duration::minutes(16)),
            )
            .await,
            400,
            Some(false),
        );
        assert_refusal(
            "issued in the future",
            exercise(
                &app,
                &token_a,
                timed(now + Duration::minutes(3), now + Duration::minutes(8)),
            )
            .await,
            400,
            Some(false),
        );
        assert_refusal(
            "wrong business",
            exercise(
                &app,
                &token_a,
                seal(
                    &a.key,
                    &merge(
                        common_at(AGENT, "CB_SOMEONE_ELSE", now, now + Duration::minutes(5)),
                        fields(),
                    ),
                ),
            )
            .await,
            403,
            Some(false),
        );

        let once = a.body(exercise_fields("deletion", "replay@example.com", true));
        ok_json(
            "first of a replay",
            &app,
            exercise(&app, &token_a, once.clone()).await,
        );
        assert_refusal(
            "replayed exercise",
            exercise(&app, &token_a, once).await,
            403,
            Some(false),
        );

        assert_refusal(
            "malformed base64",
            exercise(&app, &token_a, "this is not base64 at all!".into()).await,
            400,
            Some(false),
        );
        assert_refusal(
            "too short",
            exercise(&app, &token_a, STANDARD.encode([1u8; 64])).await,
            400,
            None,
        );
        assert_refusal(
            "unsupported version",
            exercise(
                &app,
                &token_a,
                a.body(merge(fields(), json!({"drp.version": "0.9"}))),
            )
            .await,
            400,
            None,
        );
        assert_refusal(
            "unknown exercise",
            exercise(
                &app,
                &token_a,
                a.body(merge(fields(), json!({"exercise": "teleport"}))),
            )
            .await,
            400,
            None,
        );
        assert_refusal(
            "no email claim",
            exercise(
                &app,
                &token_a,
                a.body(json!({"drp.version": "1.0", "exercise": "access", "name": "Jane"})),
            )
            .await,
            400,
            None,
        );
        assert_refusal(
            "callback is not http",
            exercise(
                &app,
                &token_a,
                a.body(merge(
                    fields(),
                    json!({"status_callback": "ftp://example.com/x"}),
                )),
            )
            .await,
            400,
            None,
        );
        let (s, body) = exercise(&app, &token_a, "A".repeat(70_000)).await;
        assert!(
            (400..500).contains(&s),
            "a 70 000-byte body is refused with a 4xx, got {s}: {body}"
        );

        assert_refusal(
            "no bearer",
            call(
                &app,
                Method::POST,
                "/v1/data-rights-request",
                None,
                Some(a.body(fields())),
            )
            .await,
            403,
            Some(false),
        );
        assert_refusal(
            "garbage bearer",
            exercise(&app, "not-a-token", a.body(fields())).await,
            403,
            Some(false),
        );
        let mut forged = token_a.clone().into_bytes();
        forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).expect("text");
        assert_refusal(
            "unknown bearer",
            exercise(&app, &forged, a.body(fields())).await,
            403,
            Some(false),
        );
        assert_refusal(
            "status without bearer",
            status_of(&app, None, &id_a).await,
            403,
            Some(false),
        );
        assert_refusal(
            "agent information with another agent's token",
            call(
                &app,
                Method::GET,
                &format!("/v1/agent/{AGENT}"),
                Some(&token_b),
                None,
            )
            .await,
            403,
            Some(false),
        );
        assert_refusal(
            "agent information without a token",
            call(&app, Method::GET, &format!("/v1/agent/{AGENT}"), None, None).await,
            403,
            Some(false),
        );

        // Pairing failures: a bare 403.
        assert_bare_403(
            "pairing with a bad signature",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{AGENT}"),
                None,
                Some(seal(
                    &stranger,
                    &merge(a.common(), json!({"drp.version": "1.0"})),
                )),
            )
            .await,
        );
        let nobody = Agent::new("AA_NOBODY", 3);
        assert_bare_403(
            "pairing an unknown agent",
            call(
                &app,
                Method::POST,
                "/v1/agent/AA_NOBODY",
                None,
                Some(nobody.pair_body()),
            )
            .await,
        );
        // B's own key signs a body naming A, sent to B's pairing URL.
        assert_bare_403(
            "agent-id in the body is not the URL's",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{OTHER}"),
                None,
                Some(seal(
                    &b.key,
                    &merge(
                        common_at(AGENT, BUSINESS, now, now + Duration::minutes(5)),
                        json!({"drp.version": "1.0"}),
                    ),
                )),
            )
            .await,
        );
        let pairing = a.pair_body();
        let (s, _) = call(
            &app,
            Method::POST,
            &format!("/v1/agent/{AGENT}"),
            None,
            Some(pairing.clone()),
        )
        .await;
        assert_eq!(s, 200, "pairing again with a fresh body");
        assert_bare_403(
            "replayed pairing",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{AGENT}"),
                None,
                Some(pairing),
            )
            .await,
        );
        assert_bare_403(
            "pairing with a malformed body",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{AGENT}"),
                None,
                Some("%%%".into()),
            )
            .await,
        );

        // Unknown request ids.
        let missing = dsar_portal::clock::new_id();
        assert_refusal(
            "unknown request id",
            status_of(&app, Some(&token_a), &missing).await,
            404,
            Some(false),
        );
        assert_refusal(
            "revoking an unknown request",
            call(
                &app,
                Method::DELETE,
                &format!("/v1/data-rights-request/{missing}"),
                Some(&token_a),
                Some(a.body(json!({"reason": "x"}))),
            )
            .await,
            404,
            None,
        );

        // A disabled agent's token stops working, and it cannot pair again.
        app.db(|c| {
            dsar_portal::flows::drp_directory::set_enabled(
                c,
                OTHER,
                false,
                "test",
                dsar_portal::clock::now(),
            )
            .expect("disable")
        });
        assert_refusal(
            "disabled agent files",
            exercise(&app, &token_b, b.body(fields())).await,
            403,
            Some(false),
        );
        assert_refusal(
            "disabled agent's information",
            call(
                &app,
                Method::GET,
                &format!("/v1/agent/{OTHER}"),
                Some(&token_b),
                None,
            )
            .await,
            403,
            Some(false),
        );
        assert_bare_403(
            "disabled agent pairs",
            call(
                &app,
                Method::POST,
                &format!("/v1/agent/{OTHER}"),
                None,
                Some(b.pair_body()),
            )
            .await,
        );

        // Nothing refused was filed, and A's token still works.
        assert_eq!(
            app.count("drp_requests"),
            2,
            "only the two accepted exercises"
        );
        let (s, _) = status_of(&app, Some(&token_a), &id_a).await;
        assert_eq!(s, 200);
    }
}
