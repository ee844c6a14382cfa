//! Requests received by other channels (email, phone, letter, in person), entered by
//! staff so that every channel lands in the one queue.
//!
//! The request is stored as `flows::intake` stores any other, with three differences:
//! it was received on an earlier date, from which its deadlines run; the staff member who
//! entered it is the actor of its first audit event, which records the channel; and staff
//! choose whether the person proves their email by the usual link or is verified otherwise
//! (they spoke to them, they know them), in which case the request starts verified.

use super::intake::{self, Filing, Submitted};
use crate::db::DbConn;
use crate::domain::intake::ValidIntake;
use crate::domain::source::Source;
use crate::error::AppError;
use crate::i18n::{key, msg, Message};
use crate::state::AppState;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{json, Value};

/// The channels staff can enter requests from, in the order the form offers them.
pub const CHANNELS: [Source; 4] = [
    Source::Email,
    Source::Phone,
    Source::Letter,
    Source::InPerson,
];

/// The oldest receipt date accepted, in days before today: anything older is almost
/// certainly a typo in the year.
pub const MAX_AGE_DAYS: i64 = 365;

pub fn parse_channel(s: &str) -> Option<Source> {
    CHANNELS.into_iter().find(|c| c.as_str() == s)
}

pub fn channel_label_key(channel: Source) -> &'static str {
    match channel {
        Source::Email => key("channels.email"),
        Source::Phone => key("channels.phone"),
        Source::Letter => key("channels.letter"),
        Source::InPerson => key("channels.in_person"),
        Source::Web | Source::Api | Source::Drp | Source::StatusPage => key("channels.online"),
    }
}

/// How a request entered by staff arrived.
#[derive(Debug, Clone)]
pub struct Entered {
    pub channel: Source,
    /// When it was received (from `received_at`), not when it was typed in.
    pub received_at: NaiveDateTime,
    /// The staff member's audit actor (`staff:<id>`).
    pub actor: String,
    /// True: the person gets the usual email link. False: staff verify them otherwise.
    pub verify_by_email: bool,
    /// The language of the person's emails (`None`: the default language).
    pub language: Option<String>,
}

impl Entered {
    /// What the first audit event records about the entry (no personal data).
    pub fn audit_detail(&self) -> Value {
        json!({
            "channel": self.channel.as_str(),
            "received_on": self.received_at.date(),
            "verification": if self.verify_by_email { "email_link" } else { "staff_verify_otherwise" },
        })
    }
}

/// The stored receipt time for a receipt date typed by staff, or why the date is refused.
///
/// "Today" is the latest date anywhere on Earth (UTC+14), so staff east of UTC can enter
/// their own today; a date ahead of UTC's today is stored as now, which can only make the
/// deadline earlier, never later. Past dates are stored at 00:00 UTC of that day.
pub fn received_at(date: NaiveDate, now: NaiveDateTime) -> Result<NaiveDateTime, Message> {
    let latest = (now + Duration::hours(14)).date();
    let earliest = now.date() - Duration::days(MAX_AGE_DAYS);
    if date > latest {
        return Err(msg("staff_new_request.received_on_future"));
    }
    if date < earliest {
        return Err(msg("staff_new_request.received_on_too_old").with_date("earliest", earliest));
    }
    Ok(if date >= now.date() {
        now
    } else {
        date.and_time(chrono::NaiveTime::MIN)
    })
}

/// Stores a request staff entered, in one transaction with its audit event and email.
/// `submission_key` makes a double submit of the form return the first request.
pub fn enter(
    state: &AppState,
    conn: &mut DbConn,
    valid: &ValidIntake,
    entered: &Entered,
    submission_key: &str,
    now: NaiveDateTime,
) -> Result<Submitted, AppError> {
    let filing = Filing {
        agent: None,
        source: entered.channel,
        gpc: false,
        email_attested: !entered.verify_by_email,
        body_digest: None,
        language: entered.language.as_deref(),
    };
    intake::file(
        state,
        conn,
        valid,
        &filing,
        Some(entered),
        submission_key,
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }
    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn past_dates_start_at_midnight_and_today_is_now() {
        let now = at("2027-03-10 15:30");
        assert_eq!(
            received_at(day("2027-03-01"), now),
            Ok(at("2027-03-01 00:00"))
        );
        assert_eq!(received_at(day("2027-03-10"), now), Ok(now));
    }

    #[test]
    fn the_future_and_the_distant_past_are_refused() {
        let now = at("2027-03-10 15:30");
        // 15:30 UTC is already the 11th east of UTC+8:30.
        assert_eq!(received_at(day("2027-03-11"), now), Ok(now));
        let future = received_at(day("2027-03-12"), now).expect_err("future");
        assert!(future.to_string().contains("future"), "{future}");
        assert!(received_at(day("2026-03-10"), now).is_ok());
        let old = received_at(day("2026-03-09"), now).expect_err("too old");
        assert!(old.to_string().contains("at most a year ago"), "{old}");
    }

    #[test]
    fn only_the_offline_channels_can_be_entered() {
        assert_eq!(parse_channel("phone"), Some(Source::Phone));
        assert_eq!(parse_channel("in_person"), Some(Source::InPerson));
        assert_eq!(parse_channel("web_form"), None);
        assert_eq!(parse_channel("drp"), None);
    }
}
