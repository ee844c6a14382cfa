//! `dsar-portal records export --since DATE [--until DATE] [--out FILE]`: the CCPA §7101
//! record of requests as CSV, one row per request received in the range.
//!
//! §7101 asks for the date and nature of each request, the manner in which it was made,
//! and the date, nature and basis of the response, kept for 24 months. It needs no
//! personal information, so none is read here: no names, emails or identifiers (those
//! columns live in other tables and are encrypted anyway), only the reference. The
//! retention job (`jobs::retention`) removes personal data but keeps these columns, so
//! purged requests export like any other.
//!
//! Rows are read in batches by the keyset (received_at, id) — served by the
//! `requests_received` index — and written as they come: a million requests never sit
//! in memory at once.

use crate::config::Settings;
use crate::db::schema::{request_agents as ra, requests as r};
use crate::db::DbConn;
use crate::domain::authority::Authority;
use crate::domain::deadlines::Regime;
use crate::domain::decisions::{self, Outcome};
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::domain::source::Source;
use crate::domain::state::Status;
use anyhow::{bail, Context};
use chrono::{Days, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Rows read per query.
pub const BATCH: i64 = 1000;

/// The CSV columns, in order.
pub const HEADER: &[&str] = &[
    "reference",
    "received_at",
    "kind",
    "jurisdiction",
    "regime",
    "source",
    "gpc",
    "via_agent",
    "agent_authority",
    "status",
    "response",
    "responded_at",
    "denial_code",
    "denial_basis",
    "due_on",
    "extended",
    "on_time",
    "personal_data_removed_at",
];

/// Receipt dates from `since` to `until`, both included (UTC days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub since: NaiveDate,
    pub until: NaiveDate,
}

impl Range {
    /// `until` defaults to `today`; a range that ends before it starts is refused.
    pub fn new(
        since: NaiveDate,
        until: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Range, String> {
        let until = until.unwrap_or(today);
        if since > until {
            return Err(format!(
                "--since {since} is after --until {until}: the range would be empty"
            ));
        }
        Ok(Range { since, until })
    }

    fn start(&self) -> NaiveDateTime {
        self.since.and_time(chrono::NaiveTime::MIN)
    }

    /// The first instant after the range (midnight after `until`).
    fn end(&self) -> Option<NaiveDateTime> {
        self.until
            .checked_add_days(Days::new(1))
            .map(|d| d.and_time(chrono::NaiveTime::MIN))
    }
}

/// Parses a YYYY-MM-DD date from the command line, with a message saying what is expected.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date: write it as YYYY-MM-DD, e.g. 2026-01-31"))
}

/// One request as §7101 records it.
#[derive(Debug, Queryable)]
struct Record {
    id: String,
    reference: String,
    received_at: NaiveDateTime,
    kind: RequestKind,
    jurisdiction: Jurisdiction,
    regime: Regime,
    source: Source,
    gpc: bool,
    status: Status,
    outcome: Option<Outcome>,
    denial_code: Option<String>,
    responded_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    due_on: NaiveDate,
    extended: bool,
    purged_at: Option<NaiveDateTime>,
    agent_authority: Option<Authority>,
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn timestamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Record {
    /// The nature of the response: how the request ended, or empty while it is open.
    fn response(&self) -> String {
        match (self.status, self.outcome) {
            (Status::Fulfilled, Some(Outcome::Part)) => "fulfilled_in_part".into(),
            (Status::Fulfilled, _) => "fulfilled".into(),
            (Status::Denied | Status::Withdrawn | Status::ClosedUnverified, _) => {
                self.status.as_str().into()
            }
            _ => String::new(),
        }
    }

    /// When it was answered; a request closed without an answer (withdrawn, never
    /// verified) counts from its closing.
    fn response_time(&self) -> Option<NaiveDateTime> {
        self.responded_at.or(self.closed_at)
    }

    /// "yes"/"no" for an answered request, "no" for an open one already past due,
    /// "pending" for an open one still in time, empty when nothing was owed.
    fn on_time(&self, today: NaiveDate) -> &'static str {
        match (self.responded_at, self.closed_at) {
            (Some(at), _) => yes_no(at.date() <= self.due_on),
            (None, Some(_)) => "",
            (None, None) if today > self.due_on => "no",
            (None, None) => "pending",
        }
    }

    /// The reason's wording in English: the record is kept for regulators and auditors,
    /// whatever language the pages speak.
    fn denial_basis(&self) -> String {
        let reason = self
            .denial_code
            .as_deref()
            .and_then(|code| decisions::denial_reason(self.regime, code));
        reason
            .map(|r| crate::i18n::english().text(r.label_key, &[]))
            .unwrap_or_default()
    }

    fn fields(&self, today: NaiveDate) -> [String; 18] {
        [
            self.reference.clone(),
            timestamp(self.received_at),
            self.kind.as_str().into(),
            self.jurisdiction.as_str().into(),
            self.regime.as_str().into(),
            self.source.as_str().into(),
            yes_no(self.gpc).into(),
            yes_no(self.agent_authority.is_some()).into(),
            self.agent_authority
                .map(|a| a.as_str().to_string())
                .unwrap_or_default(),
            self.status.as_str().into(),
            self.response(),
            self.response_time().map(timestamp).unwrap_or_default(),
            self.denial_code.clone().unwrap_or_default(),
            self.denial_basis(),
            self.due_on.to_string(),
            yes_no(self.extended).into(),
            self.on_time(today).into(),
            self.purged_at.map(timestamp).unwrap_or_default(),
        ]
    }
}

/// The next batch of requests received in the range, strictly after `after`.
fn batch(
    conn: &mut DbConn,
    range: &Range,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Record>> {
    let mut q = r::table
        .left_join(ra::table)
        .filter(r::received_at.ge(range.start()))
        .select((
            r::id,
            r::reference,
            r::received_at,
            r::kind,
            r::jurisdiction,
            r::regime,
            r::source,
            r::gpc,
            r::status,
            r::outcome,
            r::denial_code,
            r::responded_at,
            r::closed_at,
            r::due_on,
            r::extended,
            r::purged_at,
            ra::authority.nullable(),
        ))
        .into_boxed();
    if let Some(end) = range.end() {
        q = q.filter(r::received_at.lt(end));
    }
    if let Some((at, id)) = after {
        // The plain bound lets the index start at the cursor; the OR alone would make
        // SQLite scan from the start of the range on every batch.
        q = q.filter(r::received_at.ge(*at)).filter(
            r::received_at
                .gt(*at)
                .or(r::received_at.eq(*at).and(r::id.gt(id.clone()))),
        );
    }
    q.order((r::received_at.asc(), r::id.asc()))
        .limit(limit)
        .load(conn)
}

/// Writes the header and every request of the range to `out`; returns the row count.
pub fn write_csv(
    conn: &mut DbConn,
    range: &Range,
    out: impl Write,
    batch_size: i64,
    today: NaiveDate,
) -> anyhow::Result<u64> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(HEADER)?;
    let mut after = None;
    let mut rows = 0u64;
    loop {
        let records = batch(conn, range, after.as_ref(), batch_size)?;
        for record in &records {
            csv.write_record(record.fields(today))?;
        }
        rows += records.len() as u64;
        match records.last() {
            Some(last) if records.len() as i64 == batch_size => {
                after = Some((last.received_at, last.id.clone()))
            }
            _ => break,
        }
    }
    csv.flush().context("could not write the records")?;
    Ok(rows)
}

/// Exports the range to `out` (a new file, mode 0600) or to stdout, then audits the
/// export: who (the command line), the range and the row count.
pub fn export(settings: &Settings, range: &Range, out: Option<&Path>) -> anyhow::Result<u64> {
    let (pool, _) = crate::prepare_database(settings)?;
    let mut conn = pool.get()?;
    let today = crate::clock::now().date();
    let rows = match out {
        None => write_csv(&mut conn, range, std::io::stdout().lock(), BATCH, today)?,
        Some(path) => {
            if path.exists() {
                bail!(
                    "{} already exists; choose a new file name (an export never overwrites)",
                    path.display()
                );
            }
            // Created 0600 and never over an existing file: the record is confidential.
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            match write_csv(
                &mut conn,
                range,
                std::io::BufWriter::new(file),
                BATCH,
                today,
            ) {
                Ok(n) => n,
                Err(e) => {
                    // A half-written record must not pass for a whole one.
                    let _ = fs::remove_file(path);
                    return Err(e);
                }
            }
        }
    };
    super::audit_operator_task(
        &mut conn,
        "records_exported",
        json!({
            "since": range.since, "until": range.until, "rows": rows,
            "to": if out.is_some() { "file" } else { "stdout" }}),
        crate::clock::now(),
    )?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).expect("date")
    }

    #[test]
    fn dates_are_checked_with_a_message() {
        assert!(parse_date("2026-02-30").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_date("31/01/2026").is_err());
        let today = d("2026-03-01");
        let err = Range::new(d("2026-02-01"), Some(d("2026-01-01")), today).unwrap_err();
        assert!(err.contains("after"), "{err}");
        let r = Range::new(d("2026-01-01"), None, today).expect("range");
        assert_eq!(r.until, today, "until defaults to today");
        assert_eq!(r.end().map(|e| e.date()), Some(d("2026-03-02")));
        assert!(Range::new(d("2026-01-01"), Some(NaiveDate::MAX), today)
            .expect("range")
            .end()
            .is_none());
    }
}
