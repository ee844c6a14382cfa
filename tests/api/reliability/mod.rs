//! Faults the portal must survive without losing a request (see docs/SECURITY.md).
//!
//! The real binary killed with SIGKILL during intake under load and during a connector
//! call; PostgreSQL going away (behind a TCP proxy the test cuts) and coming back; two
//! instances sharing one PostgreSQL. Waits poll with a deadline; nothing asserts on time.

use crate::helpers::*;
use diesel::prelude::*;
use dsar_portal::config::ConnectorConfig;
use dsar_portal::db::schema::{audit_events, connector_runs, outbox, reminders, requests};
use dsar_portal::state::AppState;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const SHOP_SECRET: &str = "whsec_reliability-shared-secret";
/// Where the portal (process or in-process) reads the webhook secret from.
const SHOP_SECRET_VAR: &str = "REL_SHOP_WEBHOOK_SECRET";

// --- waiting ---------------------------------------------------------------------------

/// Polls `f` until it gives a value; fails with `what` after `timeout`.
fn rel_wait<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The same on the test's runtime, so the in-process servers keep serving meanwhile.
async fn rel_wait_async<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

// --- the real binary -------------------------------------------------------------------

/// The portal as a separate process on `work/data`; killed when dropped.
struct Portal {
    child: Child,
    address: String,
}

impl Portal {
    fn start(work: &Path, db: &RelDatabase, args: &[&str], env: &[(&str, &str)]) -> Portal {
        let log_path = work.join("portal.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("portal log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dsar-portal"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DSAR_BIND", "127.0.0.1:0")
            .env("DSAR_DATA_DIR", work.join("data"))
            .env("DSAR_LOG", "warn")
            .env("DSAR_RATE_LIMITS__ENABLED", "false")
            .env("DSAR_WORKER__POLL_MILLISECONDS", "50")
            .current_dir(work)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        if let Some(url) = &db.url {
            cmd.env("DATABASE_URL", url);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start dsar-portal");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the start-up banner, then keeps draining stdout until the process ends.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = line.split(" listening on ").nth(1) {
                    let _ = tx.send(address.trim().to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(address) => Portal { child, address },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the portal did not start:\n{}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                );
            }
        }
    }

    /// SIGKILL (`Child::kill` on unix): no shutdown code runs.
    fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn intake_body(kind: &str, jurisdiction: &str, email: &str) -> Json {
    json!({"kind": kind, "jurisdiction": jurisdiction, "name": "Rel Iability", "email": email})
}

/// Posts an API intake; (status, body) or the transport error.
fn post_intake(
    client: &reqwest::blocking::Client,
    url: &str,
    key: &str,
    body: &Json,
) -> Result<(u16, Json), reqwest::Error> {
    let r = client
        .post(url)
        .header("Idempotency-Key", key)
        .json(body)
        .send()?;
    let status = r.status().as_u16();
    Ok((status, r.json()?))
}

fn blocking_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        // Below the server's five-second keep-alive: see `helpers::browser_builder`.
        .pool_idle_timeout(Duration::from_secs(1))
        .build()
        .expect("client")
}

/// An `AppState` on the process's data folder and database, without server or worker:
/// same keys, so the test can read and queue what the portal does.
fn local_state(work: &Path, db: &RelDatabase, connectors: Vec<ConnectorConfig>) -> Arc<AppState> {
    let mut s = test_settings(&work.join("data"));
    s.database_url = db.url.clone();
    s.connectors = connectors;
    let (keys, _) = dsar_portal::crypto::Keys::load(&s.key_sources()).expect("keys");
    let pool = dsar_portal::db::build_pool(&s.database_url(), 4).expect("pool");
    Arc::new(AppState::new(s, pool, &keys).expect("state"))
}

fn conn(state: &AppState) -> dsar_portal::db::PooledConn {
    state.pool.get().expect("connection")
}

/// The recipients of the `.eml` files in `dir` (a file cut short by a kill has none).
fn eml_recipients(dir: &Path) -> Vec<String> {
    let mut to = Vec::new();
    for path in crate::helpers::eml_files(dir) {
        let Ok(raw) = std::fs::read(&path) else {
            continue;
        };
        if let Some(msg) = mail_parser::MessageParser::default().parse(&raw[..]) {
            if let Some(addr) = msg.to().and_then(|a| a.first()).and_then(|a| a.address()) {
                to.push(addr.to_string());
            }
        }
    }
    to
}

fn eml_count(dir: &Path) -> usize {
    crate::helpers::eml_files(dir).len()
}

fn audit_chain_holds(c: &mut dsar_portal::db::DbConn) -> bool {
    dsar_portal::db::models::audit::verify_chain(c)
        .expect("walk the chain")
        .is_ok()
}

fn shop_config(base_url: &str, timeout_seconds: u64) -> ConnectorConfig {
    ConnectorConfig {
        token_env: Some(SHOP_SECRET_VAR.into()),
        timeout_seconds,
        ..webhook_config("shop", base_url)
    }
}

fn run_row(
    c: &mut dsar_portal::db::DbConn,
    request: &str,
    act: &str,
) -> Option<dsar_portal::db::models::connector_runs::RunRow> {
    use dsar_portal::db::models::connector_runs::RunRow;
    connector_runs::table
        .filter(connector_runs::request_id.eq(request))
        .filter(connector_runs::action.eq(act))
        .select(RunRow::as_select())
        .first(c)
        .optional()
        .expect("run")
}

fn queue_run(state: &AppState, request: &str, act: &str) {
    let mut c = conn(state);
    dsar_portal::flows::connector_runs::queue(
        state,
        &mut c,
        request,
        "shop",
        act,
        "staff:reliability",
        dsar_portal::clock::now(),
    )
    .unwrap_or_else(|e| panic!("queue {act}: {}", e.public_message()));
}

fn done_events(c: &mut dsar_portal::db::DbConn, request: &str) -> Vec<Json> {
    audit_events::table
        .filter(audit_events::request_id.eq(request))
        .filter(audit_events::action.eq("connector_run_done"))
        .select(audit_events::detail)
        .load::<String>(c)
        .expect("audit")
        .iter()
        .map(|d| serde_json::from_str(d).expect("detail json"))
        .collect()
}

fn postgres() -> Option<Backend> {
    backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))
}

mod database_outage;
mod database_stall;
mod kill_during_connector_call;
mod kill_during_intake;
mod parallel_writers;
mod proxy;
mod receiver;
mod sigterm;
mod two_instances;

use proxy::{host_port, Proxy};
use receiver::{Call, Receiver};
