//! `/staff/requests/{id}`: everything about one request, and the actions the state
//! machine allows right now (each form carries the version the page was built from).
//! A request an authorized agent filed also shows the agent, the consumer's
//! confirmation, the identity the agent claims (DRP) and the agent's documents, which
//! staff open through `document` and record a review of through `review_document`.

use super::{page, redirect, set_flash, take_flash, Form};
use crate::db::models::documents::{self, DocumentInfo};
use crate::db::models::request_agents::confirmation;
use crate::db::models::requests::DETAILS_CONTEXT;
use crate::db::models::{audit, drp, identities, notes, requests, staff};
use crate::domain::authority::Authority;
use crate::domain::decisions;
use crate::domain::documents::DocumentType;
use crate::domain::intake::RequestDetails;
use crate::domain::runs::{RunAction, RunStatus};
use crate::domain::state::{Event, Status};
use crate::domain::{deadlines, email_domain};
use crate::drp::{Address, IdentityClaims};
use crate::error::AppError;
use crate::flows::agents::{self, AgentView};
use crate::flows::handling::{self, Action};
use crate::i18n::msg;
use crate::state::AppState;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let id = id.into_inner();
    // Taken before the page is built: the session cannot cross into the blocking pool.
    let flash = take_flash(&session);
    let mut ctx = with_conn(&state, move |state, conn| {
        let row = requests::find(conn, &id)?;
        let p = row.clone();
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
                let domain = (i.kind == "email").then(|| email_domain::shown(&value)).flatten();
                Ok(json!({"kind": identity_label(state, &i.kind), "value": value, "domain": domain_view(domain)}))
            })
            .collect::<Result<_, _>>()?;
        let details: RequestDetails = match &row.details_enc {
            Some(_) => serde_json::from_str(&dec(DETAILS_CONTEXT, &row.details_enc)?).unwrap_or_default(),
            None => RequestDetails::default(),
        };
        let actors = super::actors::ActorNames::load(conn)?;
        let timeline: Vec<_> = audit::for_request(conn, &row.id, false)?
            .into_iter()
            .map(|e| json!({"at": state.templates.timestamp(e.created_at), "actor": actors.name(&state.templates, &e.actor),
                            "action": state.templates.audit_action(&e.action), "to": e.to_status.as_deref().map(|s| state.templates.status(s)), "to_code": e.to_status, "detail": e.detail,
                            "visible": e.consumer_visible}))
            .collect();
        let note_list: Vec<_> = notes::for_request(conn, &row.id)?
            .into_iter()
            .map(|(author, body, at)| -> Result<_, AppError> {
                Ok(json!({"author": author, "at": state.templates.timestamp(at),
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
                let latest = |action: RunAction| mine.iter().rev().find(|r| r.action == action).copied();
                let find = latest(RunAction::Find);
                let busy = mine.iter().any(|r| r.status.is_active());
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
                for (k, empty) in [("counts", json!(null)), ("keys", json!([])), ("first_seen", json!(null)), ("last_seen", json!(null)), ("actionable", json!(false)), ("excluded", json!(0)), ("at_least", json!(false))] {
                    if find_summary.get(k).is_none() {
                        find_summary[k] = empty;
                    }
                }
                let actionable = find.is_some_and(|f| f.status == RunStatus::Done) && find_summary["actionable"] == true;
                let allowed = |a: RunAction| crate::flows::connector_runs::allowed(p.kind, p.status, a);
                json!({
                    "name": name,
                    "problem": built.as_ref().err(),
                    "busy": busy,
                    "can_find": built.is_ok() && !busy && allowed(RunAction::Find),
                    "can_export": built.is_ok() && !busy && actionable && allowed(RunAction::Export),
                    "can_erase": built.is_ok() && !busy && actionable && allowed(RunAction::Erase),
                    // A failed run's button reads "Retry".
                    "retry_find": latest(RunAction::Find).is_some_and(|r| r.status == RunStatus::Failed),
                    "retry_export": latest(RunAction::Export).is_some_and(|r| r.status == RunStatus::Failed),
                    "retry_erase": latest(RunAction::Erase).is_some_and(|r| r.status == RunStatus::Failed),
                    "weak_only": find.is_some_and(|f| f.status == RunStatus::Done) && !actionable,
                    "find": find_summary,
                    "runs": mine.iter().rev().map(|r| json!({
                        "action": state.templates.label(r.action.label_key()), "status": state.templates.label(r.status.label_key()), "attempts": r.attempts,
                        "at": state.templates.timestamp(r.created_at),
                        "summary": r.summary, "error": r.error,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let today = crate::clock::now().date();
        let dl = handling::deadlines_of(state, conn, &row)?;
        let can = |e: Event| p.status.transition(e).is_ok();
        let open = p.status.is_open();
        let verification: serde_json::Value = row.verification_detail.as_deref()
            .and_then(|d| serde_json::from_str(d).ok()).unwrap_or(json!(null));
        let agent_view = agents::view(state, conn, &row.id)?;
        // `verified_at` records the click on the verification link, which went to the
        // agent when the person is not asked: say whose address that proved.
        let verified_by_agent = agent_view.as_ref().is_some_and(AgentView::consumer_not_asked);
        let agent = agent_view.map(|a| agent_context(&a));
        let agent_claims = drp_claims(state, conn, &row.id)?;
        let mut agent_documents = Vec::new();
        for d in documents::for_request(conn, &row.id)? {
            // The review is recorded by actor (`staff:<id>`); people know each other by email.
            let reviewer = match d.reviewed_by.as_deref().and_then(|by| by.strip_prefix("staff:")) {
                Some(staff_id) => staff::find(conn, staff_id)?.map(|s| s.email),
                None => None,
            };
            agent_documents.push(document_context(&state.templates, &d, reviewer));
        }
        Ok(json!({
            "title": state.templates.phrase("titles.staff_request", &[("reference", &row.reference)]),
            "r": {
                "id": row.id, "reference": row.reference, "version": row.version,
                "kind": state.templates.label(p.kind.label_key()), "kind_code": p.kind.as_str(), "regime": state.templates.label(p.regime.label_key()),
                "jurisdiction": state.templates.label(row.jurisdiction.label_key()), "status": p.status.as_str(), "status_label": state.templates.label(p.status.label_key()), "open": open,
                "source": state.templates.label(row.source.label_key()), "gpc": row.gpc,
                "received_at": state.templates.timestamp(row.received_at),
                "acknowledge_by": row.acknowledge_by.map(|d| d.to_string()),
                "acknowledged_at": row.acknowledged_at.map(|d| state.templates.timestamp(d)),
                "respond_by": dl.respond_by.to_string(),
                "extended_respond_by": dl.extended_respond_by.map(|d| d.to_string()),
                "due_on": row.due_on.to_string(),
                "days_left": deadlines::days_left(row.due_on, today),
                "extended": row.extended,
                "extension_reason": dec(handling::EXTENSION_CONTEXT, &row.extension_reason_enc)?,
                "paused_days": row.paused_days,
                "verified_email_at": row.verified_at.map(|d| state.templates.timestamp(d)),
                "verified_by_agent": verified_by_agent,
                "verification_level": row.verification_level.map(|l| state.templates.label(l.label_key())),
                "verification": verification,
                "outcome": row.outcome,
                "denial_code": row.denial_code.as_deref().map(|c| decisions::denial_reason(p.regime, c)
                    .map_or_else(|| c.to_string(), |r| state.templates.label(r.label_key))),
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
            "methods": decisions::METHODS.iter().map(|(v, l)| json!({"value": v, "label": state.templates.label(l)})).collect::<Vec<_>>(),
            "points": decisions::DATA_POINTS.iter().map(|(v, l)| json!({"value": v, "label": state.templates.label(l)})).collect::<Vec<_>>(),
            "reasons": decisions::denial_reasons(p.regime).iter().map(|r| json!({"value": r.code, "label": state.templates.label(r.label_key)})).collect::<Vec<_>>(),
            "gdpr_refusal": decisions::refusal_names_complaint_rights(p.regime),
            "closed_status": !open && p.status != Status::Submitted,
            "awaiting_consumer": p.status == Status::AwaitingConsumer,
            "agent": agent,
            "agent_claims": agent_claims,
            "documents": agent_documents,
        }))
    })
    .await?;
    ctx["flash"] = json!(flash);
    page(&state, &session, &me, "pages/staff/request", ctx)
}

/// The agent as the page shows them. `confirmation` is a code the template turns into
/// words (kept there so the wording is in one place with the rest of the page).
fn agent_context(a: &AgentView) -> Value {
    let confirmation = match a.consumer_confirmation.as_str() {
        _ if a.authority == Authority::Drp => "drp",
        confirmation::PENDING => "pending",
        confirmation::CONFIRMED => "confirmed",
        confirmation::REFUSED => "refused",
        confirmation::NOT_REQUIRED if a.authority == Authority::PowerOfAttorney => {
            "power_of_attorney"
        }
        _ => "other",
    };
    json!({
        "authority_label": a.authority_label,
        "name": a.name,
        // A DRP agent has no email of its own on the request (stored empty).
        "email": Some(a.email.as_str()).filter(|e| !e.is_empty()),
        "email_domain": domain_view(email_domain::shown(&a.email)),
        "organisation": a.organisation,
        "registration_number": a.registration_number,
        "confirmation": confirmation,
        "confirmation_raw": a.consumer_confirmation,
        "confirmed_at": a.confirmed_at.map(|t| t.format("%Y-%m-%d").to_string()),
        "drp_agent_id": a.drp_agent_id,
    })
}

/// An international domain as staff see it beside the address: its ASCII form, and
/// whether its letters mix scripts (a look-alike of another domain).
fn domain_view(shown: Option<email_domain::Shown>) -> Value {
    shown.map_or(
        Value::Null,
        |d| json!({"ascii": d.ascii, "mixed_scripts": d.mixed_scripts}),
    )
}

/// What staff read for a stored identity's kind: the email and name the form asks
/// for, or the label the organisation gave one of its own identifiers.
fn identity_label(state: &AppState, kind: &str) -> String {
    match kind {
        "email" => state.templates.phrase("staff_request.identity_email", &[]),
        "name" => state.templates.phrase("staff_request.identity_name", &[]),
        other => state
            .settings
            .identifiers
            .iter()
            .find(|i| i.name == other)
            .map_or_else(|| other.to_string(), |i| i.label.clone()),
    }
}

/// The identity a DRP agent claims for the consumer, with the agent's own `_verified`
/// flag per claim; empty for a request that did not come through DRP.
fn drp_claims(
    state: &AppState,
    conn: &mut crate::db::DbConn,
    request_id: &str,
) -> Result<Vec<Value>, AppError> {
    let Some(row) = drp::find_request(conn, request_id)? else {
        return Ok(Vec::new());
    };
    let text = state
        .cipher
        .decrypt(drp::CLAIMS_CONTEXT, &row.claims_enc)
        .map_err(AppError::internal)?;
    let stored: Value = serde_json::from_str(&text).map_err(AppError::internal)?;
    Ok(claims_from_stored(&stored)
        .present()
        .into_iter()
        .map(|c| json!({"label": state.templates.label(c.label_key), "value": c.value, "verified": c.verified == Some(true)}))
        .collect())
}

/// Rebuilds the claims from the JSON they were stored as (`IdentityClaims` is only
/// serialised, and `present` is what turns it into lines to show). A field of the
/// wrong type is left out rather than failing the page.
fn claims_from_stored(v: &Value) -> IdentityClaims {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let flag = |k: &str| v.get(k).and_then(Value::as_bool);
    IdentityClaims {
        name: text("name"),
        email: text("email"),
        email_verified: flag("email_verified"),
        phone_number: text("phone_number"),
        phone_number_verified: flag("phone_number_verified"),
        address: match v.get("address") {
            Some(Value::Object(m)) => Some(Address::Structured(m.clone())),
            Some(Value::String(s)) => Some(Address::Text(s.clone())),
            _ => None,
        },
        address_verified: flag("address_verified"),
        power_of_attorney: text("power_of_attorney"),
    }
}

fn document_context(
    templates: &crate::templates::Templates,
    d: &DocumentInfo,
    reviewer_email: Option<String>,
) -> Value {
    let size = match d.size_bytes {
        n if n < 1024 => templates.phrase("sizes.bytes", &[("n", &n.to_string())]),
        n if n < 1024 * 1024 => templates.phrase(
            "sizes.kilobytes",
            &[("n", &templates.decimal(n as f64 / 1024.0))],
        ),
        n => templates.phrase(
            "sizes.megabytes",
            &[("n", &templates.decimal(n as f64 / (1024.0 * 1024.0)))],
        ),
    };
    json!({
        "id": d.id,
        "media_type": DocumentType::from_media_type(&d.media_type)
            .map_or_else(|| d.media_type.clone(), |t| templates.label(t.format_key())),
        "size": size,
        "uploaded_at": templates.timestamp(d.uploaded_at),
        "removed": d.deleted_at.is_some(),
        "review_outcome": d.review_outcome,
        "reviewed_by": reviewer_email.or_else(|| d.reviewed_by.clone()),
        "reviewed_at": d.reviewed_at.map(|t| templates.timestamp(t)),
    })
}

/// Serves one document of one request to staff, inline, under headers that keep a
/// crafted file from acting in the portal's origin. Every role may read requests, so
/// every role may open their documents; each opening is audited by `open_document`.
pub async fn document(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let (id, doc) = path.into_inner();
    let actor = me.actor();
    let (media_type, bytes) = with_conn(&state, move |state, conn| {
        agents::open_document(state, conn, &id, &doc, &actor, crate::clock::now())
    })
    .await?;
    // Only the three sniffed kinds are ever stored; anything else means the row was
    // altered, and a browser must not be handed bytes of unknown kind to render.
    let kind = DocumentType::ALL
        .into_iter()
        .find(|t| t.media_type() == media_type)
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "stored document has an unexpected media type"
            ))
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, kind.media_type()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"document.{}\"", kind.extension()),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // `sandbox` gives the document an opaque origin with scripts off, so a PDF or
        // image built to run script cannot reach the staff session.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; object-src 'self'; \
             plugin-types application/pdf; sandbox",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"))
        .body(bytes))
}

/// Records whether a document proves the agent's authority.
pub async fn review_document(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let form = Form::parse(&req, &session, &state, &body)?;
    me.require_worker()?;
    let (id, doc) = path.into_inner();
    let accepted = match form.get("outcome") {
        Some("accepted") => true,
        Some("rejected") => false,
        _ => return Err(AppError::BadRequest(msg("errors.choose_document_review"))),
    };
    let actor = me.actor();
    let target = id.clone();
    with_conn(&state, move |_, conn| {
        // A removed document can no longer be looked at, so it cannot be judged either.
        let listed = documents::for_request(conn, &target)?;
        let found = listed
            .iter()
            .find(|d| d.id == doc)
            .ok_or(AppError::NotFound)?;
        if found.deleted_at.is_some() {
            return Err(AppError::BadRequest(msg("errors.document_removed")));
        }
        agents::review_document(conn, &target, &doc, accepted, &actor, crate::clock::now())
    })
    .await?;
    set_flash(
        &session,
        &if accepted {
            state
                .templates
                .phrase("staff_request.flash_document_accepted", &[])
        } else {
            state
                .templates
                .phrase("staff_request.flash_document_rejected", &[])
        },
    )?;
    Ok(redirect(&format!("/staff/requests/{id}")))
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
        .ok_or_else(|| AppError::BadRequest(msg("errors.form_no_version")))?;
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
        _ => return Err(AppError::BadRequest(msg("errors.unknown_action"))),
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
        return Err(AppError::BadRequest(msg("errors.confirm_erase_checked")));
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
