//! The SQL connector end to end on a realistic shop database, on PostgreSQL, MariaDB
//! and SQLite, with neighbours who look like the person.
//!
//! PostgreSQL from TEST_DATABASE_URL (each test in a schema of its own), MariaDB/MySQL
//! from TEST_MATOMO_DB_URL (each test in a database of its own, `utf8mb4_general_ci`),
//! SQLite in a temporary file. Without a URL that backend's tests are skipped, except
//! under CI, where they must run. Plain `#[test]`s: the connector blocks on its own
//! runtime. Every test runs once per backend (`every_backend!`) and drops what it made.

use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::sql::dataset::{ColumnErase, Dataset, SimpleErase, TableErase};
use dsar_portal::connectors::sql::SqlConnector;
use dsar_portal::connectors::{Connector, Matches, Records, Subject};
use std::collections::BTreeMap;

mod direct;
mod schema;
mod seed;

use direct::Direct;
use seed::*;

/// The dataset the shop's operator wrote.
pub(crate) const DATASET: &str = include_str!("dataset.toml");
/// The key of the `hmac` column policy.
const HMAC_KEY: &str = "shop-test-key-0123456789abcdef";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

/// Runs a test function `fn(&Fixture)` on each backend, as tests of their own.
macro_rules! every_backend {
    ($test:ident) => {
        mod $test {
            use super::super::{Backend, Fixture};
            #[test]
            fn postgres() {
                if let Some(f) = Fixture::new(Backend::Postgres) {
                    super::$test(&f)
                }
            }
            #[test]
            fn mysql() {
                if let Some(f) = Fixture::new(Backend::MySql) {
                    super::$test(&f)
                }
            }
            #[test]
            fn sqlite() {
                if let Some(f) = Fixture::new(Backend::Sqlite) {
                    super::$test(&f)
                }
            }
        }
    };
}

// After the macro, which they use.
mod email_forms;
mod erase;
mod export;
mod failure;
mod finding;
mod second_erase;
mod weak_keys;

fn env_url(var: &str, what: &str) -> Option<String> {
    crate::helpers::server_url(var, &format!("the shop tests on {what}"))
}

/// The URL with its database (the path) replaced.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    format!("{base}/{database}{query}")
}

/// One backend's shop, seeded, in a schema, database or file of its own.
pub(crate) struct Fixture {
    pub(crate) backend: Backend,
    pub(crate) db: Direct,
    /// The connector's URL.
    url: String,
    /// PostgreSQL: the test's schema; MySQL: the test's database.
    name: String,
    /// MySQL: the server URL the database was created through, to drop it again.
    admin_url: Option<String>,
    /// The SQLite file and the HMAC key file.
    dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn new(backend: Backend) -> Option<Fixture> {
        let name = format!("shop_{:08x}", rand::random::<u32>());
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("hmac.key"), HMAC_KEY).expect("key file");
        let fixture = match backend {
            Backend::Postgres => {
                let url = env_url("TEST_DATABASE_URL", "PostgreSQL")?;
                let db = Direct::postgres(&url, &name);
                // Made before the schema, so a failure below still drops it.
                let f = Fixture {
                    backend,
                    db,
                    url,
                    name,
                    admin_url: None,
                    dir,
                };
                f.db.execute(&[format!("CREATE SCHEMA {}", f.name)]);
                f
            }
            Backend::MySql => {
                let admin = env_url("TEST_MATOMO_DB_URL", "MariaDB")?;
                Direct::mysql(&admin).execute(&[format!(
                    "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
                )]);
                let url = with_database(&admin, &name);
                Fixture {
                    backend,
                    db: Direct::mysql(&url),
                    url,
                    name,
                    admin_url: Some(admin),
                    dir,
                }
            }
            Backend::Sqlite => {
                let path = dir.path().join("shop.sqlite3");
                let path = path.to_str().expect("a UTF-8 temp path").to_string();
                Fixture {
                    backend,
                    db: Direct::sqlite(&path),
                    url: format!("sqlite://{path}"),
                    name,
                    admin_url: None,
                    dir,
                }
            }
        };
        fixture.db.execute(&schema::create(backend));
        fixture.db.execute(&seed::rows());
        Some(fixture)
    }

    /// The dataset as the connector reads it (on PostgreSQL, in the test's schema).
    pub(crate) fn dataset(&self) -> Dataset {
        let mut dataset = Dataset::from_toml(DATASET).expect("the shop dataset parses");
        if self.backend == Backend::Postgres {
            dataset.schema = Some(self.name.clone());
        }
        dataset
    }

    pub(crate) fn config(&self) -> ConnectorConfig {
        ConnectorConfig {
            name: "shop".into(),
            kind: "sql".into(),
            dataset: Some(self.dataset()),
            hmac_key_file: Some(self.dir.path().join("hmac.key")),
            ..ConnectorConfig::default()
        }
    }

    pub(crate) fn connector(&self) -> SqlConnector {
        SqlConnector::new(&self.config(), &self.url).expect("the connector opens")
    }

    /// Every table, every row by id, every column as the database writes it.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let mut tables = BTreeMap::new();
        for table in schema::TABLES {
            let rows = self.db.table(table);
            let id = rows
                .columns
                .iter()
                .position(|c| c == "id")
                .unwrap_or_else(|| panic!("{table} has an id column"));
            let by_id = rows
                .rows
                .into_iter()
                .map(|values| {
                    let key: i64 = values[id]
                        .as_deref()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or_else(|| panic!("{table}: a row without an id"));
                    (key, rows.columns.iter().cloned().zip(values).collect())
                })
                .collect();
            tables.insert(table.to_string(), by_id);
        }
        Snapshot(tables)
    }

    /// Jane's rows per table, found with plain SQL from her email: the customer row,
    /// what points at it and at her orders, and the tickets and subscriptions typed
    /// with her address in any case.
    pub(crate) fn janes_rows(&self) -> BTreeMap<String, Vec<i64>> {
        // Case folded, spaces kept: a value stored with a trailing space is a look-alike
        // (MariaDB's PAD SPACE collation returns it; the length tells it apart).
        let email = |column: &str| {
            format!(
                "lower({column}) = '{JANE_EMAIL}' AND length({column}) = {}",
                JANE_EMAIL.len()
            )
        };
        let customers = format!("SELECT id FROM customers WHERE {}", email("email"));
        let orders = format!("SELECT id FROM orders WHERE customer_id IN ({customers})");
        let queries = [
            ("customers", customers.clone()),
            (
                "addresses",
                format!("SELECT id FROM addresses WHERE customer_id IN ({customers})"),
            ),
            ("orders", orders.clone()),
            (
                "order_items",
                format!("SELECT id FROM order_items WHERE order_id IN ({orders})"),
            ),
            (
                "payments",
                format!("SELECT id FROM payments WHERE order_id IN ({orders})"),
            ),
            (
                "invoices",
                format!("SELECT id FROM invoices WHERE order_id IN ({orders})"),
            ),
            (
                "support_tickets",
                format!(
                    "SELECT id FROM support_tickets WHERE {}",
                    email("customer_email")
                ),
            ),
            (
                "newsletter_subscriptions",
                format!(
                    "SELECT id FROM newsletter_subscriptions WHERE {}",
                    email("email")
                ),
            ),
        ];
        queries
            .into_iter()
            .map(|(table, sql)| {
                let sql = format!("SELECT id AS v FROM ({sql}) AS found");
                (table.to_string(), self.db.ids(&sql))
            })
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let dropped = match self.backend {
            Backend::Postgres => {
                let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name);
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.db.execute(&[sql]);
                }))
                .is_ok()
            }
            Backend::MySql => {
                let admin = self.admin_url.clone().unwrap_or_default();
                let sql = format!("DROP DATABASE IF EXISTS {}", self.name);
                // A thread of its own: this may run while a test unwinds.
                std::thread::spawn(move || Direct::mysql(&admin).execute(&[sql]))
                    .join()
                    .is_ok()
            }
            // The temporary directory goes with the fixture.
            Backend::Sqlite => true,
        };
        if !dropped {
            eprintln!("could not drop the shop test data {}", self.name);
        }
    }
}

/// Every row of every table: table → id → column → text (None for NULL).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot(pub(crate) BTreeMap<String, BTreeMap<i64, Row>>);

pub(crate) type Row = BTreeMap<String, Option<String>>;

impl Snapshot {
    pub(crate) fn table(&self, table: &str) -> &BTreeMap<i64, Row> {
        &self.0[table]
    }
}

pub(crate) fn subject(pairs: &[(&str, &str)]) -> Subject {
    crate::helpers::subject(pairs)
}

/// Jane as her verified request names her.
pub(crate) fn jane() -> Subject {
    subject(&[("email", JANE_EMAIL), ("customer_number", JANE_NUMBER)])
}

/// Rows found per table, the tables with none left out.
pub(crate) fn found_counts(m: &Matches) -> BTreeMap<String, u64> {
    m.counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(t, n)| (t.clone(), *n))
        .collect()
}

pub(crate) fn expected_counts(rows: &BTreeMap<String, Vec<i64>>) -> BTreeMap<String, u64> {
    rows.iter()
        .filter(|(_, ids)| !ids.is_empty())
        .map(|(t, ids)| (t.clone(), ids.len() as u64))
        .collect()
}

/// Ids of the exported rows per table, sorted; tables without rows left out.
pub(crate) fn exported_ids(records: &Records) -> BTreeMap<String, Vec<i64>> {
    records
        .tables
        .iter()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(table, rows)| {
            let mut ids: Vec<i64> = rows
                .iter()
                .map(|row| match &row["id"] {
                    serde_json::Value::Number(n) => n.as_i64().expect("an integer id"),
                    serde_json::Value::String(s) => s.parse().expect("an integer id"),
                    other => panic!("{table}: unexpected id {other}"),
                })
                .collect();
            ids.sort_unstable();
            (table.clone(), ids)
        })
        .collect()
}

/// What erasure should have left of one of Jane's rows under the dataset's policy:
/// `None` when the row goes.
pub(crate) fn erased(dataset: &Dataset, table: &str, row: &Row) -> Option<Row> {
    let spec = dataset.table(table).expect("a dataset table");
    match spec.on_erase {
        TableErase::Delete => None,
        TableErase::Keep => Some(row.clone()),
        TableErase::Update => Some(
            row.iter()
                .map(|(column, value)| {
                    let after = match spec.columns.get(column) {
                        None | Some(ColumnErase::Keep { .. }) => value.clone(),
                        Some(ColumnErase::Simple(SimpleErase::Null)) => None,
                        Some(ColumnErase::Fixed { fixed }) => Some(fixed.clone()),
                        Some(ColumnErase::Simple(SimpleErase::Hmac)) => {
                            value.as_deref().map(hmac_hex)
                        }
                    };
                    (column.clone(), after)
                })
                .collect(),
        ),
    }
}

/// The hex HMAC-SHA256 of a value under the test's key.
pub(crate) fn hmac_hex(value: &str) -> String {
    use hmac::Mac;
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(HMAC_KEY.as_bytes()).expect("any key length");
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// An error a run returns must speak of neither the person nor the key.
pub(crate) fn assert_no_personal_data(message: &str) {
    let lower = message.to_lowercase();
    for secret in ["jane", "doe@", "doe ", "jd-1001", "elm street", HMAC_KEY] {
        assert!(
            !lower.contains(&secret.to_lowercase()),
            "the error names {secret:?}: {message}"
        );
    }
}
