//! How pressing a request's due date is, as the queue colours it.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_due_day_and_the_week_before_are_soon() {
        assert_eq!(urgency(-1), Urgency::Overdue);
        assert_eq!(urgency(0), Urgency::Soon);
        assert_eq!(urgency(DUE_SOON_DAYS), Urgency::Soon);
        assert_eq!(urgency(DUE_SOON_DAYS + 1), Urgency::Ok);
    }
}
