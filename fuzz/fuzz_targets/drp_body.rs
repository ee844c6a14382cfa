//! Data Rights Protocol bodies: the envelope (`drp::envelope::open`) and the pair,
//! exercise and revoke messages (`drp::messages::parse_*` and `verify_*`).
//!
//! Input: the JSON an agent would sign. The target
//! - opens the input itself as an envelope (base64 of signature ‖ JSON) under a fixed
//!   key: garbage must be refused, never panic;
//! - parses it with `parse_pair`, `parse_exercise` and `parse_revoke`;
//! - signs it with the fixed key, so the whole `verify_*` path runs past the signature
//!   on every input, and checks that `verify_*` accepts exactly what `parse_*` plus
//!   `check_claims` accept, with the same message;
//! - serialises an accepted exercise and parses it again: the same message comes back
//!   (what we store and show is what we read).
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use dsar_portal::drp::envelope::{
    check_claims, open, EnvelopeError, Expected, DEFAULT_MAX_VALIDITY,
};
use dsar_portal::drp::messages::{
    parse_exercise, parse_pair, parse_revoke, verify_exercise, verify_pair, verify_revoke,
};
use ed25519_dalek::{Signer, SigningKey};
use libfuzzer_sys::fuzz_target;

const AGENT: &str = "aa-id";
const BUSINESS: &str = "cb-id";

fn now() -> DateTime<Utc> {
    "2026-11-27T13:00:00Z".parse().expect("fixed timestamp")
}

fn seal(key: &SigningKey, json: &[u8]) -> Vec<u8> {
    let mut combined = key.sign(json).to_bytes().to_vec();
    combined.extend_from_slice(json);
    STANDARD.encode(combined).into_bytes()
}

fn refusal_is_sane(e: &EnvelopeError) {
    assert!(matches!(e.status(), 400 | 403), "{e:?}");
    // §3.06: only an expired request is discarded for good.
    assert_eq!(e.fatal(), *e == EnvelopeError::Expired, "{e:?}");
    let body = e.body();
    assert!(body.is_object(), "{body}");
    assert!(!e.to_string().is_empty());
}

fuzz_target!(|data: &[u8]| {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let verify_key = key.verifying_key();
    let expected = Expected {
        agent_id: AGENT,
        business_id: BUSINESS,
        now: now(),
        max_validity: DEFAULT_MAX_VALIDITY,
    };

    // The input as a body that has not been signed by this key.
    if let Err(e) = open(data, &verify_key) {
        refusal_is_sane(&e);
    }
    if let Err(e) = verify_exercise(data, &verify_key, &expected) {
        refusal_is_sane(&e);
    }

    let body = seal(&key, data);
    let claims_ok = |c| check_claims(c, &expected).is_ok();

    // Pairing.
    let parsed = parse_pair(data);
    let verified = verify_pair(&body, &verify_key, &expected);
    match (&parsed, &verified) {
        (Ok(p), Ok(v)) => {
            assert_eq!(&v.message, p);
            assert!(claims_ok(&p.common));
        }
        (Ok(p), Err(e)) => {
            refusal_is_sane(e);
            assert!(!claims_ok(&p.common), "verify_pair refused {e:?}");
        }
        (Err(e), Ok(_)) => panic!("verify_pair accepted what parse_pair refused: {e:?}"),
        (Err(a), Err(b)) => {
            refusal_is_sane(a);
            refusal_is_sane(b);
        }
    }

    // Exercise.
    let parsed = parse_exercise(data);
    let verified = verify_exercise(&body, &verify_key, &expected);
    match (&parsed, &verified) {
        (Ok(p), Ok(v)) => {
            assert_eq!(&v.message, p);
            assert!(claims_ok(&p.common));
            assert_eq!(v.opened.json(), data);
            assert_eq!(v.signature_hash().len(), 64);
        }
        (Ok(p), Err(e)) => {
            refusal_is_sane(e);
            assert!(!claims_ok(&p.common), "verify_exercise refused {e:?}");
        }
        (Err(e), Ok(_)) => panic!("verify_exercise accepted what parse_exercise refused: {e:?}"),
        (Err(a), Err(b)) => {
            refusal_is_sane(a);
            refusal_is_sane(b);
        }
    }
    if let Ok(p) = &parsed {
        assert!(p.claims.validate().is_ok());
        let shown = p.claims.present();
        assert_eq!(shown.is_empty(), p.claims.is_empty());
        if let Some(a) = &p.claims.address {
            let _ = a.display();
        }
        let again = serde_json::to_vec(p).expect("an exercise serialises");
        match parse_exercise(&again) {
            Ok(q) => assert_eq!(&q, p, "{}", String::from_utf8_lossy(&again)),
            Err(e) => panic!(
                "a stored exercise does not read back: {e:?} in {}",
                String::from_utf8_lossy(&again)
            ),
        }
    }

    // Revoke.
    let parsed = parse_revoke(data);
    let verified = verify_revoke(&body, &verify_key, &expected);
    match (&parsed, &verified) {
        (Ok(p), Ok(v)) => {
            assert_eq!(&v.message, p);
            if let Some(c) = &p.common {
                assert!(claims_ok(c));
            }
        }
        (Ok(p), Err(e)) => {
            refusal_is_sane(e);
            let c = p
                .common
                .as_ref()
                .expect("a revoke without claims has nothing to check");
            assert!(!claims_ok(c), "verify_revoke refused {e:?}");
        }
        (Err(e), Ok(_)) => panic!("verify_revoke accepted what parse_revoke refused: {e:?}"),
        (Err(a), Err(b)) => {
            refusal_is_sane(a);
            refusal_is_sane(b);
        }
    }
});
