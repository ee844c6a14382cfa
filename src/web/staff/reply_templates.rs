//! `/staff/templates`: the saved replies. Every staff member may read the list (they
//! use the replies on request pages); only administrators add, change or delete one
//! (`flows::reply_templates`, each change audited). A form with a problem is shown
//! again with what was typed and a message per field (422).

use super::posted::StaffPost;
use super::{page, redirect, set_flash, take_flash};
use crate::db::models::reply_templates::{self as store, ReplyTemplateRow};
use crate::domain::deadlines::Regime;
use crate::domain::kinds::RequestKind;
use crate::domain::reply_text::{Purpose, ANY};
use crate::error::AppError;
use crate::flows::reply_templates::{self as replies, ReplyInput};
use crate::state::AppState;
use crate::templates::Templates;
use crate::web::staff_session::{self as session, CurrentStaff};
use crate::web::with_conn;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

const LIST: &str = "/staff/templates";

/// The request page's `?reply=<id>`: a saved reply to fill in. Any other parameter is
/// ignored, so a request page link never fails on its query.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReplyChoice {
    pub reply: Option<String>,
}

pub async fn list(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let flash = take_flash(&session);
    let rows = with_conn(&state, |_, conn| Ok(store::list(conn)?)).await?;
    let t = &state.templates;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({"id": r.id, "name": r.name, "body": r.body,
                   "purpose": purpose_label(t, &r.purpose),
                   "kind": scope_label(t, &r.kind, kind_label_key(&r.kind)),
                   "law": scope_label(t, &r.regime, regime_label_key(&r.regime))})
        })
        .collect();
    page(
        &state,
        &session,
        &me,
        "pages/staff/reply_templates",
        json!({"title": t.phrase("titles.staff_templates", &[]), "templates": items,
               "has_templates": !items.is_empty(), "flash": flash}),
    )
}

pub async fn new_form(
    state: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    me.require_admin()?;
    let blank = ReplyInput {
        kind: ANY.into(),
        regime: ANY.into(),
        ..ReplyInput::default()
    };
    render_form(&state, &session, &me, None, &blank, &[])
}

pub async fn edit_form(
    state: web::Data<AppState>,
    session: Session,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    me.require_admin()?;
    let id = id.into_inner();
    let row = with_conn(&state, move |_, conn| {
        store::find(conn, &id)?.ok_or(AppError::NotFound)
    })
    .await?;
    render_form(&state, &session, &me, Some(&row.id), &input_of(&row), &[])
}

pub async fn create(state: web::Data<AppState>, post: StaffPost) -> Result<HttpResponse, AppError> {
    save(state, post, None).await
}

pub async fn update(
    state: web::Data<AppState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    save(state, post, Some(id.into_inner())).await
}

async fn save(
    state: web::Data<AppState>,
    post: StaffPost,
    id: Option<String>,
) -> Result<HttpResponse, AppError> {
    let StaffPost { me, form, session } = post;
    me.require_admin()?;
    let input = ReplyInput {
        name: form.text("name"),
        purpose: form.text("purpose"),
        kind: form.text("kind"),
        regime: form.text("regime"),
        body: form.text("body"),
    };
    let errors = replies::check(&input);
    if !errors.is_empty() {
        let mut response = render_form(&state, &session, &me, id.as_deref(), &input, &errors)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    let actor = me.actor();
    let now = crate::clock::now();
    let saved = with_conn(&state, move |_, conn| match id {
        Some(id) => replies::update(conn, &id, &input, &actor, now),
        None => replies::create(conn, &input, &actor, now),
    })
    .await?;
    set_flash(
        &session,
        &state
            .templates
            .phrase("staff_templates.saved", &[("name", &saved.name)]),
    )?;
    Ok(redirect(LIST))
}

pub async fn delete(
    state: web::Data<AppState>,
    post: StaffPost,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let StaffPost { me, session, .. } = post;
    me.require_admin()?;
    let id = id.into_inner();
    let actor = me.actor();
    let name = with_conn(&state, move |_, conn| {
        replies::delete(conn, &id, &actor, crate::clock::now())
    })
    .await?;
    set_flash(
        &session,
        &state
            .templates
            .phrase("staff_templates.deleted", &[("name", &name)]),
    )?;
    Ok(redirect(LIST))
}

fn input_of(row: &ReplyTemplateRow) -> ReplyInput {
    ReplyInput {
        name: row.name.clone(),
        purpose: row.purpose.clone(),
        kind: row.kind.clone(),
        regime: row.regime.clone(),
        body: row.body.clone(),
    }
}

fn render_form(
    state: &AppState,
    session: &Session,
    me: &CurrentStaff,
    id: Option<&str>,
    input: &ReplyInput,
    errors: &[replies::FieldError],
) -> Result<HttpResponse, AppError> {
    let t = &state.templates;
    let error_of = |field: &str| {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| t.message(m))
    };
    let summary: Vec<Value> = errors
        .iter()
        .map(|(field, m)| json!({"anchor": format!("reply-{field}"), "message": t.message(m)}))
        .collect();
    let choice = |value: &str, label: String, chosen: &str| json!({"value": value, "label": label, "selected": value == chosen});
    let purposes: Vec<Value> = Purpose::ALL
        .iter()
        .map(|p| choice(p.as_str(), t.label(p.label_key()), &input.purpose))
        .collect();
    let any_kind = t.phrase("staff_templates.any_kind", &[]);
    let kinds: Vec<Value> = std::iter::once(choice(ANY, any_kind, &input.kind))
        .chain(
            RequestKind::ALL
                .into_iter()
                .chain([RequestKind::Appeal])
                .map(|k| choice(k.as_str(), t.label(k.label_key()), &input.kind)),
        )
        .collect();
    let any_law = t.phrase("staff_templates.any_law", &[]);
    let laws: Vec<Value> = std::iter::once(choice(ANY, any_law, &input.regime))
        .chain(
            Regime::ALL
                .iter()
                .map(|r| choice(r.as_str(), t.label(r.label_key()), &input.regime)),
        )
        .collect();
    let title = match id {
        Some(_) => t.phrase("titles.staff_template_edit", &[]),
        None => t.phrase("titles.staff_template_new", &[]),
    };
    page(
        state,
        session,
        me,
        "pages/staff/reply_templates_form",
        json!({"title": title, "id": id, "editing": id.is_some(),
               "action": id.map_or_else(|| LIST.to_string(), |id| format!("{LIST}/{id}")),
               "name": input.name, "body": input.body,
               "purposes": purposes, "kinds": kinds, "laws": laws,
               "placeholders": replies::allowed_placeholders(),
               "name_max": replies::NAME_MAX, "body_max": replies::BODY_MAX,
               "has_errors": !errors.is_empty(), "errors": summary,
               "name_error": error_of("name"), "purpose_error": error_of("purpose"),
               "kind_error": error_of("kind"), "regime_error": error_of("regime"),
               "body_error": error_of("body")}),
    )
}

fn purpose_label(t: &Templates, code: &str) -> String {
    Purpose::parse(code).map_or_else(|| code.to_string(), |p| t.label(p.label_key()))
}

fn kind_label_key(code: &str) -> Option<&'static str> {
    RequestKind::parse(code).map(RequestKind::label_key)
}

fn regime_label_key(code: &str) -> Option<&'static str> {
    Regime::ALL
        .iter()
        .find(|r| r.as_str() == code)
        .map(|r| r.label_key())
}

/// "Any kind" / "Any law" for `any`, the label of a known code, else the code.
fn scope_label(t: &Templates, code: &str, label_key: Option<&'static str>) -> String {
    if code == ANY {
        return t.phrase("staff_templates.any", &[]);
    }
    label_key.map_or_else(|| code.to_string(), |k| t.label(k))
}
