//! Manual systems' tasks: `/staff/tasks` (open tasks, the viewer's first; filters mine,
//! all, overdue), the page of one task and its forms (upload an export, mark it done,
//! reassign), and "Create tasks" on a request page. Who may act is decided in
//! `domain::manual_tasks`; a stale form (someone else acted first) answers 409 with the
//! page again and the note as typed.

use super::posted::{RequestPost, StaffPost};
use super::{page, redirect, set_flash, take_flash};
use crate::domain::documents::clean_filename;
use crate::domain::export_files;
use crate::domain::manual_tasks::{may_act, may_reassign};
use crate::error::AppError;
use crate::flows::manual_tasks::{self as flow, ExportUpload};
use crate::i18n::msg;
use crate::state::AppState;
use crate::views::manual_tasks::{self as view, Show};
use crate::web::multipart;
use crate::web::staff_session::{self as session, CurrentStaff};
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};

/// The file input of the upload form.
const FILE_FIELD: &str = "file";

#[derive(serde::Deserialize)]
pub struct ListQuery {
    show: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    session: Session,
    query: Option<web::Query<ListQuery>>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let show = Show::parse(query.as_ref().and_then(|q| q.show.as_deref()));
    let (id, today) = (me.id.clone(), crate::clock::now().date());
    let model = with_conn(&state, move |state, conn| {
        view::list(state, conn, &id, show, today)
    })
    .await?;
    page(&state, &session, &me, "pages/staff/tasks", model)
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let flash = take_flash(&session);
    shown(&state, &session, &me, &id, None, None, flash).await
}

/// The task page, with a refused form's reason and note when there is one.
async fn shown(
    state: &web::Data<AppState>,
    session: &Session,
    me: &CurrentStaff,
    id: &str,
    refused: Option<AppError>,
    typed: Option<String>,
    flash: Option<String>,
) -> Result<HttpResponse, AppError> {
    let status = match &refused {
        None => StatusCode::OK,
        Some(AppError::Conflict(_))
        | Some(AppError::BadRequest(_))
        | Some(AppError::TooLarge(_)) => {
            refused.as_ref().map_or(StatusCode::OK, |e| e.status_code())
        }
        Some(_) => return Err(refused.unwrap_or(AppError::NotFound)),
    };
    let error = match &refused {
        Some(AppError::Conflict(m))
        | Some(AppError::BadRequest(m))
        | Some(AppError::TooLarge(m)) => Some(state.templates.message(m)),
        _ => None,
    };
    let (target, my_id, role, today) = (
        id.to_string(),
        me.id.clone(),
        me.role,
        crate::clock::now().date(),
    );
    let mut model = with_conn(state, move |state, conn| {
        view::task_page(state, conn, &target, &my_id, role, today)
    })
    .await?;
    if let Some(note) = typed {
        model.note = note;
    }
    model.error = error;
    let mut ctx = serde_json::to_value(model).map_err(AppError::internal)?;
    if let Some(map) = ctx.as_object_mut() {
        map.insert("flash".into(), flash.into());
    }
    let mut response = page(state, session, me, "pages/staff/task", ctx)?;
    *response.status_mut() = status;
    Ok(response)
}

/// Whether `me` may act on task `id`; the task's owner may, whatever their role.
async fn require_actor(
    state: &web::Data<AppState>,
    me: &CurrentStaff,
    id: &str,
) -> Result<(), AppError> {
    let target = id.to_string();
    let task = with_conn(state, move |_, conn| {
        Ok(crate::db::models::manual_tasks::find(conn, &target)?)
    })
    .await?;
    // Refused before "not found": a read-only account learns nothing about task ids.
    let owner = task.as_ref().and_then(|t| t.owner_id.as_deref());
    if !may_act(me.role, owner == Some(me.id.as_str())) {
        return Err(AppError::Forbidden(msg("errors.read_only_role")));
    }
    task.map(|_| ()).ok_or(AppError::NotFound)
}

fn version_of(text: Option<&str>) -> Result<i64, AppError> {
    text.and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest(msg("errors.form_no_version")))
}

/// `POST /staff/tasks/{id}/files`: an exported file, checked (`export_files::check`)
/// before anything is stored.
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let id = id.into_inner();
    let (version, file) = read_upload(&req, &session, &state, payload).await?;
    require_actor(&state, &me, &id).await?;
    let version = version_of(version.as_deref())?;
    let Some(file) = file else {
        let e = AppError::BadRequest(msg("errors.task_choose_file"));
        return shown(&state, &session, &me, &id, Some(e), None, None).await;
    };
    let name = clean_filename(&file.filename);
    let kind = match export_files::check(&name, &file.bytes) {
        Ok(kind) => kind,
        Err(m) => {
            let e = AppError::BadRequest(m);
            return shown(&state, &session, &me, &id, Some(e), None, None).await;
        }
    };
    let upload = ExportUpload {
        name,
        kind,
        bytes: file.bytes,
    };
    let (target, actor) = (id.clone(), me.actor());
    let added = with_conn(&state, move |state, conn| {
        flow::add_file(
            state,
            conn,
            &target,
            version,
            upload,
            &actor,
            crate::clock::now(),
        )
    })
    .await;
    match added {
        Ok(_) => {
            set_flash(
                &session,
                &state.templates.phrase("staff_tasks.flash_file_added", &[]),
            )?;
            Ok(redirect(&format!("/staff/tasks/{id}")))
        }
        Err(e) => shown(&state, &session, &me, &id, Some(e), None, None).await,
    }
}

/// The upload form's version and file, its CSRF token checked. The page sends
/// multipart; a form without the file input may come url-encoded and is read (and
/// checked) as every other form, so it is refused for its token, not its encoding.
async fn read_upload(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    payload: web::Payload,
) -> Result<(Option<String>, Option<multipart::UploadedFile>), AppError> {
    if req
        .content_type()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        let mut form = multipart::parse(
            req,
            session,
            state,
            multipart::bounded(req, payload),
            FILE_FIELD,
        )
        .await?;
        let version = form.get("version").map(str::to_string);
        return Ok((version, form.take_file()));
    }
    let body = web::Bytes::from_request(req, &mut payload.into_inner())
        .await
        .map_err(|e| match e.as_response_error().status_code() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(msg("errors.form_too_large")),
            _ => AppError::BadRequest(msg("errors.form_unreadable")),
        })?;
    let form = crate::web::form::Form::parse(req, session, state, &body)?;
    Ok((form.get("version").map(str::to_string), None))
}

/// `POST /staff/tasks/{id}/done`: the task finished, with its note.
pub async fn done(
    state: web::Data<AppState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let StaffPost { me, form, session } = post;
    let id = id.into_inner();
    require_actor(&state, &me, &id).await?;
    let version = version_of(form.get("version"))?;
    let note = form.text("note");
    let (target, actor, typed) = (id.clone(), me.actor(), note.clone());
    let finished = with_conn(&state, move |state, conn| {
        flow::finish(
            state,
            conn,
            &target,
            version,
            &note,
            &actor,
            crate::clock::now(),
        )
    })
    .await;
    match finished {
        Ok(()) => {
            set_flash(
                &session,
                &state.templates.phrase("staff_tasks.flash_done", &[]),
            )?;
            Ok(redirect(&format!("/staff/tasks/{id}")))
        }
        Err(e) => shown(&state, &session, &me, &id, Some(e), Some(typed), None).await,
    }
}

/// `POST /staff/tasks/{id}/reassign`: the task given to another active account.
pub async fn reassign(
    state: web::Data<AppState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let StaffPost { me, form, session } = post;
    if !may_reassign(me.role) {
        return Err(AppError::Forbidden(msg("errors.read_only_role")));
    }
    let id = id.into_inner();
    let version = version_of(form.get("version"))?;
    let to = form.text("owner");
    let (target, actor) = (id.clone(), me.actor());
    let moved = with_conn(&state, move |_, conn| {
        flow::reassign(conn, &target, version, &to, &actor, crate::clock::now())
    })
    .await;
    match moved {
        Ok(()) => {
            set_flash(
                &session,
                &state.templates.phrase("staff_tasks.flash_reassigned", &[]),
            )?;
            Ok(redirect(&format!("/staff/tasks/{id}")))
        }
        Err(e) => shown(&state, &session, &me, &id, Some(e), None, None).await,
    }
}

/// `POST /staff/requests/{id}/tasks`: the tasks of manual systems configured after the
/// request was verified (none twice).
pub async fn create(
    state: web::Data<AppState>,
    post: RequestPost,
) -> Result<HttpResponse, AppError> {
    let RequestPost {
        id, me, session, ..
    } = post;
    let (target, actor) = (id.clone(), me.actor());
    let created = with_conn(&state, move |state, conn| {
        crate::db::write_tx(conn, |conn| {
            let row = crate::db::models::requests::find(conn, &target)?;
            flow::create_missing(state, conn, &row, &actor, crate::clock::now())
        })
    })
    .await?;
    set_flash(
        &session,
        &state.templates.phrase(
            "staff_tasks.flash_created",
            &[("count", &created.to_string())],
        ),
    )?;
    Ok(redirect(&format!("/staff/requests/{id}#manual-systems")))
}
