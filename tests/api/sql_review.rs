//! `dsar-portal datasets scaffold` as a real process on a SQLite shop file: the draft it
//! writes, what it leaves out, that it never overwrites a reviewed file unasked, and that
//! `check-config`'s review refuses the draft until a person has decided.

use diesel::{Connection, RunQueryDsl};
use dsar_portal::connectors::sql::backend::{BackendKind, SqlBackend};
use dsar_portal::connectors::sql::dataset::{Dataset, OnDelete, TableErase};
use dsar_portal::connectors::sql::{sqlite::SqliteBackend, validate};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SHOP: &str = "
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,
  customer_number TEXT, name TEXT, referred_by INTEGER REFERENCES customers(id));
CREATE TABLE addresses (id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id), street TEXT);
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  address_id INTEGER REFERENCES addresses(id), total INTEGER NOT NULL);
CREATE TABLE order_items (id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id INTEGER NOT NULL REFERENCES products(id), quantity INTEGER NOT NULL);
CREATE TABLE payments (id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id), amount INTEGER NOT NULL);
CREATE TABLE support_tickets (ticket_no INTEGER NOT NULL, contact_email TEXT, body TEXT);
CREATE TABLE newsletter_subscriptions (id INTEGER PRIMARY KEY, email_address TEXT NOT NULL,
  customer_id INTEGER REFERENCES customers(id) ON DELETE SET NULL);
CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE shipments (id INTEGER PRIMARY KEY, order_id INTEGER, order_total INTEGER,
  FOREIGN KEY (order_id, order_total) REFERENCES orders(id, total));
";

/// A temporary folder with the shop database, a configuration naming it and the
/// dataset file the connector expects.
struct Shop {
    dir: tempfile::TempDir,
}

impl Shop {
    fn new() -> Shop {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("shop.db");
        let mut conn = diesel::SqliteConnection::establish(&db.to_string_lossy())
            .expect("create the shop file");
        diesel::connection::SimpleConnection::batch_execute(&mut conn, SHOP).expect("shop schema");
        diesel::sql_query("INSERT INTO products (id, name) VALUES (1, 'Teapot')")
            .execute(&mut conn)
            .expect("a product");
        let config = format!(
            r#"
data_dir = {data:?}

[[identifiers]]
name = "customer_number"
label = "Customer number"

[[connectors]]
name = "shop"
kind = "sql"
url_env = "SHOP_DB_URL"
dataset_file = {dataset:?}

[[connectors]]
name = "analytics"
kind = "matomo_db"
url_env = "MATOMO_DB_URL"
"#,
            data = dir.path().join("data").to_string_lossy(),
            dataset = dir.path().join("datasets/shop.toml").to_string_lossy(),
        );
        std::fs::write(dir.path().join("dsar-portal.toml"), config).expect("config");
        Shop { dir }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("shop.db").display())
    }

    fn dataset_file(&self) -> PathBuf {
        self.dir.path().join("datasets/shop.toml")
    }

    /// The binary with `args`, from the folder; (success, stdout then stderr).
    fn run(&self, args: &[&str]) -> (bool, String) {
        let config = self.dir.path().join("dsar-portal.toml");
        let out = Command::new(env!("CARGO_BIN_EXE_dsar-portal"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DSAR_LOG", "warn")
            .env("SHOP_DB_URL", self.url())
            .stdin(Stdio::null())
            .output()
            .expect("run dsar-portal");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read")
}

#[test]
fn scaffold_drafts_a_dataset_that_keeps_everything_until_someone_decides() {
    let shop = Shop::new();
    let (ok, out) = shop.run(&["datasets", "scaffold", "--connector", "shop"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("customers: identities email (email), customer_number (customer_number)"),
        "{out}"
    );
    assert!(
        out.contains("left out: products, settings, shipments"),
        "{out}"
    );
    assert!(
        out.contains("shipments (order_id, order_total) → orders (id, total)"),
        "{out}"
    );
    assert!(out.contains("check-config"), "{out}");
    // The connector names the file already: no need to say to set it.
    assert!(!out.contains("set dataset_file"), "{out}");

    let text = read(&shop.dataset_file());
    assert!(text.starts_with("# A dataset drafted by"), "{text}");
    let d = Dataset::from_toml(&text).expect("the draft reads back");
    let names: Vec<&str> = d.tables.iter().map(|t| t.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "addresses",
            "customers",
            "newsletter_subscriptions",
            "order_items",
            "orders",
            "payments",
            "support_tickets"
        ]
    );
    for t in &d.tables {
        assert_eq!(t.on_erase, TableErase::Keep, "{} is kept", t.name);
        assert_eq!(t.keep_reason, None, "no reason is invented for {}", t.name);
        assert!(t.key.is_empty() && t.columns.is_empty(), "{}", t.name);
    }
    let identity = |table: &str| {
        d.table(table)
            .expect("listed")
            .identities
            .iter()
            .map(|i| (i.column.as_str(), i.identity.as_str()))
            .collect::<Vec<_>>()
    };
    assert_eq!(identity("support_tickets"), [("contact_email", "email")]);
    assert_eq!(
        identity("newsletter_subscriptions"),
        [("email_address", "email")]
    );
    let reference = |from: &str| d.references.iter().find(|r| r.from == from);
    let referred = reference("customers.referred_by").expect("self-reference");
    assert!(!referred.walk, "a self-reference is not walked");
    assert_eq!(
        reference("newsletter_subscriptions.customer_id")
            .expect("newsletter")
            .on_delete,
        OnDelete::SetNull
    );
    assert!(reference("order_items.order_id").is_some_and(|r| r.walk));
    assert!(
        reference("order_items.product_id").is_none(),
        "products is not listed"
    );
    assert!(reference("shipments.order_id").is_none());

    // The review check-config runs refuses the draft: every reached table waits for a
    // decision, and the table without a primary key for its key.
    let schema = SqliteBackend::open(&shop.url(), None)
        .expect("open")
        .introspect()
        .expect("introspect");
    let ids = ["email".to_string(), "customer_number".to_string()];
    let review = validate::review(&d, &schema, BackendKind::Sqlite, Some(&ids), false);
    for t in &d.tables {
        assert!(
            review
                .errors
                .iter()
                .any(|e| e.contains(&format!("{:?}", t.name)) && e.contains("keep_reason")),
            "{}: {:?}",
            t.name,
            review.errors
        );
    }
    assert!(
        review
            .errors
            .iter()
            .any(|e| e.contains("\"support_tickets\"") && e.contains("no primary key")),
        "{:?}",
        review.errors
    );
    assert_eq!(
        review.errors.len(),
        d.tables.len() + 1,
        "{:?}",
        review.errors
    );
}

#[test]
fn scaffold_never_replaces_a_file_unless_told() {
    let shop = Shop::new();
    let file = shop.dataset_file();
    std::fs::create_dir_all(file.parent().expect("folder")).expect("folder");
    std::fs::write(&file, "# reviewed by hand\n").expect("write");
    let (ok, out) = shop.run(&["datasets", "scaffold", "--connector", "shop"]);
    assert!(!ok && out.contains("--force"), "{out}");
    assert_eq!(read(&file), "# reviewed by hand\n");

    // --out elsewhere, in a folder that does not exist yet: the next step names the file.
    let (ok, out) = shop.run(&[
        "datasets",
        "scaffold",
        "--connector",
        "shop",
        "--out",
        "drafts/shop.toml",
    ]);
    assert!(ok, "{out}");
    assert!(
        out.contains("set dataset_file = \"drafts/shop.toml\""),
        "{out}"
    );
    assert!(read(&shop.dir.path().join("drafts/shop.toml")).contains("[[tables]]"));

    let (ok, out) = shop.run(&["datasets", "scaffold", "--connector", "shop", "--force"]);
    assert!(ok, "{out}");
    assert!(read(&file).contains("name = \"customers\""));
}

#[test]
fn scaffold_needs_a_sql_connector() {
    let shop = Shop::new();
    let (ok, out) = shop.run(&["datasets", "scaffold", "--connector", "analytics"]);
    assert!(!ok && out.contains("kind = \"sql\""), "{out}");
    let (ok, out) = shop.run(&["datasets", "scaffold", "--connector", "crm"]);
    assert!(!ok && out.contains("\"crm\""), "{out}");
    assert!(!shop.dataset_file().exists());
}
