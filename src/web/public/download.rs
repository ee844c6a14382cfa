//! `/download/{token}`: the access package. GET shows what it is (no download counted,
//! so link scanners do not use it up); POST counts one download and sends the ZIP.

use crate::error::AppError;
use crate::flows::package::{self, Download};
use crate::state::AppState;
use crate::web::language::Lang;
use crate::web::public::link_request::{LinkPage, LinkPost};
use crate::web::public::verify::{problem_page, Problem};
use crate::web::{csrf, render, with_conn};
use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::json;

pub async fn show(state: web::Data<AppState>, link: LinkPage) -> Result<HttpResponse, AppError> {
    let LinkPage {
        token,
        session,
        lang,
    } = link;
    let t = token.clone();
    let found = with_conn(&state, move |_, conn| {
        Ok(match package::lookup(conn, &t, crate::clock::now())? {
            Download::Ready(e) => {
                let request = crate::db::models::requests::find(conn, &e.request_id)?;
                Some((e, request.reference, request.language))
            }
            Download::Gone => None,
            Download::Unknown => return Err(AppError::NotFound),
        })
    })
    .await;
    match found {
        Ok(Some((e, reference, filed_in))) => {
            let lang = lang.about_request(&state, filed_in.as_deref());
            let t = lang.words(&state);
            render(
                &state,
                &lang,
                "pages/download",
                json!({
                "title": t.phrase("titles.download", &[]), "reference": reference, "token": token,
                "size_kb": (e.size_bytes + 1023) / 1024, "files": e.files, "downloads": e.downloads,
                "max_downloads": e.max_downloads, "expires_on": t.date(e.expires_at.date()),
                "csrf_token": csrf::token(&session)?}),
            )
        }
        Ok(None) => gone(&state, &session, &lang, &token),
        Err(AppError::NotFound) => problem_page(
            &state,
            &session,
            &lang,
            Problem::Unknown,
            &token,
            "download",
        ),
        Err(e) => Err(e),
    }
}

fn gone(
    state: &AppState,
    session: &Session,
    lang: &Lang,
    token: &str,
) -> Result<HttpResponse, AppError> {
    // Expired or used up: the status page can ask for help; no resend for packages.
    let mut page = problem_page(state, session, lang, Problem::Used, token, "download")?;
    *page.status_mut() = actix_web::http::StatusCode::GONE;
    Ok(page)
}

pub async fn take(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    let LinkPost {
        token,
        session,
        lang,
        ..
    } = post;
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
        None => gone(&state, &session, &lang, &token),
    }
}
