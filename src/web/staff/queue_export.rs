//! `GET /staff/queue.csv?…`: the queue as filtered, every page of it, as CSV. The same
//! facts staff see in the queue and no more personal data; every export audited (who,
//! which filters: a search term is recorded only as "there was one").

use crate::db::models::audit;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::queue::{self, QueueItem};
use crate::views::queue_query::QueueQuery;
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// Rows read per database round trip.
const BATCH: i64 = 500;
/// An export larger than this is cut short, and says so in its last line.
pub const MAX_ROWS: usize = 50_000;

pub async fn csv(
    state: web::Data<AppState>,
    session: Session,
    query: Result<web::Query<QueueQuery>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    // Every role may read the queue, auditors included, so every role may export it.
    let me = session::current(&state, &session, false).await?;
    let mut q = query.map(|q| q.into_inner()).unwrap_or_default();
    q.after.clear();
    let today = crate::clock::now().date();
    let staff_id = me.id.clone();
    let (items, truncated) = with_conn(&state, move |state, conn| {
        let names = queue::staff_names(conn)?;
        let t = &state.templates;
        let mut items = Vec::new();
        let mut page = q.clone();
        let truncated = loop {
            let rows = queue::rows(state, conn, &page, &staff_id, today, BATCH)?;
            let Some(last) = rows.last() else { break false };
            page.after = format!("{}_{}", last.due_on, last.id);
            let full = rows.len() as i64 == BATCH;
            items.extend(rows.iter().map(|r| queue::item(t, r, &names, today)));
            if items.len() >= MAX_ROWS {
                items.truncate(MAX_ROWS);
                break true;
            }
            if !full {
                break false;
            }
        };
        let mut detail = q.audit_detail();
        if let serde_json::Value::Object(map) = &mut detail {
            map.insert("rows".into(), json!(items.len()));
        }
        let actor = format!("staff:{staff_id}");
        audit::append_portal_event(conn, &actor, "queue_exported", detail, crate::clock::now())?;
        Ok((items, truncated))
    })
    .await?;
    let body = to_csv(&items, truncated).map_err(AppError::internal)?;
    let filename = format!("dsar-queue-{today}.csv");
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

const HEADER: [&str; 10] = [
    "reference",
    "kind",
    "law",
    "status",
    "channel",
    "received",
    "due",
    "acknowledge_by",
    "assignee",
    "days_left",
];

fn to_csv(items: &[QueueItem], truncated: bool) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for i in items {
        let days = i.days_left.map(|d| d.to_string()).unwrap_or_default();
        let assignee = if i.assigned { i.assignee.as_str() } else { "" };
        let cells = [
            &i.reference,
            &i.kind,
            &i.regime,
            &i.status,
            &i.channel,
            &i.received_on,
            &i.due_on,
            &i.ack_by,
            assignee,
            &days,
        ];
        w.write_record(cells.iter().map(|c| safe_cell(c)))?;
    }
    if truncated {
        w.write_record([format!("# cut at {MAX_ROWS} rows: narrow the filters")])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) is prefixed with an apostrophe, which shows it as text.
/// A number (the days left, negative when overdue) is left as a number.
pub fn safe_cell(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<i64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_cell;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+1+1"), "'+1+1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("-2+3"), "'-2+3");
        assert_eq!(safe_cell("-16"), "-16");
        assert_eq!(safe_cell("DSR-ABC"), "DSR-ABC");
    }
}
