//! `/staff`: the queue (open, closed, all). Filters live in the URL; pages continue by
//! keyset. Bulk actions are `web::staff::bulk`, the CSV export `web::staff::queue_export`.

use super::posted::StaffPost;
use super::{page, redirect, take_flash};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::queue;
use crate::views::queue_query::QueueQuery;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpResponse};

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    query: Result<web::Query<QueueQuery>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let q = query.map(|q| q.into_inner()).unwrap_or_default();
    let today = crate::clock::now().date();
    let staff_id = me.id.clone();
    let flash = take_flash(&session);
    let model = with_conn(&state, move |state, conn| {
        queue::load(state, conn, q, &staff_id, today)
    })
    .await?
    .with_flash(flash);
    page(&state, &session, &me, "pages/staff/queue", model)
}

/// Opt in or out of the daily digest email.
pub async fn toggle_digest(
    state: web::Data<AppState>,
    post: StaffPost,
) -> Result<HttpResponse, AppError> {
    let StaffPost { me, form, .. } = post;
    let on = form.get("digest") == Some("on");
    with_conn(&state, move |_, conn| {
        crate::db::models::staff::set_digest(conn, &me.id, on)?;
        Ok(())
    })
    .await?;
    Ok(redirect("/staff"))
}
