//! A generic signed webhook: lets an organisation hook any system to the portal.
//!
//! # Wire contract (version 1)
//!
//! For every call the portal sends one `POST` to the connector's `base_url`:
//!
//! ```text
//! Content-Type: application/json
//! X-DSAR-Timestamp: <unix seconds, decimal>
//! X-DSAR-Signature: v1=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
//! ```
//!
//! The signature covers the exact bytes of the body, prefixed by the timestamp header
//! value and a dot. A receiver must compute it over the raw body (before any JSON
//! parsing), compare it in constant time, and reject timestamps further than 300 seconds
//! from its own clock, so that a captured request cannot be replayed later. [`verify`]
//! does all of that and is what the portal itself uses for callbacks coming back in.
//!
//! Bodies, one per event:
//!
//! ```text
//! {"event":"find",    "connector":<name>, "run_id":<uuid>, "subject":{<kind>:<value>, …}}
//! {"event":"export",  "connector":<name>, "run_id":<uuid>, "matches":<refs from find>}
//! {"event":"erase",   "connector":<name>, "run_id":<uuid>, "matches":<refs from find>}
//! {"event":"opt_out", "connector":<name>, "run_id":<uuid>, "subject":{<kind>:<value>, …}}
//! {"event":"ping"}                                         (check-config only)
//! ```
//!
//! `run_id` is new for every call. `subject` holds the request's verified identities by
//! kind ("email", "account_id", …; blank ones are left out) and nothing else; export and
//! erase carry no identity at all, only the `refs` the system itself returned from find,
//! unchanged, so that it exports or erases exactly what staff previewed.
//!
//! Answers, `200 OK` with a JSON body:
//!
//! ```text
//! find:    {"keys":[{"key":"account_id","strength":"strong"|"weak","records":3}],
//!           "counts":{"orders":3}, "refs":<anything>, "first_seen":null|"…", "last_seen":null|"…"}
//! export:  {"tables":{"orders":[{…}, …]}}
//! erase:   {"deleted":{"orders":3}, "follow_up":["…"]}      (follow_up may be omitted)
//! opt_out: {"opt_out":"done"|"unsupported"}
//! ping:    any 2xx
//! ```
//!
//! Only `keys` (find), `tables` (export), `deleted` (erase) and `opt_out` are required.
//! Export and erase are only ever sent when a strong key matched; erase must be
//! idempotent (a second erase of the same refs answers `"deleted":{"orders":0}`).
//!
//! `202 Accepted` means the system will answer later with a signed callback: a `POST` to
//! `/api/v1/connectors/<name>/callback` on the portal, signed the same way with the same
//! secret, whose JSON body holds the `run_id` of the call it answers, its `event`, and the
//! fields of the answer above (e.g. `{"run_id":…,"event":"erase","deleted":{…}}`). The
//! run waits until then; a callback is accepted once (a replay finds nothing waiting).
//!
//! Any other answer is an error: no answer, a timeout, 408, 429 or 5xx are temporary
//! (retried); redirects and other 4xx are permanent (a 401 usually means the two sides
//! hold different secrets); a 200 whose body does not parse is permanent. Redirects are
//! never followed, so personal data only ever goes to the configured address. Error
//! messages never include the secret, the URL or anything from the request or answer
//! bodies.

use super::Answer;
use super::{
    Connector, ConnectorError, ErasureReport, KeyMatch, Matches, OptOutOutcome, Records, Subject,
};
use crate::config::ConnectorConfig;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;
use subtle::ConstantTimeEq;

pub const TIMESTAMP_HEADER: &str = "X-DSAR-Timestamp";
pub const SIGNATURE_HEADER: &str = "X-DSAR-Signature";
/// How far a signed timestamp may be from the receiver's clock, either way.
pub const DEFAULT_REPLAY_WINDOW_SECS: i64 = 300;

const SIGNATURE_VERSION: &str = "v1=";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-DSAR-Signature` value for `body` sent at `timestamp` (unix seconds):
/// `v1=` and the lowercase hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!("{SIGNATURE_VERSION}{}", hex::encode(tag))
}

/// Checks a signed request: the timestamp is a whole number of unix seconds within
/// `window_secs` of `now` (either way; use [`DEFAULT_REPLAY_WINDOW_SECS`]) and the
/// signature is `v1=<hex>` matching [`sign`] over exactly these bytes. The comparison
/// is constant-time. Pure: the caller supplies the clock.
pub fn verify(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    window_secs: i64,
) -> bool {
    let timestamp_text = timestamp_header.trim();
    let Ok(timestamp) = timestamp_text.parse::<i64>() else {
        return false;
    };
    // Only the canonical decimal form that `sign` produces ("+17…" or "017…" is refused).
    if timestamp_text != timestamp.to_string() {
        return false;
    }
    if window_secs < 0 || timestamp.abs_diff(now) > window_secs.unsigned_abs() {
        return false;
    }
    let Some(hex_tag) = signature_header.trim().strip_prefix(SIGNATURE_VERSION) else {
        return false;
    };
    let Ok(given) = hex::decode(hex_tag) else {
        return false;
    };
    let expected = mac(secret, timestamp_text, body).finalize().into_bytes();
    bool::from(expected.as_slice().ct_eq(&given))
}

/// The connector for `kind = "webhook"`.
///
/// Synchronous: it uses reqwest's blocking client, which runs its own runtime. Callers
/// must call `find`, `export`, `erase`, `opt_out` and `check` from a plain thread (the
/// worker's job threads, `spawn_blocking`), never from inside an async runtime, where
/// blocking would panic. Building it is fine anywhere: the HTTP client is only created
/// on the first call, on the caller's thread.
pub struct Webhook {
    name: String,
    url: reqwest::Url,
    secret: Vec<u8>,
    timeout: Duration,
    client: OnceLock<reqwest::blocking::Client>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Copy)]
enum Event {
    Find,
    Export,
    Erase,
    OptOut,
}

impl Event {
    fn as_str(self) -> &'static str {
        match self {
            Event::Find => "find",
            Event::Export => "export",
            Event::Erase => "erase",
            Event::OptOut => "opt_out",
        }
    }
}

#[derive(Deserialize)]
struct FindAnswer {
    keys: Vec<KeyMatch>,
    #[serde(default)]
    counts: BTreeMap<String, u64>,
    #[serde(default)]
    refs: Json,
    #[serde(default)]
    first_seen: Option<String>,
    #[serde(default)]
    last_seen: Option<String>,
}

#[derive(Deserialize)]
struct ExportAnswer {
    tables: BTreeMap<String, Vec<Map<String, Json>>>,
}

#[derive(Deserialize)]
struct EraseAnswer {
    deleted: BTreeMap<String, u64>,
    #[serde(default)]
    follow_up: Vec<String>,
}

#[derive(Deserialize)]
struct OptOutAnswer {
    opt_out: OptOutOutcome,
}

impl Webhook {
    /// `secret` is the signing secret (from `ConnectorConfig::secret_token`).
    pub fn new(cfg: &ConnectorConfig, secret: &str) -> Result<Webhook, ConnectorError> {
        let permanent = |what: &str| super::http::permanent(cfg, what);
        let url = super::http::base_url(cfg, "base_url (the webhook endpoint) is not set")?;
        if secret.trim().is_empty() {
            return Err(permanent("the webhook signing secret is empty"));
        }
        if cfg.timeout_seconds == 0 {
            return Err(permanent("timeout_seconds must be at least 1"));
        }
        Ok(Webhook {
            name: cfg.name.clone(),
            url,
            secret: secret.as_bytes().to_vec(),
            timeout: Duration::from_secs(cfg.timeout_seconds),
            client: OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, ConnectorError> {
        super::http::client(&self.client, self.timeout)
    }

    fn envelope(&self, event: Event) -> Map<String, Json> {
        let mut body = Map::new();
        body.insert("event".into(), json!(event.as_str()));
        body.insert("connector".into(), json!(self.name));
        body.insert("run_id".into(), json!(crate::clock::new_id()));
        body
    }

    /// The `run_id` of a body built by `envelope`, which a later callback names.
    fn call_id(body: &[u8]) -> String {
        serde_json::from_slice::<Json>(body)
            .ok()
            .and_then(|v| v.get("run_id").and_then(Json::as_str).map(str::to_string))
            .unwrap_or_default()
    }

    fn subject_body(&self, event: Event, subject: &Subject) -> Result<Vec<u8>, ConnectorError> {
        let identities: Map<String, Json> = subject
            .identities
            .keys()
            .filter_map(|kind| subject.get(kind).map(|v| (kind.clone(), json!(v))))
            .collect();
        if identities.is_empty() {
            return Err(ConnectorError::Permanent(
                "the request has no verified identity to send to the system".into(),
            ));
        }
        let mut body = self.envelope(event);
        body.insert("subject".into(), Json::Object(identities));
        to_bytes(&body)
    }

    fn matches_body(&self, event: Event, matches: &Matches) -> Result<Vec<u8>, ConnectorError> {
        if !matches.actionable() {
            return Err(ConnectorError::Permanent(
                "no strong key matched; nothing is exported or erased on a weak key alone".into(),
            ));
        }
        let mut body = self.envelope(event);
        body.insert("matches".into(), matches.refs.clone());
        to_bytes(&body)
    }

    /// Signs and posts `body`; the status and the raw answer.
    fn post(&self, body: Vec<u8>) -> Result<(reqwest::StatusCode, Vec<u8>), ConnectorError> {
        let client = self.client()?;
        let timestamp = crate::clock::now().and_utc().timestamp();
        let signature = sign(&self.secret, timestamp, &body);
        let response = client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let answer = response.bytes().map_err(|e| self.transport_error(&e))?;
        Ok((status, answer.to_vec()))
    }

    /// reqwest's own messages name the URL, so they are not passed on.
    fn transport_error(&self, e: &reqwest::Error) -> ConnectorError {
        if e.is_timeout() {
            ConnectorError::Temporary(format!(
                "the webhook endpoint did not answer within {} s",
                self.timeout.as_secs()
            ))
        } else if e.is_connect() {
            ConnectorError::Temporary("cannot connect to the webhook endpoint".into())
        } else if e.is_builder() {
            ConnectorError::Permanent("the webhook request could not be built".into())
        } else {
            ConnectorError::Temporary("the connection to the webhook endpoint failed".into())
        }
    }

    /// One call of the contract: a 200 parsed as `T`, everything else an error.
    fn call<T: DeserializeOwned>(&self, body: Vec<u8>) -> Result<T, ConnectorError> {
        let call_id = Self::call_id(&body);
        let (status, answer) = self.post(body)?;
        match status.as_u16() {
            200 => serde_json::from_slice(&answer).map_err(|_| unexpected_format()),
            202 => Err(ConnectorError::Accepted { call_id }),
            _ => Err(status_error(status)),
        }
    }
}

/// Parses an answer to `event` ("find", "export", "erase", "opt_out").
pub fn parse_answer(event: &str, body: &[u8]) -> Result<Answer, ConnectorError> {
    let bad = |_| unexpected_format();
    Ok(match event {
        "find" => {
            let a: FindAnswer = serde_json::from_slice(body).map_err(bad)?;
            Answer::Find(Matches {
                keys: a.keys,
                counts: a.counts,
                first_seen: a.first_seen,
                last_seen: a.last_seen,
                refs: a.refs,
                ..Matches::default()
            })
        }
        "export" => {
            let a: ExportAnswer = serde_json::from_slice(body).map_err(bad)?;
            Answer::Export(Records {
                tables: a.tables,
                ..Default::default()
            })
        }
        "erase" => {
            let a: EraseAnswer = serde_json::from_slice(body).map_err(bad)?;
            Answer::Erase(ErasureReport {
                deleted: a.deleted,
                follow_up: a.follow_up,
                ..Default::default()
            })
        }
        "opt_out" => {
            let a: OptOutAnswer = serde_json::from_slice(body).map_err(bad)?;
            Answer::OptOut(a.opt_out)
        }
        _ => return Err(unexpected_format()),
    })
}

fn to_bytes(body: &Map<String, Json>) -> Result<Vec<u8>, ConnectorError> {
    serde_json::to_vec(body)
        .map_err(|_| ConnectorError::Permanent("the webhook body could not be written".into()))
}

fn unexpected_format() -> ConnectorError {
    ConnectorError::Permanent("the system answered in an unexpected format".into())
}

/// Any status but the 200 and 202 of the contract.
fn status_error(status: reqwest::StatusCode) -> ConnectorError {
    let code = status.as_u16();
    match code {
        408 | 429 | 500..=599 => {
            ConnectorError::Temporary(format!("the webhook endpoint answered HTTP {code}"))
        }
        401 | 403 => ConnectorError::Permanent(format!(
            "the webhook endpoint refused the request (HTTP {code}); check that both sides \
             use the same signing secret and that the clocks agree"
        )),
        300..=399 => ConnectorError::Permanent(format!(
            "the webhook endpoint answered with a redirect (HTTP {code}); set base_url to \
             the final address"
        )),
        200..=299 => unexpected_format(),
        _ => ConnectorError::Permanent(format!("the webhook endpoint answered HTTP {code}")),
    }
}

impl Connector for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    fn find(&self, subject: &Subject) -> Result<Matches, ConnectorError> {
        let answer: FindAnswer = self.call(self.subject_body(Event::Find, subject)?)?;
        Ok(Matches {
            keys: answer.keys,
            counts: answer.counts,
            first_seen: answer.first_seen,
            last_seen: answer.last_seen,
            refs: answer.refs,
            ..Matches::default()
        })
    }

    fn export(&self, matches: &Matches) -> Result<Records, ConnectorError> {
        let answer: ExportAnswer = self.call(self.matches_body(Event::Export, matches)?)?;
        Ok(Records {
            tables: answer.tables,
            ..Default::default()
        })
    }

    fn erase(&self, matches: &Matches) -> Result<ErasureReport, ConnectorError> {
        let answer: EraseAnswer = self.call(self.matches_body(Event::Erase, matches)?)?;
        Ok(ErasureReport {
            deleted: answer.deleted,
            follow_up: answer.follow_up,
            ..Default::default()
        })
    }

    fn opt_out(&self, subject: &Subject) -> Result<OptOutOutcome, ConnectorError> {
        let answer: OptOutAnswer = self.call(self.subject_body(Event::OptOut, subject)?)?;
        Ok(answer.opt_out)
    }

    fn check(&self) -> Result<(), ConnectorError> {
        let body = to_bytes(&Map::from_iter([("event".to_string(), json!("ping"))]))?;
        let (status, _) = self.post(body)?;
        if status.is_success() {
            Ok(())
        } else {
            Err(status_error(status))
        }
    }
}
