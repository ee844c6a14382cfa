//! What the benchmarks share: whether this is a measured run or a smoke run, and the
//! test suite's rule for the database servers a smoke run uses.
//!
//! `cargo bench` runs each benchmark binary with `--bench`. `cargo test` runs the same
//! binaries without it (they are `test = true` in Cargo.toml): then each one is a smoke
//! run at a tiny size, in a scratch database of its own, that checks the benchmark's own
//! assertions and prints no figures. So a benchmark that rots fails the test suite
//! instead of the next person who wants a figure from it.

/// True when `cargo test` (not `cargo bench`) runs this binary.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// Whether the smoke run of the bench `name` was asked for, as libtest would answer for
/// one test of that name: `cargo test -- --list` lists it, `cargo test -- --ignored`
/// leaves it out (it is not ignored), and `cargo test FILTER` runs it only when its name
/// contains a FILTER. Call only in a smoke run.
pub fn wanted(name: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{name}: test");
        return false;
    }
    if args.iter().any(|a| a == "--ignored") {
        return false;
    }
    // libtest's options that take a value, whose value is no filter.
    const WITH_VALUE: [&str; 6] = [
        "--test-threads",
        "--skip",
        "--color",
        "--format",
        "--logfile",
        "-Z",
    ];
    let mut filters = Vec::new();
    let mut value_next = false;
    for a in &args {
        if value_next {
            value_next = false;
        } else if WITH_VALUE.contains(&a.as_str()) {
            value_next = true;
        } else if !a.starts_with('-') {
            filters.push(a.as_str());
        }
    }
    filters.is_empty() || filters.iter().any(|f| name.contains(f))
}

/// The URL of a server for a smoke run, named by `var` (TEST_DATABASE_URL,
/// TEST_MATOMO_DB_URL), as the test suite reads it: unset skips with a note, unless
/// CI is set, where a missing server must fail the run.
pub fn test_server(var: &str, bench: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok() => {
            panic!("CI is set but {var} is not: the {bench} smoke run must run")
        }
        _ => {
            eprintln!("skipping the {bench} smoke run: {var} is not set");
            None
        }
    }
}

/// A name for a scratch database, unique to this run.
pub fn scratch_name() -> String {
    format!(
        "dsar_bench_{}",
        dsar_portal::clock::new_id().replace('-', "")
    )
}

/// `url` with its database replaced by `name`, its options kept.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

/// A PostgreSQL database of its own for a smoke run, created from the server `admin`
/// names and dropped when this is dropped (also when an assertion fails).
pub struct ScratchPg {
    admin: String,
    name: String,
    pub url: String,
}

impl ScratchPg {
    pub fn create(admin: &str) -> ScratchPg {
        use diesel::connection::SimpleConnection;
        let name = scratch_name();
        let mut c = <diesel::PgConnection as diesel::Connection>::establish(admin)
            .expect("the PostgreSQL server of TEST_DATABASE_URL must be reachable");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the scratch database");
        ScratchPg {
            url: with_database(admin, &name),
            admin: admin.to_string(),
            name,
        }
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        use diesel::connection::SimpleConnection;
        if let Ok(mut c) = <diesel::PgConnection as diesel::Connection>::establish(&self.admin) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
