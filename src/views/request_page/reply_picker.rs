//! The request page's "Use a saved reply" picker: the saved replies that suit the
//! request, the one chosen (`?reply=<id>`), and the drafts it fills
//! (`flows::reply_templates::drafts_for`), keyed by the id of the text box.

use crate::db::models::requests::RequestRow;
use crate::db::DbConn;
use crate::domain::reply_text::Purpose;
use crate::error::AppError;
use crate::flows::reply_templates;
use crate::state::AppState;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize, Default)]
pub struct ReplyPicker {
    /// Shown while the request is open and at least one reply suits it.
    show: bool,
    options: Vec<ReplyOption>,
    /// The text box the chosen reply went into, to say so and link to it.
    filled: Option<FilledField>,
}

#[derive(Serialize)]
struct ReplyOption {
    id: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct FilledField {
    field: &'static str,
    name: String,
    purpose: String,
}

/// The picker and the drafts of request `id`; `chosen` is the `reply` of the query.
pub fn load(
    state: &AppState,
    conn: &mut DbConn,
    row: &RequestRow,
    chosen: Option<&str>,
) -> Result<(ReplyPicker, BTreeMap<String, String>), AppError> {
    let t = &state.templates;
    if row.closed_at.is_some() {
        return Ok((ReplyPicker::default(), BTreeMap::new()));
    }
    let suiting = reply_templates::suiting(conn, row)?;
    let drafts = match chosen {
        Some(reply) => {
            reply_templates::drafts_for(conn, t, &state.settings.organisation.name, row, reply)?
        }
        None => BTreeMap::new(),
    };
    let mut filled = None;
    let options = suiting
        .iter()
        .filter_map(|r| {
            let purpose = Purpose::parse(&r.purpose)?;
            let selected = chosen == Some(r.id.as_str());
            let purpose_label = t.label(purpose.label_key());
            if selected && drafts.contains_key(purpose.field()) {
                filled = Some(FilledField {
                    field: purpose.field(),
                    name: r.name.clone(),
                    purpose: purpose_label.clone(),
                });
            }
            Some(ReplyOption {
                id: r.id.clone(),
                label: t.phrase(
                    "staff_request.reply_option",
                    &[("purpose", &purpose_label), ("name", &r.name)],
                ),
                selected,
            })
        })
        .collect::<Vec<_>>();
    Ok((
        ReplyPicker {
            show: !options.is_empty(),
            options,
            filled,
        },
        drafts,
    ))
}
