//! `GET /metrics`: Prometheus text format (version 0.0.4), written by hand.
//!
//! Two sources: gauges read from the database at each scrape (the same numbers for every
//! instance sharing the database) and this instance's HTTP latency histograms. Nothing
//! personal: counts by kind, status and channel only.
//!
//! Access: with `metrics.token_env`/`token_file` set, a client must send
//! `Authorization: Bearer <token>`; without a token only this machine may read the
//! endpoint (a loopback peer whose request carries no proxy forwarding header, since a
//! reverse proxy on the same machine makes every visitor look local). `metrics.enabled
//! = false` removes it.

use super::Ops;
use crate::db::schema::{connector_runs, drp_requests, outbox, requests};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::with_conn;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel::dsl::count_star;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use subtle::ConstantTimeEq;

/// Counts read from the database for one scrape.
struct Gauges {
    /// ((kind, status, source), count)
    requests: Vec<((String, String, String), i64)>,
    overdue: i64,
    /// (status, count) of emails not sent: "pending" (the backlog) and "failed".
    outbox: Vec<(String, i64)>,
    /// ((connector, action, status), count) of runs not done.
    connector_runs: Vec<((String, String, String), i64)>,
    /// DRP status callbacks whose last attempt failed.
    drp_callbacks_failing: i64,
}

pub async fn show(
    state: web::Data<AppState>,
    ops: web::Data<Ops>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    if !state.settings.metrics.enabled {
        return Err(AppError::NotFound);
    }
    if let Some(refusal) = refuse(&req, ops.metrics_token.as_deref()) {
        return Ok(refusal);
    }
    let today = crate::clock::now().date();
    let gauges = with_conn(&state, move |_, conn| Ok(read_gauges(conn, today)?)).await?;
    let mut out = String::with_capacity(8 * 1024);
    write_gauges(&mut out, &gauges);
    ops.http.write(&mut out);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out))
}

/// The token of an `Authorization: Bearer <token>` header. The scheme's name is
/// case-insensitive (RFC 7235 §2.1): `bearer` and `BEARER` are the same scheme.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

/// The answer for a client that may not read the metrics, or None when it may.
fn refuse(req: &HttpRequest, token: Option<&str>) -> Option<HttpResponse> {
    match token {
        Some(expected) => {
            let presented = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(bearer_token)
                .unwrap_or("");
            // Hashing first makes the comparison constant-time whatever the lengths.
            let same: bool = Sha256::digest(presented.trim().as_bytes())
                .ct_eq(&Sha256::digest(expected.as_bytes()))
                .into();
            (!same).then(|| {
                HttpResponse::Unauthorized()
                    .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
                    .content_type("text/plain; charset=utf-8")
                    .body("A bearer token is needed to read the metrics.\n")
            })
        }
        None => {
            let local = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
            let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
                .iter()
                .any(|h| req.headers().contains_key(*h));
            (!local || forwarded).then(|| {
                HttpResponse::Forbidden()
                    .content_type("text/plain; charset=utf-8")
                    .body(
                        "Metrics are served to this machine only. To read them from \
                         elsewhere, set metrics.token_env or metrics.token_file.\n",
                    )
            })
        }
    }
}

fn read_gauges(conn: &mut crate::db::DbConn, today: chrono::NaiveDate) -> QueryResult<Gauges> {
    let by = (requests::kind, requests::status, requests::source);
    let requests = requests::table
        .group_by(by)
        .select((by, count_star()))
        .load(conn)?;
    // Served by the partial index of open requests on (due_on, id).
    let overdue = requests::table
        .filter(requests::closed_at.is_null())
        .filter(requests::due_on.lt(today))
        .count()
        .get_result(conn)?;
    let outbox = outbox::table
        .filter(outbox::status.ne("sent"))
        .group_by(outbox::status)
        .select((outbox::status, count_star()))
        .load(conn)?;
    let by = (
        connector_runs::connector,
        connector_runs::action,
        connector_runs::status,
    );
    let connector_runs = connector_runs::table
        .filter(connector_runs::status.ne("done"))
        .group_by(by)
        .select((by, count_star()))
        .load(conn)?;
    let drp_callbacks_failing = drp_requests::table
        .filter(drp_requests::callback_error.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(Gauges {
        requests,
        overdue,
        outbox,
        connector_runs,
        drp_callbacks_failing,
    })
}

fn write_gauges(out: &mut String, g: &Gauges) {
    let name = "dsar_requests";
    gauge(
        out,
        name,
        "Requests stored, by kind, status and the channel they arrived by.",
    );
    for ((kind, status, source), n) in &g.requests {
        let series = labels(&[("kind", kind), ("status", status), ("source", source)]);
        let _ = writeln!(out, "{name}{{{series}}} {n}");
    }
    let name = "dsar_requests_overdue";
    gauge(out, name, "Open requests whose due date has passed.");
    let _ = writeln!(out, "{name} {}", g.overdue);
    let name = "dsar_outbox_emails";
    gauge(
        out,
        name,
        "Emails not sent: pending (the backlog, including retries) and failed (given up).",
    );
    for status in ["pending", "failed"] {
        let n = g
            .outbox
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "{name}{{{}}} {n}", labels(&[("status", status)]));
    }
    let name = "dsar_connector_runs";
    gauge(out, name, "Connector runs not done, by connector, action and status (pending, running, waiting, failed).");
    for ((connector, action, status), n) in &g.connector_runs {
        let series = labels(&[
            ("connector", connector),
            ("action", action),
            ("status", status),
        ]);
        let _ = writeln!(out, "{name}{{{series}}} {n}");
    }
    let name = "dsar_drp_callbacks_failing";
    gauge(
        out,
        name,
        "Data Rights Protocol status callbacks whose last attempt failed.",
    );
    let _ = writeln!(out, "{name} {}", g.drp_callbacks_failing);
}

/// A gauge's `# HELP` and `# TYPE` lines.
fn gauge(out: &mut String, name: &str, help: &str) {
    family(out, name, "gauge", help);
}

/// A family's `# HELP` and `# TYPE` lines.
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A series' labels, `name="value",…`, each value escaped.
pub fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", escape(value)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }
}
