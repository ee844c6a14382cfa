//! `POST /staff/requests/{id}/messages`: a staff member writes to the requester from the
//! request page. The message is kept on the request and the requester is emailed a link
//! to read it on their status page.

use super::posted::RequestPost;
use super::{redirect, set_flash};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::with_conn;
use actix_web::{web, HttpResponse};

pub async fn send(state: web::Data<AppState>, post: RequestPost) -> Result<HttpResponse, AppError> {
    let RequestPost {
        id,
        me,
        form,
        session,
    } = post;
    let body = form.text("body");
    let (target, staff_id) = (id.clone(), me.id.clone());
    with_conn(&state, move |state, conn| {
        crate::flows::conversation::from_staff(
            state,
            conn,
            &target,
            &staff_id,
            &body,
            crate::clock::now(),
        )
    })
    .await?;
    set_flash(
        &session,
        &state.templates.phrase("staff_conversation.flash_sent", &[]),
    )?;
    Ok(redirect(&format!("/staff/requests/{id}#conversation")))
}
