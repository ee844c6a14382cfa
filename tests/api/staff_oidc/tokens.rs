//! The ID token is verified by the `openidconnect` crate: a token for another client,
//! an expired one and a tampered one are refused; a key rotation is followed.

use super::*;

/// Signs in as ann after the provider was told to spoil the next token with `mode`.
async fn sign_in_with_spoiled_token(o: &OidcApp, mode: &str) -> (Flow, reqwest::Client) {
    o.provider.next_token(mode).await;
    let client = browser();
    let flow = sign_in(&o.app, &client, "ann@corp.example").await;
    (flow, client)
}

#[actix_web::test]
async fn id_tokens_for_another_client_expired_or_tampered_are_refused() {
    for backend in backends() {
        let Some(o) = spawn(&backend, |_| {}).await else {
            return;
        };
        let app = &o.app;
        for mode in ["audience", "expired", "tamper"] {
            let (flow, client) = sign_in_with_spoiled_token(&o, mode).await;
            let what = format!("{mode} ({})", app.backend);
            assert_eq!(flow.status, 403, "{what}: {}", flow.body);
            assert!(
                flow.body.contains("could not be verified"),
                "{what}: {}",
                flow.body
            );
            assert!(!has_session(app, &client).await, "{what}");
        }
        assert!(account(app, "ann@corp.example").is_none(), "no account");
        let refused = details(app, "staff_login_failed");
        assert_eq!(
            refused
                .iter()
                .filter(|d| d["reason"] == "token_invalid")
                .count(),
            3,
            "{refused:?}"
        );
        // Control: the same sign-in with an unspoiled token goes through, so the
        // refusals above were the tokens'.
        let client = browser();
        assert_eq!(sign_in(app, &client, "ann@corp.example").await.status, 200);
        assert!(has_session(app, &client).await);
    }
}

#[actix_web::test]
async fn a_new_signing_key_is_fetched_when_the_provider_rotates_its_keys() {
    let Some(o) = spawn(&Backend::Sqlite, |_| {}).await else {
        return;
    };
    let app = &o.app;
    // The first sign-in fetches discovery and the keys, and keeps them.
    assert_eq!(
        sign_in(app, &browser(), "hal@corp.example").await.status,
        200
    );
    let kid_before = published_kid(&o.provider).await;
    o.provider.rotate_keys().await;
    assert_ne!(
        published_kid(&o.provider).await,
        kid_before,
        "the key changed"
    );
    let client = browser();
    let flow = sign_in(app, &client, "hal@corp.example").await;
    assert_eq!(flow.status, 200, "{}", message_of(&flow.body));
    assert!(has_session(app, &client).await);
}

/// The key id the provider publishes now.
async fn published_kid(provider: &OidcProvider) -> String {
    let jwks: serde_json::Value = reqwest::get(format!("{}/jwks", provider.issuer))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    jwks["keys"][0]["kid"].as_str().expect("kid").to_string()
}
