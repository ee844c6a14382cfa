//! `/staff/accounts`: administrators add, disable, enable and reset staff accounts,
//! and end an account's sessions.

use super::posted::StaffPost;
use super::{page, redirect};
use crate::db::models::staff;
use crate::domain::roles::Role;
use crate::domain::sign_in::SignInWays;
use crate::error::AppError;
use crate::i18n::msg;
use crate::staff::accounts;
use crate::state::AppState;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::json;

async fn render_list(
    state: &web::Data<AppState>,
    session: &Session,
    me: &crate::web::staff_session::CurrentStaff,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let rows = with_conn(state, |_, conn| Ok(staff::list(conn)?)).await?;
    let provider = state
        .oidc
        .as_ref()
        .map(|p| p.settings().display_name.as_str());
    let signs_in = |s: &staff::StaffRow| {
        let ways = SignInWays::of(
            provider.is_some(),
            super::login::password_allowed(state, &s.email),
            s.password_usable,
        );
        state.templates.phrase(
            ways.label_key(),
            &[("provider", provider.unwrap_or_default())],
        )
    };
    let list: Vec<_> = rows
        .iter()
        .map(|s| json!({"id": s.id, "email": s.email, "role": state.templates.label(s.role.label_key()), "disabled": s.disabled,
                        "is_me": s.id == me.id, "signs_in": signs_in(s),
                        "last_login": s.last_login_at.map(|t| state.templates.timestamp(t))}))
        .collect();
    page(
        state,
        session,
        me,
        "pages/staff/accounts",
        json!({"title": state.templates.phrase("titles.staff_accounts", &[]), "staff": list, "notice": notice}),
    )
}

pub async fn list(state: web::Data<AppState>, session: Session) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    me.require_admin()?;
    render_list(&state, &session, &me, None).await
}

pub async fn add(state: web::Data<AppState>, post: StaffPost) -> Result<HttpResponse, AppError> {
    let StaffPost { me, form, session } = post;
    me.require_admin()?;
    let email = form.text("email");
    let role = Role::parse(form.get("role").unwrap_or_default())
        .ok_or_else(|| AppError::BadRequest(msg("errors.choose_role")))?;
    let actor = me.actor();
    let (row, password) = with_conn(&state, move |state, conn| {
        accounts::create(
            conn,
            &state.hasher,
            &email,
            role,
            None,
            &actor,
            crate::clock::now(),
        )
    })
    .await?;
    let notice = password.map(|p| {
        state.templates.phrase(
            "staff_accounts.added",
            &[
                ("email", &row.email),
                ("role", &state.templates.label(row.role.label_key())),
                ("password", &p),
            ],
        )
    });
    render_list(&state, &session, &me, notice).await
}

pub async fn change(
    state: web::Data<AppState>,
    post: StaffPost,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let StaffPost { me, session, .. } = post;
    me.require_admin()?;
    let (id, op) = path.into_inner();
    if id == me.id && op == "disable" {
        return Err(AppError::BadRequest(msg("errors.cannot_disable_self")));
    }
    let actor = me.actor();
    let notice = with_conn(&state, move |state, conn| {
        let target = staff::find(conn, &id)?.ok_or(AppError::NotFound)?;
        let now = crate::clock::now();
        match op.as_str() {
            "disable" => {
                accounts::set_disabled(conn, &target.email, true, &actor, now).map(|_| None)
            }
            "enable" => {
                accounts::set_disabled(conn, &target.email, false, &actor, now).map(|_| None)
            }
            "reset" => {
                accounts::reset_password(conn, &state.hasher, &target.email, None, &actor, now).map(
                    |p| {
                        p.map(|p| {
                            state.templates.phrase(
                                "staff_accounts.password_reset",
                                &[("email", &target.email), ("password", &p)],
                            )
                        })
                    },
                )
            }
            "sessions" => accounts::end_sessions(conn, &target.email, &actor, now).map(|_| None),
            _ => Err(AppError::NotFound),
        }
    })
    .await?;
    match notice {
        Some(n) => render_list(&state, &session, &me, Some(n)).await,
        None => Ok(redirect("/staff/accounts")),
    }
}
