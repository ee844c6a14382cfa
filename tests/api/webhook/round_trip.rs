//! Find, export and erase over the webhook, carrying only the subject's own identities.

use super::*;

#[test]
fn webhook_find_export_erase_round_trip() {
    let receiver = Receiver::start(Mode::Normal);
    let hook = connector(&receiver.url);
    assert_eq!(hook.name(), "shop");
    hook.check().expect("ping");

    let matches = hook.find(&alice()).expect("find");
    assert!(matches.actionable());
    assert_eq!(
        matches.keys,
        vec![KeyMatch {
            key: "account_id".into(),
            strength: Strength::Strong,
            records: 3,
        }]
    );
    assert_eq!(matches.counts, BTreeMap::from([("orders".to_string(), 3)]));
    assert_eq!(matches.first_seen.as_deref(), Some("2024-03-01T10:00:00Z"));
    assert_eq!(matches.last_seen, None);
    assert_eq!(
        matches.refs,
        json!({"account": ALICE_ACCOUNT, "order_ids": ["o-1", "o-2", "o-3"]})
    );

    let records = hook.export(&matches).expect("export");
    assert_eq!(records.tables.len(), 1);
    let exported: Vec<&str> = records.tables["orders"]
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(exported, ["o-1", "o-2", "o-3"]);
    assert_eq!(records.tables["orders"][2]["item"], json!("kettle"));

    let report = hook.erase(&matches).expect("erase");
    assert_eq!(report.deleted, BTreeMap::from([("orders".to_string(), 3)]));
    assert!(report.follow_up.is_empty());
    assert!(receiver.order_ids(ALICE_ACCOUNT).is_empty());
    assert_eq!(receiver.order_ids(BOB_ACCOUNT), ["o-4", "o-5"]);

    // Idempotent: the same refs again delete nothing, and the other customer is intact.
    let again = hook.erase(&matches).expect("second erase");
    assert_eq!(again.deleted, BTreeMap::from([("orders".to_string(), 0)]));
    assert_eq!(receiver.order_ids(BOB_ACCOUNT), ["o-4", "o-5"]);

    // A fresh find now finds nothing to act on.
    let after = hook.find(&alice()).expect("find after erase");
    assert!(!after.actionable());
    assert!(after.is_empty());

    assert_eq!(
        hook.opt_out(&alice()).expect("opt out"),
        OptOutOutcome::Done
    );
    let stranger = subject(&[("account_id", "acct-unknown")]);
    assert_eq!(
        hook.opt_out(&stranger).expect("opt out"),
        OptOutOutcome::Unsupported
    );

    // Every request was signed correctly, and each call had its own run id.
    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 8);
    assert!(receiver.verified().iter().all(|v| *v));
    let events: Vec<&str> = bodies
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["ping", "find", "export", "erase", "erase", "find", "opt_out", "opt_out"]
    );
    assert_eq!(bodies[0], json!({"event": "ping"}));
    let run_ids: BTreeSet<&str> = bodies[1..]
        .iter()
        .map(|b| b["run_id"].as_str().expect("run_id"))
        .collect();
    assert_eq!(run_ids.len(), 7);
    assert!(bodies[1..].iter().all(|b| b["connector"] == json!("shop")));
    // Export and erase send the refs exactly as find returned them.
    assert_eq!(bodies[2]["matches"], matches.refs);
    assert_eq!(bodies[3]["matches"], matches.refs);
}

#[test]
fn webhook_bodies_carry_only_the_subjects_own_identities() {
    let receiver = Receiver::start(Mode::Normal);
    let hook = connector(&receiver.url);
    // A blank identity is not sent at all.
    let person = subject(&[
        ("account_id", ALICE_ACCOUNT),
        ("email", ALICE_EMAIL),
        ("phone", "   "),
    ]);
    let matches = hook.find(&person).expect("find");
    hook.export(&matches).expect("export");
    hook.erase(&matches).expect("erase");
    hook.opt_out(&person).expect("opt out");

    let bodies = receiver.bodies();
    assert_eq!(bodies.len(), 4);
    for with_subject in [&bodies[0], &bodies[3]] {
        assert_eq!(
            object_keys(with_subject),
            BTreeSet::from(["event", "connector", "run_id", "subject"])
        );
        assert_eq!(
            with_subject["subject"],
            json!({"account_id": ALICE_ACCOUNT, "email": ALICE_EMAIL})
        );
    }
    for with_matches in [&bodies[1], &bodies[2]] {
        assert_eq!(
            object_keys(with_matches),
            BTreeSet::from(["event", "connector", "run_id", "matches"])
        );
    }
    for raw in receiver.raw_bodies() {
        assert!(!raw.contains(BOB_ACCOUNT) && !raw.contains(BOB_EMAIL));
        assert!(!raw.contains(SECRET));
        assert!(!raw.contains("phone"));
    }
    // Export and erase carry no identity of their own, only the system's refs.
    for raw in &receiver.raw_bodies()[1..3] {
        assert!(!raw.contains(ALICE_EMAIL));
    }
}

#[test]
fn webhook_refuses_weak_matches_without_calling() {
    let receiver = Receiver::start(Mode::Normal);
    let hook = connector(&receiver.url);
    let weak = Matches {
        keys: vec![KeyMatch {
            key: "ip".into(),
            strength: Strength::Weak,
            records: 40,
        }],
        counts: BTreeMap::from([("orders".to_string(), 40)]),
        refs: json!({"account": BOB_ACCOUNT, "order_ids": ["o-4", "o-5"]}),
        ..Matches::default()
    };
    assert!(matches!(
        hook.export(&weak),
        Err(ConnectorError::Permanent(_))
    ));
    assert!(matches!(
        hook.erase(&weak),
        Err(ConnectorError::Permanent(_))
    ));
    assert!(matches!(
        hook.find(&Subject::default()),
        Err(ConnectorError::Permanent(_))
    ));
    assert!(receiver.bodies().is_empty());
    assert_eq!(receiver.order_ids(BOB_ACCOUNT), ["o-4", "o-5"]);
}
