//! What goes over the wire and what fails: the token, errors, hashed user ids, segments
//! that could widen a search, look-alike ids, volume, and the request page's count.

use super::*;

#[test]
fn token_travels_in_the_post_body_only() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let m = matomo
        .find(&subject(&[("email", BOB), ("ip", "10.1.0.9")]))
        .unwrap();
    matomo.export(&m).unwrap();
    matomo.erase(&m).unwrap();
    matomo.check().unwrap();

    let state = fake.state.lock().unwrap();
    assert!(state.requests.len() >= 6);
    for r in &state.requests {
        assert_eq!(r.http_method, "POST");
        assert_eq!(r.path, "/index.php");
        assert!(r.query.is_empty(), "nothing in the URL: {:?}", r.query);
        assert!(r
            .content_type
            .starts_with("application/x-www-form-urlencoded"));
        assert_eq!(r.param("token_auth"), Some(TOKEN));
        assert_eq!(r.param("module"), Some("API"));
        assert_eq!(r.param("format"), Some("json"));
    }
    let methods: BTreeSet<&str> = state
        .requests
        .iter()
        .filter_map(|r| r.param("method"))
        .collect();
    assert!(methods.contains("PrivacyManager.deleteDataSubjects"));
    drop(state);

    // The fake does refuse a GET, as Matomo does for secure-only tokens.
    let url = format!(
        "{}/index.php?module=API&method=API.getMatomoVersion&format=json&token_auth={TOKEN}",
        fake.base_url
    );
    let answer: Json = reqwest::blocking::get(url).unwrap().json().unwrap();
    assert_eq!(answer["result"], "error");
}

#[test]
fn wrong_token_is_a_permanent_error_without_secrets() {
    let fake = FakeMatomo::start();
    let wrong = "00000000000000000000000000000000";
    let matomo = MatomoApi::new(&config(&fake.base_url), wrong).unwrap();
    let message = permanent(matomo.find(&subject(&[("email", ALICE)])));
    assert!(message.contains("token"), "{message}");
    assert!(
        !message.contains(wrong) && !message.contains(ALICE),
        "{message}"
    );
    permanent(matomo.check());

    // Valid but view only: the GDPR tools need admin access.
    let view = MatomoApi::new(&config(&fake.base_url), VIEW_TOKEN).unwrap();
    let message = permanent(view.check());
    assert!(message.contains("admin"), "{message}");
    permanent(view.find(&subject(&[("email", ALICE)])));

    // A configured site the token cannot administer is named.
    let mut cfg = config(&fake.base_url);
    cfg.site_ids = vec![1, 7];
    let message = permanent(MatomoApi::new(&cfg, TOKEN).unwrap().check());
    assert!(message.contains('7'), "{message}");

    connector(&fake).check().expect("a good token passes check");
}

#[test]
fn unreachable_matomo_is_a_temporary_error() {
    let matomo = MatomoApi::new(&config("http://127.0.0.1:1/"), TOKEN).unwrap();
    for result in [
        matomo.find(&subject(&[("email", ALICE)])).map(|_| ()),
        matomo.check(),
    ] {
        match result {
            Err(ConnectorError::Temporary(m)) => {
                assert!(!m.contains(TOKEN) && !m.contains(ALICE), "{m}")
            }
            other => panic!("expected a temporary error, got {other:?}"),
        }
    }
}

#[test]
fn not_matomo_at_base_url_is_permanent() {
    let fake = FakeMatomo::start();
    let mut cfg = config(&format!("{}/elsewhere/", fake.base_url));
    cfg.timeout_seconds = 5;
    let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();
    permanent(matomo.check());
    // And the configuration errors are caught up front.
    assert!(MatomoApi::new(&config("not a url"), TOKEN).is_err());
    assert!(MatomoApi::new(&config(&fake.base_url), "  ").is_err());
    assert!(MatomoApi::new(&config("https://m.example/?token_auth=x"), TOKEN).is_err());
}

#[test]
fn pseudonymised_user_id_is_sent_hashed() {
    let salt = "a-matomo-useridsalt-value";
    let var = "DSAR_TEST_MATOMO_API_SALT";
    std::env::set_var(var, salt);
    let fake = FakeMatomo::start_with_salt(salt);
    let mut cfg = config(&fake.base_url);
    cfg.user_id_salt_env = Some(var.into());
    let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();

    let m = matomo.find(&subject(&[("email", ERIN)])).unwrap();
    let stored = salted(ERIN, salt);
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 2)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 2)));
    let sent = fake.segments_sent();
    assert!(sent.contains(&format!("userId=={stored}")), "{sent:?}");
    assert!(sent.contains(&format!("visitorId=={}", visitor_of(&stored))));
    assert!(sent.iter().all(|s| !s.contains("erin")), "{sent:?}");

    let report = matomo.erase(&m).unwrap();
    assert_eq!(report.deleted["log_visit"], 2);
    assert_eq!(fake.user_visits(&stored), 0);

    // The salt must be there: without it the search would silently find nothing.
    let mut cfg = config(&fake.base_url);
    cfg.user_id_salt_env = Some("DSAR_TEST_MATOMO_API_SALT_MISSING".into());
    let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();
    let message = permanent(matomo.find(&subject(&[("email", ERIN)])));
    assert!(
        message.contains("DSAR_TEST_MATOMO_API_SALT_MISSING"),
        "{message}"
    );
}

#[test]
fn erase_refuses_segments_that_could_widen_the_search() {
    let fake = FakeMatomo::start();
    let matomo = connector(&fake);
    let mut m = matomo.find(&subject(&[("email", BOB)])).unwrap();
    m.refs["segments"] = json!(["visitIp>=0.0.0.0;visitIp<=255.255.255.255"]);
    permanent(matomo.erase(&m));
    assert_eq!(fake.user_visits(BOB), 3);
    assert_eq!(
        fake.visits_of(|_| true).len() as u64,
        ALICE_VISITS + 3 + 2 + 4 + 2
    );
}

/// Matomo's `userId==` is SQL on a case- and trailing-space-insensitive column: the search
/// also returns `BOB+SHOP@example.com` and `bob+shop@example.com `. Those are other
/// accounts: counted as "not this person", never exported or erased, not even by the
/// erase's searches after the preview.
#[test]
fn look_alike_user_ids_are_counted_and_left_alone() {
    let fake = FakeMatomo::start();
    let upper = "BOB+SHOP@example.com";
    let padded = "bob+shop@example.com ";
    let upper_visits = fake.add_visits(1, &visitor_of(upper), Some(upper), 3, |i| 150 + i);
    let padded_visits = fake.add_visits(2, &visitor_of(padded), Some(padded), 2, |i| 160 + i);
    let look_alikes: BTreeSet<u64> = upper_visits.union(&padded_visits).copied().collect();
    let bob = ids_of(&fake.visits_of(|v| v.user_id.as_deref() == Some(BOB)));
    assert_eq!(bob.len(), 3);
    let matomo = connector(&fake);

    let m = matomo.find(&subject(&[("email", BOB)])).expect("find");
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 3)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 3)));
    assert_eq!(m.counts["log_visit"], 3);
    assert_eq!(
        m.excluded, 5,
        "the look-alikes are counted as not this person"
    );
    assert!(!m.at_least);
    let refs: BTreeSet<u64> = ref_visits(&m).iter().map(|p| p.1).collect();
    assert_eq!(refs, bob);
    // The preview's dates are Bob's alone (100–102 h), not his neighbours' (150–161 h).
    assert_eq!(m.first_seen.as_deref(), Some(datetime(100).as_str()));
    assert_eq!(m.last_seen.as_deref(), Some(datetime(102).as_str()));

    let records = matomo.export(&m).expect("export");
    assert!(records.tables["log_visit"]
        .iter()
        .all(|r| r["user_id"] == json!(BOB)));
    assert_eq!(records.tables["log_visit"].len(), 3);

    // A visit Bob makes after the preview is caught by the erase's search after it; his
    // neighbours' visits, which that search returns too, are not.
    let late = fake.add_visits(1, &visitor_of(BOB), Some(BOB), 1, |_| 170);
    let report = matomo.erase(&m).expect("erase");
    assert_eq!(report.deleted["log_visit"], 4);
    assert_eq!(fake.user_visits(BOB), 0);
    assert!(ids_of(&fake.visits_of(|_| true)).is_disjoint(&late));
    let left = ids_of(&fake.visits_of(|_| true));
    assert!(
        look_alikes.is_subset(&left),
        "the look-alikes are all still there"
    );
    assert_eq!(fake.user_visits(upper), 3);
    assert_eq!(fake.user_visits(padded), 2);
}

/// Access must be complete past Matomo's 401-visit cap: a person with 900 visits, half
/// as many look-alike visits between them and many visits sharing a second, is found,
/// exported and erased whole, and nobody else is touched.
#[test]
fn nine_hundred_visits_are_found_exported_and_erased_completely() {
    let fake = FakeMatomo::start();
    let zoe = "zoe@example.com";
    let zoe_upper = "Zoe@Example.com";
    // Three visits per hour, alternating sites: ties on the last action time everywhere,
    // and across every page boundary.
    let zoe_visits = fake.add_visits(1, &visitor_of(zoe), Some(zoe), 450, |i| 1000 + i / 3);
    let zoe_visits: BTreeSet<u64> = zoe_visits
        .union(&fake.add_visits(2, &visitor_of(zoe), Some(zoe), 450, |i| 1000 + i / 3))
        .copied()
        .collect();
    assert_eq!(zoe_visits.len(), 900);
    let look_alikes = fake.add_visits(1, &visitor_of(zoe_upper), Some(zoe_upper), 450, |i| {
        1000 + i / 3
    });
    let others = ids_of(&fake.visits_of(|v| v.user_id.as_deref() != Some(zoe)));
    let matomo = connector(&fake);

    let m = matomo.find(&subject(&[("email", zoe)])).expect("find");
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 900)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 900)));
    assert_eq!(m.counts["log_visit"], 900);
    assert_eq!(m.excluded, 450);
    assert!(!m.at_least, "paged to the end");
    let refs: BTreeSet<u64> = ref_visits(&m).iter().map(|p| p.1).collect();
    assert_eq!(refs, zoe_visits);
    // The true range, not the newest 401's.
    assert_eq!(m.first_seen.as_deref(), Some(datetime(1000).as_str()));
    assert_eq!(
        m.last_seen.as_deref(),
        Some(datetime(1000 + 449 / 3).as_str())
    );
    let searches = fake.calls("PrivacyManager.findDataSubjects").len();

    let records = matomo.export(&m).expect("export");
    let exported: BTreeSet<u64> = records.tables["log_visit"]
        .iter()
        .map(|r| r["idvisit"].as_u64().unwrap())
        .collect();
    assert_eq!(records.tables["log_visit"].len(), 900, "no visit twice");
    assert_eq!(exported, zoe_visits);
    assert_eq!(
        records.tables["log_link_visit_action"].len() as u64,
        900 * ACTIONS_PER_VISIT
    );
    assert_eq!(fake.calls("PrivacyManager.exportDataSubjects").len(), 3);

    let report = matomo.erase(&m).expect("erase");
    assert_eq!(report.deleted["log_visit"], 900);
    assert_eq!(ids_of(&fake.visits_of(|_| true)), others);
    assert!(look_alikes.is_subset(&others));
    // Pages of 401 (less the visits seen again at a page's last second): 4 for the
    // user id's 1,350 visits (look-alikes included), 3 for the visitor id's 900.
    assert_eq!(searches, 7);
    assert_eq!(fake.calls("PrivacyManager.deleteDataSubjects").len(), 3);
}

/// More visits in one second than a search returns: paging by time alone would stall,
/// so the connector pages through that second by visit id.
#[test]
fn more_visits_in_one_second_than_one_search_returns_are_all_found() {
    let fake = FakeMatomo::start();
    let tess = "tess@example.com";
    let mut tess_visits = fake.add_visits(1, &visitor_of(tess), Some(tess), 3, |i| 2000 + i);
    tess_visits.extend(fake.add_visits(2, &visitor_of(tess), Some(tess), 420, |_| 2010));
    tess_visits.extend(fake.add_visits(1, &visitor_of(tess), Some(tess), 420, |_| 2010));
    tess_visits.extend(fake.add_visits(1, &visitor_of(tess), Some(tess), 5, |i| 2020 + i));
    for site_ids in [vec![], vec![1, 2]] {
        let mut cfg = config(&fake.base_url);
        cfg.site_ids = site_ids;
        let matomo = MatomoApi::new(&cfg, TOKEN).unwrap();
        let m = matomo.find(&subject(&[("email", tess)])).expect("find");
        assert_eq!(m.counts["log_visit"], 848);
        let refs: BTreeSet<u64> = ref_visits(&m).iter().map(|p| p.1).collect();
        assert_eq!(refs, tess_visits);
        assert!(!m.at_least);
    }
    // One site: Matomo orders by site first; the paging does not depend on it.
    let mut cfg = config(&fake.base_url);
    cfg.site_ids = vec![1];
    let m = MatomoApi::new(&cfg, TOKEN)
        .unwrap()
        .find(&subject(&[("email", tess)]))
        .expect("find");
    assert_eq!(m.counts["log_visit"], 3 + 420 + 5);
}

/// The request page tells staff, in the catalogue's words, how many of the search's
/// visits were left out as not this person.
#[actix_web::test]
async fn the_request_page_says_how_many_visits_are_not_this_person() {
    use crate::connector_flow::{alices_checked_access_request, wait_for_run};
    use crate::helpers::{spawn_app_with, Backend};
    let fake = FakeMatomo::start();
    // Alice's look-alike neighbours (the portal's Alice is ALICE above).
    fake.add_visits(
        1,
        &visitor_of("ALICE@example.com"),
        Some("ALICE@example.com"),
        2,
        |i| 5 + i,
    );
    fake.add_visits(
        2,
        &visitor_of("alice@example.com "),
        Some("alice@example.com "),
        1,
        |_| 9,
    );
    let var = format!("MATOMO_API_TOKEN_{}", std::process::id());
    std::env::set_var(&var, TOKEN);
    let mut cfg = config(&fake.base_url);
    cfg.name = "analytics".into();
    cfg.token_env = Some(var);
    let app = spawn_app_with(&Backend::Sqlite, move |s| s.connectors = vec![cfg]).await;
    let (id, handler) = alices_checked_access_request(&app).await;
    let path = format!("/staff/requests/{id}");
    handler
        .run_connector(&id, &[("connector", "analytics"), ("action", "find")])
        .await;
    let (status, summary) = wait_for_run(&app, &id, "find").await;
    assert_eq!(status, "done", "{summary:?}");
    let (code, page) = handler.get(&path).await;
    assert_eq!(code, 200);
    assert!(
        page.contains("Not this person: 3 records"),
        "the count of look-alikes is shown"
    );
    assert!(!page.contains("lower bounds"), "the find reached the end");
}
