//! Local calendar days: "today", the instants a day starts and ends, the day
//! of an instant.
//!
//! Times are stored and compared in UTC, but a person thinks in the days of
//! the computer's time zone: the history table shows local times, so a date
//! filter "1 March" must mean 1 March there, a birth date is "in the future"
//! when it is after the local today, and "reviewed today" counts from the
//! local midnight. Those days are computed here and nowhere else, so that no
//! caller takes the UTC date for the local one again.
//!
//! A day starts at its midnight, or — on a day whose midnight a DST change
//! skips (America/Santiago, America/Havana, Asia/Beirut) — at the first
//! instant that exists; when midnight happens twice (a clock set back to
//! 00:00), at the earlier one. A day ends where the next one starts, so days
//! of 23 or 25 hours cover exactly their hours and consecutive days never
//! overlap or leave a gap.
//!
//! The core functions take the zone (any [`TimeZone`]) and, where it
//! matters, "now", so tests use fixed and DST zones; the wrappers without
//! `_in` use [`Local`], which on Unix honours `TZ`.

use chrono::{DateTime, Local, LocalResult, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};

/// More than any zone's distance from UTC (−12 h … +14 h): a window around a
/// local midnight that surely starts before it and ends after it.
const WIDEST_OFFSET_HOURS: i64 = 15;

/// Today's date in the local time zone.
pub fn today() -> NaiveDate {
    today_in(&Local, Utc::now())
}

/// The date in `tz` at the instant `now`.
pub fn today_in<Tz: TimeZone>(tz: &Tz, now: DateTime<Utc>) -> NaiveDate {
    local_date_in(tz, now)
}

/// The local calendar date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    local_date_in(&Local, t)
}

/// The calendar date of `t` in `tz`.
pub fn local_date_in<Tz: TimeZone>(tz: &Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(tz).date_naive()
}

/// An instant as local time, for showing it.
pub fn local(t: DateTime<Utc>) -> DateTime<Local> {
    t.with_timezone(&Local)
}

/// The instant the local day `date` starts, as in [`day_start_in`].
pub fn day_start(date: NaiveDate) -> DateTime<Utc> {
    day_start_in(&Local, date)
}

/// The instant the local day `date` starts: its midnight; the earlier one if
/// midnight happens twice; the first instant of the day if a DST change skips
/// midnight. Dates at the ends of chrono's range give its first or last
/// instant instead of failing.
pub fn day_start_in<Tz: TimeZone>(tz: &Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earliest, latest) => earliest.with_timezone(&Utc).min(latest.with_timezone(&Utc)),
        LocalResult::None => first_instant_at_or_after(tz, midnight),
    }
}

/// The local day `date` as instants: start inclusive, end exclusive (the next
/// day's start).
pub fn day_bounds(date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    day_bounds_in(&Local, date)
}

/// The day `date` in `tz` as instants: start inclusive, end exclusive.
pub fn day_bounds_in<Tz: TimeZone>(tz: &Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = date
        .succ_opt()
        .map_or(DateTime::<Utc>::MAX_UTC, |next| day_start_in(tz, next));
    (day_start_in(tz, date), end)
}

/// The instant today started, in the local time zone ("reviewed today").
pub fn start_of_today() -> DateTime<Utc> {
    start_of_today_in(&Local, Utc::now())
}

/// The instant the day of `now` started in `tz`.
pub fn start_of_today_in<Tz: TimeZone>(tz: &Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    day_start_in(tz, today_in(tz, now))
}

/// A filter over whole local days, "from `from` to `to`", both days included:
/// the start of `from` (inclusive) and the start of the day after `to`
/// (exclusive). A missing end leaves that side open.
pub fn days_range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    days_range_in(&Local, from, to)
}

/// [`days_range`] in the zone `tz`.
pub fn days_range_in<Tz: TimeZone>(
    tz: &Tz,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    (from.map(|d| day_start_in(tz, d)), to.map(|d| day_bounds_in(tz, d).1))
}

/// The first instant whose local time in `tz` is at or after `local` — for a
/// local time a DST change skipped, the instant the clocks jumped. Found by
/// bisection over whole seconds (zone offsets and transitions are whole
/// seconds) in a window wider than any offset, so it needs nothing from the
/// zone but conversions from UTC.
fn first_instant_at_or_after<Tz: TimeZone>(tz: &Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let window = TimeDelta::hours(WIDEST_OFFSET_HOURS);
    // At the ends of chrono's calendar the window does not fit: its end.
    let Some(lo) = local.checked_sub_signed(window) else {
        return DateTime::<Utc>::MIN_UTC;
    };
    let Some(hi) = local.checked_add_signed(window) else {
        return DateTime::<Utc>::MAX_UTC;
    };
    let reached = |secs: i64| {
        DateTime::<Utc>::from_timestamp(secs, 0)
            .is_some_and(|t| tz.from_utc_datetime(&t.naive_utc()).naive_local() >= local)
    };
    // Invariant: `lo` is before `local` there, `hi` at or after it.
    let (mut lo, mut hi) = (lo.and_utc().timestamp(), hi.and_utc().timestamp());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reached(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::<Utc>::from_timestamp(hi, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use chrono::FixedOffset;
    use chrono_tz::America::{Havana, Santiago};
    use chrono_tz::Europe::London;
    use chrono_tz::Pacific::Kiritimati;

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_plain_day_is_midnight_to_midnight() {
        let (start, end) = day_bounds_in(&Utc, date(2026, 1, 1));
        assert_eq!(start, utc("2026-01-01T00:00:00Z"));
        assert_eq!(end, utc("2026-01-02T00:00:00Z"));
        let paris = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(day_bounds_in(&paris, date(2026, 1, 1)).0, utc("2025-12-31T23:00:00Z"));
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() {
        // Santiago, 8 September 2024: 00:00 (UTC−4) became 01:00 (UTC−3).
        let (start, end) = day_bounds_in(&Santiago, date(2024, 9, 8));
        assert_eq!(start, utc("2024-09-08T04:00:00Z"));
        assert_eq!(start.with_timezone(&Santiago).to_rfc3339(), "2024-09-08T01:00:00-03:00");
        assert_eq!(end, utc("2024-09-09T03:00:00Z"));
        assert_eq!(end - start, TimeDelta::hours(23));
        // The day before ends exactly there: no gap, no overlap.
        assert_eq!(day_bounds_in(&Santiago, date(2024, 9, 7)).1, start);
        assert_eq!(start_of_today_in(&Santiago, utc("2024-09-08T15:00:00Z")), start);
    }

    #[test]
    fn a_midnight_that_happens_twice_starts_the_day_at_the_first() {
        // Havana, 3 November 2024: 01:00 (UTC−4) went back to 00:00 (UTC−5).
        let (start, end) = day_bounds_in(&Havana, date(2024, 11, 3));
        assert_eq!(start, utc("2024-11-03T04:00:00Z"));
        assert_eq!(end - start, TimeDelta::hours(25));
        // Santiago's autumn change (7 April 2024) repeats 23:00–24:00 of the 6th.
        let (start, end) = day_bounds_in(&Santiago, date(2024, 4, 6));
        assert_eq!(start, utc("2024-04-06T03:00:00Z"));
        assert_eq!(end, utc("2024-04-07T04:00:00Z"));
    }

    #[test]
    fn london_days_of_23_and_25_hours() {
        let (start, end) = day_bounds_in(&London, date(2024, 3, 31));
        assert_eq!(
            (start, end - start),
            (utc("2024-03-31T00:00:00Z"), TimeDelta::hours(23))
        );
        let (start, end) = day_bounds_in(&London, date(2024, 10, 27));
        assert_eq!(
            (start, end - start),
            (utc("2024-10-26T23:00:00Z"), TimeDelta::hours(25))
        );
        let (start, end) = day_bounds_in(&London, date(2024, 7, 1));
        assert_eq!(
            (start, end - start),
            (utc("2024-06-30T23:00:00Z"), TimeDelta::hours(24))
        );
    }

    #[test]
    fn today_is_the_local_date_not_the_utc_one() {
        // 11:30 UTC on 1 March is 01:30 on 2 March at UTC+14.
        let now = utc("2026-03-01T11:30:00Z");
        assert_eq!(today_in(&Kiritimati, now), date(2026, 3, 2));
        assert_eq!(today_in(&Utc, now), date(2026, 3, 1));
        // 02:30 UTC on 2 March is 23:30 on 1 March in Santiago (UTC−3 in summer).
        let late = utc("2026-03-02T02:30:00Z");
        assert_eq!(local_date_in(&Santiago, late), date(2026, 3, 1));
        assert_eq!(start_of_today_in(&Kiritimati, now), utc("2026-03-01T10:00:00Z"));
    }

    #[test]
    fn a_range_of_days_includes_both_ends() {
        let d = date(2026, 3, 1);
        let (from, to) = days_range_in(&Santiago, Some(d), Some(d));
        let late = utc("2026-03-02T02:30:00Z");
        assert!(
            from.unwrap() <= late && late < to.unwrap(),
            "23:30 local on the 1st is in 1..1"
        );
        let early = utc("2026-03-01T02:30:00Z");
        assert!(early < from.unwrap(), "23:30 local on 28 February is not");
        assert_eq!(days_range_in(&Santiago, None, None), (None, None));
    }

    #[test]
    fn the_ends_of_the_calendar_do_not_fail() {
        let (start, end) = day_bounds_in(&Kiritimati, NaiveDate::MAX);
        assert!(start <= end);
        assert_eq!(end, DateTime::<Utc>::MAX_UTC);
        let (start, end) = day_bounds_in(&Santiago, NaiveDate::MIN);
        assert!(start <= end);
    }

    #[test]
    fn local_follows_tz() {
        // chrono's `Local` reads `TZ` on Unix: what `.ci/run` relies on to run
        // the tests in another zone. Compared with the zone it names, if any.
        let Some(name) = std::env::var("TZ").ok().filter(|z| !z.is_empty()) else {
            return;
        };
        let Ok(zone) = name.trim_start_matches(':').parse::<chrono_tz::Tz>() else {
            return;
        };
        let now = utc("2026-03-01T11:30:00Z");
        assert_eq!(today_in(&Local, now), today_in(&zone, now));
        assert_eq!(day_bounds(date(2024, 9, 8)), day_bounds_in(&zone, date(2024, 9, 8)));
    }
}
