//! `/staff/agents`: the directory of Data Rights Protocol agents. Administrators see it
//! and may disable or re-enable an agent; agents are added on the command line.

use super::posted::StaffPost;
use super::{page, redirect, set_flash, take_flash};
use crate::db::models::drp;
use crate::error::AppError;
use crate::flows::drp_directory;
use crate::i18n::key;
use crate::state::AppState;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpResponse};
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
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    change(state, post, id.into_inner(), false).await
}

pub async fn enable(
    state: web::Data<AppState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    change(state, post, id.into_inner(), true).await
}

async fn change(
    state: web::Data<AppState>,
    post: StaffPost,
    id: String,
    enable: bool,
) -> Result<HttpResponse, AppError> {
    post.me.require_admin()?;
    let actor = post.me.actor();
    let (name, changed) = with_conn(&state, move |_, conn| {
        let agent = drp::find_agent(conn, &id)?.ok_or(AppError::NotFound)?;
        // Pressing the button twice (two tabs) changes nothing the second time, and
        // only a real change is recorded.
        let changed = drp_directory::set_enabled(conn, &id, enable, &actor, crate::clock::now())?;
        Ok((agent.name, changed))
    })
    .await?;
    let key = match (enable, changed) {
        (true, true) => key("staff_agents.flash_enabled"),
        (false, true) => key("staff_agents.flash_disabled"),
        (true, false) => key("staff_agents.flash_already_enabled"),
        (false, false) => key("staff_agents.flash_already_disabled"),
    };
    set_flash(
        &post.session,
        &state.templates.phrase(key, &[("name", &name)]),
    )?;
    Ok(redirect("/staff/agents"))
}
