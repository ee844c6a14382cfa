//! `/staff/requests/{id}`: everything about one request, and the actions the state
//! machine allows right now (each form carries the version the page was built from).

use super::{page, redirect, Form};
use crate::db::models::{audit, identities, notes, requests, staff};
use crate::domain::deadlines;
use crate::domain::decisions::{self, VerificationLevel};
use crate::domain::intake::RequestDetails;
use crate::domain::state::{Event, Status};
use crate::error::AppError;
use crate::flows::handling::{self, Action};
use crate::flows::intake::DETAILS_CONTEXT;
use crate::staff::session;
use crate::state::AppState;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let id = id.into_inner();
    let ctx = with_conn(&state, move |state, conn| {
        let row = requests::find(conn, &id)?;
        let p = handling::parsed(&row)?;
        let dec = |ctx: &str, v: &Option<String>| -> Result<String, AppError> {
            match v {
                Some(v) => state.cipher.decrypt(ctx, v).map_err(AppError::internal),
                None => Ok(String::new()),
            }
        };
        let ids: Vec<_> = identities::for_request(conn, &row.id)?
            .into_iter()
            .map(|i| -> Result<_, AppError> {
                let value = state.cipher.decrypt(identities::VALUE_CONTEXT, &i.value_enc).map_err(AppError::internal)?;
                Ok(json!({"kind": i.kind, "value": value}))
            })
            .collect::<Result<_, _>>()?;
        let details: RequestDetails = match &row.details_enc {
            Some(_) => serde_json::from_str(&dec(DETAILS_CONTEXT, &row.details_enc)?).unwrap_or_default(),
            None => RequestDetails::default(),
        };
        let timeline: Vec<_> = audit::for_request(conn, &row.id, false)?
            .into_iter()
            .map(|e| json!({"at": e.created_at.format("%Y-%m-%d %H:%M UTC").to_string(), "actor": e.actor,
                            "action": e.action, "to": e.to_status, "detail": e.detail,
                            "visible": e.consumer_visible}))
            .collect();
        let note_list: Vec<_> = notes::for_request(conn, &row.id)?
            .into_iter()
            .map(|(author, body, at)| -> Result<_, AppError> {
                Ok(json!({"author": author, "at": at.format("%Y-%m-%d %H:%M UTC").to_string(),
                          "body": state.cipher.decrypt(notes::BODY_CONTEXT, &body).map_err(AppError::internal)?}))
            })
            .collect::<Result<_, _>>()?;
        let assignees: Vec<_> = staff::active_handlers(conn)?
            .into_iter()
            .map(|s| json!({"id": s.id, "email": s.email, "selected": row.assignee_id.as_deref() == Some(s.id.as_str())}))
            .collect();
        let runs = crate::db::models::connector_runs::for_request(conn, &row.id)?;
        let systems: Vec<_> = state
            .connectors
            .iter()
            .map(|(name, built)| {
                let mine: Vec<_> = runs.iter().filter(|r| &r.connector == name).collect();
                let latest = |action: &str| mine.iter().rev().find(|r| r.action == action).copied();
                let find = latest("find");
                let busy = mine.iter().any(|r| matches!(r.status.as_str(), "pending" | "running" | "waiting"));
                let summary = |r: Option<&crate::db::models::connector_runs::RunRow>| {
                    r.and_then(|r| r.summary.as_deref())
                        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                        .unwrap_or(json!(null))
                };
                let mut find_summary = summary(find);
                // Every key present, so the strict templates can test them.
                if !find_summary.is_object() {
                    find_summary = json!({});
                }
                for (k, empty) in [("counts", json!(null)), ("keys", json!([])), ("first_seen", json!(null)), ("last_seen", json!(null)), ("actionable", json!(false))] {
                    if find_summary.get(k).is_none() {
                        find_summary[k] = empty;
                    }
                }
                let actionable = find.is_some_and(|f| f.status == "done") && find_summary["actionable"] == true;
                let allowed = |a: &str| crate::flows::connector_runs::allowed(p.kind, p.status, a);
                json!({
                    "name": name,
                    "problem": built.as_ref().err(),
                    "busy": busy,
                    "can_find": built.is_ok() && !busy && allowed("find"),
                    "can_export": built.is_ok() && !busy && actionable && allowed("export"),
                    "can_erase": built.is_ok() && !busy && actionable && allowed("erase"),
                    // A failed run's button reads "Retry".
                    "retry_find": latest("find").is_some_and(|r| r.status == "failed"),
                    "retry_export": latest("export").is_some_and(|r| r.status == "failed"),
                    "retry_erase": latest("erase").is_some_and(|r| r.status == "failed"),
                    "weak_only": find.is_some_and(|f| f.status == "done") && !actionable,
                    "find": find_summary,
                    "runs": mine.iter().rev().map(|r| json!({
                        "action": r.action, "status": r.status, "attempts": r.attempts,
                        "at": r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                        "summary": r.summary, "error": r.error,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let today = crate::clock::now().date();
        let dl = handling::deadlines_of(state, &row)?;
        let can = |e: Event| p.status.transition(e).is_ok();
        let open = p.status.is_open();
        let verification: serde_json::Value = row.verification_detail.as_deref()
            .and_then(|d| serde_json::from_str(d).ok()).unwrap_or(json!(null));
        Ok(json!({
            "title": format!("Request {}", row.reference),
            "r": {
                "id": row.id, "reference": row.reference, "version": row.version,
                "kind": p.kind.label(), "kind_code": p.kind.as_str(), "regime": p.regime.label(),
                "jurisdiction": row.jurisdiction, "status": p.status.as_str(), "open": open,
                "source": row.source, "gpc": row.gpc,
                "received_at": row.received_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                "acknowledge_by": row.acknowledge_by.map(|d| d.to_string()),
                "acknowledged_at": row.acknowledged_at.map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()),
                "respond_by": dl.respond_by.to_string(),
                "extended_respond_by": dl.extended_respond_by.map(|d| d.to_string()),
                "due_on": row.due_on.to_string(),
                "days_left": deadlines::days_left(row.due_on, today),
                "extended": row.extended,
                "extension_reason": dec(handling::EXTENSION_CONTEXT, &row.extension_reason_enc)?,
                "paused_days": row.paused_days,
                "verified_email_at": row.verified_at.map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()),
                "verification_level": row.verification_level.as_deref().and_then(VerificationLevel::parse).map(|l| l.label()),
                "verification": verification,
                "outcome": row.outcome, "denial_code": row.denial_code,
                "response": dec(handling::RESPONSE_CONTEXT, &row.response_enc)?,
                "appeal_of": row.appeal_of,
                "purged": row.purged_at.is_some(),
            },
            "identities": ids,
            "systems": systems,
            "can_send_package": crate::flows::package::can_send(&row),
            "has_systems": !state.connectors.is_empty(),
            "details": details,
            "timeline": timeline,
            "notes": note_list,
            "assignees": assignees,
            "unassigned": row.assignee_id.is_none(),
            "actions": {
                "acknowledge": open && row.acknowledged_at.is_none(),
                "verify": can(Event::IdentityConfirmed),
                "request_info": can(Event::InformationRequested),
                "info_received": can(Event::InformationReceived),
                "extend": open && !row.extended && deadlines::can_extend(&dl, today),
                "deny": can(Event::Denied),
                "fulfil": can(Event::Fulfilled),
            },
            "methods": decisions::METHODS.iter().map(|(v, l)| json!({"value": v, "label": l})).collect::<Vec<_>>(),
            "points": decisions::DATA_POINTS.iter().map(|(v, l)| json!({"value": v, "label": l})).collect::<Vec<_>>(),
            "reasons": decisions::denial_reasons(p.regime).iter().map(|r| json!({"value": r.code, "label": r.label})).collect::<Vec<_>>(),
            "gdpr_refusal": decisions::refusal_names_complaint_rights(p.regime),
            "closed_status": !open && p.status != Status::Submitted,
        }))
    })
    .await?;
    page(&state, &session, &me, "pages/staff/request", ctx)
}

pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let form = Form::parse(&req, &session, &state, &body)?;
    me.require_worker()?;
    let id = id.into_inner();
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            AppError::BadRequest("The form is missing its version; reload the page.".into())
        })?;
    let action = match form.get("action").unwrap_or_default() {
        "acknowledge" => Action::Acknowledge,
        "verify" => Action::VerifyIdentity {
            method: form.text("method"),
            points: form.all("points"),
            declaration: form.get("declaration") == Some("yes"),
        },
        "request_info" => Action::RequestInformation {
            message: form.text("message"),
        },
        "info_received" => Action::InformationReceived,
        "extend" => Action::Extend {
            reason: form.text("reason"),
        },
        "deny" => Action::Deny {
            code: form.text("code"),
            message: form.text("message"),
        },
        "fulfil" => Action::Fulfil {
            in_part: form.get("in_part") == Some("yes"),
            message: form.text("message"),
        },
        "assign" => Action::Assign {
            staff_id: form
                .get("assignee")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        },
        "note" => Action::Note {
            body: form.text("body"),
        },
        _ => return Err(AppError::BadRequest("Unknown action.".into())),
    };
    let actor = me.actor();
    let target = id.clone();
    with_conn(&state, move |state, conn| {
        handling::apply(
            state,
            conn,
            &target,
            version,
            &actor,
            action,
            crate::clock::now(),
        )
    })
    .await?;
    Ok(redirect(&format!("/staff/requests/{id}")))
}

/// Queues a connector run (find, export, erase) for this request.
pub async fn run(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let form = Form::parse(&req, &session, &state, &body)?;
    me.require_worker()?;
    let id = id.into_inner();
    let connector = form.text("connector");
    let action = form.text("action");
    if action == "erase" && form.get("confirm") != Some("yes") {
        return Err(AppError::BadRequest(
            "Tick the box to confirm you checked what will be erased.".into(),
        ));
    }
    let actor = me.actor();
    let target = id.clone();
    with_conn(&state, move |state, conn| {
        crate::flows::connector_runs::queue(
            state,
            conn,
            &target,
            &connector,
            &action,
            &actor,
            crate::clock::now(),
        )
    })
    .await?;
    Ok(redirect(&format!("/staff/requests/{id}")))
}

/// Builds the access package from the finished exports and emails the download link.
pub async fn send_package(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    Form::parse(&req, &session, &state, &body)?;
    me.require_worker()?;
    let id = id.into_inner();
    let actor = me.actor();
    let target = id.clone();
    with_conn(&state, move |state, conn| {
        crate::flows::package::create_and_send(state, conn, &target, &actor, crate::clock::now())
    })
    .await?;
    Ok(redirect(&format!("/staff/requests/{id}")))
}
