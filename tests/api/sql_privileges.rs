//! The SQL connector needs only the privileges its dataset's policies use: SELECT on the
//! tables it reads, UPDATE where it changes or detaches rows, DELETE where it deletes.
//! Checked on PostgreSQL with a role granted exactly that, and with one that lacks DELETE.

use crate::helpers::subject;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::sql::dataset::Dataset;
use dsar_portal::connectors::sql::SqlConnector;
use dsar_portal::connectors::{Connector, ConnectorError};

fn pg_url() -> Option<String> {
    crate::helpers::server_url("TEST_DATABASE_URL", "the SQL connector's privileges tests")
}

/// A schema and a login role of its own, both dropped at the end.
struct Shop {
    admin: String,
    name: String,
}

impl Shop {
    fn new(admin: &str, grants: &str) -> Shop {
        let name = format!("sqlpriv_{:016x}", rand::random::<u64>());
        let mut c = diesel::PgConnection::establish(admin).expect("admin connection");
        c.batch_execute(&format!(
            "CREATE SCHEMA {name};
             CREATE TABLE {name}.customers (id serial PRIMARY KEY, email text NOT NULL);
             CREATE INDEX ON {name}.customers (lower(email));
             CREATE TABLE {name}.orders (id serial PRIMARY KEY,
                 customer_id integer REFERENCES {name}.customers(id), ship_to text);
             CREATE INDEX ON {name}.orders (customer_id);
             INSERT INTO {name}.customers (email) VALUES ('Jane@Example.com'), ('joe@example.com');
             INSERT INTO {name}.orders (customer_id, ship_to) VALUES (1, '1 Main St'), (2, '2 Side St');
             CREATE ROLE {name} LOGIN;
             GRANT USAGE ON SCHEMA {name} TO {name};
             {}",
            grants.replace("{s}", &name)
        ))
        .expect("shop");
        Shop {
            admin: admin.into(),
            name,
        }
    }

    fn connector(&self) -> SqlConnector {
        let dataset = Dataset::from_toml(&format!(
            r#"
schema = "{}"
[[tables]]
name = "customers"
identities = [{{ column = "email", identity = "email" }}]
on_erase = "delete"
[[tables]]
name = "orders"
on_erase = "update"
[tables.columns]
ship_to = "null"
[[references]]
from = "orders.customer_id"
to = "customers.id"
on_delete = "set_null"
"#,
            self.name
        ))
        .expect("dataset");
        let cfg = ConnectorConfig {
            name: "shop".into(),
            kind: "sql".into(),
            dataset: Some(dataset),
            ..ConnectorConfig::default()
        };
        // The same server and database, as the shop's own role.
        let (_, rest) = self.admin.split_once("://").expect("url");
        let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        SqlConnector::new(&cfg, &format!("postgres://{}@{host}", self.name)).expect("connector")
    }

    fn left(&self) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Line {
            #[diesel(sql_type = diesel::sql_types::Text)]
            line: String,
        }
        let mut c = diesel::PgConnection::establish(&self.admin).expect("admin connection");
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "SELECT 'c' || id || email AS line FROM {n}.customers
             UNION ALL SELECT 'o' || id || coalesce(customer_id::text, '-') || coalesce(ship_to, '-') FROM {n}.orders
             ORDER BY 1",
            n = self.name
        ))
        .load::<Line>(&mut c)
        .expect("rows")
        .into_iter()
        .map(|l| l.line)
        .collect()
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        if let Ok(mut c) = diesel::PgConnection::establish(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {n} CASCADE; DROP OWNED BY {n}; DROP ROLE IF EXISTS {n};",
                n = self.name
            ));
        }
    }
}

const EXACT_GRANTS: &str = "GRANT SELECT, DELETE ON {s}.customers TO {s};
                            GRANT SELECT, UPDATE ON {s}.orders TO {s};";

#[test]
fn select_update_and_delete_where_the_policies_need_them_are_enough() {
    let Some(admin) = pg_url() else { return };
    let shop = Shop::new(&admin, EXACT_GRANTS);
    let c = shop.connector();
    c.check()
        .expect("the dataset fits and the role can read the catalogue");
    let found = c
        .find(&subject(&[("email", "jane@example.com")]))
        .expect("find");
    assert_eq!(found.counts["customers"], 1);
    assert_eq!(found.counts["orders"], 1);
    let report = c.erase(&found).expect("erase");
    assert_eq!(report.deleted["customers"], 1);
    assert_eq!(report.changed["orders"], 1);
    assert!(report
        .remaining
        .expect("searched again")
        .values()
        .all(|n| *n == 0));
    // Jane's order stays with its link and address cleared; Joe's is untouched.
    assert_eq!(
        shop.left(),
        vec!["c2joe@example.com", "o1--", "o222 Side St"]
    );
}

#[test]
fn without_delete_the_erasure_stops_and_changes_nothing() {
    let Some(admin) = pg_url() else { return };
    let shop = Shop::new(
        &admin,
        "GRANT SELECT ON {s}.customers TO {s}; GRANT SELECT, UPDATE ON {s}.orders TO {s};",
    );
    let before = shop.left();
    let c = shop.connector();
    let found = c
        .find(&subject(&[("email", "jane@example.com")]))
        .expect("find");
    match c.erase(&found) {
        Err(ConnectorError::Permanent(m)) => {
            assert!(m.contains("permission denied"), "{m}");
            assert!(!m.contains("Jane"), "no values in the error: {m}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        shop.left(),
        before,
        "the detach and update before it were undone"
    );
}
