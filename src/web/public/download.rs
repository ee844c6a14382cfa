//! `/download/{token}`: the access package. GET shows what it is (no download counted,
//! so link scanners do not use it up); POST counts one download and sends the ZIP.

use crate::error::AppError;
use crate::flows::package::{self, Download};
use crate::state::AppState;
use crate::web::public::link_request::{LinkPage, LinkPost};
use crate::web::public::verify::{problem_page, Problem};
use crate::web::{csrf, render, with_conn};
use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn show(state: web::Data<AppState>, link: LinkPage) -> Result<HttpResponse, AppError> {
    let LinkPage { token, session } = link;
    let t = token.clone();
    let found = with_conn(&state, move |_, conn| {
        Ok(match package::lookup(conn, &t, crate::clock::now())? {
            Download::Ready(e) => {
                let reference = crate::db::models::requests::find(conn, &e.request_id)?.reference;
                Some((e, reference))
            }
            Download::Gone => None,
            Download::Unknown => return Err(AppError::NotFound),
        })
    })
    .await;
    match found {
        Ok(Some((e, reference))) => render(
            &state,
            "pages/download",
            json!({
            "title": state.templates.phrase("titles.download", &[]), "reference": reference, "token": token,
            "size_kb": (e.size_bytes + 1023) / 1024, "files": e.files, "downloads": e.downloads,
            "max_downloads": e.max_downloads, "expires_on": state.templates.date(e.expires_at.date()),
            "csrf_token": csrf::token(&session)?}),
        ),
        Ok(None) => gone(&state, &session, &token),
        Err(AppError::NotFound) => {
            problem_page(&state, &session, Problem::Unknown, &token, "download")
        }
        Err(e) => Err(e),
    }
}

fn gone(state: &AppState, session: &Session, token: &str) -> Result<HttpResponse, AppError> {
    // Expired or used up: the status page can ask for help; no resend for packages.
    let mut page = problem_page(state, session, Problem::Used, token, "download")?;
    *page.status_mut() = actix_web::http::StatusCode::GONE;
    Ok(page)
}

pub async fn take(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    let LinkPost { token, session, .. } = post;
    let t = token.clone();
    let zip = with_conn(&state, move |state, conn| {
        package::take(state, conn, &t, crate::clock::now())
    })
    .await?;
    match zip {
        Some((reference, bytes)) => Ok(HttpResponse::Ok()
            .content_type("application/zip")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"my-data-{reference}.zip\""),
            ))
            .body(bytes)),
        None => gone(&state, &session, &token),
    }
}
