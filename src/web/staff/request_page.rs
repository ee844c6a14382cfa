//! `/staff/requests/{id}`: everything about one request, and the actions the state
//! machine allows right now (each form carries the version the page was built from).
//! A request an authorized agent filed also shows the agent, the consumer's
//! confirmation, the identity the agent claims (DRP) and the agent's documents, which
//! staff open through `document` and record a review of through `review_document`.

use super::form_again::{again, Kept};
use super::posted::{RequestPost, StaffPost};
use super::{page, redirect, set_flash, take_flash, Form};
use crate::db::models::documents;
use crate::domain::documents::DocumentType;
use crate::error::AppError;
use crate::flows::agents;
use crate::flows::handling::{self, Action};
use crate::i18n::{key, msg};
use crate::state::AppState;
use crate::views::notice_preview;
use crate::views::request_page;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<String>,
    reply: Option<web::Query<super::reply_templates::ReplyChoice>>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let reply = reply.and_then(|q| q.into_inner().reply);
    // Taken before the page is built: the session cannot cross into the blocking pool.
    let flash = take_flash(&session);
    let today = crate::clock::now().date();
    let mut model = with_conn(&state, move |state, conn| {
        request_page::load(state, conn, &id, today, reply.as_deref())
    })
    .await?;
    model.flash = flash;
    page(&state, &session, &me, "pages/staff/request", model)
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
    post: StaffPost,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let StaffPost { me, form, session } = post;
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
    let flash = if accepted {
        key("staff_request.flash_document_accepted")
    } else {
        key("staff_request.flash_document_rejected")
    };
    set_flash(&session, &state.templates.phrase(flash, &[]))?;
    Ok(back_to(&id))
}

/// A request page's action. A refusal or fulfilment first shows its notice for
/// confirmation (`confirmed=yes` sends it); "back to edit" shows the page with what was
/// typed. A form that is refused (bad input, or a colliding edit) shows the page again
/// with the reason and the text kept; a done action says what it did and lands on the
/// next step.
pub async fn act(state: web::Data<AppState>, post: RequestPost) -> Result<HttpResponse, AppError> {
    let RequestPost {
        id,
        me,
        form,
        session,
    } = post;
    let version: i64 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest(msg("errors.form_no_version")))?;
    let kept = Kept::of(&form);
    if form.get("action") == Some("back") {
        return again(&state, &session, &me, &id, kept, None).await;
    }
    let action = action_of(&form)?;
    let decides = matches!(action, Action::Deny { .. } | Action::Fulfil { .. });
    // An access request's last two steps in one: the package, then the fulfilment.
    let with_package = matches!(action, Action::Fulfil { in_part: false, .. })
        && form.get("package") == Some("yes");
    if decides && form.get("confirmed") != Some("yes") {
        let target = id.clone();
        let message = form.text("message");
        let previewed = with_conn(&state, move |state, conn| {
            let p = handling::preview(state, conn, &target, version, &action)?;
            let row = crate::db::models::requests::find(conn, &target)?;
            let ctx = (target.as_str(), row.reference.as_str(), version);
            Ok(notice_preview::decision_page(state, ctx, p, message))
        })
        .await;
        return match previewed {
            Ok(mut model) => {
                model.with_package = with_package;
                page(&state, &session, &me, "pages/staff/confirm_decision", model)
            }
            Err(e) => again(&state, &session, &me, &id, kept, Some(e)).await,
        };
    }
    let actor = me.actor();
    let target = id.clone();
    let done = with_conn(&state, move |state, conn| {
        let version = match with_package {
            true => send_package_first(state, conn, &target, version, &actor)?,
            false => version,
        };
        let applied = handling::apply(
            state,
            conn,
            &target,
            version,
            &actor,
            action,
            crate::clock::now(),
        )?;
        let next = request_page::guidance::next_anchor(state, conn, &target)?;
        Ok((applied, next))
    })
    .await;
    match done {
        Ok((applied, next)) => {
            let args: Vec<(&str, &str)> =
                applied.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            set_flash(&session, &state.templates.phrase(applied.flash, &args))?;
            Ok(redirect(&format!("/staff/requests/{id}#{next}")))
        }
        Err(e) => again(&state, &session, &me, &id, kept, Some(e)).await,
    }
}

/// Sends the access package of request `id` if it is still as the staff member saw it
/// (`version`); answers the version the fulfilment that follows is checked against.
fn send_package_first(
    state: &AppState,
    conn: &mut crate::db::DbConn,
    id: &str,
    version: i64,
    actor: &str,
) -> Result<i64, AppError> {
    use crate::db::models::requests;
    if requests::find(conn, id)?.version != version {
        return Err(handling::conflict());
    }
    crate::flows::package::create_and_send(state, conn, id, actor, crate::clock::now())?;
    Ok(requests::find(conn, id)?.version)
}

/// The staff action a request page's form asks for.
fn action_of(form: &Form) -> Result<Action, AppError> {
    Ok(match form.get("action").unwrap_or_default() {
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
    })
}

/// Queues a connector run (find, export, erase) for this request.
pub async fn run(state: web::Data<AppState>, post: RequestPost) -> Result<HttpResponse, AppError> {
    let RequestPost {
        id,
        me,
        form,
        session,
    } = post;
    let connector = form.text("connector");
    let action = form.text("action");
    if action == "erase" && form.get("confirm") != Some("yes") {
        return Err(AppError::BadRequest(msg("errors.confirm_erase_checked")));
    }
    let flash = match action.as_str() {
        "find" => key("staff_flash.run_find"),
        "export" => key("staff_flash.run_export"),
        "erase" => key("staff_flash.run_erase"),
        _ => key("staff_flash.run_opt_out"),
    };
    let flash = state.templates.phrase(flash, &[("system", &connector)]);
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
    set_flash(&session, &flash)?;
    Ok(redirect(&format!("/staff/requests/{id}#systems")))
}

/// Builds the access package from the finished exports and emails the download link.
pub async fn send_package(
    state: web::Data<AppState>,
    post: RequestPost,
) -> Result<HttpResponse, AppError> {
    let RequestPost {
        id, me, session, ..
    } = post;
    let actor = me.actor();
    let target = id.clone();
    let files = with_conn(&state, move |state, conn| {
        crate::flows::package::create_and_send(state, conn, &target, &actor, crate::clock::now())
    })
    .await?;
    let files = files.to_string();
    let flash = state
        .templates
        .phrase("staff_flash.package", &[("files", &files)]);
    set_flash(&session, &flash)?;
    Ok(redirect(&format!("/staff/requests/{id}#decide")))
}

/// Every action answers with the request's page (no resubmission on reload).
fn back_to(id: &str) -> HttpResponse {
    redirect(&format!("/staff/requests/{id}"))
}
