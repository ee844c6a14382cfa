//! `POST /staff/queue/bulk`: one action on the rows ticked in the queue, then back to
//! the same page of the queue with a message that says what was done and what was
//! skipped, and why.

use super::posted::StaffPost;
use super::{redirect, set_flash};
use crate::error::AppError;
use crate::flows::bulk::{self, BulkAction, Outcome, Selected, Skip};
use crate::i18n::key;
use crate::state::AppState;
use crate::templates::Templates;
use crate::web::with_conn;
use actix_web::{web, HttpResponse};

pub async fn submit(state: web::Data<AppState>, post: StaffPost) -> Result<HttpResponse, AppError> {
    let StaffPost { me, form, session } = post;
    me.require_worker()?;
    let t = &state.templates;
    // Only back into the queue: never a redirect to somewhere the form names.
    let back = form.text("back");
    let back = if back == "/staff" || back.starts_with("/staff?") {
        back
    } else {
        "/staff".to_string()
    };
    // "Select all on this page" works without script: the page lists its rows.
    let ticked = if form.get("all") == Some("1") {
        form.all("row")
    } else {
        form.all("r")
    };
    let rows: Vec<Selected> = ticked.iter().filter_map(|s| Selected::parse(s)).collect();
    let assignee = form.text("assignee");
    let action = match form.get("action") {
        Some("assign") if assignee.trim().is_empty() => None,
        Some("assign") => Some(BulkAction::Assign(assignee.trim().to_string())),
        Some("close_unverified") => Some(BulkAction::CloseUnverified),
        Some("remind") => Some(BulkAction::Remind),
        _ => None,
    };
    let (Some(action), false) = (action, rows.is_empty()) else {
        let why = if rows.is_empty() {
            key("staff_queue.bulk_none_selected")
        } else {
            key("staff_queue.bulk_choose_person")
        };
        set_flash(&session, &t.phrase(why, &[]))?;
        return Ok(redirect(&back));
    };
    let actor = format!("staff:{}", me.id);
    let now = crate::clock::now();
    let act = action.clone();
    let (outcome, names) = with_conn(&state, move |state, conn| {
        let outcome = bulk::apply(state, conn, &rows, &actor, &act, now)?;
        Ok((outcome, crate::views::queue::staff_names(conn)?))
    })
    .await?;
    let person = match &action {
        BulkAction::Assign(id) => names.get(id).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    set_flash(&session, &summary(t, &action, &person, &outcome))?;
    Ok(redirect(&back))
}

/// "3 assigned to ana@example.com. 1 skipped: DSR-… (already closed)."
fn summary(t: &Templates, action: &BulkAction, person: &str, outcome: &Outcome) -> String {
    let count = outcome.done.len().to_string();
    let done = match action {
        BulkAction::Assign(_) => t.phrase(
            "staff_queue.bulk_assigned",
            &[("count", &count), ("name", person)],
        ),
        BulkAction::CloseUnverified => t.phrase("staff_queue.bulk_closed", &[("count", &count)]),
        BulkAction::Remind => t.phrase("staff_queue.bulk_reminded", &[("count", &count)]),
    };
    if outcome.skipped.is_empty() {
        return done;
    }
    // A long list would bury the message: the first few, and the count says the rest.
    let mut list = outcome
        .skipped
        .iter()
        .take(10)
        .map(|(reference, why)| format!("{reference} ({})", t.phrase(skip_key(*why), &[])))
        .collect::<Vec<_>>()
        .join(", ");
    if outcome.skipped.len() > 10 {
        list.push_str(", …");
    }
    let skipped = t.phrase(
        "staff_queue.bulk_skipped",
        &[
            ("count", &outcome.skipped.len().to_string()),
            ("list", &list),
        ],
    );
    format!("{done} {skipped}")
}

fn skip_key(skip: Skip) -> &'static str {
    match skip {
        Skip::Unknown => key("staff_queue.skip_unknown"),
        Skip::Changed => key("staff_queue.skip_changed"),
        Skip::Closed => key("staff_queue.skip_closed"),
        Skip::Confirmed => key("staff_queue.skip_confirmed"),
        Skip::AlreadyAssigned => key("staff_queue.skip_already_assigned"),
        Skip::NotWaiting => key("staff_queue.skip_not_waiting"),
    }
}
