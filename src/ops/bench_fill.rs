//! `dsar-portal bench-fill` (a hidden command): fills the configured database with
//! realistic requests, so the load benchmark (`bench/load/run.sh`) and anyone
//! reproducing docs/PERFORMANCE.md from a release binary start from a large database.
//!
//! Each request is what the portal itself leaves behind once its emails have gone: the
//! row with its details encrypted, the name and email encrypted (the email with its
//! blind index), its links (hashes only), one audit event per step in one valid hash
//! chain, and its emails sent, their bodies already reduced to the stub that
//! `mail::sent_bodies` leaves. Steps follow `domain::state`, so no row holds a status
//! the portal could not have reached. Open requests were received in the last 40 days,
//! so their due dates run from overdue to weeks ahead; closed ones over three years.
//! Requests still waiting for their email link were received within the last day, so
//! the worker does not start closing thousands of them while a benchmark runs.
//!
//! The rows are built with the portal's own cipher, blind index, deadlines and chain
//! hash, and written with multi-row INSERTs, `BATCH` requests per transaction: the
//! intake flow stores one request at a time, about 2 ms of round trips each on
//! PostgreSQL, which makes minutes of 50,000.

use crate::config::Settings;
use crate::crypto::{tokens, BlindIndexer, FieldCipher, Keys};
use crate::db::insert_rows;
use crate::db::models::audit::{self, AuditRow};
use crate::db::models::identities::{IdentityRow, VALUE_CONTEXT};
use crate::db::models::outbox::{OutboxRow, MESSAGE_CONTEXT};
use crate::db::models::requests::{NewRequest, RequestRow, DETAILS_CONTEXT};
use crate::db::models::tokens::{Purpose, TokenRow};
use crate::db::schema::{outbox, request_identities, requests, staff, tokens as token_table};
use crate::db::{self, DbConn};
use crate::domain::deadlines::{self, Holidays};
use crate::domain::decisions::{Outcome, VerificationLevel};
use crate::domain::intake::RequestDetails;
use crate::domain::kinds::{Jurisdiction, RequestKind};
use crate::domain::source::Source;
use crate::domain::state::{Event, Status};
use crate::flows::actors;
use crate::flows::handling::RESPONSE_CONTEXT;
use crate::flows::reference::reference_from;
use crate::sensitive::mask_email;
use chrono::{Duration, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Requests per transaction: large enough to amortise the commit, small enough that
/// the rows of one batch stay a few megabytes.
const BATCH: usize = 2000;
/// Rows per INSERT: the widest table (`requests`, 32 columns) stays far below
/// PostgreSQL's 65,535 parameters per statement.
const ROWS_PER_INSERT: usize = 500;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub requests: u64,
    /// The share (0.0–1.0) of the requests still open; the rest are closed.
    pub open_share: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filled {
    pub requests: u64,
    pub open: u64,
    pub audit_events: u64,
    pub emails: u64,
}

/// Where a request ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    AwaitingEmail,
    EmailVerified,
    InProgress,
    Fulfilled,
    ClosedUnverified,
}

struct Shape {
    received_at: NaiveDateTime,
    kind: RequestKind,
    jurisdiction: Jurisdiction,
    source: Source,
    fate: Fate,
}

/// Fills the database named by `settings` (migrated first; keys created when missing).
pub fn fill(settings: &Settings, options: &Options) -> anyhow::Result<Filled> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&options.open_share),
        "--open-share must be between 0 and 1"
    );
    crate::ensure_data_dir(settings)?;
    let (keys, _) = Keys::load(&settings.key_sources())?;
    let (pool, _) = crate::prepare_database(settings)?;
    let mut conn = pool.get()?;
    let staff_actor = staff::table
        .select(staff::id)
        .order(staff::created_at.asc())
        .first::<String>(&mut conn)
        .optional()?
        .map_or_else(|| actors::SYSTEM.to_string(), |id| format!("staff:{id}"));
    let tools = Tools {
        cipher: FieldCipher::with_previous(&keys.data, &keys.previous_data),
        indexer: BlindIndexer::new(&keys.index),
        holidays: settings.holiday_calendar(),
        staff_actor,
        close_unverified_after_days: settings.verification.close_unverified_after_days,
        mail_domain: settings
            .mail
            .from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').to_string())
            .unwrap_or_else(|| "localhost".into()),
    };
    let now = crate::clock::now();
    let mut rng = StdRng::from_entropy();
    let shapes = shapes(options, now, &mut rng);
    let mut filled = Filled::default();
    for part in shapes.chunks(BATCH) {
        let mut rows = Rows::default();
        for shape in part {
            build(&tools, shape, now, &mut rng, &mut rows);
        }
        write(&mut conn, &mut rows, &mut rng)?;
        if let DbConn::Sqlite(c) = &mut *conn {
            // The portal's connections leave checkpoints to the server's checkpointer;
            // without one the fill's WAL would grow to the whole fill and slow each
            // batch down more than the last.
            c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")?;
        }
        filled.requests += rows.requests.len() as u64;
        filled.open += rows.requests.iter().filter(|r| r.status.is_open()).count() as u64;
        filled.audit_events += rows.events.len() as u64;
        filled.emails += rows.outbox.len() as u64;
    }
    if let DbConn::Pg(pg) = &mut *conn {
        // Autovacuum would analyse the new rows at a moment of its choosing, perhaps in
        // the middle of a measurement; SQLite is left as the portal leaves it (no ANALYZE).
        diesel::sql_query("ANALYZE").execute(pg)?;
    }
    super::audit_operator_task(
        &mut conn,
        "bench_filled",
        json!({"requests": filled.requests, "open": filled.open}),
        crate::clock::now(),
    )?;
    Ok(filled)
}

/// Receipt times, kinds and fates; sorted by receipt so the audit chain runs roughly
/// in time order. Exactly `open_share` of them (rounded) stay open, spread evenly.
fn shapes(options: &Options, now: NaiveDateTime, rng: &mut StdRng) -> Vec<Shape> {
    let n = options.requests;
    let mut out: Vec<Shape> = (0..n)
        .map(|i| {
            let open = ((i + 1) as f64 * options.open_share).floor()
                > (i as f64 * options.open_share).floor();
            let jurisdiction = match rng.gen_range(0..20) {
                0..=7 => Jurisdiction::Eu,
                8..=9 => Jurisdiction::Uk,
                10..=16 => Jurisdiction::California,
                _ => Jurisdiction::UsOther,
            };
            let kind = match rng.gen_range(0..20) {
                0..=7 => RequestKind::Access,
                8..=14 => RequestKind::Deletion,
                15..=16 => RequestKind::Correction,
                // Opt-out where the law gives it, otherwise an access request.
                _ if jurisdiction.offers(RequestKind::OptOut) => RequestKind::OptOut,
                _ => RequestKind::Access,
            };
            let (fate, age_minutes) = match (open, kind, rng.gen_range(0..10)) {
                (true, RequestKind::OptOut, _) => (Fate::InProgress, rng.gen_range(0..57_600)),
                (true, _, 0..=1) => (Fate::AwaitingEmail, rng.gen_range(0..1_200)),
                (true, _, 2..=5) => (Fate::EmailVerified, rng.gen_range(0..57_600)),
                (true, _, _) => (Fate::InProgress, rng.gen_range(0..57_600)),
                (false, k, 0) if k.needs_verification() => {
                    (Fate::ClosedUnverified, rng.gen_range(86_400..1_576_800))
                }
                (false, _, _) => (Fate::Fulfilled, rng.gen_range(86_400..1_576_800)),
            };
            Shape {
                received_at: now - Duration::minutes(age_minutes) - Duration::seconds(1),
                kind,
                jurisdiction,
                source: if rng.gen_bool(0.8) {
                    Source::Web
                } else {
                    Source::Api
                },
                fate,
            }
        })
        .collect();
    out.sort_by_key(|s| s.received_at);
    out
}

struct Tools {
    cipher: FieldCipher,
    indexer: BlindIndexer,
    holidays: Holidays,
    staff_actor: String,
    close_unverified_after_days: i64,
    mail_domain: String,
}

/// An audit event before its place in the chain is known.
struct PendingEvent {
    request_id: String,
    actor: String,
    action: &'static str,
    from: Option<Status>,
    to: Option<Status>,
    detail: Value,
    at: NaiveDateTime,
}

#[derive(Default)]
struct Rows {
    requests: Vec<RequestRow>,
    identities: Vec<IdentityRow>,
    tokens: Vec<TokenRow>,
    outbox: Vec<OutboxRow>,
    events: Vec<PendingEvent>,
}

/// One request's rows, step by step as the flows would have written them.
fn build(tools: &Tools, shape: &Shape, now: NaiveDateTime, rng: &mut StdRng, rows: &mut Rows) {
    let t0 = shape.received_at;
    let dl = deadlines::compute(
        shape.jurisdiction.regime(),
        shape.kind.track(),
        t0.date(),
        0,
        &tools.holidays,
    );
    let details = RequestDetails {
        details: "Please send me everything you hold about me.".into(),
        ..RequestDetails::default()
    };
    let details = serde_json::to_string(&details).unwrap_or_default();
    let mut row = RequestRow::new(
        NewRequest {
            reference: reference_from(rng),
            kind: shape.kind,
            jurisdiction: shape.jurisdiction,
            status: Status::Submitted,
            source: shape.source,
            received_at: t0,
            due_on: dl.respond_by,
            acknowledge_by: dl.acknowledge_by,
            details_enc: tools.cipher.encrypt(DETAILS_CONTEXT, &details),
            submission_key: tokens::hash(&crate::clock::new_id()),
            language: None,
        },
        t0,
    );
    let id = row.id.clone();
    let email = format!("fill-{}@example.com", &id[id.len() - 12..]);
    for (kind, value, index) in [
        (
            "email",
            email.as_str(),
            Some(tools.indexer.index("email", &email)),
        ),
        ("name", "Fill Person", None),
    ] {
        rows.identities.push(IdentityRow {
            id: crate::clock::new_id(),
            request_id: id.clone(),
            kind: kind.into(),
            value_enc: tools.cipher.encrypt(VALUE_CONTEXT, value),
            blind_index: index,
            created_at: t0,
        });
    }
    let mut history = History {
        tools,
        rows,
        email: &email,
    };
    let filer = match shape.source {
        Source::Api => actors::API,
        _ => actors::CONSUMER,
    };
    history.event(
        &row,
        filer,
        "request_submitted",
        (None, Some(Status::Submitted)),
        json!({
            "kind": row.kind, "jurisdiction": row.jurisdiction, "regime": row.regime,
            "source": row.source, "gpc": false, "due_on": row.due_on,
            "acknowledge_by": row.acknowledge_by, "agent_authority": null, "entered": null,
        }),
        t0,
    );
    let staff = tools.staff_actor.as_str();
    let mut at = t0;
    if shape.kind.needs_verification() {
        let verified = shape.fate != Fate::AwaitingEmail && shape.fate != Fate::ClosedUnverified;
        let clicked = later(rng, at, 120, now);
        history.link(
            &id,
            Purpose::VerifyEmail,
            at,
            24 * 60,
            verified.then_some(clicked),
        );
        history.email(&id, "verify_email", at);
        if shape.fate == Fate::ClosedUnverified {
            at += Duration::days(tools.close_unverified_after_days);
            let detail =
                json!({"after_days": tools.close_unverified_after_days, "documents_deleted": 0});
            history.step(
                &mut row,
                Event::VerificationExpired,
                actors::SYSTEM,
                "closed_unverified",
                detail,
                at,
            );
            history.email(&id, "request_closed_unverified", at);
        }
        if verified {
            at = clicked;
            let detail = json!({"method": "email_link"});
            history.step(
                &mut row,
                Event::EmailVerified,
                actors::CONSUMER,
                "email_verified",
                detail,
                at,
            );
            row.verified_at = Some(at);
            history.link(&id, Purpose::Status, at, 60 * 24 * 90, None);
            history.email(&id, "request_confirmed", at);
        }
        if matches!(shape.fate, Fate::InProgress | Fate::Fulfilled) {
            at = later(rng, at, 3 * 24 * 60, now);
            let level = VerificationLevel::from_points(2, false);
            let detail = json!({"method": "data_points", "points": ["name", "account_id"],
                "declaration": false, "level": level});
            row.verification_level = Some(level);
            row.verification_detail = Some(detail.to_string());
            history.step(
                &mut row,
                Event::IdentityConfirmed,
                staff,
                "identity_verified",
                detail,
                at,
            );
            history.notice(&id, "identity_verified", at);
        }
    } else {
        // Opt-out of sale/sharing: work starts at once (CCPA §7026).
        let detail = json!({"reason": "opt_out_needs_no_verification", "gpc": false});
        let system = actors::SYSTEM;
        history.step(
            &mut row,
            Event::AcceptedWithoutVerification,
            system,
            "accepted_without_verification",
            detail,
            at,
        );
        history.link(&id, Purpose::Status, at, 60 * 24 * 90, None);
        history.email(&id, "opt_out_received", at);
    }
    if shape.fate == Fate::Fulfilled {
        at = later(rng, at, 20 * 24 * 60, now);
        let outcome = Outcome::of(false);
        row.outcome = Some(outcome);
        row.responded_at = Some(at);
        row.response_enc = Some(tools.cipher.encrypt(
            RESPONSE_CONTEXT,
            "Your request is complete: the download link follows by email.",
        ));
        history.step(
            &mut row,
            Event::Fulfilled,
            staff,
            "fulfilled",
            json!({"outcome": outcome}),
            at,
        );
        history.notice(&id, "fulfilled", at);
    }
    rows.requests.push(row);
}

/// A time after `after` by up to `max_minutes`, and before `now`.
fn later(
    rng: &mut StdRng,
    after: NaiveDateTime,
    max_minutes: i64,
    now: NaiveDateTime,
) -> NaiveDateTime {
    let room = (now - after).num_seconds().clamp(1, max_minutes * 60);
    after + Duration::seconds(rng.gen_range(0..room))
}

/// Appends one request's events, links and emails to the batch.
struct History<'a> {
    tools: &'a Tools,
    rows: &'a mut Rows,
    email: &'a str,
}

impl History<'_> {
    fn event(
        &mut self,
        row: &RequestRow,
        actor: &str,
        action: &'static str,
        (from, to): (Option<Status>, Option<Status>),
        detail: Value,
        at: NaiveDateTime,
    ) {
        self.rows.events.push(PendingEvent {
            request_id: row.id.clone(),
            actor: actor.to_string(),
            action,
            from,
            to,
            detail,
            at,
        });
    }

    /// A status change through the state machine, as `flows::request_change::step`.
    fn step(
        &mut self,
        row: &mut RequestRow,
        event: Event,
        actor: &str,
        action: &'static str,
        detail: Value,
        at: NaiveDateTime,
    ) {
        let from = row.status;
        // The shapes above only take legal steps; a refused one would be a bug here.
        let to = from
            .transition(event)
            .unwrap_or_else(|_| panic!("bench-fill took an illegal step {from:?} {event:?}"));
        row.status = to;
        row.version += 1;
        row.updated_at = at;
        if !to.is_open() {
            row.closed_at = Some(at);
        }
        self.event(row, actor, action, (Some(from), Some(to)), detail, at);
    }

    fn link(
        &mut self,
        request_id: &str,
        purpose: Purpose,
        at: NaiveDateTime,
        valid_minutes: i64,
        used_at: Option<NaiveDateTime>,
    ) {
        self.rows.tokens.push(TokenRow {
            id: crate::clock::new_id(),
            request_id: request_id.to_string(),
            purpose: purpose.as_str().into(),
            token_hash: tokens::generate().hash,
            expires_at: at + Duration::minutes(valid_minutes),
            used_at,
            created_at: at,
        });
    }

    /// A sent email whose body was already replaced by its stub.
    fn email(&mut self, request_id: &str, template: &str, at: NaiveDateTime) {
        let message_id = format!("<{}@{}>", crate::clock::new_id(), self.tools.mail_domain);
        let stub = json!({"to_masked": mask_email(self.email), "message_id": message_id});
        self.rows.outbox.push(OutboxRow {
            id: crate::clock::new_id(),
            request_id: Some(request_id.to_string()),
            template: template.into(),
            message_enc: self
                .tools
                .cipher
                .encrypt(MESSAGE_CONTEXT, &stub.to_string()),
            status: "sent".into(),
            attempts: 1,
            next_attempt_at: at,
            claimed_until: None,
            last_error: None,
            sent_at: Some(at + Duration::seconds(2)),
            created_at: at,
        });
    }

    /// A notice with a fresh status link (`flows::notices::notify`).
    fn notice(&mut self, request_id: &str, template: &str, at: NaiveDateTime) {
        self.link(request_id, Purpose::Status, at, 60 * 24 * 90, None);
        self.email(request_id, template, at);
    }
}

/// Writes one batch in one transaction: the events take their places in the chain
/// after the current head, under the lock `write_tx` holds on it.
fn write(conn: &mut DbConn, rows: &mut Rows, rng: &mut StdRng) -> anyhow::Result<()> {
    db::write_tx(conn, |conn| -> anyhow::Result<()> {
        fresh_references(conn, &mut rows.requests, rng)?;
        let events: Vec<AuditRow> = rows
            .events
            .iter()
            .map(|e| AuditRow {
                id: crate::clock::new_id(),
                seq: 0,
                request_id: Some(e.request_id.clone()),
                actor: e.actor.clone(),
                action: e.action.into(),
                from_status: e.from.map(|s| s.as_str().to_string()),
                to_status: e.to.map(|s| s.as_str().to_string()),
                detail: e.detail.to_string(),
                consumer_visible: true,
                created_at: e.at,
                prev_hash: String::new(),
                hash: String::new(),
            })
            .collect();
        insert_rows!(conn, requests::table, &rows.requests, ROWS_PER_INSERT);
        insert_rows!(
            conn,
            request_identities::table,
            &rows.identities,
            ROWS_PER_INSERT
        );
        insert_rows!(conn, token_table::table, &rows.tokens, ROWS_PER_INSERT);
        insert_rows!(conn, outbox::table, &rows.outbox, ROWS_PER_INSERT);
        // Sent long ago: the worker's clearing of sent bodies has nothing left to do.
        for part in rows.outbox.chunks(ROWS_PER_INSERT) {
            diesel::update(outbox::table)
                .filter(outbox::id.eq_any(part.iter().map(|o| o.id.as_str())))
                .set(outbox::body_cleared_at.eq(outbox::sent_at))
                .execute(conn)?;
        }
        audit::chain(conn, events)?;
        Ok(())
    })
}

/// Draws new references for any that are taken, in the database or twice in the batch.
fn fresh_references(
    conn: &mut DbConn,
    batch: &mut [RequestRow],
    rng: &mut StdRng,
) -> QueryResult<()> {
    loop {
        let mut seen = std::collections::HashSet::new();
        let wanted: Vec<&str> = batch.iter().map(|r| r.reference.as_str()).collect();
        let taken: std::collections::HashSet<String> = wanted
            .chunks(ROWS_PER_INSERT)
            .map(|part| {
                requests::table
                    .filter(requests::reference.eq_any(part))
                    .select(requests::reference)
                    .load::<String>(conn)
            })
            .collect::<QueryResult<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let mut redrawn = false;
        for row in batch.iter_mut() {
            if taken.contains(&row.reference) || !seen.insert(row.reference.clone()) {
                row.reference = reference_from(rng);
                redrawn = true;
            }
        }
        if !redrawn {
            return Ok(());
        }
    }
}
