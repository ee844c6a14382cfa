//! The staff audit log (`/staff/audit`): events filtered by request, actor, action and
//! date range, newest first, a page at a time ("older"/"newer" links keep the
//! filters), and on request a check of the whole hash chain (a full walk, so not on
//! every page view).

use super::actor_names::ActorNames;
use crate::db::models::audit::{self, AuditRow};
use crate::db::models::audit_search::{self, Cursor, Search};
use crate::db::models::staff;
use crate::db::schema::requests;
use crate::db::DbConn;
use crate::domain::labels::audit_action_key;
use crate::error::AppError;
use crate::flows::actors;
use crate::i18n::{key, msg, Message};
use crate::state::AppState;
use crate::templates::Templates;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// How many events a page lists.
pub const PAGE_SIZE: i64 = 50;

/// The log's filters and cursor as the URL carries them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    request: String,
    actor: String,
    action: String,
    from: String,
    to: String,
    before: String,
    after: String,
    verify: String,
}

/// The template's context of `pages/staff/audit`.
#[derive(Serialize)]
pub struct AuditPage {
    title: String,
    events: Vec<EventLine>,
    empty: bool,
    filtered: bool,
    filters: FilterValues,
    actors: Vec<Choice>,
    actions: Vec<Choice>,
    /// Problems with the filters; the page then lists nothing.
    pub errors: Vec<String>,
    newer_url: Option<String>,
    older_url: Option<String>,
    /// Whether either page link is there.
    pager: bool,
    verified: bool,
    chain_ok: bool,
    chain_count: i64,
    broken_at: Option<i64>,
}

#[derive(Serialize)]
struct EventLine {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    request_id: Option<String>,
    to: Option<String>,
    detail: String,
}

/// The filters as typed, shown again in the form.
#[derive(Serialize)]
struct FilterValues {
    request: String,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

impl AuditQuery {
    fn trimmed(&self) -> [(&'static str, &str); 5] {
        [
            ("request", self.request.trim()),
            ("actor", self.actor.trim()),
            ("action", self.action.trim()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
        ]
    }

    /// A page link keeping every filter, with `cursor` (`before`/`after`) added.
    fn url(&self, cursor: (&str, i64)) -> String {
        let seq = cursor.1.to_string();
        let qs = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.trimmed().iter().filter(|(_, v)| !v.is_empty()))
            .append_pair(cursor.0, &seq)
            .finish();
        format!("/staff/audit?{qs}")
    }

    fn cursor(&self) -> Cursor {
        let seq = |s: &str| s.trim().parse::<i64>().ok();
        match (seq(&self.before), seq(&self.after)) {
            (Some(b), _) => Cursor::Before(b),
            (None, Some(a)) => Cursor::After(a),
            _ => Cursor::Newest,
        }
    }

    pub fn verify(&self) -> bool {
        self.verify == "1"
    }
}

/// The filters read into a search, or what is wrong with them.
fn search(conn: &mut DbConn, q: &AuditQuery) -> Result<Result<Search, Vec<Message>>, AppError> {
    let mut errors = Vec::new();
    let mut s = Search::default();
    let reference = q.request.trim().to_uppercase();
    if !reference.is_empty() {
        let id: Option<String> = requests::table
            .filter(requests::reference.eq(&reference))
            .select(requests::id)
            .first(conn)
            .optional()?;
        match id {
            Some(id) => s.request_id = Some(id),
            None => errors.push(msg("errors.audit_no_such_request").with("reference", &reference)),
        }
    }
    // Who acted, as the filter groups the stored codes: one staff member, the person,
    // an agent on the web or through the DRP, or the portal (itself, its API, its CLI).
    let codes = |cs: &[&str]| cs.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    match q.actor.trim() {
        "" => {}
        "person" => s.actors = codes(&[actors::CONSUMER]),
        "agent" => {
            s.actors = codes(&[actors::AGENT]);
            s.actor_prefix = Some("drp_agent:".into());
        }
        "system" => s.actors = codes(&[actors::SYSTEM, actors::API, actors::CLI]),
        other => match other.strip_prefix("staff:") {
            Some(id) if !id.is_empty() => s.actors = vec![other.to_string()],
            _ => errors.push(msg("errors.audit_actor_unknown")),
        },
    }
    let action = q.action.trim();
    if !action.is_empty() {
        if audit_action_key(action).is_some() {
            s.action = Some(action.to_string());
        } else {
            errors.push(msg("errors.audit_action_unknown"));
        }
    }
    let day = |text: &str, errors: &mut Vec<Message>| -> Option<NaiveDate> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
        if parsed.is_none() {
            errors.push(msg("errors.audit_date_invalid").with("date", text));
        }
        parsed
    };
    let from = day(&q.from, &mut errors);
    let to = day(&q.to, &mut errors);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            errors.push(msg("errors.audit_dates_reversed"));
        }
    }
    s.from = from.and_then(|d| d.and_hms_opt(0, 0, 0));
    // Inclusive of the whole last day.
    s.until = to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0));
    Ok(if errors.is_empty() {
        Ok(s)
    } else {
        Err(errors)
    })
}

/// One page of the log for the query `q`; with `verify`, the chain checked too.
pub fn load(state: &AppState, conn: &mut DbConn, q: &AuditQuery) -> Result<AuditPage, AppError> {
    let t = &state.templates;
    let (found, errors) = match search(conn, q)? {
        Ok(s) => (
            Some(audit_search::page(conn, &s, q.cursor(), PAGE_SIZE)?),
            Vec::new(),
        ),
        Err(errors) => (None, errors),
    };
    // Ok(events checked) or Err(the first broken sequence number).
    let chain = if q.verify() {
        Some(audit::verify_chain(conn)?)
    } else {
        None
    };
    let actors = ActorNames::load(conn)?;
    let staff_choices = staff_choices(conn, q.actor.trim())?;
    let (events, newer_url, older_url) = match found {
        Some(p) => {
            let newest = p.events.first().map(|e| e.seq);
            let oldest = p.events.last().map(|e| e.seq);
            let newer = newest.filter(|_| p.has_newer).map(|s| q.url(("after", s)));
            let older = oldest.filter(|_| p.has_older).map(|s| q.url(("before", s)));
            (p.events, newer, older)
        }
        None => (Vec::new(), None, None),
    };
    Ok(AuditPage {
        title: t.phrase("titles.staff_audit", &[]),
        empty: events.is_empty(),
        events: events
            .into_iter()
            .map(|e| event_line(t, &actors, e))
            .collect(),
        filtered: q.trimmed().iter().any(|(_, v)| !v.is_empty()),
        filters: FilterValues {
            request: q.request.trim().to_string(),
            from: q.from.trim().to_string(),
            to: q.to.trim().to_string(),
        },
        actors: actor_choices(t, q.actor.trim(), staff_choices),
        actions: action_choices(t, q.action.trim()),
        errors: errors.iter().map(|m| t.message(m)).collect(),
        pager: newer_url.is_some() || older_url.is_some(),
        newer_url,
        older_url,
        verified: chain.is_some(),
        chain_ok: chain.is_some_and(|c| c.is_ok()),
        chain_count: chain.and_then(|c| c.ok()).unwrap_or(0),
        broken_at: chain.and_then(|c| c.err()),
    })
}

fn staff_choices(conn: &mut DbConn, chosen: &str) -> Result<Vec<Choice>, AppError> {
    Ok(staff::list(conn)?
        .into_iter()
        .map(|s| {
            let value = format!("staff:{}", s.id);
            Choice {
                selected: value == chosen,
                value,
                label: s.email,
            }
        })
        .collect())
}

/// The groups first, then each staff member by email.
fn actor_choices(t: &Templates, chosen: &str, staff: Vec<Choice>) -> Vec<Choice> {
    [
        ("person", key("actors.consumer")),
        ("agent", key("staff_audit.actor_agents")),
        ("system", key("staff_audit.actor_system")),
    ]
    .into_iter()
    .map(|(value, key)| Choice {
        value: value.into(),
        label: t.phrase(key, &[("id", "")]),
        selected: value == chosen,
    })
    .chain(staff)
    .collect()
}

/// Every action the catalogue names, in words, alphabetically.
fn action_choices(t: &Templates, chosen: &str) -> Vec<Choice> {
    let mut choices: Vec<Choice> = t
        .catalogue()
        .keys()
        .filter_map(|k| k.strip_prefix("audit_actions."))
        .filter(|code| audit_action_key(code).is_some())
        .map(|code| Choice {
            value: code.to_string(),
            label: t.audit_action(code),
            selected: code == chosen,
        })
        .collect();
    choices.sort_by(|a, b| a.label.cmp(&b.label));
    choices
}

fn event_line(t: &Templates, actors: &ActorNames, e: AuditRow) -> EventLine {
    EventLine {
        seq: e.seq,
        at: t.timestamp_seconds(e.created_at),
        actor: actors.name(t, &e.actor),
        action: t.audit_action(&e.action),
        request_id: e.request_id,
        to: e.to_status.as_deref().map(|s| t.status(s)),
        detail: e.detail,
    }
}
