//! The metrics page's team figures: on-time rate and median days to answer per law
//! (requests received in the page's year), and the twelve months to today as a chart
//! and a table (`domain::metrics_trend`, `views::metrics_chart`).

use super::metrics_chart::{self, Chart};
use crate::db::schema::requests as r;
use crate::db::DbConn;
use crate::domain::deadlines::Regime;
use crate::domain::metrics_trend::{self, Answered, Month, Performance};
use crate::domain::state::Status;
use crate::error::AppError;
use crate::templates::Templates;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

/// The months the trend shows, this one included.
pub const MONTHS: u32 = 12;

#[derive(Serialize)]
pub struct TeamFigures {
    overall: LawLine,
    laws: Vec<LawLine>,
    months: Vec<MonthLine>,
    chart: Chart,
    /// Kept for the CSV, which writes the figures as numbers.
    #[serde(skip)]
    pub csv: TeamCsv,
}

#[derive(Serialize)]
struct LawLine {
    law: String,
    answered: i64,
    on_time: i64,
    rate: String,
    median: String,
}

#[derive(Serialize)]
struct MonthLine {
    month: String,
    received: i64,
    closed: i64,
    rate: String,
}

/// The same figures as codes and plain numbers.
#[derive(Default)]
pub struct TeamCsv {
    pub laws: Vec<(&'static str, Performance)>,
    pub months: Vec<Month>,
}

type Fields = (
    Regime,
    NaiveDateTime,
    NaiveDate,
    Option<NaiveDateTime>,
    Status,
    Option<NaiveDateTime>,
);

fn answered((regime, received, due, responded, status, closed): Fields) -> Answered {
    // An answer stamps `responded_at`; an opt-out fulfilled by its connectors only
    // closes, so its closing is its answer.
    let answer_closed = matches!(status, Status::Fulfilled | Status::Denied);
    Answered {
        regime,
        received: received.date(),
        due,
        answered: responded
            .or(closed.filter(|_| answer_closed))
            .map(|t| t.date()),
    }
}

const FIELDS: (
    r::regime,
    r::received_at,
    r::due_on,
    r::responded_at,
    r::status,
    r::closed_at,
) = (
    r::regime,
    r::received_at,
    r::due_on,
    r::responded_at,
    r::status,
    r::closed_at,
);

pub fn load(
    t: &Templates,
    conn: &mut DbConn,
    year: (NaiveDateTime, NaiveDateTime),
    today: NaiveDate,
) -> Result<TeamFigures, AppError> {
    let of_year: Vec<Answered> = r::table
        .filter(r::received_at.ge(year.0))
        .filter(r::received_at.lt(year.1))
        .select(FIELDS)
        .load::<Fields>(conn)?
        .into_iter()
        .map(answered)
        .collect();
    let window = metrics_trend::month_start(today, MONTHS - 1)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    // Received in the window, or answered in it (a request from before it answered
    // now counts in this month's answers).
    let recent: Vec<Answered> = r::table
        .filter(
            r::received_at
                .ge(window)
                .or(r::responded_at.ge(window))
                .or(r::closed_at.ge(window)),
        )
        .select(FIELDS)
        .load::<Fields>(conn)?
        .into_iter()
        .map(answered)
        .collect();
    let laws = metrics_trend::by_law(&of_year);
    let months = metrics_trend::trend(&recent, today, MONTHS);
    Ok(TeamFigures {
        overall: law_line(
            t,
            t.phrase("staff_metrics.all_laws", &[]),
            &metrics_trend::performance(&of_year),
        ),
        laws: laws
            .iter()
            .map(|(law, p)| law_line(t, t.label(law.label_key()), p))
            .collect(),
        months: months
            .iter()
            .map(|m| MonthLine {
                month: metrics_chart::long_month(t, m),
                received: m.received,
                closed: m.closed,
                rate: percent(t, m.on_time_percent()),
            })
            .collect(),
        chart: metrics_chart::chart(t, &months),
        csv: TeamCsv {
            laws: laws.into_iter().map(|(l, p)| (l.as_str(), p)).collect(),
            months,
        },
    })
}

fn law_line(t: &Templates, law: String, p: &Performance) -> LawLine {
    LawLine {
        law,
        answered: p.answered,
        on_time: p.on_time,
        rate: percent(t, p.on_time_percent()),
        median: p
            .median_days
            .map(|d| t.decimal(d))
            .unwrap_or_else(|| t.phrase("staff_metrics.none", &[])),
    }
}

fn percent(t: &Templates, p: Option<i64>) -> String {
    match p {
        Some(p) => t.phrase("staff_metrics.percent", &[("n", &p.to_string())]),
        None => t.phrase("staff_metrics.none", &[]),
    }
}
