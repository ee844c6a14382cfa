//! Purging the actions only Alice used.

use super::*;

#[test]
fn purge_removes_actions_only_alice_used() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    seed_people(&f);
    let mut cfg = f.config();
    cfg.purge_orphaned_actions = true;
    let db = f.connector(&cfg);
    let m = db.find(&alice()).expect("find");

    let report = db.erase(&m).expect("erase");
    assert_eq!(report.deleted["log_action"], 2);
    assert_eq!(report.deleted["log_link_visit_action"], 4);
    // 1 and 2 were only Alice's; 3 and 4 are shared with Bob and others, 5–7 are not hers.
    assert_eq!(f.ids("log_action", "idaction"), [3, 4, 5, 6, 7]);
    assert_eq!(f.ids("log_visit", "idvisit"), [10, 11, 20, 30]);

    let again = db.erase(&m).expect("second erase");
    assert_eq!(again.deleted["log_action"], 0);
    assert!(again.deleted.values().all(|n| *n == 0));
    assert_eq!(f.count("log_action"), 5);
}

/// Actions are named from many columns besides log_link_visit_action's URL and title:
/// visits' entry and exit pages, conversions, conversion items' SKU, name and five
/// categories, event, content and product columns, and plugins' own tables. An action
/// only Alice's rows named goes, whichever column named it; one anybody else still
/// names, in any column of any log table, stays.
#[test]
fn purge_considers_every_column_that_names_an_action() {
    let Some(url) = db_url() else { return };
    let f = Fixture::new(url);
    seed_people(&f);
    let p = f.prefix();
    f.execute(&[
        format!(
            "ALTER TABLE {p}log_visit ADD visit_entry_idaction_url INT UNSIGNED NULL,
                ADD visit_entry_idaction_name INT UNSIGNED NULL,
                ADD visit_exit_idaction_url INT UNSIGNED NULL DEFAULT 0,
                ADD visit_exit_idaction_name INT UNSIGNED NULL"
        ),
        format!(
            "ALTER TABLE {p}log_link_visit_action ADD idaction_event_category INT UNSIGNED NULL,
                ADD idaction_event_action INT UNSIGNED NULL,
                ADD idaction_content_name INT UNSIGNED NULL,
                ADD idaction_product_cat INT NULL"
        ),
        format!(
            "ALTER TABLE {p}log_conversion_item ADD idaction_name INT UNSIGNED NOT NULL DEFAULT 0,
                ADD idaction_category INT UNSIGNED NOT NULL DEFAULT 0,
                ADD idaction_category2 INT UNSIGNED NOT NULL DEFAULT 0,
                ADD idaction_category3 INT UNSIGNED NOT NULL DEFAULT 0,
                ADD idaction_category4 INT UNSIGNED NOT NULL DEFAULT 0,
                ADD idaction_category5 INT UNSIGNED NOT NULL DEFAULT 0"
        ),
        format!(
            "CREATE TABLE {p}{PLUGIN_TABLE} (idvisit BIGINT UNSIGNED NOT NULL,
                idaction_example INT UNSIGNED NULL) ENGINE=InnoDB"
        ),
        format!(
            "INSERT INTO {p}log_action (idaction, name, hash, type, url_prefix) VALUES
                (20, 'example.com/welcome/alice', 20, 1, 3), (21, 'Goodbye', 21, 4, NULL),
                (22, 'Alice clicks', 22, 10, NULL), (23, 'Banner', 23, 13, NULL),
                (24, 'Alice gift', 24, 9, NULL), (25, 'Books', 25, 9, NULL),
                (26, 'Alice list', 26, 9, NULL), (27, 'example.com/thanks/alice', 27, 1, 3)"
        ),
        // Alice's: only hers 20, 22, 24, 26, 27; shared 21 (Bob's entry title), 23
        // (Bob's item category 3), 25 (the plugin's row for visitor C).
        format!(
            "UPDATE {p}log_visit SET visit_entry_idaction_url = 20, visit_exit_idaction_name = 21
             WHERE idvisit = 1"
        ),
        format!("UPDATE {p}log_visit SET visit_entry_idaction_name = 21 WHERE idvisit = 10"),
        format!(
            "UPDATE {p}log_link_visit_action SET idaction_event_category = 22,
                idaction_content_name = 23 WHERE idlink_va = 2"
        ),
        format!("UPDATE {p}log_conversion SET idaction_url = 27 WHERE idvisit = 1"),
        format!(
            "UPDATE {p}log_conversion_item SET idaction_name = 24, idaction_category = 25,
                idaction_category5 = 26 WHERE idvisit = 1"
        ),
        format!("UPDATE {p}log_conversion_item SET idaction_category3 = 23 WHERE idvisit = 10"),
        format!("INSERT INTO {p}{PLUGIN_TABLE} (idvisit, idaction_example) VALUES (20, 25)"),
    ]);
    let mut cfg = f.config();
    cfg.purge_orphaned_actions = true;
    let db = f.connector(&cfg);
    let m = db.find(&alice()).expect("find");

    let report = db.erase(&m).expect("erase");
    assert_eq!(
        f.ids("log_action", "idaction"),
        [3, 4, 5, 6, 7, 21, 23, 25],
        "Alice's own actions are gone, the shared ones stay"
    );
    assert_eq!(report.deleted["log_action"], 7);
    assert_eq!(f.ids("log_visit", "idvisit"), [10, 11, 20, 30]);
}
