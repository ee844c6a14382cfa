//! How the team is doing: the share of answers given on time (on or before the due
//! date, extensions and pauses included), the median days from receipt to answer, per
//! law, and per month received against answered. Only answers count (fulfilled in
//! whole or in part, or refused): a request withdrawn or closed unconfirmed was never
//! answered, so it is neither on time nor late.

use super::deadlines::Regime;
use super::metrics::median;
use chrono::{Datelike, NaiveDate};

/// One request as these figures need it.
#[derive(Debug, Clone)]
pub struct Answered {
    pub regime: Regime,
    pub received: NaiveDate,
    /// The effective due date (after an extension and pauses).
    pub due: NaiveDate,
    /// The day of the answer, if there was one.
    pub answered: Option<NaiveDate>,
}

impl Answered {
    fn on_time(&self) -> Option<bool> {
        self.answered.map(|a| a <= self.due)
    }

    fn days(&self) -> Option<i64> {
        self.answered.map(|a| (a - self.received).num_days())
    }
}

/// Answers given, how many on time, and the median days to answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Performance {
    pub answered: i64,
    pub on_time: i64,
    pub median_days: Option<f64>,
}

impl Performance {
    /// Whole per cent of answers on time; none when nothing was answered.
    pub fn on_time_percent(&self) -> Option<i64> {
        (self.answered > 0).then(|| (self.on_time * 100 + self.answered / 2) / self.answered)
    }
}

pub fn performance<'a>(records: impl IntoIterator<Item = &'a Answered>) -> Performance {
    let mut p = Performance::default();
    let mut days = Vec::new();
    for r in records {
        if let (Some(on_time), Some(d)) = (r.on_time(), r.days()) {
            p.answered += 1;
            p.on_time += i64::from(on_time);
            days.push(d);
        }
    }
    p.median_days = median(&mut days);
    p
}

/// Each law with at least one request, in the order of `Regime::ALL`.
pub fn by_law(records: &[Answered]) -> Vec<(Regime, Performance)> {
    Regime::ALL
        .into_iter()
        .filter(|law| records.iter().any(|r| r.regime == *law))
        .map(|law| (law, performance(records.iter().filter(|r| r.regime == law))))
        .collect()
}

/// One calendar month: requests received in it, answers given in it and how many of
/// those were on time.
#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    /// The first day of the month.
    pub start: NaiveDate,
    pub received: i64,
    pub closed: i64,
    pub on_time: i64,
}

impl Month {
    pub fn on_time_percent(&self) -> Option<i64> {
        Performance {
            answered: self.closed,
            on_time: self.on_time,
            median_days: None,
        }
        .on_time_percent()
    }
}

/// The first day of the month `back` months before the month of `day`.
pub fn month_start(day: NaiveDate, back: u32) -> NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(day)
}

/// The `count` months ending with the month of `today`, oldest first; a month with
/// nothing in it is there with zeros.
pub fn trend(records: &[Answered], today: NaiveDate, count: u32) -> Vec<Month> {
    let mut months: Vec<Month> = (0..count)
        .rev()
        .map(|back| Month {
            start: month_start(today, back),
            received: 0,
            closed: 0,
            on_time: 0,
        })
        .collect();
    let slot = |day: NaiveDate| months.iter().position(|m| m.start == month_start(day, 0));
    let mut slots = Vec::new();
    for r in records {
        slots.push((slot(r.received), r.answered.and_then(slot), r.on_time()));
    }
    for (received, answered, on_time) in slots {
        if let Some(i) = received {
            months[i].received += 1;
        }
        if let Some(i) = answered {
            months[i].closed += 1;
            months[i].on_time += i64::from(on_time == Some(true));
        }
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("day")
    }

    fn rec(
        regime: Regime,
        received: NaiveDate,
        due: NaiveDate,
        answered: Option<NaiveDate>,
    ) -> Answered {
        Answered {
            regime,
            received,
            due,
            answered,
        }
    }

    #[test]
    fn on_time_includes_the_due_day_and_ignores_unanswered() {
        let due = day(2027, 2, 1);
        let p = performance(&[
            rec(Regime::Gdpr, day(2027, 1, 1), due, Some(due)),
            rec(Regime::Gdpr, day(2027, 1, 1), due, Some(day(2027, 2, 2))),
            rec(Regime::Gdpr, day(2027, 1, 1), due, Some(day(2027, 1, 11))),
            rec(Regime::Gdpr, day(2027, 1, 1), due, None),
        ]);
        assert_eq!((p.answered, p.on_time), (3, 2));
        assert_eq!(p.on_time_percent(), Some(67));
        // 31, 32 and 10 days: the middle one.
        assert_eq!(p.median_days, Some(31.0));
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let due = day(2027, 3, 1);
        let p = performance(&[
            rec(Regime::Ccpa, day(2027, 1, 1), due, Some(day(2027, 1, 5))),
            rec(Regime::Ccpa, day(2027, 1, 1), due, Some(day(2027, 1, 8))),
        ]);
        assert_eq!(p.median_days, Some(5.5));
    }

    #[test]
    fn nothing_answered_has_no_rate_and_no_median() {
        let p = performance(&[rec(Regime::Ccpa, day(2027, 1, 1), day(2027, 2, 15), None)]);
        assert_eq!(p.on_time_percent(), None);
        assert_eq!(p.median_days, None);
        assert_eq!(performance(&[]), Performance::default());
    }

    #[test]
    fn per_law_lists_only_laws_with_requests() {
        let laws = by_law(&[
            rec(
                Regime::Ccpa,
                day(2027, 1, 1),
                day(2027, 2, 15),
                Some(day(2027, 3, 1)),
            ),
            rec(
                Regime::Gdpr,
                day(2027, 1, 1),
                day(2027, 2, 1),
                Some(day(2027, 1, 2)),
            ),
        ]);
        let codes: Vec<_> = laws.iter().map(|(l, p)| (*l, p.on_time)).collect();
        assert_eq!(codes, vec![(Regime::Gdpr, 1), (Regime::Ccpa, 0)]);
    }

    #[test]
    fn months_step_back_across_years() {
        assert_eq!(month_start(day(2027, 2, 14), 0), day(2027, 2, 1));
        assert_eq!(month_start(day(2027, 2, 14), 2), day(2026, 12, 1));
        assert_eq!(month_start(day(2027, 2, 14), 14), day(2025, 12, 1));
    }

    #[test]
    fn trend_counts_each_month_with_empty_and_unclosed_months() {
        let today = day(2027, 3, 10);
        let t = trend(
            &[
                // Received in January, answered late in March.
                rec(
                    Regime::Gdpr,
                    day(2027, 1, 20),
                    day(2027, 2, 20),
                    Some(day(2027, 3, 1)),
                ),
                // Received and answered in January, on time.
                rec(
                    Regime::Gdpr,
                    day(2027, 1, 3),
                    day(2027, 2, 3),
                    Some(day(2027, 1, 9)),
                ),
                // Received in March, not answered yet.
                rec(Regime::Ccpa, day(2027, 3, 2), day(2027, 4, 16), None),
                // Before the window: neither counted.
                rec(
                    Regime::Ccpa,
                    day(2025, 1, 2),
                    day(2025, 2, 16),
                    Some(day(2025, 2, 1)),
                ),
            ],
            today,
            12,
        );
        assert_eq!(t.len(), 12);
        assert_eq!(t[0].start, day(2026, 4, 1));
        let jan = &t[9];
        assert_eq!(
            (jan.start, jan.received, jan.closed, jan.on_time),
            (day(2027, 1, 1), 2, 1, 1)
        );
        assert_eq!(jan.on_time_percent(), Some(100));
        let feb = &t[10];
        assert_eq!((feb.received, feb.closed), (0, 0));
        assert_eq!(
            feb.on_time_percent(),
            None,
            "nothing closed: no rate, not 0 %"
        );
        let mar = &t[11];
        assert_eq!((mar.received, mar.closed, mar.on_time), (1, 1, 0));
        assert_eq!(mar.on_time_percent(), Some(0));
    }
}
