//! A deletion request carried out in the organisation's own SQLite database from the
//! staff pages: the search's preview per table, the erasure with its proof on the
//! timeline, and the reason for what was kept in the person's answer.

use crate::connector_flow::wait_for_run;
use crate::helpers::*;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use dsar_portal::config::ConnectorConfig;

const JANE: &str = "jane.doe@example.com";

const SHOP: &str = "
PRAGMA foreign_keys = ON;
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX customers_email_lower ON customers (lower(email));
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                     ship_to TEXT, total TEXT NOT NULL);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE TABLE newsletter (email TEXT PRIMARY KEY, since TEXT NOT NULL);
INSERT INTO customers VALUES (1, 'Jane.Doe@Example.com', 'Jane Doe'),
                             (2, 'jane.doe@example.org', 'Jane Other'),
                             (3, 'janedoe@example.com', 'J. Doe');
INSERT INTO orders VALUES (10, 1, '1 Main St', '19.90'), (11, 1, '1 Main St', '5.00'),
                          (12, 2, '1 Main St', '7.50'), (13, 3, '2 Side St', '1.00');
INSERT INTO newsletter VALUES ('jane.doe@example.com', '2024-01-01'),
                              ('jane.doe@example.org', '2024-02-02');
";

const DATASET: &str = r#"
[[tables]]
name = "customers"
identities = [{ column = "email", identity = "email" }]
on_erase = "delete"

[[tables]]
name = "orders"
on_erase = "update"
[tables.columns]
ship_to = "null"
total = { keep = "Order totals are kept ten years for tax law." }

[[tables]]
name = "newsletter"
identities = [{ column = "email", identity = "email" }]
on_erase = "delete"

[[references]]
from = "orders.customer_id"
to = "customers.id"
on_delete = "set_null"
"#;

/// Every row of the shop, as text, for before-and-after comparisons.
fn rows(path: &std::path::Path) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        line: String,
    }
    let mut c = diesel::SqliteConnection::establish(&path.display().to_string()).expect("open");
    diesel::sql_query(
        "SELECT 'c|' || id || '|' || email || '|' || name AS line FROM customers
         UNION ALL SELECT 'o|' || id || '|' || ifnull(customer_id, '-') || '|' || ifnull(ship_to, '-') || '|' || total FROM orders
         UNION ALL SELECT 'n|' || email || '|' || since FROM newsletter ORDER BY line",
    )
    .load::<Line>(&mut c)
    .expect("rows")
    .into_iter()
    .map(|l| l.line)
    .collect()
}

fn shop(dir: &std::path::Path) -> (std::path::PathBuf, ConnectorConfig) {
    let db = dir.join("shop.db");
    let mut c = diesel::SqliteConnection::establish(&db.display().to_string()).expect("create");
    c.batch_execute(SHOP).expect("shop schema");
    let url_file = dir.join("shop.url");
    std::fs::write(&url_file, format!("sqlite://{}", db.display())).expect("url file");
    let dataset =
        dsar_portal::connectors::sql::dataset::Dataset::from_toml(DATASET).expect("dataset");
    let cfg = ConnectorConfig {
        name: "shop".into(),
        kind: "sql".into(),
        url_file: Some(url_file),
        dataset: Some(dataset),
        ..ConnectorConfig::default()
    };
    (db, cfg)
}

#[actix_web::test]
async fn a_deletion_in_the_shop_database_from_search_to_answer() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("dir");
        let (db, cfg) = shop(dir.path());
        let before = rows(&db);
        let app = spawn_app_with(&backend, move |s| s.connectors = vec![cfg]).await;
        app.file_and_verify("california", "deletion", JANE).await;
        let id = app.only_request_id();
        let handler = app.staff("handler").await;
        let path = format!("/staff/requests/{id}");
        let (s, _) = handler
            .run_connector(&id, &[("connector", "shop"), ("action", "find")])
            .await;
        assert_eq!(s, 303);
        let (status, summary) = wait_for_run(&app, &id, "find").await;
        assert_eq!(status, "done", "{summary:?}");
        let (_, page) = handler.get(&path).await;
        // The preview: each table, how it was reached, and what erasure will do.
        for words in [
            "customers.id → orders.customer_id",
            "delete the rows",
            "keep the rows and change:",
            "ship_to: emptied (NULL)",
            "kept: Order totals are kept ten years for tax law.",
        ] {
            assert!(page.contains(words), "{words} ({})", app.backend);
        }
        handler
            .act_ok(
                &id,
                &[
                    ("action", "verify"),
                    ("method", "data_points"),
                    ("points", "name"),
                    ("points", "account_id"),
                ],
            )
            .await;
        let (s, page) = handler
            .run_connector(
                &id,
                &[
                    ("connector", "shop"),
                    ("action", "erase"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(s, 303, "{page}");
        let (status, summary) = wait_for_run(&app, &id, "erase").await;
        assert_eq!(status, "done", "{summary:?}");
        let summary: serde_json::Value =
            serde_json::from_str(&summary.expect("summary")).expect("json");
        assert_eq!(summary["deleted"]["customers"], 1);
        assert_eq!(summary["deleted"]["newsletter"], 1);
        assert_eq!(summary["changed"]["orders"], 2);
        assert_eq!(summary["remaining"]["customers"], 0);
        assert_eq!(summary["remaining"]["newsletter"], 0);

        // Exactly Jane's rows went or changed; her neighbours are as they were.
        let after = rows(&db);
        let expected: Vec<String> = before
            .iter()
            .filter(|l| !l.starts_with("c|1|") && *l != "n|jane.doe@example.com|2024-01-01")
            .map(|l| match l.as_str() {
                "o|10|1|1 Main St|19.90" => "o|10|-|-|19.90".to_string(),
                "o|11|1|1 Main St|5.00" => "o|11|-|-|5.00".to_string(),
                other => other.to_string(),
            })
            .collect();
        let mut expected = expected;
        expected.sort();
        assert_eq!(after, expected, "{}", app.backend);

        // The proof is on the timeline, and the answer says what was kept and why.
        let (_, page) = handler.get(&path).await;
        assert!(
            page.contains("Searched again afterwards: no row remains."),
            "{}",
            app.backend
        );
        handler
            .act_ok(&id, &[("action", "fulfil"), ("message", "")])
            .await;
        let answer = app
            .email_where("the answer", |e| {
                e.to == JANE && e.text.contains("Some records are kept")
            })
            .await;
        assert!(answer
            .text
            .contains("Order totals are kept ten years for tax law."));
        assert!(!answer.text.contains("1 Main St"));
    }
}

#[actix_web::test]
async fn an_access_request_packs_exactly_the_persons_shop_rows_and_what_is_kept() {
    for backend in backends() {
        let dir = tempfile::tempdir().expect("dir");
        let (_db, cfg) = shop(dir.path());
        let app = spawn_app_with(&backend, move |s| s.connectors = vec![cfg]).await;
        app.file_and_verify("eu", "access", JANE).await;
        let id = app.only_request_id();
        let handler = app.staff("handler").await;
        handler
            .act_ok(&id, &[("action", "verify"), ("method", "account_login")])
            .await;
        let path = format!("/staff/requests/{id}");
        // Verifying an access request starts the search on every connected system.
        let (status, summary) = wait_for_run(&app, &id, "find").await;
        assert_eq!(status, "done", "{summary:?}");
        let (s, _) = handler
            .run_connector(&id, &[("connector", "shop"), ("action", "export")])
            .await;
        assert_eq!(s, 303);
        let (status, summary) = wait_for_run(&app, &id, "export").await;
        assert_eq!(status, "done", "{summary:?}");
        let (s, _) = handler.post(&path, &format!("{path}/package"), &[]).await;
        assert_eq!(s, 303);
        let mail = app
            .email_where("with the download link", |m| {
                m.to == JANE && m.text.contains("/download/")
            })
            .await;
        let download = link_path(&mail.text, "/download/");
        let (_, page) = app.get(&download).await;
        let r = crate::connector_flow::take_download(&app, &download, &page).await;
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.expect("zip").to_vec();
        let mut zip = Package::open(bytes);
        let mut read = |name: &str| zip.text(name);
        let ids = |json: &str, key: &str| -> Vec<String> {
            let rows: Vec<serde_json::Value> = serde_json::from_str(json).expect("json");
            rows.iter().map(|r| r[key].to_string()).collect()
        };
        assert_eq!(ids(&read("shop/customers.json"), "id"), ["1"]);
        assert_eq!(ids(&read("shop/orders.json"), "id"), ["10", "11"]);
        assert_eq!(
            ids(&read("shop/newsletter.json"), "email"),
            ["\"jane.doe@example.com\""]
        );
        let csv = read("shop/orders.csv");
        assert!(csv.contains("19.90") && csv.contains("1 Main St"), "{csv}");
        assert!(
            !csv.contains("7.50"),
            "a neighbour's order at the same street: {csv}"
        );
        assert!(read("shop/orders.schema.json").contains("\"ship_to\""));
        let report = read("report.html");
        assert!(
            report.contains("Order totals are kept ten years for tax law."),
            "the report says what a deletion would keep ({})",
            app.backend
        );
    }
}
