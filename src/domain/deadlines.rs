//! Statutory deadline engine for data-subject requests.
//!
//! Everything here is a pure function of its inputs: no clock reads, no I/O,
//! no configuration lookups. Callers pass the date of receipt, the recorded
//! pause length and the holiday calendar, which keeps the legal arithmetic
//! unit-testable and lets the same request be recomputed identically later
//! (e.g. when an auditor asks "why was this due on that day?").
//!
//! Legal rules implemented (see the design doc for the full table):
//!
//! | regime              | acknowledge       | respond                 | extension  | pauses |
//! |---------------------|-------------------|-------------------------|------------|--------|
//! | GDPR / UK GDPR      | -                 | 1 month, date to date   | +2 months  | yes    |
//! | CCPA/CPRA           | 10 business days  | 45 calendar days        | +45 days   | never  |
//! | CCPA opt-out        | -                 | 15 business days        | none       | never  |
//! | other US states     | -                 | 45 calendar days        | +45 days   | never  |
//! | appeals (any)       | -                 | 60 calendar days        | none       | never  |
//! | voluntary           | treated like GDPR as best practice                          |
//!
//! In every regime the day of receipt itself is not counted.

use crate::i18n::key;
use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use std::collections::BTreeSet;

/// Which body of law governs a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    Gdpr,
    UkGdpr,
    Ccpa,
    UsState,
    Voluntary,
}

impl Regime {
    /// Every regime, in a stable order (handy for select boxes and tests).
    pub const ALL: [Regime; 5] = [
        Regime::Gdpr,
        Regime::UkGdpr,
        Regime::Ccpa,
        Regime::UsState,
        Regime::Voluntary,
    ];

    /// Stable machine identifier. Matches the serde representation so the
    /// database column, JSON and form values all use one spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Regime::Gdpr => "gdpr",
            Regime::UkGdpr => "uk_gdpr",
            Regime::Ccpa => "ccpa",
            Regime::UsState => "us_state",
            Regime::Voluntary => "voluntary",
        }
    }

    /// Inverse of [`Regime::as_str`]. Lenient about case and surrounding
    /// whitespace because values may come from hand-edited config or forms,
    /// but strict about the identifier itself so typos surface as `None`.
    pub fn parse(s: &str) -> Option<Regime> {
        let s = s.trim();
        Regime::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }

    /// Human-readable name for pages and e-mails.
    pub fn label_key(&self) -> &'static str {
        match self {
            Regime::Gdpr => key("regimes.gdpr"),
            Regime::UkGdpr => key("regimes.uk_gdpr"),
            Regime::Ccpa => key("regimes.ccpa"),
            Regime::UsState => key("regimes.us_state"),
            Regime::Voluntary => key("regimes.voluntary"),
        }
    }

    /// Whether the response clock stops while we wait for identity
    /// information we asked for. Only the GDPR family allows this (the
    /// period starts once the controller can identify the data subject);
    /// the US laws run the clock from receipt regardless.
    fn clock_pauses(&self) -> bool {
        matches!(self, Regime::Gdpr | Regime::UkGdpr | Regime::Voluntary)
    }
}

/// What kind of clock applies (the caller decides from the request kind)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    /// Access, deletion, correction, portability, ...
    Standard,
    /// Opt-out of sale/sharing (CCPA) or objection to processing.
    OptOut,
    /// Appeal against a refusal (US state laws).
    Appeal,
}

/// Public holidays on which no business is done. Weekends are handled
/// separately and need not be listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    // A sorted set: lookups are O(log n) and iteration order is stable.
    dates: BTreeSet<NaiveDate>,
}

impl Holidays {
    pub fn new(dates: impl IntoIterator<Item = NaiveDate>) -> Self {
        Holidays {
            dates: dates.into_iter().collect(),
        }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.dates.contains(&d)
    }

    /// Monday to Friday and not a configured holiday.
    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.contains(d)
    }

    /// The configured holidays in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.dates.iter().copied()
    }
}

/// Adds calendar days, saturating at the end of chrono's range instead of
/// panicking: a deadline engine must never bring the request page down,
/// and no real request comes anywhere near year 262143.
fn plus_days(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(NaiveDate::MAX)
}

/// The date `n` business days after `start`; `start` itself is never
/// counted, even if it is a business day (receipt day is excluded by every
/// text we implement). With `n == 0` the start date is returned unchanged.
pub fn add_business_days(start: NaiveDate, n: u32, h: &Holidays) -> NaiveDate {
    let mut d = start;
    let mut counted = 0;
    while counted < n {
        match d.succ_opt() {
            Some(next) => d = next,
            None => break, // end of representable time: saturate
        }
        if h.is_business_day(d) {
            counted += 1;
        }
    }
    d
}

/// Adds whole calendar months "date to date": the period ends on the
/// same-numbered day, or on the last day of the target month when that day
/// does not exist (31 Jan + 1 month = 28/29 Feb). This is the reading of
/// EU Reg. 1182/71 Art. 3(2)(c) and the CJEU/EDPB guidance for the GDPR.
pub fn add_months_date_to_date(start: NaiveDate, months: u32) -> NaiveDate {
    // chrono's checked_add_months clamps to the month end exactly as the
    // regulation requires; only overflow needs handling.
    start
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Moves `d` forward to the next business day, or leaves it unchanged if it
/// already is one. Implements Reg. 1182/71 Art. 3(4): a period whose last
/// day is a holiday, Saturday or Sunday ends with the next working day.
pub fn roll_to_business_day(d: NaiveDate, h: &Holidays) -> NaiveDate {
    let mut d = d;
    while !h.is_business_day(d) {
        match d.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
    }
    d
}

/// The deadlines attached to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Deadlines {
    /// Only CCPA standard requests must be acknowledged within a set time.
    pub acknowledge_by: Option<NaiveDate>,
    /// Original due date, including pauses.
    pub respond_by: NaiveDate,
    /// What the due date becomes if extended (None when no extension is
    /// possible).
    pub extended_respond_by: Option<NaiveDate>,
}

/// Statutory response time for the US regimes before any roll-forward.
const US_RESPOND_DAYS: u64 = 45;
/// The US extension is another 45 days on top of the original 45.
const US_EXTENSION_DAYS: u64 = 45;
/// CCPA: confirm receipt within 10 business days.
const CCPA_ACK_BUSINESS_DAYS: u32 = 10;
/// CCPA opt-out of sale/sharing: act within 15 business days.
const OPT_OUT_BUSINESS_DAYS: u32 = 15;
/// Appeals (VA, CO, CT, ...): answer within 60 days.
const APPEAL_DAYS: u64 = 60;

/// Computes all deadlines for a request.
///
/// `received`: date of receipt (UTC date); `paused_days`: sum of recorded
/// GDPR pauses (ignored by regimes whose clock never pauses).
///
/// Choices worth knowing:
/// * GDPR family (`Gdpr`, `UkGdpr`, `Voluntary`): due = received + 1 month
///   date to date, plus paused days, then rolled forward off weekends and
///   holidays. Pauses are added *before* the roll so that the roll-forward
///   is applied to the real last day of the period, never skipped.
/// * The GDPR extension is "two further months" on top of the original
///   period, so we compute received + 3 months date to date (not
///   respond_by + 2 months): chaining month additions after a clamp would
///   lose days (31 Jan -> 28 Feb -> 28 Apr instead of 30 Apr), and
///   rolling the 1-month date first would let a weekend shift the
///   extension. Pauses and the roll-forward apply to it just the same.
/// * Voluntary requests follow the GDPR clock as best practice.
/// * An opt-out under the GDPR family is an ordinary request (objection,
///   Art. 21) with the normal one-month clock and extension.
/// * CCPA and US-state opt-outs: 15 business days, no extension. Other
///   states have no exact opt-out period; reusing the CCPA's 15 business
///   days is the conservative choice.
/// * US calendar-day periods are *not* rolled forward: the CCPA counts
///   calendar days with no weekend rule, so a Saturday due date stands.
/// * Appeals (any regime): 60 calendar days, no extension, no pauses; the
///   appeal concept comes from US state laws whose clocks never pause.
pub fn compute(
    regime: Regime,
    track: Track,
    received: NaiveDate,
    paused_days: u32,
    h: &Holidays,
) -> Deadlines {
    if track == Track::Appeal {
        return Deadlines {
            acknowledge_by: None,
            respond_by: plus_days(received, APPEAL_DAYS),
            extended_respond_by: None,
        };
    }

    if regime.clock_pauses() {
        let paused = u64::from(paused_days);
        let due = |months| {
            let end = plus_days(add_months_date_to_date(received, months), paused);
            roll_to_business_day(end, h)
        };
        return Deadlines {
            acknowledge_by: None,
            respond_by: due(1),
            extended_respond_by: Some(due(3)),
        };
    }

    // Ccpa and UsState from here on: paused_days deliberately unused.
    match track {
        Track::OptOut => Deadlines {
            acknowledge_by: None,
            respond_by: add_business_days(received, OPT_OUT_BUSINESS_DAYS, h),
            extended_respond_by: None,
        },
        _ => Deadlines {
            acknowledge_by: (regime == Regime::Ccpa)
                .then(|| add_business_days(received, CCPA_ACK_BUSINESS_DAYS, h)),
            respond_by: plus_days(received, US_RESPOND_DAYS),
            extended_respond_by: Some(plus_days(received, US_RESPOND_DAYS + US_EXTENSION_DAYS)),
        },
    }
}

/// The date that applies now: extended_respond_by when `extended` is true
/// and an extension exists, else respond_by.
pub fn effective_due(d: &Deadlines, extended: bool) -> NaiveDate {
    match d.extended_respond_by {
        Some(ext) if extended => ext,
        _ => d.respond_by,
    }
}

/// Whether the controller may still extend: the laws require notice of the
/// extension *within* the original period, so it is allowed on or before
/// the original due date (`today <= d.respond_by`) and only when the
/// regime/track provides an extension at all.
pub fn can_extend(d: &Deadlines, today: NaiveDate) -> bool {
    d.extended_respond_by.is_some() && today <= d.respond_by
}

/// Whole days from today to due (negative when overdue, 0 on the due day).
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    due.signed_duration_since(today).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn none() -> Holidays {
        Holidays::default()
    }

    fn gdpr(received: NaiveDate, paused: u32, h: &Holidays) -> Deadlines {
        compute(Regime::Gdpr, Track::Standard, received, paused, h)
    }

    #[test]
    fn regime_strings_round_trip() {
        for r in Regime::ALL {
            assert_eq!(Regime::parse(r.as_str()), Some(r));
            assert_eq!(Regime::parse(&r.as_str().to_uppercase()), Some(r));
        }
        assert_eq!(Regime::parse(" uk_gdpr "), Some(Regime::UkGdpr));
        assert_eq!(Regime::parse("gdpr2"), None);
        assert_eq!(Regime::parse(""), None);
        assert_eq!(Regime::UkGdpr.label_key(), "regimes.uk_gdpr");
    }

    #[test]
    fn month_end_clamps_in_common_and_leap_years() {
        assert_eq!(add_months_date_to_date(d(2025, 1, 31), 1), d(2025, 2, 28));
        assert_eq!(add_months_date_to_date(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months_date_to_date(d(2025, 1, 31), 3), d(2025, 4, 30));
        assert_eq!(add_months_date_to_date(d(2025, 11, 30), 3), d(2026, 2, 28));
        // Both are weekdays, so compute() must give the same dates.
        assert_eq!(gdpr(d(2025, 1, 31), 0, &none()).respond_by, d(2025, 2, 28));
        assert_eq!(gdpr(d(2024, 1, 31), 0, &none()).respond_by, d(2024, 2, 29));
    }

    #[test]
    fn gdpr_plain_weekday_due_date() {
        let dl = gdpr(d(2025, 3, 15), 0, &none());
        assert_eq!(dl.respond_by, d(2025, 4, 15));
        assert_eq!(dl.respond_by.weekday(), Weekday::Tue);
        assert_eq!(dl.acknowledge_by, None);
    }

    #[test]
    fn gdpr_saturday_rolls_to_monday() {
        // 15 Mar 2025 is a Saturday.
        let dl = gdpr(d(2025, 2, 15), 0, &none());
        assert_eq!(dl.respond_by, d(2025, 3, 17));
        assert_eq!(dl.respond_by.weekday(), Weekday::Mon);
    }

    #[test]
    fn holiday_on_due_date_rolls_to_next_business_day() {
        let h = Holidays::new([d(2025, 4, 15)]);
        assert_eq!(gdpr(d(2025, 3, 15), 0, &h).respond_by, d(2025, 4, 16));
        // Good Friday + weekend + Easter Monday: four days of roll.
        let easter = Holidays::new([d(2025, 4, 18), d(2025, 4, 21)]);
        assert_eq!(gdpr(d(2025, 3, 18), 0, &easter).respond_by, d(2025, 4, 22));
        assert_eq!(
            roll_to_business_day(d(2025, 4, 22), &easter),
            d(2025, 4, 22)
        );
    }

    #[test]
    fn uk_and_voluntary_follow_gdpr() {
        let h = Holidays::new([d(2025, 4, 15)]);
        let base = gdpr(d(2025, 3, 15), 4, &h);
        for r in [Regime::UkGdpr, Regime::Voluntary] {
            assert_eq!(compute(r, Track::Standard, d(2025, 3, 15), 4, &h), base);
            assert_eq!(compute(r, Track::OptOut, d(2025, 3, 15), 4, &h), base);
        }
    }

    #[test]
    fn gdpr_extension_is_three_months_from_receipt_then_rolled() {
        // 31 Jan + 3 months = 30 Apr (Wed), not 28 Feb + 2 months = 28 Apr.
        let dl = gdpr(d(2025, 1, 31), 0, &none());
        assert_eq!(dl.extended_respond_by, Some(d(2025, 4, 30)));
        // 15 Jun 2025 is a Sunday.
        let dl = gdpr(d(2025, 3, 15), 0, &none());
        assert_eq!(dl.extended_respond_by, Some(d(2025, 6, 16)));
    }

    #[test]
    fn gdpr_pauses_add_days_before_rolling() {
        assert_eq!(gdpr(d(2025, 3, 15), 3, &none()).respond_by, d(2025, 4, 18));
        // 15 Apr + 5 = Sun 20 Apr -> Mon 21 Apr.
        let dl = gdpr(d(2025, 3, 15), 5, &none());
        assert_eq!(dl.respond_by, d(2025, 4, 21));
        assert_eq!(dl.extended_respond_by, Some(d(2025, 6, 20)));
    }

    #[test]
    fn ccpa_standard_counts_calendar_days_without_rolling() {
        let h = Holidays::new([d(2025, 1, 1), d(2025, 1, 20)]);
        let dl = compute(Regime::Ccpa, Track::Standard, d(2025, 1, 1), 0, &h);
        assert_eq!(dl.respond_by, d(2025, 2, 15));
        assert_eq!(dl.respond_by.weekday(), Weekday::Sat); // stands as is
        assert_eq!(dl.extended_respond_by, Some(d(2025, 4, 1)));
        // 2..3 Jan, 6..10 Jan, 13..15 Jan = 10 business days.
        assert_eq!(dl.acknowledge_by, Some(d(2025, 1, 15)));
        // From Fri 10 Jan the 20 Jan holiday is inside the window.
        let dl = compute(Regime::Ccpa, Track::Standard, d(2025, 1, 10), 0, &h);
        assert_eq!(dl.acknowledge_by, Some(d(2025, 1, 27)));
        let dl = compute(Regime::Ccpa, Track::Standard, d(2025, 1, 10), 0, &none());
        assert_eq!(dl.acknowledge_by, Some(d(2025, 1, 24)));
    }

    #[test]
    fn ccpa_ignores_pauses() {
        let h = none();
        let base = compute(Regime::Ccpa, Track::Standard, d(2025, 1, 1), 0, &h);
        let paused = compute(Regime::Ccpa, Track::Standard, d(2025, 1, 1), 30, &h);
        assert_eq!(base, paused);
        let us = compute(Regime::UsState, Track::Standard, d(2025, 1, 1), 30, &h);
        assert_eq!(us.respond_by, d(2025, 2, 15));
    }

    #[test]
    fn opt_out_is_fifteen_business_days_without_extension() {
        let h = Holidays::new([d(2025, 1, 20)]);
        for r in [Regime::Ccpa, Regime::UsState] {
            let dl = compute(r, Track::OptOut, d(2025, 1, 1), 9, &h);
            // 12 business days to Fri 17 Jan, skip Mon 20 Jan, 21..23 Jan.
            assert_eq!(dl.respond_by, d(2025, 1, 23));
            assert_eq!(dl.acknowledge_by, None);
            assert_eq!(dl.extended_respond_by, None);
        }
        let dl = compute(Regime::Ccpa, Track::OptOut, d(2025, 1, 1), 0, &none());
        assert_eq!(dl.respond_by, d(2025, 1, 22));
    }

    #[test]
    fn us_state_has_no_acknowledgement() {
        let dl = compute(Regime::UsState, Track::Standard, d(2025, 1, 1), 0, &none());
        assert_eq!(dl.acknowledge_by, None);
        assert_eq!(dl.extended_respond_by, Some(d(2025, 4, 1)));
    }

    #[test]
    fn appeals_are_sixty_days_for_every_regime() {
        for r in Regime::ALL {
            let dl = compute(r, Track::Appeal, d(2025, 1, 1), 20, &none());
            // 2 Mar 2025 is a Sunday and is not rolled.
            assert_eq!(dl.respond_by, d(2025, 3, 2), "{r:?}");
            assert_eq!(dl.extended_respond_by, None);
            assert_eq!(dl.acknowledge_by, None);
        }
    }

    #[test]
    fn extension_window_and_effective_due() {
        let dl = gdpr(d(2025, 3, 15), 0, &none());
        assert!(can_extend(&dl, d(2025, 3, 20)));
        assert!(can_extend(&dl, d(2025, 4, 15)));
        assert!(!can_extend(&dl, d(2025, 4, 16)));
        assert_eq!(effective_due(&dl, false), d(2025, 4, 15));
        assert_eq!(effective_due(&dl, true), d(2025, 6, 16));

        let opt = compute(Regime::Ccpa, Track::OptOut, d(2025, 1, 1), 0, &none());
        assert!(!can_extend(&opt, d(2025, 1, 2)));
        assert_eq!(effective_due(&opt, true), opt.respond_by);
    }

    #[test]
    fn days_left_sign() {
        assert_eq!(days_left(d(2025, 4, 15), d(2025, 4, 10)), 5);
        assert_eq!(days_left(d(2025, 4, 15), d(2025, 4, 15)), 0);
        assert_eq!(days_left(d(2025, 4, 15), d(2025, 4, 18)), -3);
    }

    #[test]
    fn business_day_basics() {
        let h = Holidays::new([d(2025, 12, 25)]);
        assert!(!h.is_business_day(d(2025, 12, 25))); // holiday Thursday
        assert!(!h.is_business_day(d(2025, 12, 27))); // Saturday
        assert!(h.is_business_day(d(2025, 12, 26)));
        assert_eq!(add_business_days(d(2025, 12, 27), 0, &h), d(2025, 12, 27));
        assert_eq!(add_business_days(d(2025, 12, 24), 1, &h), d(2025, 12, 26));
        assert_eq!(add_business_days(d(2025, 12, 26), 1, &h), d(2025, 12, 29));
    }

    #[test]
    fn huge_pause_saturates_instead_of_panicking() {
        let dl = gdpr(d(2025, 1, 1), u32::MAX, &none());
        assert!(dl.respond_by > d(2025, 1, 1));
    }

    // ---- property tests -------------------------------------------------

    const REGIMES: [Regime; 5] = Regime::ALL;
    const TRACKS: [Track; 3] = [Track::Standard, Track::OptOut, Track::Appeal];

    /// Any date from 2000-01-01 to 2100-12-31.
    fn date() -> impl Strategy<Value = NaiveDate> {
        let lo = d(2000, 1, 1);
        let span = d(2100, 12, 31).signed_duration_since(lo).num_days() as u64;
        (0..=span).prop_map(move |n| plus_days(lo, n))
    }

    /// A date plus holidays clustered in the following ~7 months, so that
    /// holidays actually fall inside the periods being computed.
    fn date_and_holidays() -> impl Strategy<Value = (NaiveDate, Holidays)> {
        (date(), prop::collection::vec(0u64..220, 0..40)).prop_map(|(r, offs)| {
            let h = Holidays::new(offs.into_iter().map(|o| plus_days(r, o)));
            (r, h)
        })
    }

    proptest! {
        #[test]
        fn prop_respond_after_receipt_and_extension_after_respond(
            (received, h) in date_and_holidays(),
            ri in 0..REGIMES.len(),
            ti in 0..TRACKS.len(),
            paused in 0u32..400,
        ) {
            let dl = compute(REGIMES[ri], TRACKS[ti], received, paused, &h);
            prop_assert!(dl.respond_by > received);
            if let Some(ext) = dl.extended_respond_by {
                prop_assert!(ext > dl.respond_by);
            }
            if let Some(ack) = dl.acknowledge_by {
                prop_assert!(ack > received);
            }
        }

        #[test]
        fn prop_business_days_counted_exactly(
            (start, h) in date_and_holidays(),
            n in 1u32..60,
        ) {
            let end = add_business_days(start, n, &h);
            prop_assert!(end > start);
            prop_assert!(h.is_business_day(end));
            let counted = start
                .iter_days()
                .skip(1)
                .take_while(|x| *x <= end)
                .filter(|x| h.is_business_day(*x))
                .count();
            prop_assert_eq!(counted, n as usize);
        }

        #[test]
        fn prop_roll_lands_on_first_business_day(
            (day, h) in date_and_holidays(),
        ) {
            let rolled = roll_to_business_day(day, &h);
            prop_assert!(rolled >= day && h.is_business_day(rolled));
            prop_assert!(day.iter_days().take_while(|x| *x < rolled)
                .all(|x| !h.is_business_day(x)));
        }

        #[test]
        fn prop_gdpr_never_before_one_month(
            (received, h) in date_and_holidays(),
            ri in 0usize..3,
            paused in 0u32..400,
        ) {
            let regime = [Regime::Gdpr, Regime::UkGdpr, Regime::Voluntary][ri];
            let dl = compute(regime, Track::Standard, received, paused, &h);
            prop_assert!(dl.respond_by >= add_months_date_to_date(received, 1));
            prop_assert!(h.is_business_day(dl.respond_by));
        }

        #[test]
        fn prop_more_pause_never_earlier(
            (received, h) in date_and_holidays(),
            ri in 0..REGIMES.len(),
            ti in 0..TRACKS.len(),
            p1 in 0u32..200,
            extra in 0u32..200,
        ) {
            let (r, t) = (REGIMES[ri], TRACKS[ti]);
            let a = compute(r, t, received, p1, &h);
            let b = compute(r, t, received, p1 + extra, &h);
            prop_assert!(b.respond_by >= a.respond_by);
            prop_assert!(b.extended_respond_by >= a.extended_respond_by);
        }
    }
}
