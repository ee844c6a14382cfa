//! `/staff/metrics?year=YYYY`: the CCPA §7102 table and the team's figures (on-time
//! rate and median days to answer per law, the twelve months to today as a chart and
//! a table: `views::metrics_trend`), as a page and as CSV.

use super::page;
use crate::db::schema::requests as r;
use crate::domain::decisions;
use crate::domain::kinds::RequestKind;
use crate::domain::metrics::{self, Record, Row};
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use crate::views::metrics_trend::{self, TeamFigures};
use crate::web::staff_session as session;
use crate::web::with_conn;
use actix_session::Session;
use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub struct YearQuery {
    year: Option<i32>,
}

fn year_of(q: Result<web::Query<YearQuery>, actix_web::Error>) -> i32 {
    q.ok()
        .and_then(|q| q.year)
        .filter(|y| (2000..=2200).contains(y))
        .unwrap_or_else(|| crate::clock::now().year())
}

fn year_bounds(year: i32) -> Result<(NaiveDateTime, NaiveDateTime), AppError> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    let end = NaiveDate::from_ymd_opt(year + 1, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    match (start, end) {
        (Some(start), Some(end)) => Ok((start, end)),
        _ => Err(AppError::BadRequest(msg("errors.year_out_of_range"))),
    }
}

async fn load_team(state: &web::Data<AppState>, year: i32) -> Result<TeamFigures, AppError> {
    let bounds = year_bounds(year)?;
    let today = crate::clock::now().date();
    with_conn(state, move |state, conn| {
        metrics_trend::load(&state.templates, conn, bounds, today)
    })
    .await
}

async fn load(state: &web::Data<AppState>, year: i32) -> Result<Vec<Row>, AppError> {
    let (start, end) = year_bounds(year)?;
    let rows = with_conn(state, move |_, conn| {
        Ok(r::table
            .filter(r::received_at.ge(start))
            .filter(r::received_at.lt(end))
            .select((
                r::kind,
                r::status,
                r::outcome,
                r::denial_code,
                r::received_at,
                r::responded_at,
            ))
            .load::<(
                RequestKind,
                crate::domain::state::Status,
                Option<crate::domain::decisions::Outcome>,
                Option<String>,
                chrono::NaiveDateTime,
                Option<chrono::NaiveDateTime>,
            )>(conn)?)
    })
    .await?;
    let records: Vec<Record> = rows
        .into_iter()
        .map(
            |(kind, status, outcome, denial_code, received, responded)| Record {
                group: kind.metrics_group(),
                status: status.as_str().to_string(),
                outcome: outcome.map(|o| o.as_str().to_string()),
                denial_code,
                days_to_respond: responded.map(|t| (t.date() - received.date()).num_days()),
            },
        )
        .collect();
    Ok(metrics::table(&records))
}

fn fmt_days(templates: &crate::templates::Templates, v: Option<f64>) -> String {
    v.map(|d| templates.decimal(d))
        .unwrap_or_else(|| "–".into())
}

pub async fn show(
    state: web::Data<AppState>,
    session: Session,
    q: Result<web::Query<YearQuery>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let me = session::current(&state, &session, false).await?;
    let year = year_of(q);
    let rows = load(&state, year).await?;
    let team = load_team(&state, year).await?;
    let view: Vec<_> = rows
        .iter()
        .map(|r| json!({"label": state.templates.label(r.label_key), "received": r.received, "complied_whole": r.complied_whole,
                        "complied_part": r.complied_part, "denied": r.denied,
                        "reasons": r.denied_by_reason.iter().map(|(code, n)| format!("{}: {n}", state.templates.code(decisions::reason_label_key, code))).collect::<Vec<_>>().join(", "),
                        "median": fmt_days(&state.templates, r.median_days), "mean": fmt_days(&state.templates, r.mean_days)}))
        .collect();
    page(
        &state,
        &session,
        &me,
        "pages/staff/metrics",
        json!({
            "title": state.templates.phrase("titles.staff_metrics", &[("year", &year.to_string())]), "year": year, "rows": view,
            "prev": year - 1, "next": year + 1, "team": team,
        }),
    )
}

pub async fn csv(
    state: web::Data<AppState>,
    session: Session,
    q: Result<web::Query<YearQuery>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    session::current(&state, &session, false).await?;
    let year = year_of(q);
    let rows = load(&state, year).await?;
    let mut out = String::from("year,kind,received,complied_in_whole,complied_in_part,denied,denied_by_reason,median_days,mean_days\n");
    for r in rows {
        let reasons = r
            .denied_by_reason
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";");
        out.push_str(&format!(
            "{year},{},{},{},{},{},{},{},{}\n",
            r.group,
            r.received,
            r.complied_whole,
            r.complied_part,
            r.denied,
            reasons,
            r.median_days.map(|d| format!("{d:.1}")).unwrap_or_default(),
            r.mean_days.map(|d| format!("{d:.1}")).unwrap_or_default(),
        ));
    }
    team_csv(&mut out, &load_team(&state, year).await?.csv);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"dsar-metrics-{year}.csv\""),
        ))
        .body(out))
}

/// The team's figures after the §7102 table, each block with its own header line and
/// a blank line before it: answers per law (for requests received in the year), then
/// the twelve months to today. Rates are whole per cent, empty when nothing was answered.
fn team_csv(out: &mut String, team: &metrics_trend::TeamCsv) {
    let rate = |p: Option<i64>| p.map(|p| p.to_string()).unwrap_or_default();
    out.push_str("\nlaw,answered,answered_on_time,on_time_percent,median_days_to_answer\n");
    for (law, p) in &team.laws {
        out.push_str(&format!(
            "{law},{},{},{},{}\n",
            p.answered,
            p.on_time,
            rate(p.on_time_percent()),
            p.median_days.map(|d| format!("{d:.1}")).unwrap_or_default(),
        ));
    }
    out.push_str("\nmonth,received,answered,answered_on_time,on_time_percent\n");
    for m in &team.months {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            m.start.format("%Y-%m"),
            m.received,
            m.closed,
            m.on_time,
            rate(m.on_time_percent()),
        ));
    }
}
