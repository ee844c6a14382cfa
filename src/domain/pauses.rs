//! What the recorded pauses of a response clock mean for its period (the GDPR family;
//! the other laws' clocks never pause).
//!
//! A pause stops the clock while we wait for information we asked for. Whole days
//! paused are added to the period. A pause that begins before any day of the period has
//! run — a question sent on the day the request was received, which is itself not
//! counted (Reg. 1182/71 Art. 3) — means the period never started: it runs from the
//! answer instead, month to month, as if the request had arrived that day. Adding the
//! paused days to the end instead would give a different date whenever the months
//! involved differ in length.

use chrono::{NaiveDate, NaiveDateTime};

/// One recorded pause; `ended_at` is None while we still wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub started_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

/// Where the period runs from and how many days it is pushed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockStart {
    pub runs_from: NaiveDate,
    pub paused_days: u32,
}

/// The period's start and added days for a request received on `received` with the
/// recorded `pauses` (a running pause counts once it ends).
pub fn clock_start(received: NaiveDate, pauses: &[Pause]) -> ClockStart {
    let mut finished: Vec<(NaiveDateTime, NaiveDateTime)> = pauses
        .iter()
        .filter_map(|p| p.ended_at.map(|end| (p.started_at, end)))
        .collect();
    finished.sort();
    let mut runs_from = received;
    let mut days: i64 = 0;
    for (start, end) in finished {
        if start.date() <= runs_from {
            // No day of the period had run when the clock stopped.
            runs_from = runs_from.max(end.date());
        } else {
            days += (end - start).num_days().max(0);
        }
    }
    ClockStart {
        runs_from,
        paused_days: u32::try_from(days).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("valid test date")
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn pause(start: NaiveDateTime, end: Option<NaiveDateTime>) -> Pause {
        Pause {
            started_at: start,
            ended_at: end,
        }
    }

    #[test]
    fn no_pause_runs_from_receipt() {
        let c = clock_start(day(2025, 1, 30), &[]);
        assert_eq!(c.runs_from, day(2025, 1, 30));
        assert_eq!(c.paused_days, 0);
    }

    #[test]
    fn a_question_on_the_day_of_receipt_starts_the_period_at_the_answer() {
        let p = pause(at(2025, 1, 30, 15), Some(at(2025, 2, 2, 9)));
        let c = clock_start(day(2025, 1, 30), &[p]);
        assert_eq!(c.runs_from, day(2025, 2, 2));
        assert_eq!(c.paused_days, 0);
    }

    #[test]
    fn a_later_question_adds_the_whole_days_it_waited() {
        let p = pause(at(2025, 2, 3, 10), Some(at(2025, 2, 8, 11)));
        let c = clock_start(day(2025, 1, 30), &[p]);
        assert_eq!(c.runs_from, day(2025, 1, 30));
        assert_eq!(c.paused_days, 5);
    }

    #[test]
    fn questions_before_any_day_ran_chain_and_later_ones_add_days() {
        let pauses = [
            // Out of order on purpose: the rule sorts them.
            pause(at(2025, 2, 10, 8), Some(at(2025, 2, 12, 8))),
            pause(at(2025, 1, 30, 9), Some(at(2025, 2, 1, 9))),
            // Asked again on the day the first answer came: still nothing had run.
            pause(at(2025, 2, 1, 17), Some(at(2025, 2, 4, 9))),
        ];
        let c = clock_start(day(2025, 1, 30), &pauses);
        assert_eq!(c.runs_from, day(2025, 2, 4));
        assert_eq!(c.paused_days, 2);
    }

    #[test]
    fn a_running_pause_changes_nothing_until_it_ends() {
        let c = clock_start(day(2025, 1, 30), &[pause(at(2025, 1, 30, 9), None)]);
        assert_eq!(c.runs_from, day(2025, 1, 30));
        assert_eq!(c.paused_days, 0);
    }
}
