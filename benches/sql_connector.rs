//! Benchmark: the SQL connector on a large shop database in PostgreSQL.
//!
//! Builds the schema `bench_shop` with BENCH_CUSTOMERS customers (default 1,000,000),
//! one address each, 2.5 orders each on average (customers 1..=20 exactly 50 each), four
//! order items per order (10,000,000 by default), a payment per order, and support
//! tickets and newsletter subscriptions found by email, all with `generate_series`
//! server-side. The schema is kept between runs: when its counts already match, a second
//! run does not build it again.
//!
//! Each iteration finds, exports and erases one of customers 1..=20 (a different one
//! each time) with the indexes `check-config` asks for, then puts the customer's rows
//! back (not timed). Then the indexes on the foreign-key columns and on `lower(email)`
//! are dropped and the same is timed again with fewer iterations, and the indexes are
//! created again. The database is BENCH_DATABASE_URL, else TEST_DATABASE_URL; without
//! either the benchmark says so and does nothing.
//!
//!     cargo bench --bench sql_connector
//!     BENCH_CUSTOMERS=20000 cargo bench --bench sql_connector
//!
//! `cargo test` runs it as a smoke run (`support`): 1,000 customers in a scratch
//! database on the TEST_DATABASE_URL server, two iterations with the indexes and one
//! without, every check of a real run and no figures.
//! Figures go to docs/PERFORMANCE.md by hand; nothing here asserts on time.

use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::sql::dataset::Dataset;
use dsar_portal::connectors::sql::SqlConnector;
use dsar_portal::connectors::{Connector, Subject};
use std::time::{Duration, Instant};

#[allow(dead_code)]
mod support;

const SCHEMA: &str = "bench_shop";
/// Customers with exactly 50 orders each, the ones found and erased.
const PEOPLE: u64 = 20;
const ORDERS_EACH: u64 = 50;
const WITH_INDEXES: usize = 20;
const WITHOUT_INDEXES: usize = 3;
/// A smoke run's size: the smallest BENCH_CUSTOMERS allows.
const SMOKE_CUSTOMERS: u64 = 1000;

const DATASET: &str = r#"
schema = "bench_shop"

[[tables]]
name = "customers"
identities = [{ column = "email", identity = "email" }]
on_erase = "delete"

[[tables]]
name = "addresses"
on_erase = "delete"

[[tables]]
name = "orders"
on_erase = "update"
[tables.columns]
customer_id = "null"
shipping_address_id = "null"
total = { keep = "Order totals are kept for ten years for the annual accounts (tax law)." }

[[tables]]
name = "order_items"
on_erase = "delete"

[[tables]]
name = "payments"
on_erase = "update"
[tables.columns]
card_last4 = "null"

[[tables]]
name = "support_tickets"
identities = [{ column = "customer_email", identity = "email" }]
on_erase = "delete"

[[tables]]
name = "newsletter_subscriptions"
identities = [{ column = "email", identity = "email" }]
on_erase = "delete"

[[references]]
from = "addresses.customer_id"
to = "customers.id"

[[references]]
from = "orders.customer_id"
to = "customers.id"

[[references]]
from = "orders.shipping_address_id"
to = "addresses.id"

[[references]]
from = "order_items.order_id"
to = "orders.id"

[[references]]
from = "payments.order_id"
to = "orders.id"

[[references]]
from = "customers.referred_by"
to = "customers.id"
walk = false
on_delete = "set_null"
"#;

/// The sizes of the shop, from the number of customers.
#[derive(Clone, Copy)]
struct Size {
    customers: u64,
    orders: u64,
    items: u64,
    tickets: u64,
    subscriptions: u64,
}

impl Size {
    fn of(customers: u64) -> Size {
        let orders = customers * 5 / 2;
        Size {
            customers,
            orders,
            items: orders * 4,
            tickets: customers / 10,
            subscriptions: customers / 5,
        }
    }
}

/// The indexes `check-config` asks for: every reference column and every email
/// compared case-folded. The ones the second round goes without.
const INDEXES: [(&str, &str); 9] = [
    ("customers_email_lower", "customers (lower(email))"),
    ("customers_referred_by", "customers (referred_by)"),
    ("addresses_customer_id", "addresses (customer_id)"),
    ("orders_customer_id", "orders (customer_id)"),
    ("orders_shipping_address_id", "orders (shipping_address_id)"),
    ("order_items_order_id", "order_items (order_id)"),
    ("payments_order_id", "payments (order_id)"),
    (
        "tickets_email_lower",
        "support_tickets (lower(customer_email))",
    ),
    (
        "newsletter_email_lower",
        "newsletter_subscriptions (lower(email))",
    ),
];

fn main() {
    let smoke = support::smoke();
    if smoke && !support::wanted("sql_connector") {
        return;
    }
    // Kept to the end of main: the smoke run's scratch database is dropped with it.
    let scratch;
    let url = if smoke {
        let Some(admin) = support::test_server("TEST_DATABASE_URL", "sql_connector") else {
            return;
        };
        scratch = support::ScratchPg::create(&admin);
        scratch.url.clone()
    } else {
        let Some(url) = ["BENCH_DATABASE_URL", "TEST_DATABASE_URL"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        else {
            println!("sql_connector: set BENCH_DATABASE_URL or TEST_DATABASE_URL to a PostgreSQL database to run it");
            return;
        };
        url
    };
    // Progress and figures are for a real run; a smoke run's mean nothing.
    let say = |line: String| {
        if !smoke {
            println!("{line}");
        }
    };
    let (with_indexes, without_indexes) = if smoke {
        (2, 1)
    } else {
        (WITH_INDEXES, WITHOUT_INDEXES)
    };
    let customers: u64 = if smoke {
        SMOKE_CUSTOMERS
    } else {
        std::env::var("BENCH_CUSTOMERS")
            .ok()
            .and_then(|v| v.replace(['_', ','], "").parse().ok())
            .unwrap_or(1_000_000)
    };
    assert!(
        customers >= 1000 && customers.is_multiple_of(10),
        "BENCH_CUSTOMERS must be a multiple of 10, at least 1000"
    );
    let size = Size::of(customers);
    let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    db.batch_execute(&format!(
        "SET search_path TO {SCHEMA}; SET maintenance_work_mem = '512MB'"
    ))
    .expect("session settings");

    if built(&mut db, size) {
        say(format!(
            "{SCHEMA} is already built with {customers} customers: kept"
        ));
    } else {
        let start = Instant::now();
        build(&mut db, size, smoke);
        say(format!(
            "built {SCHEMA} in {:.1} s",
            start.elapsed().as_secs_f64()
        ));
    }
    // A run interrupted earlier may have left people erased or indexes dropped.
    restore(&mut db, size, 1..=PEOPLE);
    create_indexes(&mut db);
    say(describe(&mut db));

    let mut cfg = ConnectorConfig {
        name: "bench_shop".into(),
        kind: "sql".into(),
        dataset: Some(Dataset::from_toml(DATASET).expect("the bench dataset parses")),
        ..ConnectorConfig::default()
    };
    cfg.max_rows_per_table = 100_000;
    let connector = SqlConnector::new(&cfg, &url).expect("connector");
    connector.check().expect("check");
    for advice in connector.advice().expect("advice") {
        say(format!("advice: {advice}"));
    }

    let with = rounds(&connector, &mut db, size, with_indexes, 0, smoke);
    if !smoke {
        report("with the advised indexes", &with);
    }

    let start = Instant::now();
    for (name, _) in INDEXES {
        db.batch_execute(&format!("DROP INDEX IF EXISTS {name}"))
            .expect("drop index");
    }
    db.batch_execute("ANALYZE").expect("analyze");
    say(format!(
        "dropped the foreign-key and lower(email) indexes in {:.1} s",
        start.elapsed().as_secs_f64()
    ));
    let without = rounds(
        &connector,
        &mut db,
        size,
        without_indexes,
        with_indexes,
        smoke,
    );
    if !smoke {
        report("without them", &without);
    }

    let start = Instant::now();
    create_indexes(&mut db);
    say(format!(
        "created the indexes again in {:.1} s",
        start.elapsed().as_secs_f64()
    ));
    if smoke {
        drop(db);
        println!(
            "sql_connector smoke run: {customers} customers, {} find/export/erase rounds checked (nothing measured)",
            with.total.len() + without.total.len()
        );
    }
}

/// Times per phase of each iteration: find, export, erase, and all three.
#[derive(Default)]
struct Times {
    find: Vec<Duration>,
    export: Vec<Duration>,
    erase: Vec<Duration>,
    total: Vec<Duration>,
}

fn rounds(
    connector: &SqlConnector,
    db: &mut postgres::Client,
    size: Size,
    iterations: usize,
    offset: usize,
    smoke: bool,
) -> Times {
    let mut times = Times::default();
    for i in 0..iterations {
        let person = ((offset + i) as u64 % PEOPLE) + 1;
        let subject = Subject {
            identities: [("email".to_string(), format!("customer{person}@example.com"))]
                .into_iter()
                .collect(),
        };
        let start = Instant::now();
        let matches = connector.find(&subject).expect("find");
        let found = start.elapsed();
        let records = connector.export(&matches).expect("export");
        let exported = start.elapsed();
        let report = connector.erase(&matches).expect("erase");
        let erased = start.elapsed();

        assert_eq!(matches.counts.get("orders"), Some(&ORDERS_EACH));
        assert_eq!(records.tables["order_items"].len() as u64, ORDERS_EACH * 4);
        assert_eq!(report.deleted.get("order_items"), Some(&(ORDERS_EACH * 4)));
        assert!(report
            .remaining
            .as_ref()
            .is_some_and(|r| r.values().all(|n| *n == 0)));
        times.find.push(found);
        times.export.push(exported - found);
        times.erase.push(erased - exported);
        times.total.push(erased);
        if !smoke {
            println!(
                "  customer {person}: find {:.1} ms, export {:.1} ms, erase {:.1} ms",
                ms(found),
                ms(exported - found),
                ms(erased - exported)
            );
        }
        restore(db, size, person..=person);
    }
    times
}

fn report(label: &str, t: &Times) {
    println!("{label} ({} iterations):", t.total.len());
    for (phase, samples) in [
        ("find", &t.find),
        ("export", &t.export),
        ("erase", &t.erase),
        ("find + export + erase", &t.total),
    ] {
        let (median, p95) = stats(samples);
        println!("  {phase:<22} median {median:>9.1} ms   p95 {p95:>9.1} ms");
    }
}

fn stats(samples: &[Duration]) -> (f64, f64) {
    let mut sorted: Vec<f64> = samples.iter().map(|d| ms(*d)).collect();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn count(db: &mut postgres::Client, table: &str) -> Option<u64> {
    let sql = format!("SELECT count(*) FROM {SCHEMA}.{table}");
    let row = db.query_one(&sql, &[]).ok()?;
    u64::try_from(row.get::<_, i64>(0)).ok()
}

/// Whether the schema holds a shop of this size already.
fn built(db: &mut postgres::Client, size: Size) -> bool {
    count(db, "customers") == Some(size.customers)
        && count(db, "orders") == Some(size.orders)
        && count(db, "order_items") == Some(size.items)
        && count(db, "payments") == Some(size.orders)
}

fn describe(db: &mut postgres::Client) -> String {
    let tables = [
        "customers",
        "addresses",
        "orders",
        "order_items",
        "payments",
        "support_tickets",
        "newsletter_subscriptions",
    ];
    let counts: Vec<String> = tables
        .iter()
        .map(|t| format!("{t} {}", count(db, t).unwrap_or(0)))
        .collect();
    let bytes: i64 = db
        .query_one(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind = 'r'",
            &[&SCHEMA],
        )
        .map(|r| r.get(0))
        .unwrap_or(0);
    format!(
        "{} ({:.1} GB with indexes)",
        counts.join(", "),
        bytes as f64 / 1e9
    )
}

fn build(db: &mut postgres::Client, size: Size, smoke: bool) {
    db.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA};
         CREATE TABLE customers (id bigint, email varchar(200) NOT NULL, name text NOT NULL,
             phone varchar(40), user_ref varchar(40), referred_by bigint,
             created_at timestamp NOT NULL);
         CREATE TABLE products (id bigint PRIMARY KEY, sku text NOT NULL,
             price numeric(10,2) NOT NULL);
         CREATE TABLE addresses (id bigint, customer_id bigint NOT NULL, street text NOT NULL,
             city text NOT NULL, postcode varchar(12) NOT NULL);
         CREATE TABLE orders (id bigint, customer_id bigint, shipping_address_id bigint,
             total numeric(10,2) NOT NULL, placed_at timestamp NOT NULL);
         CREATE TABLE order_items (id bigint, order_id bigint NOT NULL,
             product_id bigint NOT NULL, qty integer NOT NULL, price numeric(10,2) NOT NULL);
         CREATE TABLE payments (id bigint, order_id bigint NOT NULL, card_last4 char(4),
             amount numeric(10,2) NOT NULL, paid_at timestamp NOT NULL);
         CREATE TABLE support_tickets (id bigint, customer_email varchar(200) NOT NULL,
             subject text NOT NULL, body text NOT NULL);
         CREATE TABLE newsletter_subscriptions (id bigint, email varchar(200) NOT NULL,
             confirmed_at timestamp);
         INSERT INTO products SELECT g, 'SKU-' || g, 1 + g % 50 FROM generate_series(1, 1000) g;"
    ))
    .expect("tables");
    let all = Ranges {
        customers: (1, size.customers),
        orders: (1, size.orders),
        items: (1, size.items),
        tickets: (1, size.tickets),
        subscriptions: (1, size.subscriptions),
    };
    for (what, sql) in fill(size, all, false) {
        let start = Instant::now();
        db.batch_execute(&sql).expect(what);
        if !smoke {
            println!("  {what} in {:.1} s", start.elapsed().as_secs_f64());
        }
    }
    let start = Instant::now();
    db.batch_execute(
        "ALTER TABLE customers ADD PRIMARY KEY (id);
         ALTER TABLE addresses ADD PRIMARY KEY (id);
         ALTER TABLE orders ADD PRIMARY KEY (id);
         ALTER TABLE order_items ADD PRIMARY KEY (id);
         ALTER TABLE payments ADD PRIMARY KEY (id);
         ALTER TABLE support_tickets ADD PRIMARY KEY (id);
         ALTER TABLE newsletter_subscriptions ADD PRIMARY KEY (id);
         ALTER TABLE customers ADD FOREIGN KEY (referred_by) REFERENCES customers (id);
         ALTER TABLE addresses ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
         ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
         ALTER TABLE orders ADD FOREIGN KEY (shipping_address_id) REFERENCES addresses (id);
         ALTER TABLE order_items ADD FOREIGN KEY (order_id) REFERENCES orders (id);
         ALTER TABLE order_items ADD FOREIGN KEY (product_id) REFERENCES products (id);
         ALTER TABLE payments ADD FOREIGN KEY (order_id) REFERENCES orders (id);",
    )
    .expect("keys");
    let keys = start.elapsed();
    let start = Instant::now();
    create_indexes(db);
    db.batch_execute("VACUUM ANALYZE").expect("vacuum");
    if !smoke {
        println!("  keys in {:.1} s", keys.as_secs_f64());
        println!(
            "  indexes and VACUUM ANALYZE in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    }
}

fn create_indexes(db: &mut postgres::Client) {
    for (name, on) in INDEXES {
        db.batch_execute(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on}"))
            .expect("create index");
    }
    db.batch_execute("ANALYZE").expect("analyze");
}

/// Id ranges (inclusive) of each table to fill.
#[derive(Clone, Copy)]
struct Ranges {
    customers: (u64, u64),
    orders: (u64, u64),
    items: (u64, u64),
    tickets: (u64, u64),
    subscriptions: (u64, u64),
}

/// Puts customers `people` (of 1..=PEOPLE) back as they were built: every row is a
/// function of its id, so the same statements write them again over what erasure left.
fn restore(db: &mut postgres::Client, size: Size, people: std::ops::RangeInclusive<u64>) {
    let (first, last) = (*people.start(), *people.end());
    let orders = ((first - 1) * ORDERS_EACH + 1, last * ORDERS_EACH);
    let ranges = Ranges {
        customers: (first, last),
        orders,
        items: ((orders.0 - 1) * 4 + 1, orders.1 * 4),
        // Ticket g is customer 10g's, subscription g customer 5g's.
        tickets: (first.div_ceil(10).max(1), last / 10),
        subscriptions: (first.div_ceil(5).max(1), last / 5),
    };
    for (what, sql) in fill(size, ranges, true) {
        db.batch_execute(&sql).expect(what);
    }
}

/// The INSERTs of each table for the id ranges; `upsert` overwrites rows that exist.
fn fill(size: Size, r: Ranges, upsert: bool) -> Vec<(&'static str, String)> {
    let n = size.customers;
    // Orders 1..=1000 are customers 1..=20's, fifty each; the rest spread over everyone
    // else, two or three each.
    let owner = format!(
        "CASE WHEN g <= {last} THEN (g - 1) / {ORDERS_EACH} + 1
              ELSE {PEOPLE} + 1 + (g - {last} - 1) % ({n} - {PEOPLE}) END",
        last = PEOPLE * ORDERS_EACH
    );
    let on_conflict = |columns: &[&str]| {
        if upsert {
            let set: Vec<String> = columns
                .iter()
                .map(|c| format!("{c} = EXCLUDED.{c}"))
                .collect();
            format!(" ON CONFLICT (id) DO UPDATE SET {}", set.join(", "))
        } else {
            String::new()
        }
    };
    let series = |(lo, hi): (u64, u64)| format!("generate_series({lo}, {hi}) AS g");
    let mut statements = vec![
        (
            "customers",
            format!(
                "INSERT INTO customers SELECT g, 'Customer' || g || '@Example.com',
                     'Customer ' || g, '+44 20 ' || lpad(g::text, 8, '0'), 'C-' || g, NULL,
                     timestamp '2020-01-01' + g * interval '1 minute'
                 FROM {}{}",
                series(r.customers),
                on_conflict(&[
                    "email",
                    "name",
                    "phone",
                    "user_ref",
                    "referred_by",
                    "created_at"
                ])
            ),
        ),
        (
            "addresses",
            format!(
                "INSERT INTO addresses SELECT g, g, g || ' High Street', 'Leeds',
                     'LS' || (1 + g % 28) || ' ' || (g % 10) || 'AB'
                 FROM {}{}",
                series(r.customers),
                on_conflict(&["customer_id", "street", "city", "postcode"])
            ),
        ),
        (
            "orders",
            format!(
                "INSERT INTO orders SELECT g, {owner}, {owner}, 10 + g % 200,
                     timestamp '2022-01-01' + g * interval '10 seconds'
                 FROM {}{}",
                series(r.orders),
                on_conflict(&["customer_id", "shipping_address_id", "total", "placed_at"])
            ),
        ),
        (
            "order_items",
            format!(
                "INSERT INTO order_items SELECT g, (g - 1) / 4 + 1, 1 + g % 1000, 1 + g % 3,
                     1 + g % 50
                 FROM {}{}",
                series(r.items),
                on_conflict(&["order_id", "product_id", "qty", "price"])
            ),
        ),
        (
            "payments",
            format!(
                "INSERT INTO payments SELECT g, g, lpad((g % 10000)::text, 4, '0'),
                     10 + g % 200, timestamp '2022-01-01' + g * interval '10 seconds'
                 FROM {}{}",
                series(r.orders),
                on_conflict(&["order_id", "card_last4", "amount", "paid_at"])
            ),
        ),
    ];
    if r.tickets.0 <= r.tickets.1 {
        statements.push((
            "support_tickets",
            format!(
                "INSERT INTO support_tickets SELECT g, 'customer' || (g * 10) || '@example.com',
                     'Question ' || g, 'Where is my order?'
                 FROM {}{}",
                series(r.tickets),
                on_conflict(&["customer_email", "subject", "body"])
            ),
        ));
    }
    if r.subscriptions.0 <= r.subscriptions.1 {
        statements.push((
            "newsletter_subscriptions",
            format!(
                "INSERT INTO newsletter_subscriptions SELECT g,
                     'Customer' || (g * 5) || '@example.com',
                     timestamp '2021-01-01' + g * interval '1 minute'
                 FROM {}{}",
                series(r.subscriptions),
                on_conflict(&["email", "confirmed_at"])
            ),
        ));
    }
    statements
}
