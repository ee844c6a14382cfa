//! `/staff/agents`: the directory of Data Rights Protocol agents. Administrators see it
//! and may disable or re-enable an agent; agents are added on the command line.

use super::{page, redirect, set_flash, take_flash, Form};
use crate::db::models::audit::{self, NewEvent};
use crate::db::models::drp;
use crate::db::write_tx;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn list(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    // The directory decides who may file requests for consumers: a setting, so it is
    // administrators' business like the staff accounts.
    me.require_admin()?;
    let flash = take_flash(&session);
    let rows = with_conn(&state, |_, conn| Ok(drp::list_agents(conn)?)).await?;
    let agents: Vec<_> = rows
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "name": a.name,
                "created_at": a.created_at.format("%Y-%m-%d").to_string(),
                "disabled": a.disabled_at.is_some(),
                "disabled_at": a.disabled_at.map(|t| t.format("%Y-%m-%d").to_string()),
            })
        })
        .collect();
    page(
        &state,
        &session,
        &me,
        "pages/staff/agents",
        json!({
            "title": state.templates.phrase("titles.staff_agents", &[]),
            "agents": agents,
            "can_manage": me.role.can_manage_staff(),
            "flash": flash,
        }),
    )
}

pub async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    change(state, req, session, id.into_inner(), body, false).await
}

pub async fn enable(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    change(state, req, session, id.into_inner(), body, true).await
}

async fn change(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    id: String,
    body: web::Bytes,
    enable: bool,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    Form::parse(&req, &session, &state, &body)?;
    me.require_admin()?;
    let actor = me.actor();
    let (name, changed) = with_conn(&state, move |_, conn| {
        let now = crate::clock::now();
        write_tx(conn, |conn| {
            let agent = drp::find_agent(conn, &id)?.ok_or(AppError::NotFound)?;
            let changed = if enable {
                drp::enable_agent(conn, &id)?
            } else {
                drp::disable_agent(conn, &id, now)?
            };
            // Only a real change is recorded: pressing the button twice (two tabs)
            // changes nothing the second time.
            if changed {
                audit::append(
                    conn,
                    NewEvent {
                        request_id: None,
                        actor: &actor,
                        action: if enable {
                            "drp_agent_enabled"
                        } else {
                            "drp_agent_disabled"
                        },
                        from_status: None,
                        to_status: None,
                        detail: json!({"agent": id}),
                        consumer_visible: false,
                    },
                    now,
                )?;
            }
            Ok::<_, AppError>((agent.name, changed))
        })
    })
    .await?;
    let message = match (enable, changed) {
        (true, true) => state
            .templates
            .phrase("staff_agents.flash_enabled", &[("name", &name)]),
        (false, true) => state
            .templates
            .phrase("staff_agents.flash_disabled", &[("name", &name)]),
        (true, false) => state
            .templates
            .phrase("staff_agents.flash_already_enabled", &[("name", &name)]),
        (false, false) => state
            .templates
            .phrase("staff_agents.flash_already_disabled", &[("name", &name)]),
    };
    set_flash(&session, &message)?;
    Ok(redirect("/staff/agents"))
}
