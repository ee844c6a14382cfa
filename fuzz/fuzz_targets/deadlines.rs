//! The deadline engine (`domain::deadlines`): `compute` for every regime and track,
//! and the functions around it (`effective_due`, `can_extend`, `days_left`,
//! `add_business_days`, `add_months_date_to_date`, `roll_to_business_day`).
//!
//! Input (via `arbitrary`): a date of receipt, a pause length, holidays near the
//! receipt date, a "today" and a business-day count.
//!
//! Two ranges. Sane: receipt from 1970 to 2200 and pauses up to 100 years, where every
//! legal invariant is asserted (due after receipt; a GDPR-family due date on a business
//! day at or after receipt + 1 month + pauses; the US periods exact; more pause never
//! earlier). Anywhere in chrono's range with any pause: no panic, and the due dates
//! never come before receipt (the engine saturates at the end of time).
#![no_main]

use arbitrary::Arbitrary;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use dsar_portal::domain::deadlines::{
    add_business_days, add_months_date_to_date, can_extend, compute, days_left, effective_due,
    roll_to_business_day, Holidays, Regime, Track,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    regime: u8,
    track: u8,
    /// Days after the start of the range.
    received: u32,
    paused: u32,
    /// Holidays as offsets from the receipt date (up to ~18 months after it).
    holidays: Vec<u16>,
    /// "Today", as an offset from the receipt date.
    today: i32,
    business_days: u16,
    extended: bool,
    anywhere: bool,
}

const TRACKS: [Track; 3] = [Track::Standard, Track::OptOut, Track::Appeal];

fn plus(d: NaiveDate, n: u64) -> Option<NaiveDate> {
    d.checked_add_days(Days::new(n))
}

fn business_days_between(start: NaiveDate, end: NaiveDate, h: &Holidays) -> usize {
    start
        .iter_days()
        .skip(1)
        .take_while(|x| *x <= end)
        .filter(|x| h.is_business_day(*x))
        .count()
}

fuzz_target!(|input: Input| {
    let regime = Regime::ALL[usize::from(input.regime) % Regime::ALL.len()];
    let track = TRACKS[usize::from(input.track) % TRACKS.len()];

    let (lo, hi, paused) = if input.anywhere {
        (NaiveDate::MIN, NaiveDate::MAX, input.paused)
    } else {
        (
            NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2200, 12, 31).unwrap(),
            input.paused % 36_525,
        )
    };
    let span = hi.signed_duration_since(lo).num_days() as u64;
    let received = plus(lo, u64::from(input.received) % (span + 1)).unwrap();
    let h = Holidays::new(
        input
            .holidays
            .iter()
            .take(200)
            .filter_map(|o| plus(received, u64::from(*o % 550))),
    );

    let dl = compute(regime, track, received, paused, &h);
    let ext = dl.extended_respond_by;

    // Never before receipt, even at the end of time.
    assert!(dl.respond_by >= received, "{dl:?}");
    if let Some(e) = ext {
        assert!(e >= dl.respond_by, "{dl:?}");
    }
    if let Some(a) = dl.acknowledge_by {
        assert!(a >= received, "{dl:?}");
    }
    assert_eq!(effective_due(&dl, false), dl.respond_by);
    assert_eq!(
        effective_due(&dl, input.extended),
        match ext {
            Some(e) if input.extended => e,
            _ => dl.respond_by,
        }
    );
    let today = received
        .checked_add_signed(chrono::Duration::days(i64::from(input.today)))
        .unwrap_or(received);
    assert_eq!(
        can_extend(&dl, today),
        ext.is_some() && today <= dl.respond_by
    );
    let left = days_left(dl.respond_by, today);
    assert_eq!(left, -days_left(today, dl.respond_by));
    assert_eq!(left == 0, today == dl.respond_by);

    // The helpers on their own, anywhere: no panic, never backwards.
    let n = u32::from(input.business_days % 400);
    let end = add_business_days(received, n, &h);
    assert!(end >= received);
    assert!(add_months_date_to_date(received, u32::from(input.regime)) >= received);
    assert!(roll_to_business_day(received, &h) >= received);

    if input.anywhere {
        return;
    }

    // ---- the legal invariants, on sane dates --------------------------------------
    assert!(dl.respond_by > received, "{dl:?}");
    if let Some(e) = ext {
        assert!(e > dl.respond_by, "{dl:?}");
    }
    if let Some(a) = dl.acknowledge_by {
        assert!(a > received && h.is_business_day(a), "{dl:?}");
        assert_eq!(business_days_between(received, a, &h), 10);
    }
    let gdpr_family = matches!(regime, Regime::Gdpr | Regime::UkGdpr | Regime::Voluntary);
    match track {
        Track::Appeal => {
            assert_eq!(Some(dl.respond_by), plus(received, 60));
            assert_eq!(ext, None);
            assert_eq!(dl.acknowledge_by, None);
        }
        _ if gdpr_family => {
            // Date to date, plus pauses, then rolled forward off weekends and holidays.
            let one = plus(add_months_date_to_date(received, 1), u64::from(paused)).unwrap();
            let three = plus(add_months_date_to_date(received, 3), u64::from(paused)).unwrap();
            assert!(dl.respond_by >= one);
            assert!(h.is_business_day(dl.respond_by), "{dl:?}");
            assert!(!matches!(
                dl.respond_by.weekday(),
                Weekday::Sat | Weekday::Sun
            ));
            assert!(one
                .iter_days()
                .take_while(|d| *d < dl.respond_by)
                .all(|d| !h.is_business_day(d)));
            let e = ext.expect("the GDPR family always has an extension");
            assert!(e >= three && h.is_business_day(e), "{dl:?}");
            assert!(three
                .iter_days()
                .take_while(|d| *d < e)
                .all(|d| !h.is_business_day(d)));
            assert_eq!(dl.acknowledge_by, None);
            // More pause never makes it earlier.
            let more = compute(regime, track, received, paused + 1, &h);
            assert!(more.respond_by >= dl.respond_by);
            assert!(more.extended_respond_by >= ext);
        }
        Track::OptOut => {
            assert!(h.is_business_day(dl.respond_by));
            assert_eq!(business_days_between(received, dl.respond_by, &h), 15);
            assert_eq!(ext, None);
            assert_eq!(dl.acknowledge_by, None);
        }
        Track::Standard => {
            // CCPA and other US states: calendar days, never rolled, never paused.
            assert_eq!(Some(dl.respond_by), plus(received, 45));
            assert_eq!(ext, plus(received, 90));
            assert_eq!(dl.acknowledge_by.is_some(), regime == Regime::Ccpa);
            assert_eq!(compute(regime, track, received, paused + 7, &h), dl);
        }
    }

    if n > 0 {
        assert!(end > received && h.is_business_day(end));
        assert_eq!(business_days_between(received, end, &h), n as usize);
    } else {
        assert_eq!(end, received);
    }
    let rolled = roll_to_business_day(received, &h);
    assert!(h.is_business_day(rolled));
    assert!(received
        .iter_days()
        .take_while(|d| *d < rolled)
        .all(|d| !h.is_business_day(d)));
});
