//! The connector's checks and errors: missing tables, unreachable databases, bad URLs,
//! and the user_id column search switched off.

use super::*;

#[test]
fn check_passes_and_names_a_missing_table() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    f.connector(&f.config()).check().expect("check");

    let mut missing = f.config();
    missing.table_prefix = format!("{}missing_", f.prefix);
    let err = f.connector(&missing).check().expect_err("no such tables");
    assert!(
        matches!(&err, ConnectorError::Permanent(msg) if msg.contains(&format!("{}missing_log_visit", f.prefix))),
        "{err:?}"
    );
    // find on missing tables fails permanently too, rather than being retried forever.
    let err = f.connector(&missing).find(&alice()).expect_err("find");
    assert!(matches!(err, ConnectorError::Permanent(_)), "{err:?}");
}

#[test]
fn unreachable_database_is_temporary_and_bad_url_is_permanent() {
    let mut cfg = matomo_config("matomo_db", "matomo_", None);
    // Port 1: nothing listens there, so the connection is refused at once.
    let db = MatomoDb::new(&cfg, "mysql://root@127.0.0.1:1/matomo").expect("new");
    let err = db.check().expect_err("unreachable");
    assert!(matches!(err, ConnectorError::Temporary(_)), "{err:?}");
    let err = db.find(&alice()).expect_err("unreachable");
    assert!(matches!(err, ConnectorError::Temporary(_)), "{err:?}");

    let err = MatomoDb::new(&cfg, "mysql://matomo:s3cret@db:notaport/matomo")
        .err()
        .expect("bad url");
    assert!(
        matches!(&err, ConnectorError::Permanent(msg) if !msg.contains("s3cret")),
        "{err:?}"
    );

    cfg.table_prefix = "matomo_; DROP TABLE x; --".into();
    let err = MatomoDb::new(&cfg, "mysql://root@127.0.0.1:1/matomo")
        .err()
        .expect("bad prefix");
    assert!(matches!(err, ConnectorError::Permanent(_)), "{err:?}");
}

#[test]
fn user_id_column_search_can_be_switched_off_and_its_missing_index_is_reported() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    seed_people(&f);
    // A visit carrying Alice's user id under a random visitor id, as Matomo stores it when
    // enable_userid_overwrites_visitorid is off: only the user_id column finds it.
    let p = &f.prefix;
    f.execute(&[format!(
        "INSERT INTO {p}log_visit (idvisit, idsite, idvisitor, user_id, visit_first_action_time,
            visit_last_action_time, config_id, location_ip)
         VALUES (40, 3, UNHEX('{:016x}'), '{ALICE}', '2025-03-01 10:00:00',
            '2025-03-01 10:01:00', UNHEX('a4a4a4a4a4a4a4a4'), INET6_ATON('10.2.0.0'))",
        rand::random::<u64>()
    )]);

    let searching = f.connector(&f.config());
    let m = searching.find(&alice()).expect("find");
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 3)));
    assert_eq!(visits(&m), vec![(1, 1), (1, 3), (2, 2), (3, 40)]);
    let advice = searching.advice().expect("advice");
    assert_eq!(advice.len(), 1, "{advice:?}");
    assert!(advice[0].contains(&format!(
        "CREATE INDEX index_user_id ON {p}log_visit (user_id)"
    )));

    let mut cfg = f.config();
    cfg.search_user_id_column = false;
    let visitor_only = f.connector(&cfg);
    let m = visitor_only.find(&alice()).expect("find");
    assert_eq!(key(&m, "user_id"), None, "the column is not searched");
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 3)));
    assert_eq!(visits(&m), vec![(1, 1), (1, 3), (2, 2)]);
    assert!(visitor_only.advice().expect("advice").is_empty());

    // With the index in place there is nothing left to advise.
    f.execute(&[format!(
        "CREATE INDEX index_user_id ON {p}log_visit (user_id)"
    )]);
    assert!(searching.advice().expect("advice").is_empty());
}
