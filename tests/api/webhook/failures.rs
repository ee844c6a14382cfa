//! Signatures, replays and every kind of failed call.

use super::*;

#[test]
fn webhook_wrong_secret_is_refused_permanently() {
    let receiver = Receiver::start(Mode::Normal);
    let hook = Webhook::new(&config(&receiver.url), "not-the-shared-secret").expect("connector");
    let err = hook.find(&alice()).expect_err("a 401");
    match err {
        ConnectorError::Permanent(message) => {
            assert!(message.contains("401"), "{message}");
            assert!(!message.contains("not-the-shared-secret"), "{message}");
            assert!(!message.contains(ALICE_ACCOUNT), "{message}");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    assert!(matches!(hook.check(), Err(ConnectorError::Permanent(_))));
    assert_eq!(receiver.verified(), [false, false]);
    assert_eq!(receiver.order_ids(ALICE_ACCOUNT).len(), 3);
}

#[test]
fn webhook_replayed_request_with_old_timestamp_is_rejected() {
    let receiver = Receiver::start(Mode::Normal);
    let body = br#"{"event":"erase","connector":"shop","run_id":"r","matches":{"account":"acct-bob-2002","order_ids":["o-4","o-5"]}}"#;
    let old = now() - 3600;
    let signature = sign(SECRET.as_bytes(), old, body);
    // Valid when it was made…
    assert!(verify(
        SECRET.as_bytes(),
        &old.to_string(),
        &signature,
        body,
        old + 10,
        DEFAULT_REPLAY_WINDOW_SECS
    ));
    // …refused by `verify` now, and so by the receiver.
    assert!(!verify(
        SECRET.as_bytes(),
        &old.to_string(),
        &signature,
        body,
        now(),
        DEFAULT_REPLAY_WINDOW_SECS
    ));
    let status = reqwest::blocking::Client::new()
        .post(&receiver.url)
        .header("Content-Type", "application/json")
        .header("X-DSAR-Timestamp", old.to_string())
        .header("X-DSAR-Signature", signature)
        .body(body.to_vec())
        .send()
        .expect("the receiver answers")
        .status();
    assert_eq!(status.as_u16(), 401);
    assert_eq!(receiver.order_ids(BOB_ACCOUNT), ["o-4", "o-5"]);
}

#[test]
fn webhook_sign_and_verify() {
    let secret = b"whsec_test";
    let body = br#"{"event":"ping"}"#;
    // Pinned: `printf '1700000000.{"event":"ping"}' | openssl dgst -sha256 -hmac whsec_test`.
    let signature = sign(secret, 1_700_000_000, body);
    assert_eq!(
        signature,
        "v1=aa8efe37b751e71157c508c5ac4acb1e9fe5225db98355dfc00f4b680afbc447"
    );
    let ok = |ts: &str, sig: &str, body: &[u8], now: i64| {
        verify(secret, ts, sig, body, now, DEFAULT_REPLAY_WINDOW_SECS)
    };
    assert!(ok("1700000000", &signature, body, 1_700_000_000));
    // Within the window either way (clock skew), not beyond it.
    assert!(ok("1700000000", &signature, body, 1_700_000_300));
    assert!(ok("1700000000", &signature, body, 1_699_999_700));
    assert!(!ok("1700000000", &signature, body, 1_700_000_301));
    assert!(!ok("1700000000", &signature, body, 1_699_999_699));
    // One body byte changed.
    let mut tampered = body.to_vec();
    tampered[3] ^= 0x01;
    assert!(!ok("1700000000", &signature, &tampered, 1_700_000_000));
    // Another timestamp, another secret, a changed or truncated signature, no version.
    assert!(!ok("1700000001", &signature, body, 1_700_000_000));
    assert!(!verify(
        b"other",
        "1700000000",
        &signature,
        body,
        1_700_000_000,
        300
    ));
    let mut flipped = signature.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
    assert!(!ok(
        "1700000000",
        std::str::from_utf8(&flipped).unwrap(),
        body,
        1_700_000_000
    ));
    assert!(!ok("1700000000", &signature[..20], body, 1_700_000_000));
    assert!(!ok("1700000000", &signature[3..], body, 1_700_000_000));
    assert!(!ok("1700000000", "v1=", body, 1_700_000_000));
    assert!(!ok("1700000000", "v1=zz", body, 1_700_000_000));
    assert!(!ok("", &signature, body, 1_700_000_000));
    assert!(!ok("+1700000000", &signature, body, 1_700_000_000));
    assert!(!ok("not a time", &signature, body, 1_700_000_000));
    // Extreme values neither overflow nor pass.
    assert!(!ok(&i64::MIN.to_string(), &signature, body, i64::MAX));
    assert!(!verify(
        secret,
        "1700000000",
        &signature,
        body,
        1_700_000_000,
        -1
    ));
}

#[test]
fn webhook_server_errors_are_temporary() {
    for code in [500, 503, 429] {
        let receiver = Receiver::start(Mode::Status(code));
        let hook = connector(&receiver.url);
        match hook.find(&alice()) {
            Err(ConnectorError::Temporary(message)) => {
                assert!(message.contains(&code.to_string()), "{message}")
            }
            other => panic!("{code}: expected a temporary error, got {other:?}"),
        }
        assert!(matches!(hook.check(), Err(ConnectorError::Temporary(_))));
    }
}

#[test]
fn webhook_client_errors_are_permanent() {
    for code in [400, 404, 422] {
        let receiver = Receiver::start(Mode::Status(code));
        let hook = connector(&receiver.url);
        assert!(
            matches!(hook.find(&alice()), Err(ConnectorError::Permanent(_))),
            "{code}"
        );
    }
    // Redirects are not followed: personal data goes to the configured address only.
    let receiver = Receiver::start(Mode::Status(307));
    let hook = connector(&receiver.url);
    assert!(matches!(
        hook.find(&alice()),
        Err(ConnectorError::Permanent(_))
    ));
    assert_eq!(receiver.bodies().len(), 1);
}

#[test]
fn webhook_accepted_waits_for_the_callback() {
    let receiver = Receiver::start(Mode::Status(202));
    let hook = connector(&receiver.url);
    // The call waits for a callback that names the run_id the portal sent.
    match hook.find(&alice()) {
        Err(ConnectorError::Accepted { call_id }) => {
            assert_eq!(receiver.bodies()[0]["run_id"], call_id.as_str());
        }
        other => panic!("expected an accepted call, got {other:?}"),
    }
    // For check, any 2xx will do.
    hook.check().expect("202 is fine for a ping");
}

#[test]
fn webhook_unparseable_answer_is_permanent() {
    let receiver = Receiver::start(Mode::Garbage);
    let hook = connector(&receiver.url);
    match hook.find(&alice()) {
        Err(ConnectorError::Permanent(message)) => {
            assert_eq!(message, "the system answered in an unexpected format")
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[test]
fn webhook_unreachable_or_slow_endpoint_is_temporary() {
    let hook = connector("http://127.0.0.1:1/dsar");
    match hook.find(&alice()) {
        Err(ConnectorError::Temporary(message)) => {
            assert!(!message.contains("127.0.0.1"), "{message}")
        }
        other => panic!("expected a temporary error, got {other:?}"),
    }
    assert!(matches!(hook.check(), Err(ConnectorError::Temporary(_))));

    let receiver = Receiver::start(Mode::Slow);
    let mut cfg = config(&receiver.url);
    cfg.timeout_seconds = 1;
    let hook = Webhook::new(&cfg, SECRET).expect("connector");
    assert!(matches!(
        hook.find(&alice()),
        Err(ConnectorError::Temporary(_))
    ));
}

#[test]
fn webhook_config_is_checked_when_built() {
    let mut cfg = config("http://127.0.0.1:1/dsar");
    assert!(Webhook::new(&cfg, "   ").is_err());
    cfg.base_url = None;
    assert!(Webhook::new(&cfg, SECRET).is_err());
    cfg.base_url = Some("ftp://example.com/".into());
    assert!(Webhook::new(&cfg, SECRET).is_err());
    cfg.base_url = Some("https://user:pa55word@[not a url".into());
    match Webhook::new(&cfg, SECRET) {
        Err(ConnectorError::Permanent(message)) => assert!(!message.contains("pa55word")),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    // Building needs no runtime and makes no connection; the Debug form hides the secret.
    cfg.base_url = Some("https://hooks.example.com/dsar".into());
    let hook = Webhook::new(&cfg, SECRET).expect("connector");
    assert!(!format!("{hook:?}").contains(SECRET));
}
