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

// --- 1. kill -9 during intake under load -----------------------------------------------

const CLIENTS: usize = 8;

#[derive(Debug, Clone)]
struct Attempt {
    key: String,
    email: String,
}

#[test]
fn kill_9_during_intake_loses_no_acknowledged_request_and_no_email() {
    for backend in backends() {
        let work = tempfile::tempdir().expect("tempdir");
        let db = rel_database(&backend);
        let portal = Portal::start(work.path(), &db, &[], &[]);
        let url = portal.url("/api/v1/requests");

        let acked: Arc<Mutex<Vec<(Attempt, String)>>> = Arc::default();
        // Sent, but no answer arrived (in flight at the kill, or refused by the dead port).
        let unsettled: Arc<Mutex<Vec<Attempt>>> = Arc::default();
        let refused: Arc<Mutex<Vec<(Attempt, u16)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<JoinHandle<()>> = (0..CLIENTS)
            .map(|t| {
                let (url, stop) = (url.clone(), stop.clone());
                let (acked, unsettled, refused) =
                    (acked.clone(), unsettled.clone(), refused.clone());
                std::thread::spawn(move || {
                    let client = blocking_client();
                    for i in 0.. {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let attempt = Attempt {
                            key: format!("rel-kill-{t}-{i}"),
                            email: format!("kill-{t}-{i}@example.com"),
                        };
                        let body = intake_body("access", "eu", &attempt.email);
                        match post_intake(&client, &url, &attempt.key, &body) {
                            Ok((s, v)) if (200..300).contains(&s) => {
                                let reference = v["reference"].as_str().expect("ref").to_string();
                                acked.lock().unwrap().push((attempt, reference));
                            }
                            Ok((s, _)) => refused.lock().unwrap().push((attempt, s)),
                            Err(_) => {
                                unsettled.lock().unwrap().push(attempt);
                                break;
                            }
                        }
                    }
                })
            })
            .collect();
        // Under load for a while, with a fair number acknowledged, then SIGKILL.
        let load_started = Instant::now();
        rel_wait("the load is under way", Duration::from_secs(120), || {
            (acked.lock().unwrap().len() >= 30 && load_started.elapsed() >= Duration::from_secs(1))
                .then_some(())
        });
        portal.kill_9();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            c.join().expect("client thread");
        }
        let acked = acked.lock().unwrap().clone();
        let unsettled = unsettled.lock().unwrap().clone();
        let refused = refused.lock().unwrap().clone();
        assert!(
            unsettled.len() <= CLIENTS,
            "at most one open request per client"
        );

        // The database as the kill left it (nothing runs on it now).
        let state = local_state(work.path(), &db, Vec::new());
        let mut c = conn(&state);
        let stored: BTreeMap<String, String> = requests::table
            .select((requests::submission_key, requests::reference))
            .load::<(String, String)>(&mut *c)
            .expect("requests")
            .into_iter()
            .collect();
        let hash = |a: &Attempt| dsar_portal::crypto::tokens::hash(&format!("api:{}", a.key));
        for (a, reference) in &acked {
            assert_eq!(
                stored.get(&hash(a)),
                Some(reference),
                "acknowledged {} is stored ({})",
                a.key,
                backend.name()
            );
        }
        let in_flight: BTreeSet<String> = unsettled.iter().map(hash).collect();
        let acked_keys: BTreeSet<String> = acked.iter().map(|(a, _)| hash(a)).collect();
        for key in stored.keys() {
            assert!(
                acked_keys.contains(key) || in_flight.contains(key),
                "every stored request was acknowledged or in flight at the kill ({})",
                backend.name()
            );
        }
        assert!(
            refused.iter().all(|(a, _)| !stored.contains_key(&hash(a))),
            "a refused request is not stored: {refused:?}"
        );
        assert!(
            stored.len() >= acked.len() && stored.len() <= acked.len() + unsettled.len(),
            "{} stored, {} acknowledged, {} in flight",
            stored.len(),
            acked.len(),
            unsettled.len()
        );
        assert!(
            audit_chain_holds(&mut c),
            "the audit chain survives the kill"
        );
        // Emails the dead worker had claimed wait for their 5-minute lease: let it lapse
        // now rather than wait (one of them may already have been written: at least once).
        let stuck =
            diesel::update(
                outbox::table
                    .filter(outbox::status.eq("pending"))
                    .filter(outbox::claimed_until.is_not_null()),
            )
            .set(outbox::claimed_until.eq(
                chrono::NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)),
            ))
            .execute(&mut *c)
            .expect("lapse leases");
        drop(c);
        eprintln!(
            "{}: {} acknowledged, {} in flight, {} refused, {stuck} emails claimed at the kill",
            backend.name(),
            acked.len(),
            unsettled.len(),
            refused.len()
        );

        // Restart on the same data. Clients retry what they got no answer for, with the
        // same Idempotency-Key: nothing is stored twice.
        let portal = Portal::start(work.path(), &db, &[], &[]);
        let url = portal.url("/api/v1/requests");
        let client = blocking_client();
        for a in &unsettled {
            let (s, v) = post_intake(
                &client,
                &url,
                &a.key,
                &intake_body("access", "eu", &a.email),
            )
            .expect("the restarted portal answers");
            assert_eq!(s, 202, "{v}");
        }
        let (first, reference) = &acked[0];
        let (s, v) = post_intake(
            &client,
            &url,
            &first.key,
            &intake_body("access", "eu", &first.email),
        )
        .expect("retry");
        assert_eq!(
            (s, v["reference"].as_str()),
            (202, Some(reference.as_str()))
        );
        let mut c = conn(&state);
        let total: i64 = requests::table.count().get_result(&mut *c).expect("count");
        assert_eq!(
            total as usize,
            acked.len() + unsettled.len(),
            "exactly one request per client request ({})",
            backend.name()
        );

        // Every request has exactly one verification email, and it goes out.
        let per_request: Vec<(Option<String>, i64)> = outbox::table
            .filter(outbox::template.eq("verify_email"))
            .group_by(outbox::request_id)
            .select((outbox::request_id, diesel::dsl::count_star()))
            .load(&mut *c)
            .expect("outbox");
        assert_eq!(per_request.len() as i64, total);
        assert!(per_request.iter().all(|(_, n)| *n == 1), "{per_request:?}");
        drop(c);
        rel_wait("the outbox is empty", Duration::from_secs(120), || {
            let mut c = conn(&state);
            let pending: i64 = outbox::table
                .filter(outbox::status.ne("sent"))
                .count()
                .get_result(&mut *c)
                .expect("count");
            (pending == 0).then_some(())
        });
        let mail_dir = work.path().join("data").join("mail");
        let to = eml_recipients(&mail_dir);
        let wanted: BTreeSet<&str> = acked
            .iter()
            .map(|(a, _)| a.email.as_str())
            .chain(unsettled.iter().map(|a| a.email.as_str()))
            .collect();
        let got: BTreeSet<&str> = to.iter().map(String::as_str).collect();
        assert!(
            wanted.is_subset(&got),
            "every person got their link ({})",
            backend.name()
        );
        let files = eml_count(&mail_dir);
        assert!(
            files >= wanted.len() && files <= wanted.len() + stuck,
            "{files} emails for {} requests; {stuck} were claimed at the kill",
            wanted.len()
        );
        assert!(audit_chain_holds(&mut conn(&state)));
        drop(portal);
    }
}

// --- a webhook receiver that can hold a call -------------------------------------------

struct Call {
    event: String,
    body: Json,
    verified: bool,
}

/// The organisation's system on 127.0.0.1 (std threads, one request per connection).
/// `hold(event, n)` says whether the n-th call (from 0) of that event is held open, with
/// no answer, until the caller goes away.
struct Receiver {
    url: String,
    addr: SocketAddr,
    calls: Arc<Mutex<Vec<Call>>>,
    stop: Arc<AtomicBool>,
}

type Hold = Arc<dyn Fn(&str, usize) -> bool + Send + Sync>;

impl Receiver {
    fn start(hold: impl Fn(&str, usize) -> bool + Send + Sync + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let hold: Hold = Arc::new(hold);
        let (c, s) = (calls.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (c, hold) = (c.clone(), hold.clone());
                std::thread::spawn(move || serve_call(stream, &c, &hold));
            }
        });
        Receiver {
            url: format!("http://{addr}/dsar"),
            addr,
            calls,
            stop,
        }
    }

    fn count(&self, event: &str) -> usize {
        let calls = self.calls.lock().unwrap();
        calls.iter().filter(|c| c.event == event).count()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_call(mut stream: TcpStream, calls: &Mutex<Vec<Call>>, hold: &Hold) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = &buf[head_end..head_end + length];
    let verified = dsar_portal::connectors::webhook::verify(
        SHOP_SECRET.as_bytes(),
        &header("x-dsar-timestamp"),
        &header("x-dsar-signature"),
        body,
        chrono::Utc::now().timestamp(),
        300,
    );
    let value: Json = serde_json::from_slice(body).unwrap_or_default();
    let event = value["event"].as_str().unwrap_or("").to_string();
    let nth = {
        let mut calls = calls.lock().unwrap();
        let nth = calls.iter().filter(|c| c.event == event).count();
        calls.push(Call {
            event: event.clone(),
            body: value.clone(),
            verified,
        });
        nth
    };
    if verified && hold(&event, nth) {
        // Hold the call: read until the caller closes the connection (or dies).
        while matches!(stream.read(&mut chunk), Ok(n) if n > 0) {}
        return;
    }
    let (status, answer) = if !verified {
        ("401 Unauthorized", json!({}))
    } else {
        match event.as_str() {
            "find" => (
                "200 OK",
                json!({"keys": [{"key": "email", "strength": "strong", "records": 1}],
                       "counts": {"orders": 1}, "refs": {"subject": value["subject"]}}),
            ),
            "export" => (
                "200 OK",
                json!({"tables": {"orders": [{"order_id": "o-1"}]}}),
            ),
            "erase" => ("200 OK", json!({"deleted": {"orders": 1}, "follow_up": []})),
            "opt_out" => ("200 OK", json!({"opt_out": "done"})),
            _ => ("400 Bad Request", json!({})),
        }
    };
    let text = answer.to_string();
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
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

// --- 2. kill -9 during a connector run -------------------------------------------------

#[test]
fn kill_9_during_a_connector_call_resumes_after_the_lease_and_completes_once() {
    std::env::set_var(SHOP_SECRET_VAR, SHOP_SECRET);
    for backend in backends() {
        let work = tempfile::tempdir().expect("tempdir");
        let db = rel_database(&backend);
        // The first erase call is held open until the portal dies; later ones answer.
        let receiver = Receiver::start(|event, nth| event == "erase" && nth == 0);
        let config = work.path().join("portal.toml");
        std::fs::write(
            &config,
            format!(
                "[[connectors]]\nname = \"shop\"\nkind = \"webhook\"\nbase_url = \"{}\"\n\
                 token_env = \"{SHOP_SECRET_VAR}\"\ntimeout_seconds = 10\n",
                receiver.url
            ),
        )
        .expect("config");
        let config = config.to_string_lossy().into_owned();
        let args = ["--config", config.as_str()];
        // A short lease (longer than the call's timeout, as the settings check demands).
        let env = [
            ("DSAR_WORKER__CONNECTOR_LEASE_SECONDS", "11"),
            (SHOP_SECRET_VAR, SHOP_SECRET),
        ];
        let portal = Portal::start(work.path(), &db, &args, &env);
        let client = blocking_client();
        let (s, v) = post_intake(
            &client,
            &portal.url("/api/v1/requests"),
            "rel-erase",
            &intake_body("deletion", "california", "erase-me@example.com"),
        )
        .expect("intake");
        assert_eq!(s, 202, "{v}");
        let reference = v["reference"].as_str().expect("reference").to_string();

        let state = local_state(work.path(), &db, vec![shop_config(&receiver.url, 10)]);
        let id: String = requests::table
            .filter(requests::reference.eq(&reference))
            .select(requests::id)
            .first(&mut *conn(&state))
            .expect("request");
        // Verified and in progress (the identity steps are covered elsewhere).
        diesel::update(requests::table.find(&id))
            .set(requests::status.eq("in_progress"))
            .execute(&mut *conn(&state))
            .expect("in progress");
        queue_run(&state, &id, "find");
        rel_wait("the find is done", Duration::from_secs(60), || {
            run_row(&mut conn(&state), &id, "find")
                .filter(|r| r.status == dsar_portal::domain::runs::RunStatus::Done)
        });
        queue_run(&state, &id, "erase");
        rel_wait(
            "the system holds the erase call",
            Duration::from_secs(60),
            || (receiver.count("erase") == 1).then_some(()),
        );
        portal.kill_9();
        let run = run_row(&mut conn(&state), &id, "erase").expect("erase run");
        assert_eq!(
            (run.status.as_str(), run.attempts),
            ("running", 1),
            "claimed by the killed worker ({})",
            backend.name()
        );

        let portal = Portal::start(work.path(), &db, &args, &env);
        let done = rel_wait(
            "the erase is taken up again and done",
            Duration::from_secs(120),
            || {
                run_row(&mut conn(&state), &id, "erase")
                    .filter(|r| r.status == dsar_portal::domain::runs::RunStatus::Done)
            },
        );
        assert_eq!(done.attempts, 2, "one call killed, one completed");
        assert!(done.claimed_until.is_none() && done.finished_at.is_some());
        let summary: Json = serde_json::from_str(&done.summary.expect("summary")).expect("json");
        assert_eq!(summary["deleted"]["orders"], 1);
        {
            let calls = receiver.calls.lock().unwrap();
            let erases: Vec<&Call> = calls.iter().filter(|c| c.event == "erase").collect();
            assert_eq!(
                erases.len(),
                2,
                "the held call, then one more after the lease"
            );
            assert!(erases.iter().all(|c| c.verified), "every call signed");
            assert_eq!(
                erases[0].body["matches"], erases[1].body["matches"],
                "the same approved matches both times"
            );
        }
        let mut c = conn(&state);
        let runs: i64 = connector_runs::table
            .filter(connector_runs::request_id.eq(&id))
            .filter(connector_runs::action.eq("erase"))
            .count()
            .get_result(&mut *c)
            .expect("count");
        assert_eq!(runs, 1, "no second run row");
        let done = done_events(&mut c, &id);
        let erase_done = done.iter().filter(|d| d["action"] == "erase").count();
        assert_eq!(
            (done.len(), erase_done),
            (2, 1),
            "one completion for the find, exactly one for the erase ({})",
            backend.name()
        );
        assert!(audit_chain_holds(&mut c));
        drop(c);
        drop(portal);
    }
}

// --- a TCP proxy in front of PostgreSQL ------------------------------------------------

/// Forwards 127.0.0.1:<port> to `upstream`; `cut` closes the listener and every
/// connection, `reopen` listens on the same port again.
struct Proxy {
    addr: SocketAddr,
    upstream: String,
    open: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let mut proxy = Proxy {
            addr: listener.local_addr().expect("addr"),
            upstream: upstream.to_string(),
            open: Arc::new(AtomicBool::new(false)),
            conns: Arc::default(),
            acceptor: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).expect("nonblocking");
        self.open.store(true, Ordering::SeqCst);
        let (open, conns, upstream) =
            (self.open.clone(), self.conns.clone(), self.upstream.clone());
        self.acceptor = Some(std::thread::spawn(move || {
            while open.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let pair = (client.try_clone(), server.try_clone());
                let (Ok(c2), Ok(s2)) = pair else { continue };
                let mut list = conns.lock().unwrap();
                for s in [&client, &server] {
                    if let Ok(s) = s.try_clone() {
                        list.push(s);
                    }
                }
                pipe(client, s2);
                pipe(server, c2);
            }
            // The listener is dropped here: new connections are refused.
        }));
    }

    fn cut(&mut self) {
        self.open.store(false, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            a.join().expect("acceptor");
        }
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn reopen(&mut self) {
        let listener = rel_wait(
            "the proxy port is free again",
            Duration::from_secs(30),
            || TcpListener::bind(self.addr).ok(),
        );
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// host:port of a postgres:// URL.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

fn postgres() -> Option<Backend> {
    backends()
        .into_iter()
        .find(|b| matches!(b, Backend::Postgres(_)))
}

// --- 3. the database goes away and comes back ------------------------------------------

#[actix_web::test]
async fn database_outage_answers_503_loses_nothing_and_recovers_without_restart() {
    let Some(backend) = postgres() else { return };
    let Backend::Postgres(admin) = &backend else {
        unreachable!()
    };
    let upstream = host_port(admin);
    let mut proxy = Proxy::start(&upstream);
    let through = proxy.addr.to_string();
    let app = spawn_app_with(&backend, move |s| {
        let url = s.database_url.take().expect("a fresh database");
        assert!(url.contains(&upstream), "{url}");
        s.database_url = Some(url.replacen(&upstream, &through, 1));
    })
    .await;
    let status_page = app
        .file_and_verify("eu", "access", "before@example.com")
        .await;
    assert_eq!(app.get(&status_page).await.0, 200);
    let before = app.count("requests");

    proxy.cut();
    let (s, page) = app.get(&status_page).await;
    assert_eq!(s, 503, "{page}");
    assert!(page.contains("temporarily unavailable"), "{page}");
    let (s, health) = app.get("/healthz").await;
    assert_eq!((s, health.contains("database unavailable")), (503, true));
    // Pages that need no database still answer.
    for path in [
        "/static/style.css",
        "/.well-known/gpc.json",
        "/requests/new?jurisdiction=eu",
    ] {
        assert_eq!(app.get(path).await.0, 200, "{path}");
    }
    // Submissions during the outage get a clear 503, never a 2xx.
    let body = intake_body("access", "eu", "during@example.com");
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .header("Idempotency-Key", "rel-outage")
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let v: Json = r.json().await.expect("json");
    assert_eq!(v["error"], "unavailable", "{v}");
    let (s, page) = app
        .submit(
            "eu",
            &[
                ("kind", "access"),
                ("name", "Form Outage"),
                ("email", "form-during@example.com"),
            ],
        )
        .await;
    assert_eq!(s, 503, "{page}");
    assert!(page.contains("temporarily unavailable"));

    proxy.reopen();
    let deadline = Instant::now() + Duration::from_secs(60);
    while app.get(&status_page).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "the page answers again after the outage"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/healthz").await.0, 200);
    assert_eq!(
        app.count("requests"),
        before,
        "what was refused during the outage was not stored"
    );
    // The refused submission, retried, is accepted; the worker survived and mails it.
    let r = app
        .client
        .post(app.url("/api/v1/requests"))
        .header("Idempotency-Key", "rel-outage")
        .json(&body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(app.count("requests"), before + 1);
    app.email_where("for the retried request", |m| {
        m.to == "during@example.com" && m.text.contains("/verify/")
    })
    .await;
    assert!(app.db(audit_chain_holds));
}

// --- 4. two instances on one PostgreSQL ------------------------------------------------

#[actix_web::test]
async fn two_instances_on_one_postgres_do_each_piece_of_work_once() {
    let Some(backend) = postgres() else { return };
    std::env::set_var(SHOP_SECRET_VAR, SHOP_SECRET);
    let receiver = Receiver::start(|_, _| false);
    let cfg = shop_config(&receiver.url, 30);
    let c1 = cfg.clone();
    let a = spawn_app_with(&backend, move |s| s.connectors = vec![c1]).await;
    let c2 = cfg.clone();
    let b = rel_spawn_second(&a, move |s| s.connectors = vec![c2]).await;
    const N: usize = 12;
    let email = |i: usize| format!("twice-{i}@example.com");

    // N requests, alternately through each instance: N verification emails.
    let mut ids = Vec::new();
    for i in 0..N {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = app
            .client
            .post(app.url("/api/v1/requests"))
            .json(&intake_body("access", "eu", &email(i)))
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status().as_u16(), 202);
        let v: Json = r.json().await.expect("json");
        ids.push(app.request_id(v["reference"].as_str().expect("reference")));
    }
    let sent = |app: &TestApp, template: &'static str| {
        app.db(move |c| {
            let by_status: Vec<(String, i64)> = outbox::table
                .filter(outbox::template.eq(template))
                .group_by(outbox::status)
                .select((outbox::status, diesel::dsl::count_star()))
                .load(c)
                .expect("outbox");
            by_status
        })
    };
    rel_wait_async(
        "both workers sent every email",
        Duration::from_secs(60),
        || (sent(&a, "verify_email") == vec![("sent".to_string(), N as i64)]).then_some(()),
    )
    .await;
    let mail_dir = a.data_dir.join("mail");
    let mut to = eml_recipients(&mail_dir);
    to.sort();
    let mut wanted: Vec<String> = (0..N).map(email).collect();
    wanted.sort();
    assert_eq!(to, wanted, "each email written exactly once");

    // N connector runs, queued alternately through each instance.
    a.exec("UPDATE requests SET status = 'email_verified'");
    for (i, id) in ids.iter().enumerate() {
        let app = if i % 2 == 0 { &a } else { &b };
        queue_run(&app.state, id, "find");
    }
    rel_wait_async("every run is done", Duration::from_secs(60), || {
        let done: i64 = a.db(|c| {
            connector_runs::table
                .filter(connector_runs::status.eq("done"))
                .count()
                .get_result(c)
                .expect("count")
        });
        (done == N as i64).then_some(())
    })
    .await;
    {
        let calls = receiver.calls.lock().unwrap();
        assert!(calls.iter().all(|c| c.verified && c.event == "find"));
        let mut subjects: Vec<String> = calls
            .iter()
            .map(|c| {
                c.body["subject"]["email"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string()
            })
            .collect();
        subjects.sort();
        assert_eq!(subjects, wanted, "the system saw each run exactly once");
    }
    let attempts: Vec<i64> = a.db(|c| {
        connector_runs::table
            .select(connector_runs::attempts)
            .load(c)
            .expect("runs")
    });
    assert_eq!(attempts, vec![1; N], "each run claimed once");
    for id in &ids {
        let id = id.clone();
        assert_eq!(a.db(move |c| done_events(c, &id)).len(), 1);
    }

    // Reminders: every request due in 7 days. A third instance starting up runs the
    // housekeeping pass on its own; then all three run it at once, several times.
    let soon = chrono::Utc::now().date_naive() + chrono::Duration::days(7);
    a.exec(&format!("UPDATE requests SET due_on = '{soon}'"));
    let c3 = cfg.clone();
    let c = rel_spawn_second(&a, move |s| s.connectors = vec![c3]).await;
    let reminder_rows = |app: &TestApp| -> i64 {
        app.db(|c| reminders::table.count().get_result(c).expect("count"))
    };
    rel_wait_async(
        "the starting instance's worker queued the reminders",
        Duration::from_secs(60),
        || (reminder_rows(&a) == N as i64).then_some(()),
    )
    .await;
    let barrier = Arc::new(std::sync::Barrier::new(3));
    let passes: Vec<JoinHandle<()>> = [&a, &b, &c]
        .iter()
        .map(|app| {
            let (state, barrier) = (app.state.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..3 {
                    dsar_portal::jobs::housekeeping(&state);
                }
            })
        })
        .collect();
    for p in passes {
        p.join().expect("housekeeping thread");
    }
    assert_eq!(reminder_rows(&a), N as i64, "one reminder key per request");
    rel_wait_async("every reminder sent", Duration::from_secs(60), || {
        (sent(&a, "staff_reminder") == vec![("sent".to_string(), N as i64)]).then_some(())
    })
    .await;
    let admin = &a.first_admin.0;
    let reminders_written = eml_recipients(&mail_dir)
        .iter()
        .filter(|t| *t == admin)
        .count();
    assert_eq!(
        reminders_written, N,
        "the only staff member got one reminder per request"
    );

    // While one instance holds the housekeeping lock, the others skip their pass.
    let url = a.state.settings.database_url.clone().expect("pg url");
    let mut holder = diesel::PgConnection::establish(&url).expect("connect");
    let lock = dsar_portal::jobs::HOUSEKEEPING_LOCK;
    diesel::sql_query(format!("SELECT pg_advisory_lock({lock})"))
        .execute(&mut holder)
        .expect("lock");
    assert!(
        !dsar_portal::jobs::housekeeping(&b.state),
        "skipped while held"
    );
    diesel::sql_query(format!("SELECT pg_advisory_unlock({lock})"))
        .execute(&mut holder)
        .expect("unlock");
    // (Another instance's own minute pass may take the lock first: try until b runs.)
    rel_wait(
        "b runs a pass once the lock is free",
        Duration::from_secs(30),
        || dsar_portal::jobs::housekeeping(&b.state).then_some(()),
    );

    // Filed and confirmed through one instance, seen through the others: the status
    // page on b, the staff request page on c (one verification email in all).
    let status = a
        .file_and_verify("eu", "access", "seen-everywhere@example.com")
        .await;
    let (s, page) = b.get(&status).await;
    assert_eq!(s, 200, "{page}");
    let staff = c.staff("handler").await;
    let (s, queue) = staff.get("/staff").await;
    assert_eq!(s, 200);
    let id = ids_not_in(&a, &ids);
    assert!(queue.contains(&id), "the request is in c's queue");
    let (s, page) = staff.get(&format!("/staff/requests/{id}")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("seen-everywhere@example.com"));
    assert!(a.db(audit_chain_holds));
    drop(c);
    drop(b);
}

/// The one request id not among `known`.
fn ids_not_in(app: &TestApp, known: &[String]) -> String {
    let all: Vec<String> = app.db(|c| requests::table.select(requests::id).load(c).expect("ids"));
    let mut new: Vec<String> = all.into_iter().filter(|i| !known.contains(i)).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    new.remove(0)
}

#[test]
fn a_connector_lease_no_longer_than_a_call_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = test_settings(dir.path());
    s.connectors = vec![shop_config("http://127.0.0.1:9/dsar", 30)];
    s.worker.connector_lease_seconds = 30;
    let err = s
        .check()
        .expect_err("a lease as long as the call is refused");
    assert!(err.to_string().contains("connector_lease_seconds"), "{err}");
    s.worker.connector_lease_seconds = 31;
    s.check().expect("a longer lease is fine");
}
