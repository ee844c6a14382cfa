//! Benchmark: the Matomo database connector on a large synthetic Matomo store.
//!
//! Builds Matomo's log tables under the prefix `bench_` (dropped and rebuilt on every run)
//! with BENCH_VISITS visits (default 1,000,000) and ten actions per visit, all server-side
//! from MariaDB's SEQUENCE engine, then times the connector finding, exporting and erasing
//! one person with 100 visits and 1,000 actions. Beside it: a second person whose visits
//! only the index-less `user_id` column names, and the first person found by visitor id
//! alone. Needs MariaDB (the SEQUENCE engine); the database is BENCH_MATOMO_DB_URL.
//!
//!     cargo bench --bench matomo_connector
//!     BENCH_VISITS=20000 BENCH_MATOMO_DB_URL=mysql://root@127.0.0.1:3306/test \
//!         cargo bench --bench matomo_connector
//!
//! The tables are dropped at the end unless BENCH_MATOMO_KEEP=1. BENCH_USER_ID_INDEX=1
//! adds an index on log_visit.user_id, which Matomo itself does not have (what an operator
//! could add to make user-id lookups fast).
//! `cargo test` runs it as a smoke run (`support`): 1,000 visits in a scratch database
//! on the TEST_MATOMO_DB_URL server, one repetition of each check, no figures.
//! Figures go to docs/PERFORMANCE.md by hand; nothing here asserts on time.

use dsar_portal::config::ConnectorConfig;
use dsar_portal::connectors::matomo_db::MatomoDb;
use dsar_portal::connectors::{Connector, Matches, Strength, Subject};
use mysql_async::prelude::Queryable;
use mysql_async::Row;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const P: &str = "bench_";
/// The person found, exported and erased: visitor id derived from the user id.
const PERSON: &str = "bench-person@example.com";
/// A person whose visits carry the user id but random visitor ids (e.g. logged in on a
/// device whose earlier visits kept their cookie), so only the user_id scan finds them.
const USERID_ONLY: &str = "userid-only@example.com";
const REPS: usize = 5;
/// Page URLs in log_action (as many page titles again, plus a few SKUs).
const URLS: u64 = 2500;
const SKUS: u64 = 20;
const LOG_TABLES: [&str; 4] = [
    "log_visit",
    "log_link_visit_action",
    "log_conversion",
    "log_conversion_item",
];

/// A smoke run's size: the smallest BENCH_VISITS allows.
const SMOKE_VISITS: u64 = 1000;

/// Repetitions of each measured step: one in a smoke run.
fn reps() -> usize {
    if support::smoke() {
        1
    } else {
        REPS
    }
}

/// A MariaDB database of its own for a smoke run, dropped when this is dropped (also
/// when an assertion fails).
struct ScratchMysql {
    admin: String,
    name: String,
}

impl Drop for ScratchMysql {
    fn drop(&mut self) {
        execute(
            &self.admin,
            &[format!("DROP DATABASE IF EXISTS {}", self.name)],
        );
    }
}

fn main() {
    let smoke = support::smoke();
    if smoke && !support::wanted("matomo_connector") {
        return;
    }
    // Kept to the end of main: the smoke run's scratch database is dropped with it.
    let _scratch;
    let url = if smoke {
        let Some(admin) = support::test_server("TEST_MATOMO_DB_URL", "matomo_connector") else {
            return;
        };
        let name = support::scratch_name();
        execute(&admin, &[format!("CREATE DATABASE {name}")]);
        let url = support::with_database(&admin, &name);
        _scratch = ScratchMysql { admin, name };
        url
    } else {
        std::env::var("BENCH_MATOMO_DB_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "mysql://root@127.0.0.1:3306/test".into())
    };
    // Progress and figures are for a real run; a smoke run's mean nothing.
    let say = |line: String| {
        if !smoke {
            println!("{line}");
        }
    };
    let visits: u64 = if smoke {
        SMOKE_VISITS
    } else {
        std::env::var("BENCH_VISITS")
            .ok()
            .and_then(|v| v.replace(['_', ','], "").parse().ok())
            .unwrap_or(1_000_000)
    };
    assert!(
        visits >= 1000 && visits.is_multiple_of(100),
        "BENCH_VISITS must be a multiple of 100, at least 1000"
    );
    // The two people's visits are every stride-th visit, at offsets 1 and 2: spread
    // evenly over the whole store (and so over its two years of visit times).
    let stride = visits / 100;
    say(format!("load average before: {}", load()));

    let mut schema = drop_all();
    schema.extend(create_tables());
    execute(&url, &schema);
    let start = Instant::now();
    execute(&url, &fill(visits, stride));
    let fill_time = start.elapsed();
    let user_id_index = std::env::var("BENCH_USER_ID_INDEX").as_deref() == Ok("1");
    if user_id_index {
        let start = Instant::now();
        execute(
            &url,
            &[format!(
                "ALTER TABLE {P}log_visit ADD INDEX bench_user_id (user_id)"
            )],
        );
        say(format!(
            "added an index on log_visit.user_id in {:.1} s",
            start.elapsed().as_secs_f64()
        ));
    }
    let scan = if user_id_index {
        "user_id index"
    } else {
        "user_id scan"
    };
    let totals = counts(&url);
    say(format!(
        "filled in {:.1} s: {}",
        fill_time.as_secs_f64(),
        describe(&totals)
    ));
    if !smoke {
        println!("table sizes: {}", sizes(&url));
    }
    assert_eq!(totals["log_visit"], visits);
    assert_eq!(totals["log_link_visit_action"], visits * 10);
    if !smoke {
        explain(&url);
    }

    // The person's rows, kept aside so that each erase can be undone between repetitions.
    execute(&url, &keep());
    let kept = count_prefixed(&url, "bench_keep_");
    let expected: BTreeMap<String, u64> = [
        ("log_visit", 100),
        ("log_link_visit_action", 1000),
        ("log_conversion", 2),
        ("log_conversion_item", 2),
    ]
    .iter()
    .map(|(t, n)| (t.to_string(), *n))
    .collect();
    assert_eq!(kept, expected, "the person's rows as seeded");

    let db = MatomoDb::new(&config(), &url).expect("connector");
    db.check().expect("check");
    let person = subject(&[("email", PERSON)]);
    let userid_only = subject(&[("email", USERID_ONLY)]);
    let by_visitor_id = subject(&[("matomo_visitor_id", &visitor_hex(PERSON))]);

    let mut rows: Vec<(String, String, Vec<Duration>)> = Vec::new();
    let full = Rounds::measure(
        &db,
        &url,
        &person,
        &expected,
        &totals,
        &[("user_id", 100), ("visitor_id", 100)],
    );
    let mut cfg = config();
    cfg.search_user_id_column = false;
    let visitor_db = MatomoDb::new(&cfg, &url).expect("connector");
    let indexed_only = Rounds::measure(
        &visitor_db,
        &url,
        &person,
        &expected,
        &totals,
        &[("visitor_id", 100)],
    );
    drop(visitor_db);

    let mut userid_finds = Vec::new();
    let mut visitor_finds = Vec::new();
    for _ in 0..reps() {
        let t = Instant::now();
        let m = db.find(&userid_only).expect("find user_id only");
        userid_finds.push(t.elapsed());
        check_find(&m, &[("user_id", 100), ("visitor_id", 0)], &{
            let mut e = expected.clone();
            e.insert("log_conversion".into(), 0);
            e.insert("log_conversion_item".into(), 0);
            e
        });

        let t = Instant::now();
        let m = db.find(&by_visitor_id).expect("find by visitor id");
        visitor_finds.push(t.elapsed());
        check_find(&m, &[("supplied_visitor_id", 100)], &expected);
    }
    drop(db);

    rows.push((
        format!("find by e-mail ({scan} + visitor-id index)"),
        "100 visits, 1,000 actions, 2 conversions, 2 items".into(),
        full.finds,
    ));
    rows.push((
        "export".into(),
        "the same rows, action names resolved".into(),
        full.exports,
    ));
    rows.push((
        "erase (batch_size 5000, no log_action purge)".into(),
        "the same rows deleted".into(),
        full.erases,
    ));
    rows.push((
        "**find + export + erase**".into(),
        "one person end to end".into(),
        full.totals,
    ));
    rows.push((
        "find by e-mail, `search_user_id_column = false` (visitor-id index only)".into(),
        "the same rows".into(),
        indexed_only.finds,
    ));
    rows.push((
        "**find + export + erase, `search_user_id_column = false`**".into(),
        "one person end to end".into(),
        indexed_only.totals,
    ));
    rows.push((
        format!("find, second person by user_id only ({scan})"),
        "100 visits with random visitor ids, 1,000 actions".into(),
        userid_finds,
    ));
    rows.push((
        "find by visitor id only (`matomo_visitor_id`)".into(),
        "the first person's 100 visits, 1,000 actions".into(),
        visitor_finds,
    ));

    if smoke {
        println!(
            "matomo_connector smoke run: {visits} visits, every find, export and erase checked (nothing measured)"
        );
        return;
    }
    println!();
    println!(
        "{} visits, {} actions, fill {:.1} s, {REPS} repetitions each{}",
        group(totals["log_visit"]),
        group(totals["log_link_visit_action"]),
        fill_time.as_secs_f64(),
        if user_id_index {
            ", with an added index on log_visit.user_id"
        } else {
            ""
        }
    );
    println!();
    println!("| operation | rows | median | min | max |");
    println!("|---|---|---|---|---|");
    for (name, what, times) in &rows {
        let (median, min, max) = spread(times);
        println!("| {name} | {what} | {median} | {min} | {max} |");
    }
    println!();
    println!("load average after: {}", load());

    if std::env::var("BENCH_MATOMO_KEEP").as_deref() != Ok("1") {
        execute(&url, &drop_all());
    }
}

/// Timings of REPS find → export → erase rounds for one person, each checked and undone.
struct Rounds {
    finds: Vec<Duration>,
    exports: Vec<Duration>,
    erases: Vec<Duration>,
    totals: Vec<Duration>,
}

impl Rounds {
    fn measure(
        db: &MatomoDb,
        url: &str,
        person: &Subject,
        expected: &BTreeMap<String, u64>,
        totals: &BTreeMap<String, u64>,
        keys: &[(&str, u64)],
    ) -> Rounds {
        let mut r = Rounds {
            finds: Vec::new(),
            exports: Vec::new(),
            erases: Vec::new(),
            totals: Vec::new(),
        };
        for rep in 0..reps() {
            let t = Instant::now();
            let m = db.find(person).expect("find");
            let found = t.elapsed();
            check_find(&m, keys, expected);

            let t = Instant::now();
            let records = db.export(&m).expect("export");
            let exported = t.elapsed();
            for (table, n) in expected {
                assert_eq!(records.tables[table].len() as u64, *n, "exported {table}");
            }
            assert!(records.tables["log_visit"]
                .iter()
                .all(|v| v["user_id"] == PERSON));

            let t = Instant::now();
            let report = db.erase(&m).expect("erase");
            let erased = t.elapsed();
            assert_eq!(&report.deleted, expected, "erased");

            // Untimed: the rows are gone and nothing else went with them; then put them back.
            let after = counts(url);
            for (table, n) in totals {
                assert_eq!(after[table], n - expected[table], "{table} after erase");
            }
            assert_eq!(
                query_u64(
                    url,
                    format!("SELECT COUNT(*) FROM {P}log_link_visit_action WHERE idvisit IN (SELECT idvisit FROM {P}keep_log_visit)")
                ),
                0
            );
            let gone = db.find(person).expect("find after erase");
            assert!(gone.is_empty() && !gone.actionable(), "nothing left");
            execute(url, &reseed());
            assert_eq!(&counts(url), totals, "reseeded (repetition {rep})");

            r.finds.push(found);
            r.exports.push(exported);
            r.erases.push(erased);
            r.totals.push(found + exported + erased);
        }
        r
    }
}

fn config() -> ConnectorConfig {
    matomo_config("matomo_db", P, None)
}

fn check_find(m: &Matches, keys: &[(&str, u64)], counts: &BTreeMap<String, u64>) {
    assert_eq!(m.keys.len(), keys.len(), "{:?}", m.keys);
    for (key, n) in keys {
        let k = m.keys.iter().find(|k| k.key == *key).expect("key");
        assert_eq!((k.strength, k.records), (Strength::Strong, *n), "key {key}");
    }
    assert_eq!(&m.counts, counts, "counts found");
    assert_eq!(m.refs["visits"].as_array().map(Vec::len), Some(100));
}

fn spread(times: &[Duration]) -> (String, String, String) {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    let show = |v: f64| {
        if v < 100.0 {
            format!("{v:.1} ms")
        } else {
            format!("{v:.0} ms")
        }
    };
    (show(ms[ms.len() / 2]), show(ms[0]), show(ms[ms.len() - 1]))
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn describe(counts: &BTreeMap<String, u64>) -> String {
    LOG_TABLES
        .iter()
        .map(|t| format!("{t} {}", group(counts[*t])))
        .collect::<Vec<_>>()
        .join(", ")
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

// The bench uses a part of what the test suites share with it.
#[allow(dead_code)]
#[path = "../../tests/api/helpers/connector_inputs.rs"]
mod connector_inputs;
mod mysql;
mod store;
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

use connector_inputs::{matomo_config, subject, visitor_hex};
use mysql::*;
use store::*;
