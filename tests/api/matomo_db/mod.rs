//! The Matomo database connector against a real MariaDB/MySQL, named by
//! TEST_MATOMO_DB_URL (e.g. mysql://root@127.0.0.1:3306/test). Without it the suite is
//! skipped, except under CI, where it must run.
//!
//! Plain `#[test]`s: the connector blocks on its own runtime, which must not be nested in
//! another. Each test creates the Matomo tables under its own random prefix, so tests run
//! in parallel, and drops them again even when it fails.

use crate::helpers::{key, matomo_config, ref_visits as visits, sha1_hex, subject, visitor_hex};
use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::matomo_db::MatomoDb;
use dsar_portal::connectors::{Connector, ConnectorError, Strength, Subject};
use mysql_async::prelude::Queryable;
use serde_json::{json, Value as Json};
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
    crate::helpers::server_url("TEST_MATOMO_DB_URL", "the Matomo database tests")
}

fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(future)
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
            // Small, so that erasing one person takes several batches.
            batch_size: 2,
            ..matomo_config("matomo_db", &self.prefix, None)
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

mod checks;
mod finding;
mod keys_and_sites;
mod purge;
mod schema;

use schema::schema;
