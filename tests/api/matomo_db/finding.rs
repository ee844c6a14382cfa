//! Finding, exporting and erasing exactly Alice's rows.

use super::*;

#[test]
fn find_counts_exactly_alices_rows_by_strong_keys() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    seed_people(&f);
    let db = f.connector(&f.config());

    let m = db.find(&alice()).expect("find");
    assert!(m.actionable());
    assert_eq!(key(&m, "user_id"), Some((Strength::Strong, 2)));
    assert_eq!(key(&m, "visitor_id"), Some((Strength::Strong, 3)));
    assert_eq!(key(&m, "masked_ip"), None, "no ip was given");
    assert_eq!(
        m.counts,
        counts(&[
            ("log_visit", 3),
            ("log_link_visit_action", 4),
            ("log_conversion", 1),
            ("log_conversion_item", 1),
        ])
    );
    assert_eq!(visits(&m), vec![(1, 1), (1, 3), (2, 2)]);
    assert_eq!(m.first_seen.as_deref(), Some("2024-12-30 18:00:00"));
    assert_eq!(m.last_seen.as_deref(), Some("2025-02-11 08:05:00"));

    // A visitor id the person gave, alone, is a strong key too.
    let given = subject(&[("matomo_visitor_id", &visitor_hex(ALICE).to_uppercase())]);
    let m = db.find(&given).expect("find by visitor id");
    assert_eq!(
        m.keys.iter().map(|k| k.key.as_str()).collect::<Vec<_>>(),
        ["supplied_visitor_id"]
    );
    assert_eq!(key(&m, "supplied_visitor_id"), Some((Strength::Strong, 3)));
    assert_eq!(visits(&m), vec![(1, 1), (1, 3), (2, 2)]);

    // Nothing for someone Matomo never saw, and no error either.
    let m = db
        .find(&subject(&[("email", "nobody@example.com")]))
        .expect("find");
    assert!(!m.actionable());
    assert!(m.is_empty());
    assert_eq!(visits(&m), Vec::<(u64, u64)>::new());
}

#[test]
fn export_returns_only_alices_rows_with_hex_and_action_names() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    seed_people(&f);
    let db = f.connector(&f.config());
    let m = db.find(&alice()).expect("find");

    let r = db.export(&m).expect("export");
    let column = |table: &str, col: &str| -> Vec<Json> {
        r.tables[table].iter().map(|row| row[col].clone()).collect()
    };
    assert_eq!(
        r.tables.keys().collect::<Vec<_>>(),
        [
            "log_conversion",
            "log_conversion_item",
            "log_link_visit_action",
            "log_visit"
        ]
    );
    assert_eq!(
        column("log_visit", "idvisit"),
        [json!(1), json!(2), json!(3)]
    );
    assert_eq!(
        column("log_link_visit_action", "idlink_va"),
        [json!(1), json!(2), json!(3), json!(4)]
    );
    assert_eq!(column("log_conversion", "idorder"), [json!("order-A1")]);
    assert_eq!(column("log_conversion_item", "idvisit"), [json!(1)]);

    let visit = &r.tables["log_visit"][0];
    assert_eq!(visit["idvisitor"], json!(visitor_hex(ALICE)));
    assert_eq!(visit["config_id"], json!("a1a1a1a1a1a1a1a1"));
    assert_eq!(visit["location_ip"], json!("c0a80000"));
    assert_eq!(visit["user_id"], json!(ALICE));
    assert_eq!(visit["idsite"], json!(1));
    assert_eq!(
        visit["visit_first_action_time"],
        json!("2025-01-03 10:00:00")
    );
    assert_eq!(visit["location_country"], json!("de"));
    assert_eq!(
        visit["referer_url"],
        json!("https://search.example/?q=alice")
    );
    assert_eq!(r.tables["log_visit"][2]["user_id"], Json::Null);

    let action = &r.tables["log_link_visit_action"][1];
    assert_eq!(action["idaction_url"], json!(1));
    assert_eq!(
        action["idaction_url_name"],
        json!("https://www.example.com/account/alice")
    );
    assert_eq!(action["idaction_name_name"], json!("Alice account"));
    assert_eq!(
        action["idaction_url_ref_name"],
        json!("https://www.example.com/")
    );
    assert_eq!(action["idaction_name_ref_name"], json!("Home"));
    assert_eq!(action["server_time"], json!("2025-01-03 10:20:00"));
    let first = &r.tables["log_link_visit_action"][0];
    assert_eq!(first["idaction_url_ref"], json!(0));
    assert_eq!(first["idaction_url_ref_name"], Json::Null);

    let conversion = &r.tables["log_conversion"][0];
    assert_eq!(conversion["revenue"], json!(42.5));
    assert_eq!(
        conversion["idaction_url_name"],
        json!("https://www.example.com/account/alice")
    );
    let item = &r.tables["log_conversion_item"][0];
    assert_eq!(item["idaction_sku_name"], json!("SKU-42"));
    assert_eq!(item["idvisitor"], json!(visitor_hex(ALICE)));
}

#[test]
fn erase_deletes_exactly_alices_rows_and_is_idempotent() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    seed_people(&f);
    let db = f.connector(&f.config());
    let m = db.find(&alice()).expect("find");

    let report = db.erase(&m).expect("erase");
    assert_eq!(
        report.deleted,
        counts(&[
            ("log_visit", 3),
            ("log_link_visit_action", 4),
            ("log_conversion", 1),
            ("log_conversion_item", 1),
        ])
    );
    assert_eq!(report.follow_up.len(), 1, "{:?}", report.follow_up);
    assert!(
        report.follow_up[0].contains(
            "./console core:invalidate-report-data --dates=2024-12-30 --dates=2025-01-03 \
             --dates=2025-02-11 --sites=1,2"
        ),
        "{}",
        report.follow_up[0]
    );
    assert!(report.follow_up[0].contains("core:archive"));

    // Bob, C and the other account keep everything; log_action is untouched.
    assert_eq!(f.ids("log_visit", "idvisit"), [10, 11, 20, 30]);
    assert_eq!(f.ids("log_link_visit_action", "idlink_va"), [5, 6, 7, 8, 9]);
    assert_eq!(f.ids("log_conversion", "idvisit"), [10]);
    assert_eq!(f.ids("log_conversion_item", "idvisit"), [10]);
    assert_eq!(f.count("log_action"), 7);
    let m_bob = db.find(&subject(&[("email", BOB)])).expect("find bob");
    assert_eq!(visits(&m_bob), vec![(1, 10), (2, 11)]);

    let again = db.erase(&m).expect("second erase");
    assert!(
        again.deleted.values().all(|n| *n == 0),
        "{:?}",
        again.deleted
    );
    assert_eq!(again.deleted.len(), 4);
    assert_eq!(f.count("log_visit"), 4);

    let after = db.find(&alice()).expect("find after erase");
    assert!(after.is_empty());
    assert!(!after.actionable());
}
