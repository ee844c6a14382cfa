//! Saved replies: administrators add, change and delete them (each change audited as
//! an event about the portal), and a request page fills one into the text box of its
//! purpose (`drafts_for`). The text is checked when saved, so a reply that names a
//! placeholder the portal cannot fill never reaches a request page.

use crate::db::models::audit;
use crate::db::models::reply_templates::{self as store, ReplyTemplateRow};
use crate::db::models::requests::RequestRow;
use crate::db::{write_tx, DbConn};
use crate::domain::deadlines::Regime;
use crate::domain::kinds::RequestKind;
use crate::domain::reply_text::{self, Purpose, Values, ANY};
use crate::error::AppError;
use crate::i18n::{msg, Message};
use crate::templates::Templates;
use chrono::NaiveDateTime;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Longest name and text a reply may have (the request page's boxes take 4000).
pub const NAME_MAX: usize = 100;
pub const BODY_MAX: usize = 4000;

/// A reply as the form sent it.
#[derive(Debug, Clone, Default)]
pub struct ReplyInput {
    pub name: String,
    pub purpose: String,
    pub kind: String,
    pub regime: String,
    pub body: String,
}

/// One problem with the form: the field's name and what to tell the administrator.
pub type FieldError = (&'static str, Message);

/// The form's problems, in the form's order; empty when it can be saved.
pub fn check(input: &ReplyInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        errors.push(("name", msg("errors.reply_name_required")));
    } else if name.chars().count() > NAME_MAX {
        errors.push((
            "name",
            msg("errors.reply_name_too_long").with("max", NAME_MAX),
        ));
    }
    if Purpose::parse(&input.purpose).is_none() {
        errors.push(("purpose", msg("errors.reply_purpose_required")));
    }
    if input.kind != ANY && RequestKind::parse(&input.kind).is_none() {
        errors.push(("kind", msg("errors.reply_kind_unknown")));
    }
    if input.regime != ANY && !Regime::ALL.iter().any(|r| r.as_str() == input.regime) {
        errors.push(("regime", msg("errors.reply_regime_unknown")));
    }
    let body = input.body.trim();
    if body.is_empty() {
        errors.push(("body", msg("errors.reply_body_required")));
    } else if body.chars().count() > BODY_MAX {
        errors.push((
            "body",
            msg("errors.reply_body_too_long").with("max", BODY_MAX),
        ));
    } else if let Some(name) = reply_text::unknown_placeholder(body) {
        errors.push((
            "body",
            msg("errors.reply_unknown_placeholder")
                .with("placeholder", format!("{{{name}}}"))
                .with("allowed", allowed_placeholders()),
        ));
    }
    errors
}

/// The names a reply may use, as the form lists them: `{reference}, {organisation}, …`.
pub fn allowed_placeholders() -> String {
    reply_text::PLACEHOLDERS
        .iter()
        .map(|p| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn refused(errors: Vec<FieldError>) -> AppError {
    let first = errors.into_iter().next().map(|(_, m)| m);
    AppError::Unprocessable(first.unwrap_or_else(|| msg("errors.reply_body_required")))
}

fn row_of(id: String, input: &ReplyInput, now: NaiveDateTime) -> ReplyTemplateRow {
    ReplyTemplateRow {
        id,
        name: input.name.trim().to_string(),
        purpose: input.purpose.clone(),
        kind: input.kind.clone(),
        regime: input.regime.clone(),
        body: input.body.trim().replace("\r\n", "\n"),
        created_at: now,
        updated_at: now,
    }
}

/// What the audit trail keeps of a reply: its handle and scope, not its text.
fn detail(row: &ReplyTemplateRow) -> Value {
    json!({"template": row.id, "name": row.name, "purpose": row.purpose,
           "kind": row.kind, "regime": row.regime})
}

pub fn create(
    conn: &mut DbConn,
    input: &ReplyInput,
    actor: &str,
    now: NaiveDateTime,
) -> Result<ReplyTemplateRow, AppError> {
    let errors = check(input);
    if !errors.is_empty() {
        return Err(refused(errors));
    }
    let row = row_of(crate::clock::new_id(), input, now);
    write_tx(conn, |conn| {
        store::insert(conn, &row)?;
        audit::append_portal_event(conn, actor, "reply_template_added", detail(&row), now)?;
        Ok::<_, AppError>(())
    })?;
    Ok(row)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    input: &ReplyInput,
    actor: &str,
    now: NaiveDateTime,
) -> Result<ReplyTemplateRow, AppError> {
    let errors = check(input);
    if !errors.is_empty() {
        return Err(refused(errors));
    }
    let row = row_of(id.to_string(), input, now);
    write_tx(conn, |conn| {
        if !store::update(conn, &row)? {
            return Err(AppError::NotFound);
        }
        audit::append_portal_event(conn, actor, "reply_template_changed", detail(&row), now)?;
        Ok(())
    })?;
    Ok(row)
}

/// Deletes a reply; answers its name for the message that says so.
pub fn delete(
    conn: &mut DbConn,
    id: &str,
    actor: &str,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    write_tx(conn, |conn| {
        let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
        store::delete(conn, id)?;
        audit::append_portal_event(conn, actor, "reply_template_deleted", detail(&row), now)?;
        Ok(row.name)
    })
}

/// The saved replies that suit a request of this kind and law, by purpose then name.
pub fn suiting(conn: &mut DbConn, row: &RequestRow) -> Result<Vec<ReplyTemplateRow>, AppError> {
    Ok(store::list(conn)?
        .into_iter()
        .filter(|t| reply_text::applies(&t.kind, &t.regime, row.kind.as_str(), row.regime.as_str()))
        .collect())
}

/// What the placeholders stand for on this request, in the portal's language.
pub fn values(templates: &Templates, organisation: &str, row: &RequestRow) -> Values {
    Values {
        reference: row.reference.clone(),
        organisation: organisation.to_string(),
        due_date: templates.date(row.due_on),
        received_date: templates.date(row.received_at.date()),
        kind: templates.label(row.kind.label_key()),
        law: templates.label(row.regime.label_key()),
    }
}

/// The request page's drafts for the saved reply `template_id`: its text filled from
/// the request, under the id of the text box its purpose names. Empty when the reply
/// is gone or does not suit this request (a stale link must not break the page).
pub fn drafts_for(
    conn: &mut DbConn,
    templates: &Templates,
    organisation: &str,
    row: &RequestRow,
    template_id: &str,
) -> Result<BTreeMap<String, String>, AppError> {
    let mut drafts = BTreeMap::new();
    let Some(t) = store::find(conn, template_id)? else {
        return Ok(drafts);
    };
    let Some(purpose) = Purpose::parse(&t.purpose) else {
        return Ok(drafts);
    };
    if reply_text::applies(&t.kind, &t.regime, row.kind.as_str(), row.regime.as_str()) {
        let text = reply_text::fill(&t.body, &values(templates, organisation, row));
        drafts.insert(purpose.field().to_string(), text);
    }
    Ok(drafts)
}
