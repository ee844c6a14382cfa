//! Verification URLs that reach the person, the protocol's JSON on every answer, and a
//! whole agent's life from the spec.

use super::*;

#[actix_web::test]
async fn need_user_verification_carries_a_url_that_reaches_the_person() {
    for backend in backends() {
        let (agent, app) = paired_with_recommended_window(&backend, 31).await;
        let email = "unconfirmed@example.com";
        let first = filed(&app, &agent, "deletion", email, false).await;
        assert_eq!(first["status"], "in_progress", "{first}");
        assert_eq!(first["reason"], "need_user_verification", "{first}");
        let id = id_of(&first);
        // §3.02.1: such a status MUST carry user_verification_url.
        let url = first["user_verification_url"]
            .as_str()
            .unwrap_or_else(|| panic!("no user_verification_url: {first}"))
            .to_owned();
        let again = agent.status(&app, &id).await.ok("status");
        assert_eq!(again["user_verification_url"], url.as_str(), "one URL");
        // A status without that reason has none.
        let verified = filed(&app, &agent, "access", "fine@example.com", true).await;
        assert!(
            verified.get("user_verification_url").is_none(),
            "{verified}"
        );

        let (path, page) = open_verification_url(&app, &url, &id).await;
        let path = path.as_str();
        // Whoever opens it learns nothing of the request.
        assert!(!page.contains(email), "no address on the page");
        let reference = app.request_field(&id, "reference").expect("reference");
        assert!(!page.contains(&reference), "no reference on the page");
        assert!(!page.contains("<script"), "no script on the page");
        // Another request's id with this URL: not presented (§3.02.1).
        let other = dsar_portal::clock::new_id();
        let (status, _) = app.get(&format!("{path}?request_id={other}")).await;
        assert_eq!(status, 404);
        // Without the form's CSRF token nothing is sent.
        let (status, _) = app.post_form(path, &[]).await;
        assert_eq!(status, 403);

        let (status, sent) = app.post_with_csrf(&page, path).await;
        assert_eq!(status, 200, "{sent}");
        let links = verify_links_to(&app, email, 2).await;
        // The new link replaced the first; the person confirms with it.
        let mut usable = Vec::new();
        for mail in &links {
            let verify = link_path(&mail.text, "/verify/");
            let (s, page) = app.get(&verify).await;
            if s == 200 {
                usable.push((verify, page));
            }
        }
        assert_eq!(usable.len(), 1, "only the newest link is usable");
        let (verify, verify_page) = &usable[0];
        assert_eq!(app.post_with_csrf(verify_page, verify).await.0, 200);
        let now = agent.status(&app, &id).await.ok("status after confirming");
        assert_eq!(now["status"], "in_progress");
        assert!(now.get("reason").is_none(), "{now}");
        assert!(now.get("user_verification_url").is_none(), "{now}");

        // Pressed for an unknown handle, the button answers exactly as for a known
        // one; its page is not shown.
        // (The language links echo each page's own address: the handle sent.)
        let unknown = "/requests/confirm/not-a-handle";
        assert_eq!(app.get(unknown).await.0, 404);
        let (status, answer) = app.post_with_csrf(&page, unknown).await;
        assert_eq!(
            (status, answer.replace(unknown, path)),
            (200, sent),
            "the same answer"
        );
        assert!(
            audit_actions(&app, &id).iter().any(|a| a == "link_resent"),
            "the resend is audited"
        );
    }
}

#[actix_web::test]
async fn every_answer_under_v1_is_the_protocols_json() {
    use reqwest::Method;
    for backend in backends() {
        let (agent, app) = paired_with_recommended_window(&backend, 41).await;
        let id = id_of(&filed(&app, &agent, "access", "json@example.com", true).await);

        for path in ["/v1/nothing-here", "/v1/data-rights-request/a/b", "/v1/"] {
            let v = agent.send(&app, Method::GET, path, None).await.error(404);
            assert_eq!(v["fatal"], false, "{path}: {v}");
        }
        let wrong_methods = [
            (Method::PUT, format!("{EXERCISE_PATH}/{id}")),
            (Method::POST, format!("{EXERCISE_PATH}/{id}")),
            (Method::GET, EXERCISE_PATH.to_owned()),
            (Method::DELETE, format!("/v1/agent/{AGENT}")),
            (Method::PATCH, EXERCISE_PATH.to_owned()),
        ];
        for (method, path) in wrong_methods {
            let a = agent
                .send(&app, method.clone(), &path, Some(("x".into(), None)))
                .await;
            let v = a.error(405);
            assert_eq!(v["fatal"], false, "{method} {path}: {v}");
        }
        // A body over the limit: refused in JSON too.
        let big = agent.file(&app, "A".repeat(70_000)).await;
        assert!((400..500).contains(&big.status), "{}", big.status);
        big.error(big.status);

        // §3.06: fatal only when the request moves to a final state. None of these
        // refusals changes a request, so none is fatal.
        let not_fatal = [
            (
                "unknown request",
                agent.status(&app, "no-such-id").await,
                404,
            ),
            (
                "bad signature",
                agent
                    .file(
                        &app,
                        SpecAgent::new(AGENT, 99).exercise_body("access", "x@example.com", true),
                    )
                    .await,
                403,
            ),
            ("malformed body", agent.file(&app, "%%%".into()).await, 400),
        ];
        for (what, answer, status) in not_fatal {
            let v = answer.error(status);
            assert_eq!(v["fatal"], false, "{what}: {v}");
        }
        // Agent information with a token that is not this agent's: JSON too (§2.06.1
        // asks for a 403; only pairing refusals are bare, §2.05.1).
        let v = agent
            .send(&app, Method::GET, "/v1/agent/AA_SOMEONE", None)
            .await
            .error(403);
        assert_eq!(v["fatal"], false, "{v}");
        // §2.01: a request made after its expires-at is discarded with a fatal error.
        let mut stale = agent.stamped(json!({
            "drp.version": "1.0", "exercise": "access", "email": "s@example.com",
        }));
        let then = Utc::now() - Duration::minutes(20);
        stale["issued-at"] = json!(iso_ms(then));
        stale["expires-at"] = json!(iso_ms(then + Duration::minutes(10)));
        let v = agent.file(&app, agent.seal(&stale)).await.error(400);
        assert_eq!(v["fatal"], true, "{v}");

        // A pairing refusal stays the spec's bare 403.
        let stranger = SpecAgent::new(AGENT, 98);
        let a = stranger
            .send(
                &app,
                Method::POST,
                &format!("/v1/agent/{AGENT}"),
                Some((stranger.pairing_body(), Some("text/plain"))),
            )
            .await;
        assert_eq!((a.status, a.body.as_str()), (403, ""));
    }
}

#[actix_web::test]
async fn an_agent_from_the_spec_pairs_files_reads_revokes_and_is_refused_replays() {
    for backend in backends() {
        let (agent, app) = paired(&backend, SpecAgent::new(AGENT, 51)).await;
        let info = agent
            .send(
                &app,
                reqwest::Method::GET,
                &format!("/v1/agent/{AGENT}"),
                None,
            )
            .await
            .ok("agent information");
        assert_eq!(info, json!({}));

        let mut ids = Vec::new();
        for (kind, n) in [
            ("access", 1),
            ("deletion", 2),
            ("sale:opt-out", 3),
            ("deletion", 4),
        ] {
            let s = filed(&app, &agent, kind, &format!("person{n}@example.com"), true).await;
            assert_eq!(s["status"], "in_progress", "{s}");
            assert!(s["expected_by"].as_str().is_some(), "§3.03: {s}");
            ids.push(id_of(&s));
        }
        let unverified = filed(&app, &agent, "access", "person5@example.com", false).await;
        let waiting = agent
            .status(&app, &id_of(&unverified))
            .await
            .ok("status of the unverified request");
        assert_eq!(waiting["reason"], "need_user_verification");
        let url = waiting["user_verification_url"]
            .as_str()
            .expect("§3.02.1 user_verification_url");
        let (path, page) = open_verification_url(&app, url, &id_of(&unverified)).await;
        assert_eq!(app.post_with_csrf(&page, &path).await.0, 200);
        verify_links_to(&app, "person5@example.com", 2).await;

        let revoke = agent.revoke_body();
        for id in [&ids[1], &ids[3]] {
            let s = agent.revoke(&app, id, revoke.clone()).await.ok("revoke");
            assert_eq!(s["status"], "revoked", "{s}");
        }
        agent.revoke(&app, &ids[1], revoke).await.error(403);
        for (id, status) in [
            (&ids[0], "in_progress"),
            (&ids[1], "revoked"),
            (&ids[3], "revoked"),
        ] {
            assert_eq!(agent.status(&app, id).await.ok("status")["status"], status);
        }
        agent
            .send(&app, reqwest::Method::GET, "/v1/unknown", None)
            .await
            .error(404);
        agent
            .send(
                &app,
                reqwest::Method::PUT,
                &format!("{EXERCISE_PATH}/{}", ids[0]),
                None,
            )
            .await
            .error(405);
    }
}
