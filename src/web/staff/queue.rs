//! `/staff`: the deadline queue. Filters live in the URL; pages continue by keyset.

use super::{page, redirect, Form};
use crate::db::models::{identities, queue};
use crate::domain::deadlines::{self, Regime};
use crate::domain::kinds::RequestKind;
use crate::domain::state::Status;
use crate::error::AppError;
use crate::i18n::key;
use crate::state::AppState;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    status: String,
    kind: String,
    regime: String,
    assignee: String,
    overdue: String,
    due_within: String,
    q: String,
    after: String,
}

fn empty_none(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    query: Result<web::Query<QueueQuery>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let q = query.map(|q| q.into_inner()).unwrap_or_default();
    let today = crate::clock::now().date();
    let mut filter = queue::Filter {
        status: empty_none(&q.status).filter(|s| Status::parse(s).is_some()),
        kind: empty_none(&q.kind).filter(|k| RequestKind::parse(k).is_some()),
        regime: empty_none(&q.regime).filter(|r| Regime::parse(r).is_some()),
        assignee: match q.assignee.as_str() {
            "mine" => queue::Assignee::Mine(me.id.clone()),
            "unassigned" => queue::Assignee::Unassigned,
            _ => queue::Assignee::Anyone,
        },
        overdue: q.overdue == "1",
        due_within_days: q
            .due_within
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (0..=3650).contains(d)),
        ids: None,
        after: q.after.split_once('_').and_then(|(d, id)| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .map(|d| (d, id.to_string()))
        }),
    };
    let search = q.q.trim().to_string();
    let (rows, counts) = with_conn(&state, move |state, conn| {
        if !search.is_empty() {
            // A reference, or an email through its blind index; never a scan of plaintext.
            let mut ids = queue::by_reference(conn, &search)?;
            if search.contains('@') {
                let index = state.indexer.index("email", &search.to_lowercase());
                ids.extend(identities::requests_with_index(conn, &index)?);
            }
            filter.ids = Some(ids);
        }
        let rows = queue::page(conn, &filter, today, PAGE_SIZE + 1)?;
        let counts = queue::open_counts(conn)?;
        Ok((rows, counts))
    })
    .await?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    let rows: Vec<_> = rows.into_iter().take(PAGE_SIZE as usize).collect();
    let next = if has_more {
        rows.last().map(|r| format!("{}_{}", r.due_on, r.id))
    } else {
        None
    };
    let items: Vec<_> = rows
        .iter()
        .map(|r| {
            let left = deadlines::days_left(r.due_on, today);
            json!({
                "id": r.id, "reference": r.reference,
                "kind": state.templates.label(r.kind.label_key()),
                "regime": state.templates.label(r.regime.label_key()),
                "status": state.templates.label(r.status.label_key()),
                "due_on": r.due_on.to_string(), "days_left": left, "days_overdue": -left,
                "urgency": if left < 0 { "overdue" } else if left <= 7 { "soon" } else { "ok" },
                "assigned": r.assignee_id.is_some(),
                "mine": r.assignee_id.as_deref() == Some(me.id.as_str()),
                "agent": false,
                "extended": r.extended,
            })
        })
        .collect();
    // The "next page" link keeps every filter and adds the cursor.
    let next_url = next.map(|cursor| {
        let pairs = [
            ("status", q.status.as_str()),
            ("kind", q.kind.as_str()),
            ("regime", q.regime.as_str()),
            ("assignee", q.assignee.as_str()),
            ("overdue", q.overdue.as_str()),
            ("due_within", q.due_within.as_str()),
            ("q", q.q.as_str()),
            ("after", cursor.as_str()),
        ];
        let qs = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
            .finish();
        format!("/staff?{qs}")
    });
    let opts = |all: Vec<(&'static str, String)>, selected: &str| -> Vec<serde_json::Value> {
        all.into_iter()
            .map(|(v, l)| json!({"value": v, "label": l, "selected": v == selected}))
            .collect()
    };
    page(
        &state,
        &session,
        &me,
        "pages/staff/queue",
        json!({
            "title": state.templates.phrase("titles.staff_queue", &[]),
            "items": items,
            "empty": items.is_empty(),
            "counts": counts.iter().map(|(s, n)| json!({"status": s, "label": state.templates.status(s), "count": n})).collect::<Vec<_>>(),
            "next_url": next_url,
            "filters": {
                "status": opts(Status::ALL.iter().filter(|s| s.is_open()).map(|s| (s.as_str(), state.templates.label(s.label_key()))).collect(), &q.status),
                "kind": opts(RequestKind::ALL.iter().chain([RequestKind::Appeal].iter()).map(|k| (k.as_str(), state.templates.label(k.label_key()))).collect(), &q.kind),
                "regime": opts(Regime::ALL.iter().map(|g| (g.as_str(), state.templates.label(g.label_key()))).collect(), &q.regime),
                "assignee": opts(vec![("", state.templates.label(key("staff_queue.anyone"))), ("mine", state.templates.label(key("staff_queue.mine"))), ("unassigned", state.templates.label(key("staff_queue.unassigned")))], &q.assignee),
                "overdue": q.overdue == "1",
                "due_within": q.due_within,
                "q": q.q,
            },
        }),
    )
}

/// Opt in or out of the daily digest email.
pub async fn toggle_digest(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let form = Form::parse(&req, &session, &state, &body)?;
    let on = form.get("digest") == Some("on");
    with_conn(&state, move |_, conn| {
        crate::db::models::staff::set_digest(conn, &me.id, on)?;
        Ok(())
    })
    .await?;
    Ok(redirect("/staff"))
}
