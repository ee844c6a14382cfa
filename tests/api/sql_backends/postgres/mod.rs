//! The PostgreSQL backend of the SQL connector against the real server named by
//! TEST_DATABASE_URL (skipped without it, except under CI). Each test works in a schema
//! of its own, `sqlpg_<random hex>`, dropped with everything in it when the test ends,
//! so tests run in parallel.
//!
//! Plain `#[test]`s: the `postgres` client runs its own runtime and must not be nested
//! in another.

mod apply;
mod catalogue;
mod connection;
mod select;

use dsar_portal::connectors::sql::postgres::PostgresBackend;
use postgres::{Client, NoTls};

pub(crate) fn db_url() -> Option<String> {
    crate::helpers::server_url("TEST_DATABASE_URL", "the PostgreSQL backend tests")
}

/// A schema of the test's own, reached by a plain client for setting up and checking,
/// and by the backend under test.
pub(crate) struct Fixture {
    pub url: String,
    pub schema: String,
    pub client: Client,
}

impl Fixture {
    /// The fixture with `ddl` run inside its schema (the search path set to it), or
    /// `None` when the suite is skipped.
    pub fn new(ddl: &str) -> Option<Fixture> {
        let url = db_url()?;
        let client = Client::connect(&url, NoTls).expect("TEST_DATABASE_URL must be reachable");
        let mut fixture = Fixture {
            schema: format!("sqlpg_{:016x}", rand::random::<u64>()),
            url,
            client,
        };
        // Made before the tables, so a failure in `ddl` still drops the schema.
        let create = format!(
            "CREATE SCHEMA {s}; SET search_path = {s}, public",
            s = fixture.schema
        );
        fixture
            .client
            .batch_execute(&create)
            .expect("create schema");
        fixture.client.batch_execute(ddl).expect("fixture tables");
        Some(fixture)
    }

    pub fn backend(&self) -> PostgresBackend {
        PostgresBackend::open(&self.url, Some(&self.schema)).expect("the URL parses")
    }

    pub fn exec(&mut self, sql: &str) {
        self.client.batch_execute(sql).expect("fixture statement");
    }

    /// One text column of every row a query returns, NULL as `None`.
    pub fn texts(&mut self, sql: &str) -> Vec<Option<String>> {
        self.client
            .query(sql, &[])
            .expect("fixture query")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        if let Err(e) = self.client.batch_execute(&drop) {
            eprintln!("could not drop test schema {}: {e}", self.schema);
        }
    }
}
