//! `/staff/sessions`: a staff member's own active sessions (when started, last seen,
//! which browser, which is this one), and ending one or all of the others.

use super::{page, redirect, set_flash, take_flash, Form};
use crate::db::models::staff_sessions;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn list(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let id = me.id.clone();
    let rows = with_conn(&state, move |_, conn| {
        Ok(staff_sessions::of_staff(conn, &id)?)
    })
    .await?;
    let unknown = state.templates.phrase("staff_sessions.unknown_client", &[]);
    let list: Vec<_> = rows
        .iter()
        .map(|s| {
            json!({"id": s.id, "current": s.id == me.session_id,
                   "client": if s.client.is_empty() { unknown.clone() } else { s.client.clone() },
                   "started": state.templates.timestamp(s.started_at),
                   "seen": state.templates.timestamp(s.seen_at)})
        })
        .collect();
    let others = rows.len() > 1;
    page(
        &state,
        &session,
        &me,
        "pages/staff/sessions",
        json!({"title": state.templates.phrase("titles.staff_sessions", &[]), "sessions": list,
               "others": others, "flash": take_flash(&session)}),
    )
}

/// Ends one of the holder's other sessions (`session=<id>`) or all of them
/// (`session=others`); audited. This session is ended by logging out.
pub async fn end(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let form = Form::parse(&req, &session, &state, &body)?;
    let which = form.text("session");
    let (id, mine, actor) = (me.id.clone(), me.session_id.clone(), me.actor());
    let ended = with_conn(&state, move |_, conn| {
        crate::db::write_tx(conn, |conn| {
            let ended = if which == "others" {
                staff_sessions::delete_of_staff(conn, &id, Some(&mine))?
            } else {
                // Only a session of this account, and never this one.
                let owned = staff_sessions::of_staff(conn, &id)?
                    .into_iter()
                    .any(|s| s.id == which && s.id != mine);
                if !owned {
                    return Err(AppError::NotFound);
                }
                staff_sessions::delete(conn, &which)?
            };
            crate::staff::accounts::audit_staff(
                conn,
                &actor,
                "staff_sessions_ended",
                json!({"staff_id": id, "sessions": ended}),
                crate::clock::now(),
            )?;
            Ok(ended)
        })
    })
    .await?;
    let n = ended.to_string();
    set_flash(
        &session,
        &state
            .templates
            .phrase("staff_sessions.ended", &[("count", &n)]),
    )?;
    Ok(redirect("/staff/sessions"))
}
