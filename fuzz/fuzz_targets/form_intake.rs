//! The request form, from the raw url-encoded body to validated values, the way
//! `web::public::intake::submit` reads it: `web::form_pairs`, the last value of each
//! field, `domain::intake::validate`, and for an agent `domain::agent_filing::validate`.
//!
//! Input: an url-encoded form body, optionally followed by `\r\n\r\n` and the bytes of
//! the agent's uploaded document (the real form sends those as multipart; the
//! `multipart_form` target covers that decoding). The upload's file name comes from the
//! `agent_document_filename` field and is cleaned as the multipart reader does.
//!
//! Checks: no panic, and what `validate` accepts really holds the promised shapes.
#![no_main]

use dsar_portal::domain::agent_filing::{self, RawAgent};
use dsar_portal::domain::documents::{clean_filename, sniff};
use dsar_portal::domain::intake::{
    validate, IdentifierRule, RawIntake, MAX_CORRECTION, MAX_DETAILS, MAX_EMAIL, MAX_IDENTIFIER,
    MAX_NAME,
};
use dsar_portal::domain::kinds::{Jurisdiction, RequestKind};
use dsar_portal::web::form_pairs;
use libfuzzer_sys::fuzz_target;

fn rules() -> Vec<IdentifierRule> {
    vec![
        IdentifierRule {
            name: "account_id".into(),
            label: "account ID".into(),
            required: false,
        },
        IdentifierRule {
            name: "order".into(),
            label: "order number".into(),
            required: true,
        },
    ]
}

fn chars(s: &str) -> u64 {
    s.chars().count() as u64
}

fuzz_target!(|data: &[u8]| {
    let (body, upload) = match data.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => (&data[..at], Some(&data[at + 4..])),
        None => (data, None),
    };
    let pairs = form_pairs(body);
    // `web::form::Form::get`: the last value of a field wins.
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let text = |name: &str| get(name).unwrap_or_default().to_string();
    let rules = rules();
    let served = Jurisdiction::ALL;

    let mut raw = RawIntake {
        kind: text("kind"),
        jurisdiction: text("jurisdiction"),
        name: text("name"),
        email: text("email"),
        details: text("details"),
        correction_current: text("correction_current"),
        correction_requested: text("correction_requested"),
        direct_marketing: get("direct_marketing").is_some_and(|v| v == "yes"),
        ..Default::default()
    };
    for rule in &rules {
        if let Some(v) = get(&format!("id_{}", rule.name)) {
            raw.identifiers.insert(rule.name.clone(), v.to_string());
        }
    }
    // The JSON API fills the same struct and may name identifiers the config lacks.
    if let Some(v) = get("id_unknown") {
        raw.identifiers.insert("unknown".into(), v.to_string());
    }

    let consumer = validate(&raw, &served, &rules);
    match &consumer {
        Ok(v) => {
            assert!(served.contains(&v.jurisdiction));
            assert!(
                v.jurisdiction.offers(v.kind),
                "{:?} in {:?}",
                v.kind,
                v.jurisdiction
            );
            match &v.name {
                Some(n) => {
                    let n = n.as_str();
                    assert!(!n.is_empty() && chars(n) <= MAX_NAME && n.trim() == n);
                    assert!(!n.chars().any(char::is_control));
                }
                None => assert_eq!(v.kind, RequestKind::OptOut),
            }
            let e = v.email.as_str();
            assert!(!e.is_empty() && chars(e) <= MAX_EMAIL && e.trim() == e);
            assert!(!e.chars().any(char::is_control) && e.contains('@'));
            assert_eq!(v.email.normalised(), e.to_lowercase());
            for (name, value) in &v.identifiers {
                assert!(rules.iter().any(|r| &r.name == name));
                let value = value.expose();
                assert!(!value.is_empty() && chars(value) <= MAX_IDENTIFIER);
                assert!(!value.chars().any(char::is_control));
            }
            for r in rules.iter().filter(|r| r.required) {
                assert!(v.identifiers.iter().any(|(n, _)| n == &r.name));
            }
            let d = &v.details;
            assert!(chars(&d.details) <= MAX_DETAILS);
            assert!(chars(&d.correction_current) <= MAX_CORRECTION);
            assert!(chars(&d.correction_requested) <= MAX_CORRECTION);
            assert!(!d.direct_marketing || v.kind == RequestKind::Objection);
            if v.kind == RequestKind::Correction {
                assert!(!d.correction_requested.is_empty() || !d.details.is_empty());
            }
        }
        // A refused form must say why, or the page would come back with no message.
        Err(errors) => assert!(!errors.is_empty() && errors.values().all(|m| !m.is_empty())),
    }

    if get("agent") == Some("yes") {
        let raw_agent = RawAgent {
            name: text("agent_name"),
            email: text("agent_email"),
            organisation: text("agent_organisation"),
            registration_number: text("agent_registration_number"),
            authority: text("agent_authority"),
        };
        let filename = clean_filename(&text("agent_document_filename"));
        let consumer_email = consumer.as_ref().ok().map(|v| &v.email);
        match agent_filing::validate(
            &raw_agent,
            upload.map(|bytes| (filename.as_str(), bytes)),
            consumer_email,
        ) {
            Ok(filing) => {
                if let Some(c) = consumer_email {
                    assert_ne!(filing.agent.email.normalised(), c.normalised());
                }
                assert_eq!(Some(filing.document.kind), sniff(&filing.document.bytes));
                for t in [
                    &filing.agent.organisation,
                    &filing.agent.registration_number,
                ]
                .into_iter()
                .flatten()
                {
                    assert!(!t.as_str().contains('\n') && !t.is_empty());
                }
            }
            Err(errors) => assert!(!errors.is_empty()),
        }
    }
});
