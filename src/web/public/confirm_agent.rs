//! `/confirm-agent/{token}`: the consumer confirms or refuses that an agent may act for
//! them (CCPA §7063(a)(2)). GET shows who asked for what; POST records the answer, so a
//! mail scanner fetching the link decides nothing.

use super::link_request::{LinkPage, LinkPost};
use crate::error::AppError;
use crate::flows::agents::{self, ConfirmationLink};
use crate::i18n::msg;
use crate::state::AppState;
use crate::web::{csrf, render, with_conn};
use actix_web::{web, HttpResponse};
use serde_json::json;

fn link_gone() -> AppError {
    AppError::Conflict(msg("errors.agent_link_unusable"))
}

pub async fn show(state: web::Data<AppState>, link: LinkPage) -> Result<HttpResponse, AppError> {
    let LinkPage {
        token,
        session,
        lang,
    } = link;
    let t = token.clone();
    let link = with_conn(&state, move |state, conn| {
        agents::inspect_confirmation(state, conn, &t, crate::clock::now())
    })
    .await?;
    match link {
        ConfirmationLink::Open(page) => {
            let lang = lang.about_request(&state, page.language.as_deref());
            let t = lang.words(&state);
            render(
                &state,
                &lang,
                "pages/confirm_agent",
                json!({
                    "title": t.phrase("titles.confirm_agent", &[]),
                    "reference": page.reference,
                    "kind_label": t.label(page.kind.label_key()),
                    "agent_name": page.agent.name,
                    "agent_organisation": page.agent.organisation,
                    "agent_registration_number": page.agent.registration_number,
                    "authority_label": t.label(page.agent.authority.label_key()),
                    "consumer_name": page.consumer_name,
                    "csrf_token": csrf::token(&session)?,
                    "action_url": format!("/confirm-agent/{token}"),
                }),
            )
        }
        ConfirmationLink::Closed => Err(link_gone()),
        ConfirmationLink::Unknown => Err(AppError::NotFound),
    }
}

pub async fn answer(state: web::Data<AppState>, post: LinkPost) -> Result<HttpResponse, AppError> {
    let LinkPost {
        token, form, lang, ..
    } = post;
    let confirms = match form.get("decision") {
        Some("confirm") => true,
        Some("refuse") => false,
        _ => return Err(AppError::BadRequest(msg("errors.choose_agent_answer"))),
    };
    let answered = with_conn(&state, move |state, conn| {
        agents::answer(state, conn, &token, confirms, crate::clock::now())
    })
    .await?;
    let Some((reference, filed_in)) = answered else {
        return Err(link_gone());
    };
    let lang = lang.about_request(&state, filed_in.as_deref());
    let t = lang.words(&state);
    tracing::info!(confirmed = confirms, "consumer answered an agent's request");
    render(
        &state,
        &lang,
        "pages/agent_answered",
        json!({
            "title": if confirms { t.phrase("titles.agent_confirmed", &[]) } else { t.phrase("titles.agent_refused", &[]) },
            "reference": reference,
            "confirmed": confirms,
        }),
    )
}
