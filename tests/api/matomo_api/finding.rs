//! Finding, exporting and erasing a person's visits.

use super::*;

#[test]
fn find_pages_past_the_cap_and_reports_true_counts_and_dates() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let alice_all = fake.visits_of(|v| v.user_id.as_deref() == Some(ALICE));
    assert_eq!(alice_all.len() as u64, ALICE_VISITS);

    let m = matomo
        .find(&subject(&[("email", ALICE), ("ip", "10.1.77.12")]))
        .expect("find");
    // Past the 401 one search returns: all 450, by both keys.
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, ALICE_VISITS)));
    assert_eq!(
        key(&m, "visitor_id"),
        Some((Strength::Strong, ALICE_VISITS))
    );
    // Bob's 3 visits and the cookieless visitor's 2 share 10.1.0.0: counted, weak.
    assert_eq!(key(&m, "masked_ip"), Some((Strength::Weak, 5)));
    assert!(m.actionable());
    assert!(!m.at_least);
    assert_eq!(m.excluded, 0);
    assert_eq!(
        m.counts,
        BTreeMap::from([("log_visit".to_string(), ALICE_VISITS)])
    );

    let refs = ref_visits(&m);
    let mut sorted = refs.clone();
    sorted.sort_unstable();
    assert_eq!(refs, sorted, "refs are sorted");
    let alice_pairs: BTreeSet<(u64, u64)> =
        alice_all.iter().map(|v| (v.idsite, v.idvisit)).collect();
    assert_eq!(refs.into_iter().collect::<BTreeSet<_>>(), alice_pairs);
    assert_eq!(
        m.refs["segments"],
        json!([
            "userId==alice%40example.com",
            format!("visitorId=={}", visitor_of(ALICE))
        ])
    );
    // The whole range, oldest to newest.
    assert_eq!(m.first_seen.as_deref(), Some(datetime(10).as_str()));
    assert_eq!(
        m.last_seen.as_deref(),
        Some(datetime(10 + ALICE_VISITS - 1).as_str())
    );

    // Segments as Matomo documents them: the value URL-encoded inside the segment, the
    // IP range as two AND-ed conditions; every search over all sites, oldest first, the
    // later pages after the last second seen.
    let sent = fake.segments_sent();
    assert!(sent.contains(&"userId==alice%40example.com".to_string()));
    assert!(sent.contains(&"visitIp>=10.1.0.0;visitIp<=10.1.255.255".to_string()));
    let calls = fake.calls("PrivacyManager.findDataSubjects");
    for call in &calls {
        let get = |k: &str| call.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("idSite"), Some("all"));
        assert_eq!(get("filter_sort_order"), Some("asc"));
    }
    // Two pages per strong key (401 + 49), one for the masked IP.
    assert_eq!(calls.len(), 5);
    let paged = calls
        .iter()
        .filter(|c| c.iter().any(|(k, _)| k == "minTimestamp"))
        .count();
    assert_eq!(paged, 2);
    // Nothing was changed by a preview.
    assert_eq!(fake.user_visits(ALICE) as u64, ALICE_VISITS);
}

#[test]
fn find_with_site_ids_and_a_plus_address() {
    let fake = FakeMatomo::start();
    let mut cfg = config(&fake.base_url);
    cfg.site_ids = vec![2];
    let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();

    let m = matomo.find(&subject(&[("email", ALICE)])).unwrap();
    let on_site_2 = fake.visits_of(|v| v.user_id.as_deref() == Some(ALICE) && v.idsite == 2);
    assert_eq!(
        key(&m, "user_id"),
        Some((Strength::Strong, on_site_2.len() as u64))
    );
    assert!(ref_visits(&m).iter().all(|(site, _)| *site == 2));
    for call in fake.calls("PrivacyManager.findDataSubjects") {
        assert!(call.contains(&("idSite".to_string(), "2".to_string())));
    }

    // "+" survives Matomo's extra decoding of segment values (else: "bob shop@…").
    let matomo = connector(&fake);
    let m = matomo.find(&subject(&[("email", BOB)])).unwrap();
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 3)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 3)));
    assert_eq!(m.counts["log_visit"], 3);
}

#[test]
fn ip_only_subject_is_not_actionable_and_export_and_erase_refuse() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let m = matomo.find(&subject(&[("ip", "10.1.200.3")])).unwrap();
    assert_eq!(m.keys.len(), 1);
    assert_eq!(key(&m, "masked_ip"), Some((Strength::Weak, 5)));
    assert!(!m.actionable());
    assert_eq!(m.counts["log_visit"], 0);
    assert!(ref_visits(&m).is_empty(), "weak matches never join refs");
    assert_eq!(m.refs["segments"], json!([]));

    let before = fake.request_count();
    assert!(permanent(matomo.export(&m)).contains("weak"));
    assert!(permanent(matomo.erase(&m)).contains("weak"));
    assert_eq!(fake.request_count(), before, "nothing was sent");
    assert_eq!(fake.user_visits(BOB), 3);
    assert_eq!(fake.visitor_visits(COOKIELESS_VISITOR), 2);
}

#[test]
fn export_returns_exactly_the_persons_visits_and_rows() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);

    let m = matomo.find(&subject(&[("email", BOB)])).unwrap();
    let records = matomo.export(&m).expect("export");
    let bob = ids_of(&fake.visits_of(|v| v.user_id.as_deref() == Some(BOB)));
    let exported: BTreeSet<u64> = records.tables["log_visit"]
        .iter()
        .map(|r| r["idvisit"].as_u64().unwrap())
        .collect();
    assert_eq!(exported, bob);
    assert!(records.tables["log_visit"]
        .iter()
        .all(|r| r["user_id"] == json!(BOB)));
    let actions = &records.tables["log_link_visit_action"];
    assert_eq!(actions.len() as u64, 3 * ACTIONS_PER_VISIT);
    assert!(actions
        .iter()
        .all(|r| bob.contains(&r["idvisit"].as_u64().unwrap())));
    assert!(records.tables["log_conversion"].is_empty());
    assert!(records
        .tables
        .contains_key("log_action_log_link_visit_action_idaction_url"));

    // Alice's 450 previewed visits go in chunks of 400, concatenated per table.
    let m = matomo.find(&subject(&[("email", ALICE)])).unwrap();
    let records = matomo.export(&m).unwrap();
    assert_eq!(records.tables["log_visit"].len() as u64, ALICE_VISITS);
    assert_eq!(
        records.tables["log_link_visit_action"].len() as u64,
        ALICE_VISITS * ACTIONS_PER_VISIT
    );
    let chunks: Vec<usize> = fake
        .calls("PrivacyManager.exportDataSubjects")
        .iter()
        .skip(1)
        .map(|p| p.iter().filter(|(k, _)| k.ends_with("[idvisit]")).count())
        .collect();
    assert_eq!(chunks, vec![400, 50]);
    let previewed: BTreeSet<u64> = ref_visits(&m).iter().map(|p| p.1).collect();
    let exported: BTreeSet<u64> = records.tables["log_visit"]
        .iter()
        .map(|r| r["idvisit"].as_u64().unwrap())
        .collect();
    assert_eq!(exported, previewed);
    assert!(records.tables["log_visit"]
        .iter()
        .all(|r| r["user_id"] == json!(ALICE)));
    // Export deletes nothing.
    assert_eq!(fake.user_visits(ALICE) as u64, ALICE_VISITS);
}

#[test]
fn erase_removes_every_visit_and_a_second_erase_gives_zeros() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let others = ids_of(&fake.visits_of(|v| v.user_id.as_deref() != Some(ALICE)));
    let others_actions = fake.actions_of(&others);

    let m = matomo.find(&subject(&[("email", ALICE)])).unwrap();
    assert_eq!(ref_visits(&m).len() as u64, ALICE_VISITS);
    let report = matomo.erase(&m).expect("erase");

    // All 450, and nobody else's.
    assert_eq!(fake.user_visits(ALICE), 0);
    assert_eq!(fake.visitor_visits(&visitor_of(ALICE)), 0);
    assert_eq!(ids_of(&fake.visits_of(|_| true)), others);
    assert_eq!(fake.actions_of(&others), others_actions);
    assert_eq!(report.deleted["log_visit"], ALICE_VISITS);
    assert_eq!(
        report.deleted["log_link_visit_action"],
        ALICE_VISITS * ACTIONS_PER_VISIT
    );
    assert_eq!(report.deleted["log_conversion"], 0);
    assert!(report
        .follow_up
        .iter()
        .any(|n| n.contains("./console core:archive") && n.contains("invalidat")));

    // Deletes are POSTed in chunks of at most 400 visits.
    let deletes = fake.calls("PrivacyManager.deleteDataSubjects");
    let sizes: Vec<usize> = deletes
        .iter()
        .map(|p| p.iter().filter(|(k, _)| k.ends_with("[idvisit]")).count())
        .collect();
    assert!(sizes.iter().all(|n| *n <= 400), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>() as u64, ALICE_VISITS);

    // Idempotent: nothing left, every count zero.
    let again = matomo.erase(&m).expect("second erase");
    assert!(
        again.deleted.values().all(|n| *n == 0),
        "{:?}",
        again.deleted
    );
    assert_eq!(again.deleted["log_visit"], 0);
    assert!(again.follow_up[0].contains("Nothing was left"));
    let m = matomo.find(&subject(&[("email", ALICE)])).unwrap();
    assert_eq!(m.counts["log_visit"], 0);
    assert!(!m.actionable());
    assert_eq!(ids_of(&fake.visits_of(|_| true)), others);
}

#[test]
fn supplied_visitor_id_finds_and_erases_cookie_visits() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let m = matomo
        .find(&subject(&[("matomo_visitor_id", "D00DFEEDD00DFEED")]))
        .unwrap();
    assert_eq!(key(&m, "supplied_visitor_id"), Some((Strength::Strong, 4)));
    assert!(fake
        .segments_sent()
        .contains(&format!("visitorId=={DAVE_VISITOR}")));
    let report = matomo.erase(&m).unwrap();
    assert_eq!(report.deleted["log_visit"], 4);
    assert_eq!(fake.visitor_visits(DAVE_VISITOR), 0);
    assert_eq!(fake.user_visits(BOB), 3);

    // Not 16 hex digits: ignored, not searched.
    let before = fake.request_count();
    let m = matomo
        .find(&subject(&[("matomo_visitor_id", "not-a-visitor")]))
        .unwrap();
    assert!(m.keys.is_empty());
    assert_eq!(fake.request_count(), before);
}
