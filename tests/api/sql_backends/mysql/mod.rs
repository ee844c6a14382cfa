//! The MySQL/MariaDB backend of the SQL connector against the server named by
//! TEST_MATOMO_DB_URL (e.g. mysql://root@127.0.0.1:3306/test). Without it the tests are
//! skipped, except under CI, where they must run.
//!
//! Plain `#[test]`s: the backend blocks on its own runtime, which must not be nested in
//! another. Each test makes its own database `sqlmy_<random hex>`, so tests run in
//! parallel, and drops it again even when it fails.

mod catalogue;
mod erasing;
mod opening;
mod selecting;

use dsar_portal::connectors::sql::backend::SqlBackend;
use dsar_portal::connectors::sql::mysql::MySqlBackend;
use mysql_async::prelude::Queryable;
use std::future::Future;

fn db_url() -> Option<String> {
    crate::helpers::server_url("TEST_MATOMO_DB_URL", "the MySQL backend tests")
}

fn run<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(future)
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let query = path
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{scheme}://{authority}/{name}{query}")
}

/// A database of its own, dropped when the value goes out of scope.
pub(super) struct Db {
    admin_url: String,
    name: String,
    pub(super) url: String,
}

impl Db {
    /// `None` when the server is not configured (and not under CI).
    pub(super) fn new() -> Option<Db> {
        let admin_url = db_url()?;
        let name = format!("sqlmy_{:016x}", rand::random::<u64>());
        let db = Db {
            url: with_database(&admin_url, &name),
            admin_url,
            name,
        };
        let create = format!("CREATE DATABASE `{}` CHARACTER SET utf8mb4", db.name);
        let admin = db.admin_url.clone();
        run(async move {
            let mut conn = mysql_async::Conn::from_url(admin).await.expect("connect");
            conn.query_drop(create).await.expect("create database");
            conn.disconnect().await.expect("disconnect");
        });
        Some(db)
    }

    pub(super) fn backend(&self) -> MySqlBackend {
        MySqlBackend::open(&self.url, None).expect("open")
    }

    pub(super) fn exec(&self, statements: &[&str]) {
        let url = self.url.clone();
        let statements: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
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

    /// Every row of a query, each column as text (NULL as None).
    pub(super) fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let url = self.url.clone();
        let sql = sql.to_string();
        run(async move {
            let mut conn = mysql_async::Conn::from_url(url).await.expect("connect");
            let rows: Vec<mysql_async::Row> = conn.query(&sql).await.expect("query");
            conn.disconnect().await.expect("disconnect");
            rows.into_iter()
                .map(|row| {
                    row.unwrap()
                        .into_iter()
                        .map(|v| match v {
                            mysql_async::Value::NULL => None,
                            mysql_async::Value::Bytes(b) => {
                                Some(String::from_utf8_lossy(&b).into_owned())
                            }
                            other => Some(other.as_sql(true)),
                        })
                        .collect()
                })
                .collect()
        })
    }

    pub(super) fn count(&self, table: &str) -> usize {
        self.rows(&format!("SELECT * FROM {table}")).len()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let admin = self.admin_url.clone();
        let drop = format!("DROP DATABASE IF EXISTS `{}`", self.name);
        run(async move {
            if let Ok(mut conn) = mysql_async::Conn::from_url(admin).await {
                let _ = conn.query_drop(drop).await;
                let _ = conn.disconnect().await;
            }
        });
    }
}

/// A small shop: customers with every kind of column the backend must read, and orders
/// and lines that refer to them.
pub(super) fn shop(db: &Db) -> MySqlBackend {
    db.exec(&[
        "CREATE TABLE customers (
            id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
            visits BIGINT UNSIGNED NULL,
            email VARCHAR(191) COLLATE utf8mb4_general_ci NOT NULL,
            token VARCHAR(64) COLLATE utf8mb4_bin NULL,
            device VARBINARY(16) NULL,
            seen DATETIME(6) NULL,
            balance DECIMAL(10,2) NULL,
            active TINYINT(1) NOT NULL DEFAULT 1,
            UNIQUE KEY customers_token (token)
        ) ENGINE=InnoDB",
        "CREATE TABLE orders (
            id INT NOT NULL PRIMARY KEY,
            customer_id INT NULL,
            KEY orders_customer (customer_id),
            CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
                ON DELETE SET NULL
        ) ENGINE=InnoDB",
        "CREATE TABLE order_lines (
            order_id INT NOT NULL,
            line INT NOT NULL,
            product VARCHAR(40) NOT NULL,
            PRIMARY KEY (order_id, line),
            CONSTRAINT lines_order FOREIGN KEY (order_id) REFERENCES orders (id)
        ) ENGINE=InnoDB",
        "CREATE VIEW customer_emails AS SELECT id, email FROM customers",
        "INSERT INTO customers (id, visits, email, token, device, seen, balance, active) VALUES
            (1, 18446744073709551615, 'alice@example.com', 'MiXeD', x'00ff10',
             '2024-01-02 03:04:05.123456', 12.50, 1),
            (2, 3, 'Alice@Example.com', 'other', NULL, '2024-01-02 03:04:05', -0.01, 0),
            (3, NULL, 'alice@example.com ', NULL, NULL, NULL, NULL, 1),
            (4, 7, 'bob@example.com', 'bobs', x'00', NULL, 1.00, 1)",
        "INSERT INTO orders VALUES (10, 1), (11, 1), (12, 4)",
        "INSERT INTO order_lines VALUES (10, 1, 'tea'), (10, 2, 'cup'), (12, 1, 'tea')",
    ]);
    db.backend()
}
