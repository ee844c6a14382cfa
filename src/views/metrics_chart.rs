//! The metrics page's trend chart as numbers the template draws into an SVG: per
//! month a bar of requests received and one of answers given, and the on-time rate as
//! a line on its own 0–100 % scale. Computed here so the template only places shapes;
//! the table beside the chart carries the same figures for screen readers and print.

use crate::domain::metrics_trend::Month;
use crate::templates::Templates;
use chrono::Datelike;
use serde::Serialize;

/// The drawing's coordinate space; the SVG scales to the width it is given.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 48.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

#[derive(Serialize)]
pub struct Chart {
    width: f64,
    height: f64,
    plot_left: f64,
    plot_right: f64,
    plot_top: f64,
    plot_bottom: f64,
    bars: Vec<MonthBars>,
    count_ticks: Vec<Tick>,
    rate_ticks: Vec<Tick>,
    /// `x,y` pairs of the on-time line, months with no answers left out.
    rate_line: String,
    rate_dots: Vec<Dot>,
    /// One sentence that says what the chart shows (`<desc>`).
    pub description: String,
}

#[derive(Serialize)]
struct MonthBars {
    label: String,
    label_x: f64,
    bar_width: f64,
    received_x: f64,
    received_y: f64,
    received_h: f64,
    closed_x: f64,
    closed_y: f64,
    closed_h: f64,
}

#[derive(Serialize)]
struct Tick {
    y: f64,
    label: String,
}

#[derive(Serialize)]
struct Dot {
    x: f64,
    y: f64,
}

/// A round step for the count axis so that it has at most five ticks.
fn step_for(max: i64) -> i64 {
    let mut step = 1;
    for candidate in [
        1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000,
    ] {
        step = candidate;
        if max <= candidate * 5 {
            break;
        }
    }
    step.max((max + 4) / 5)
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

pub fn chart(t: &Templates, months: &[Month]) -> Chart {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let bottom = TOP + plot_h;
    let max = months
        .iter()
        .map(|m| m.received.max(m.closed))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = step_for(max);
    let top_value = ((max + step - 1) / step * step) as f64;
    let y_of = |v: f64| round1(bottom - v / top_value * plot_h);
    let slot = plot_w / months.len().max(1) as f64;
    let bar_width = round1(slot * 0.3);
    let mut bars = Vec::new();
    let mut rate_points = Vec::new();
    let mut rate_dots = Vec::new();
    for (i, m) in months.iter().enumerate() {
        let left = LEFT + slot * i as f64;
        let centre = left + slot / 2.0;
        bars.push(MonthBars {
            label: short_month(t, m),
            label_x: round1(centre),
            bar_width,
            received_x: round1(centre - bar_width - 1.0),
            received_y: y_of(m.received as f64),
            received_h: round1(bottom - y_of(m.received as f64)),
            closed_x: round1(centre + 1.0),
            closed_y: y_of(m.closed as f64),
            closed_h: round1(bottom - y_of(m.closed as f64)),
        });
        if let Some(rate) = m.on_time_percent() {
            let (x, y) = (
                round1(centre),
                round1(bottom - rate as f64 / 100.0 * plot_h),
            );
            rate_points.push(format!("{x},{y}"));
            rate_dots.push(Dot { x, y });
        }
    }
    let count_ticks = (0..)
        .map(|k| k * step)
        .take_while(|v| (*v as f64) <= top_value)
        .map(|v| Tick {
            y: y_of(v as f64),
            label: v.to_string(),
        })
        .collect();
    let rate_ticks = [0, 50, 100]
        .into_iter()
        .map(|p| Tick {
            y: round1(bottom - p as f64 / 100.0 * plot_h),
            label: t.phrase("staff_metrics.percent", &[("n", &p.to_string())]),
        })
        .collect();
    let received: i64 = months.iter().map(|m| m.received).sum();
    let closed: i64 = months.iter().map(|m| m.closed).sum();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        plot_left: LEFT,
        plot_right: WIDTH - RIGHT,
        plot_top: TOP,
        plot_bottom: bottom,
        bars,
        count_ticks,
        rate_ticks,
        rate_line: rate_points.join(" "),
        rate_dots,
        description: t.phrase(
            "staff_metrics.chart_desc",
            &[
                ("months", &months.len().to_string()),
                ("received", &received.to_string()),
                ("closed", &closed.to_string()),
            ],
        ),
    }
}

/// "Jan 27": the month's short name and the year's last two digits.
fn short_month(t: &Templates, m: &Month) -> String {
    t.phrase(
        "staff_metrics.month_short",
        &[
            ("month", &t.phrase(SHORT[m.start.month0() as usize], &[])),
            ("year", &format!("{:02}", m.start.year() % 100)),
        ],
    )
}

/// "January 2027": the data table's month.
pub fn long_month(t: &Templates, m: &Month) -> String {
    t.phrase(
        "staff_metrics.month_long",
        &[
            ("month", &t.phrase(LONG[m.start.month0() as usize], &[])),
            ("year", &m.start.year().to_string()),
        ],
    )
}

const SHORT: [&str; 12] = [
    crate::i18n::key("dates.months_short.january"),
    crate::i18n::key("dates.months_short.february"),
    crate::i18n::key("dates.months_short.march"),
    crate::i18n::key("dates.months_short.april"),
    crate::i18n::key("dates.months_short.may"),
    crate::i18n::key("dates.months_short.june"),
    crate::i18n::key("dates.months_short.july"),
    crate::i18n::key("dates.months_short.august"),
    crate::i18n::key("dates.months_short.september"),
    crate::i18n::key("dates.months_short.october"),
    crate::i18n::key("dates.months_short.november"),
    crate::i18n::key("dates.months_short.december"),
];

const LONG: [&str; 12] = [
    crate::i18n::key("dates.months.january"),
    crate::i18n::key("dates.months.february"),
    crate::i18n::key("dates.months.march"),
    crate::i18n::key("dates.months.april"),
    crate::i18n::key("dates.months.may"),
    crate::i18n::key("dates.months.june"),
    crate::i18n::key("dates.months.july"),
    crate::i18n::key("dates.months.august"),
    crate::i18n::key("dates.months.september"),
    crate::i18n::key("dates.months.october"),
    crate::i18n::key("dates.months.november"),
    crate::i18n::key("dates.months.december"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_axis_steps_are_round_and_few() {
        assert_eq!(step_for(1), 1);
        assert_eq!(step_for(5), 1);
        assert_eq!(step_for(6), 2);
        assert_eq!(step_for(37), 10);
        assert_eq!(step_for(120), 25);
        assert!(step_for(1_000_000) * 5 >= 1_000_000);
    }
}
