//! Pseudonymised user ids, masked IPs, and configured sites.

use super::*;

#[test]
fn pseudonymised_user_ids_are_found_through_the_salt() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    let p = &f.prefix;
    let uid = "dora@example.com";
    let salt = format!("pepper-{p}");
    let var = format!("TEST_MATOMO_SALT_{}", p.to_uppercase());
    std::env::set_var(&var, &salt);
    let stored = sha1_hex(&format!("{uid}{salt}"));
    let vd = visitor_hex(&stored);
    let other = visitor_hex("someone-else");
    f.execute(&[format!(
        "INSERT INTO {p}log_visit (idvisit, idsite, idvisitor, user_id, visit_first_action_time,
            visit_last_action_time, config_id, location_ip) VALUES
         (1, 1, UNHEX('{vd}'), '{stored}', '2025-03-01 10:00:00', '2025-03-01 10:10:00',
          UNHEX('0101010101010101'), INET6_ATON('10.0.0.0')),
         (2, 1, UNHEX('{vd}'), NULL, '2025-02-27 10:00:00', '2025-02-27 10:10:00',
          UNHEX('0202020202020202'), INET6_ATON('10.0.0.0')),
         (3, 1, UNHEX('{other}'), 'someone-else', '2025-03-01 11:00:00', '2025-03-01 11:10:00',
          UNHEX('0303030303030303'), INET6_ATON('10.0.0.0'))"
    )]);
    let dora = subject(&[("email", uid)]);

    let mut cfg = f.config();
    cfg.user_id_salt_env = Some(var.clone());
    let db = f.connector(&cfg);
    let m = db.find(&dora).expect("find");
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 1)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 2)));
    assert_eq!(visits(&m), vec![(1, 1), (1, 2)]);
    assert_eq!(m.counts["log_visit"], 2);

    // Without the salt the plain id matches nothing.
    let plain = f.connector(&f.config());
    let m = plain.find(&dora).expect("find unsalted");
    assert!(!m.actionable());
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 0)));

    // A salt variable that is not set is a configuration error, said plainly.
    cfg.user_id_salt_env = Some(format!("{var}_UNSET"));
    let err = f.connector(&cfg).find(&dora).expect_err("salt missing");
    assert!(
        matches!(&err, ConnectorError::Permanent(msg) if msg.contains(&format!("{var}_UNSET")) && !msg.contains(uid)),
        "{err:?}"
    );
    std::env::remove_var(&var);
}

#[test]
fn a_masked_ip_alone_is_shown_but_never_acted_on() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    seed_people(&f);
    let db = f.connector(&f.config());
    let before = all_rows(&f);

    let m = db
        .find(&subject(&[("ip", "192.168.77.12")]))
        .expect("find by ip");
    assert_eq!(m.keys.len(), 1);
    assert_eq!(key(&m, "masked_ip"), Some((Strength::Weak, 2)));
    assert!(!m.actionable());
    assert!(m.is_empty());
    assert_eq!(visits(&m), Vec::<(u64, u64)>::new());

    let export = db.export(&m).expect_err("export on a weak key");
    assert!(matches!(&export, ConnectorError::Permanent(msg) if msg.contains("weak key")));
    let erase = db.erase(&m).expect_err("erase on a weak key");
    assert!(matches!(erase, ConnectorError::Permanent(_)));
    assert_eq!(all_rows(&f), before);

    // Alongside a strong key the IP is still only counted, never added to the visits.
    let m = db
        .find(&subject(&[("email", BOB), ("ip", "192.168.1.1")]))
        .expect("find");
    assert_eq!(key(&m, "masked_ip"), Some((Strength::Weak, 2)));
    assert_eq!(visits(&m), vec![(1, 10), (2, 11)]);
}

#[test]
fn configured_sites_restrict_find_export_and_erase() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    seed_people(&f);

    let mut site1 = f.config();
    site1.site_ids = vec![1];
    let db = f.connector(&site1);
    let m = db
        .find(&subject(&[("email", ALICE), ("ip", "192.168.0.1")]))
        .expect("find");
    assert_eq!(visits(&m), vec![(1, 1), (1, 3)]);
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 1)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 2)));
    assert_eq!(key(&m, "masked_ip"), Some((Strength::Weak, 2)));
    assert_eq!(
        m.counts,
        counts(&[
            ("log_visit", 2),
            ("log_link_visit_action", 3),
            ("log_conversion", 1),
            ("log_conversion_item", 1),
        ])
    );

    // Site 2 holds one visit of hers, with no conversions: those tables are listed empty.
    let mut site2 = f.config();
    site2.site_ids = vec![2];
    let db2 = f.connector(&site2);
    let m2 = db2.find(&alice()).expect("find site 2");
    assert_eq!(visits(&m2), vec![(2, 2)]);
    let r = db2.export(&m2).expect("export site 2");
    assert_eq!(r.tables["log_visit"].len(), 1);
    assert_eq!(r.tables["log_link_visit_action"].len(), 1);
    assert!(r.tables["log_conversion"].is_empty());
    assert!(r.tables["log_conversion_item"].is_empty());

    let report = db.erase(&m).expect("erase site 1");
    assert_eq!(report.deleted["log_visit"], 2);
    assert_eq!(report.deleted["log_link_visit_action"], 3);
    assert!(
        report.follow_up[0].contains("--sites=1`"),
        "{}",
        report.follow_up[0]
    );
    assert_eq!(f.ids("log_visit", "idvisit"), [2, 10, 11, 20, 30]);
}
