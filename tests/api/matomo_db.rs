//! The Matomo database connector against a real MariaDB/MySQL, named by
//! TEST_MATOMO_DB_URL (e.g. mysql://root@127.0.0.1:3306/test). Without it the suite is
//! skipped, except under CI, where it must run.
//!
//! Plain `#[test]`s: the connector blocks on its own runtime, which must not be nested in
//! another. Each test creates the Matomo tables under its own random prefix, so tests run
//! in parallel, and drops them again even when it fails.

use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::matomo_db::MatomoDb;
use dsar_portal::connectors::{Connector, ConnectorError, Matches, Strength, Subject};
use mysql_async::prelude::Queryable;
use serde_json::{json, Value as Json};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::future::Future;

const TABLES: [&str; 5] = [
    "log_visit",
    "log_link_visit_action",
    "log_conversion",
    "log_conversion_item",
    "log_action",
];

/// A plugin's log table naming actions (Matomo lets plugins add such tables through the
/// `Db.getActionReferenceColumnsByTable` event); made by one test, dropped by every fixture.
const PLUGIN_TABLE: &str = "log_example";

pub(crate) const ALICE: &str = "alice@example.com";
pub(crate) const BOB: &str = "bob@example.com";
/// A different account whose id differs from Alice's only in case.
const ALICE_UPPER: &str = "ALICE@EXAMPLE.COM";

pub(crate) fn db_url() -> Option<String> {
    match std::env::var("TEST_MATOMO_DB_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok() => {
            panic!("CI is set but TEST_MATOMO_DB_URL is not: the Matomo suite must run")
        }
        _ => {
            eprintln!("skipping the Matomo database tests: TEST_MATOMO_DB_URL is not set");
            None
        }
    }
}

fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(future)
}

fn sha1_hex(data: &str) -> String {
    hex::encode(Sha1::digest(data.as_bytes()))
}

/// Matomo's idvisitor for a stored user id, as 16 hex digits.
fn visitor_hex(user_id: &str) -> String {
    sha1_hex(user_id)[..16].to_string()
}

fn subject(pairs: &[(&str, &str)]) -> Subject {
    Subject {
        identities: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn visits(matches: &Matches) -> Vec<(u64, u64)> {
    matches.refs["visits"]
        .as_array()
        .expect("refs.visits")
        .iter()
        .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
        .collect()
}

fn key(matches: &Matches, name: &str) -> Option<(Strength, u64)> {
    matches
        .keys
        .iter()
        .find(|k| k.key == name)
        .map(|k| (k.strength, k.records))
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Matomo's tables under a random prefix; dropped when the fixture goes out of scope.
pub(crate) struct Fixture {
    url: String,
    prefix: String,
}

impl Fixture {
    pub(crate) fn new(url: String) -> Fixture {
        let fixture = Fixture {
            prefix: format!("t{:08x}_", rand::random::<u32>()),
            url,
        };
        // Built before the tables exist, so a failure half-way still drops what was made.
        fixture.execute(&schema(&fixture.prefix));
        fixture
    }

    pub(crate) fn execute(&self, statements: &[String]) {
        let url = self.url.clone();
        let statements = statements.to_vec();
        run(async move {
            let mut conn = mysql_async::Conn::from_url(url).await.expect("connect");
            for sql in statements {
                conn.query_drop(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            conn.disconnect().await.expect("disconnect");
        })
    }

    fn query_u64(&self, sql: String) -> Vec<u64> {
        let url = self.url.clone();
        run(async move {
            let mut conn = mysql_async::Conn::from_url(url).await.expect("connect");
            let rows: Vec<u64> = conn.query(&sql).await.expect("query");
            conn.disconnect().await.expect("disconnect");
            rows
        })
    }

    pub(crate) fn prefix(&self) -> String {
        self.prefix.clone()
    }

    pub(crate) fn count(&self, table: &str) -> u64 {
        self.query_u64(format!("SELECT COUNT(*) FROM {}{table}", self.prefix))[0]
    }

    /// Values of `column` in `table`, sorted.
    fn ids(&self, table: &str, column: &str) -> Vec<u64> {
        self.query_u64(format!(
            "SELECT {column} FROM {}{table} ORDER BY {column}",
            self.prefix
        ))
    }

    pub(crate) fn config(&self) -> ConnectorConfig {
        ConnectorConfig {
            name: "matomo".into(),
            kind: "matomo_db".into(),
            url_env: None,
            url_file: None,
            table_prefix: self.prefix.clone(),
            site_ids: Vec::new(),
            user_id_from: "email".into(),
            user_id_salt_env: None,
            purge_orphaned_actions: false,
            search_user_id_column: true,
            // Small, so that erasing one person takes several batches.
            batch_size: 2,
            base_url: None,
            token_env: None,
            token_file: None,
            timeout_seconds: 30,
        }
    }

    fn connector(&self, cfg: &ConnectorConfig) -> MatomoDb {
        MatomoDb::new(cfg, &self.url).expect("connector")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let url = self.url.clone();
        let prefix = self.prefix.clone();
        // A thread of its own: this may run while a test unwinds, and needs a runtime
        // that nothing else is blocking on.
        let dropped = std::thread::spawn(move || {
            run(async move {
                let mut conn = mysql_async::Conn::from_url(url).await?;
                for table in TABLES.iter().chain([&PLUGIN_TABLE]) {
                    conn.query_drop(format!("DROP TABLE IF EXISTS {prefix}{table}"))
                        .await?;
                }
                conn.disconnect().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test tables {}*", self.prefix);
        }
    }
}

/// Matomo's log tables, with the columns, types and indexes the connector relies on.
fn schema(p: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE {p}log_visit (
                idvisit BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                user_id VARCHAR(200) NULL,
                visit_first_action_time DATETIME NOT NULL,
                visit_last_action_time DATETIME NOT NULL,
                config_id BINARY(8) NOT NULL,
                location_ip VARBINARY(16) NOT NULL,
                location_country CHAR(3) NULL,
                referer_url TEXT NULL,
                PRIMARY KEY (idvisit),
                INDEX index_idsite_config_datetime (idsite, config_id, visit_last_action_time),
                INDEX index_idsite_datetime (idsite, visit_last_action_time),
                INDEX index_idsite_idvisitor_time (idsite, idvisitor, visit_last_action_time DESC)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
        ),
        format!(
            "CREATE TABLE {p}log_link_visit_action (
                idlink_va BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                idvisit BIGINT UNSIGNED NOT NULL,
                idaction_url_ref INT UNSIGNED NULL DEFAULT 0,
                idaction_name_ref INT UNSIGNED NULL,
                server_time DATETIME NOT NULL,
                idaction_url INT UNSIGNED NULL,
                idaction_name INT UNSIGNED NULL,
                PRIMARY KEY (idlink_va),
                INDEX index_idvisit (idvisit)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {p}log_conversion (
                idvisit BIGINT UNSIGNED NOT NULL,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                server_time DATETIME NOT NULL,
                idaction_url INT NULL,
                idgoal INT NOT NULL,
                buster INT UNSIGNED NOT NULL,
                idorder VARCHAR(100) NULL,
                url VARCHAR(4096) NOT NULL,
                revenue DOUBLE NULL,
                PRIMARY KEY (idvisit, idgoal, buster),
                UNIQUE KEY unique_idsite_idorder (idsite, idorder)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {p}log_conversion_item (
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                idvisit BIGINT UNSIGNED NOT NULL,
                idorder VARCHAR(100) NOT NULL,
                idaction_sku INT UNSIGNED NOT NULL,
                price DOUBLE NOT NULL,
                quantity INT UNSIGNED NOT NULL,
                deleted TINYINT UNSIGNED NOT NULL,
                PRIMARY KEY (idvisit, idorder, idaction_sku)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {p}log_action (
                idaction INT UNSIGNED NOT NULL AUTO_INCREMENT,
                name VARCHAR(4096) NULL,
                hash INT UNSIGNED NOT NULL,
                type TINYINT UNSIGNED NULL,
                url_prefix TINYINT NULL,
                PRIMARY KEY (idaction),
                INDEX index_type_hash (type, hash)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
    ]
}

/// The people, by visit id:
/// - Alice (user id ALICE): visits 1 (site 1) and 2 (site 2) logged in, and 3 (site 1), an
///   earlier logged-out visit with the same idvisitor and no user id. 4 actions (log_action
///   1 and 2 only hers, 3 and 4 shared), a conversion and a conversion item.
/// - Bob: visits 10 (site 1) and 11 (site 2), 3 actions, a conversion and an item.
/// - C: cookieless visit 20 with a random idvisitor and Alice's masked IP 192.168.0.0.
/// - Another account, ALICE_UPPER: visit 30.
pub(crate) fn seed_people(f: &Fixture) {
    let p = &f.prefix;
    let va = visitor_hex(ALICE);
    let vb = visitor_hex(BOB);
    let vc = format!("{:016x}", rand::random::<u64>());
    let ve = visitor_hex(ALICE_UPPER);
    f.execute(&[
        format!(
            "INSERT INTO {p}log_action (idaction, name, hash, type, url_prefix) VALUES
                (1, 'example.com/account/alice', 11, 1, 3),
                (2, 'Alice account', 12, 4, NULL),
                (3, 'example.com/', 13, 1, 3),
                (4, 'Home', 14, 4, NULL),
                (5, 'example.com/shop/b', 15, 1, 2),
                (6, 'Shop', 16, 4, NULL),
                (7, 'SKU-42', 17, 9, NULL)"
        ),
        format!(
            "INSERT INTO {p}log_visit (idvisit, idsite, idvisitor, user_id,
                visit_first_action_time, visit_last_action_time, config_id, location_ip,
                location_country, referer_url) VALUES
             (1, 1, UNHEX('{va}'), '{ALICE}', '2025-01-03 10:00:00', '2025-01-03 10:20:00',
              UNHEX('a1a1a1a1a1a1a1a1'), INET6_ATON('192.168.0.0'), 'de', 'https://search.example/?q=alice'),
             (2, 2, UNHEX('{va}'), '{ALICE}', '2025-02-11 08:00:00', '2025-02-11 08:05:00',
              UNHEX('a2a2a2a2a2a2a2a2'), INET6_ATON('10.1.0.0'), 'de', NULL),
             (3, 1, UNHEX('{va}'), NULL, '2024-12-30 18:00:00', '2024-12-30 18:10:00',
              UNHEX('a3a3a3a3a3a3a3a3'), INET6_ATON('10.1.0.0'), 'de', NULL),
             (10, 1, UNHEX('{vb}'), '{BOB}', '2025-01-04 09:00:00', '2025-01-04 09:30:00',
              UNHEX('b1b1b1b1b1b1b1b1'), INET6_ATON('172.16.0.0'), 'fr', NULL),
             (11, 2, UNHEX('{vb}'), '{BOB}', '2025-01-05 09:00:00', '2025-01-05 09:30:00',
              UNHEX('b2b2b2b2b2b2b2b2'), INET6_ATON('172.16.0.0'), 'fr', NULL),
             (20, 1, UNHEX('{vc}'), NULL, '2025-01-03 12:00:00', '2025-01-03 12:01:00',
              UNHEX('c1c1c1c1c1c1c1c1'), INET6_ATON('192.168.0.0'), 'de', NULL),
             (30, 1, UNHEX('{ve}'), '{ALICE_UPPER}', '2025-01-06 09:00:00', '2025-01-06 09:01:00',
              UNHEX('e1e1e1e1e1e1e1e1'), INET6_ATON('172.17.0.0'), 'at', NULL)"
        ),
        format!(
            "INSERT INTO {p}log_link_visit_action (idlink_va, idsite, idvisitor, idvisit,
                idaction_url_ref, idaction_name_ref, server_time, idaction_url, idaction_name) VALUES
             (1, 1, UNHEX('{va}'), 1, 0, NULL, '2025-01-03 10:00:00', 3, 4),
             (2, 1, UNHEX('{va}'), 1, 3, 4, '2025-01-03 10:20:00', 1, 2),
             (3, 2, UNHEX('{va}'), 2, 0, NULL, '2025-02-11 08:00:00', 3, 4),
             (4, 1, UNHEX('{va}'), 3, 0, NULL, '2024-12-30 18:00:00', 1, 2),
             (5, 1, UNHEX('{vb}'), 10, 0, NULL, '2025-01-04 09:00:00', 3, 4),
             (6, 1, UNHEX('{vb}'), 10, 3, 4, '2025-01-04 09:30:00', 5, 6),
             (7, 2, UNHEX('{vb}'), 11, 0, NULL, '2025-01-05 09:00:00', 5, 6),
             (8, 1, UNHEX('{vc}'), 20, 0, NULL, '2025-01-03 12:00:00', 3, 4),
             (9, 1, UNHEX('{ve}'), 30, 0, NULL, '2025-01-06 09:00:00', 3, 4)"
        ),
        format!(
            "INSERT INTO {p}log_conversion (idvisit, idsite, idvisitor, server_time, idaction_url,
                idgoal, buster, idorder, url, revenue) VALUES
             (1, 1, UNHEX('{va}'), '2025-01-03 10:20:00', 1, 0, 1001, 'order-A1',
              'https://www.example.com/account/alice', 42.5),
             (10, 1, UNHEX('{vb}'), '2025-01-04 09:30:00', 5, 0, 1002, 'order-B1',
              'https://example.com/shop/b', 10)"
        ),
        format!(
            "INSERT INTO {p}log_conversion_item (idsite, idvisitor, idvisit, idorder, idaction_sku,
                price, quantity, deleted) VALUES
             (1, UNHEX('{va}'), 1, 'order-A1', 7, 42.5, 1, 0),
             (1, UNHEX('{vb}'), 10, 'order-B1', 7, 10, 1, 0)"
        ),
    ]);
}

fn alice() -> Subject {
    subject(&[("email", ALICE)])
}

fn all_rows(f: &Fixture) -> BTreeMap<String, u64> {
    TABLES.iter().map(|t| (t.to_string(), f.count(t))).collect()
}

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
    let mut cfg = ConnectorConfig {
        name: "matomo".into(),
        kind: "matomo_db".into(),
        url_env: None,
        url_file: None,
        table_prefix: "matomo_".into(),
        site_ids: Vec::new(),
        user_id_from: "email".into(),
        user_id_salt_env: None,
        purge_orphaned_actions: false,
        search_user_id_column: true,
        batch_size: 5000,
        base_url: None,
        token_env: None,
        token_file: None,
        timeout_seconds: 30,
    };
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
