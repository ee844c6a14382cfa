//! How pressing a request's due date is, as the queue colours it, and where its
//! acknowledgement stands (CCPA: within 10 business days, `acknowledge_by`).

use chrono::NaiveDate;
use serde::Serialize;

/// A request due within this many days (and not yet overdue) is due soon.
pub const DUE_SOON_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Overdue,
    Soon,
    Ok,
}

/// The urgency of a request with `days_left` whole days until it is due (negative
/// when overdue, 0 on the due day, which still counts as due soon).
pub fn urgency(days_left: i64) -> Urgency {
    if days_left < 0 {
        Urgency::Overdue
    } else if days_left <= DUE_SOON_DAYS {
        Urgency::Soon
    } else {
        Urgency::Ok
    }
}

/// Where a request's acknowledgement stands, as the queue's "acknowledge by" column
/// shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acknowledgement {
    /// The law asks for none (no `acknowledge_by`).
    NotRequired,
    Sent,
    /// Closed before an acknowledgement went out: nothing is owed any more.
    NoLongerDue,
    /// Not sent yet; `days_left` until the date (0 on the day).
    Due {
        days_left: i64,
    },
    /// Not sent, and the date has passed by `days` days.
    Overdue {
        days: i64,
    },
}

/// The acknowledgement of a request due by `by`, sent or not, open or closed, on `today`.
pub fn acknowledgement(
    by: Option<NaiveDate>,
    sent: bool,
    open: bool,
    today: NaiveDate,
) -> Acknowledgement {
    match by {
        None => Acknowledgement::NotRequired,
        Some(_) if sent => Acknowledgement::Sent,
        Some(_) if !open => Acknowledgement::NoLongerDue,
        Some(by) => {
            let left = (by - today).num_days();
            if left < 0 {
                Acknowledgement::Overdue { days: -left }
            } else {
                Acknowledgement::Due { days_left: left }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acknowledgement_is_overdue_only_while_unsent_on_an_open_request() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
        let by = Some(day(10));
        assert_eq!(
            acknowledgement(by, false, true, day(13)),
            Acknowledgement::Overdue { days: 3 }
        );
        assert_eq!(
            acknowledgement(by, false, true, day(10)),
            Acknowledgement::Due { days_left: 0 }
        );
        assert_eq!(
            acknowledgement(by, true, true, day(13)),
            Acknowledgement::Sent
        );
        assert_eq!(
            acknowledgement(by, false, false, day(13)),
            Acknowledgement::NoLongerDue
        );
        assert_eq!(
            acknowledgement(None, false, true, day(13)),
            Acknowledgement::NotRequired
        );
    }

    #[test]
    fn the_due_day_and_the_week_before_are_soon() {
        assert_eq!(urgency(-1), Urgency::Overdue);
        assert_eq!(urgency(0), Urgency::Soon);
        assert_eq!(urgency(DUE_SOON_DAYS), Urgency::Soon);
        assert_eq!(urgency(DUE_SOON_DAYS + 1), Urgency::Ok);
    }
}
