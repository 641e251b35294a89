//! The reports' calendar: a range of Europe/Rome days, and how instants (stored as UTC) fall
//! into those days. Pure functions, unit-tested across the daylight-saving changes.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::{Code, FieldErrors, ServiceError};

/// The desk's clock for days: a ticket opened at 00:30 in Rome on the 2nd counts for the 2nd,
/// whatever the UTC date.
pub const TZ: Tz = chrono_tz::Europe::Rome;

/// The last this many days when no range is given.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest range a report covers (a leap year).
pub const MAX_DAYS: i64 = 366;

/// The Rome day of an instant stored as naive UTC.
pub fn day_of(at: NaiveDateTime) -> NaiveDate {
    Utc.from_utc_datetime(&at).with_timezone(&TZ).date_naive()
}

/// The instant (naive UTC) at which a Rome day starts. Midnight always exists in Rome (the
/// clocks change at 02:00 and 03:00); the loop only guards against a zone where it would not.
pub fn start_of(day: NaiveDate) -> NaiveDateTime {
    for hour in 0..4 {
        let local = day.and_time(NaiveTime::MIN) + Duration::hours(hour);
        if let Some(at) = TZ.from_local_datetime(&local).earliest() {
            return at.naive_utc();
        }
    }
    day.and_time(NaiveTime::MIN)
}

/// An inclusive range of Rome days, at most [`MAX_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn parse_day(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(day) if (2000..=2999).contains(&chrono::Datelike::year(&day)) => Some(day),
        Ok(_) => {
            errors.reject(field, Code::ReportDateRange);
            None
        }
        Err(_) => {
            errors.reject(field, Code::ReportDateFormat);
            None
        }
    }
}

impl Period {
    /// `from` and `to` as `YYYY-MM-DD` (either may be missing or empty): without `to`, today;
    /// without `from`, the [`DEFAULT_DAYS`] days that end on `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Period, ServiceError> {
        let mut errors = FieldErrors::default();
        let from_day = parse_day(&mut errors, "from", from);
        let to_day = parse_day(&mut errors, "to", to);
        let from_given = from.is_some_and(|s| !s.trim().is_empty());
        let to_given = to.is_some_and(|s| !s.trim().is_empty());
        errors.into_result()?;
        let to = to_day.filter(|_| to_given).unwrap_or(today);
        let from = from_day.filter(|_| from_given).unwrap_or(to - Duration::days(DEFAULT_DAYS - 1));
        let mut errors = FieldErrors::default();
        if from > to {
            errors.reject("to", Code::BeforeFrom);
        } else if (to - from).num_days() + 1 > MAX_DAYS {
            errors.reject("from", Code::ReportSpan { max_days: MAX_DAYS });
        }
        errors.into_result()?;
        Ok(Period { from, to })
    }

    /// How many days the range has.
    pub fn len(&self) -> usize {
        usize::try_from((self.to - self.from).num_days() + 1).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The days, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.from.iter_days().take(self.len()).collect()
    }

    /// The first instant of the range (naive UTC).
    pub fn start(&self) -> NaiveDateTime {
        start_of(self.from)
    }

    /// The first instant after the range (naive UTC).
    pub fn end(&self) -> NaiveDateTime {
        match self.to.succ_opt() {
            Some(next) => start_of(next),
            None => start_of(self.to) + Duration::days(1),
        }
    }

    /// Where a day stands in the range: before it, at an index, or after it.
    pub fn place(&self, day: NaiveDate) -> Place {
        if day < self.from {
            Place::Before
        } else if day > self.to {
            Place::After
        } else {
            Place::At(usize::try_from((day - self.from).num_days()).unwrap_or(0))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Before,
    At(usize),
    After,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn utc(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn instants_fall_into_rome_days_across_daylight_saving() {
        // Winter (UTC+1): 23:30 UTC is already the next day in Rome.
        assert_eq!(day_of(utc("2026-01-14 22:59")), d(2026, 1, 14));
        assert_eq!(day_of(utc("2026-01-14 23:00")), d(2026, 1, 15));
        // Summer (UTC+2): 22:00 UTC is midnight.
        assert_eq!(day_of(utc("2026-07-01 21:59")), d(2026, 7, 1));
        assert_eq!(day_of(utc("2026-07-01 22:00")), d(2026, 7, 2));
        // Sunday 29 March 2026 has 23 hours: it starts at 23:00 UTC on the 28th, ends at 22:00 UTC.
        assert_eq!(day_of(utc("2026-03-28 23:00")), d(2026, 3, 29));
        assert_eq!(day_of(utc("2026-03-29 21:59")), d(2026, 3, 29));
        assert_eq!(day_of(utc("2026-03-29 22:00")), d(2026, 3, 30));
        // Sunday 25 October 2026 has 25 hours: 22:00 UTC on the 24th to 23:00 UTC on the 25th.
        assert_eq!(day_of(utc("2026-10-24 22:00")), d(2026, 10, 25));
        assert_eq!(day_of(utc("2026-10-25 22:59")), d(2026, 10, 25));
        assert_eq!(day_of(utc("2026-10-25 23:00")), d(2026, 10, 26));
    }

    #[test]
    fn days_start_at_rome_midnight() {
        assert_eq!(start_of(d(2026, 3, 29)), utc("2026-03-28 23:00"));
        assert_eq!(start_of(d(2026, 3, 30)), utc("2026-03-29 22:00"));
        assert_eq!(start_of(d(2026, 10, 25)), utc("2026-10-24 22:00"));
        assert_eq!(start_of(d(2026, 10, 26)), utc("2026-10-25 23:00"));
        let p = Period { from: d(2026, 3, 29), to: d(2026, 3, 29) };
        assert_eq!(p.end() - p.start(), Duration::hours(23));
        let p = Period { from: d(2026, 10, 25), to: d(2026, 10, 25) };
        assert_eq!(p.end() - p.start(), Duration::hours(25));
    }

    #[test]
    fn default_is_the_last_thirty_days() {
        let today = d(2026, 2, 10);
        let p = Period::parse(None, None, today).unwrap();
        assert_eq!((p.from, p.to, p.len()), (d(2026, 1, 12), today, 30));
        let p = Period::parse(Some(""), Some(" "), today).unwrap();
        assert_eq!((p.from, p.to), (d(2026, 1, 12), today));
        let p = Period::parse(None, Some("2026-01-31"), today).unwrap();
        assert_eq!((p.from, p.to), (d(2026, 1, 2), d(2026, 1, 31)));
        let p = Period::parse(Some("2026-02-01"), None, today).unwrap();
        assert_eq!((p.from, p.to, p.len()), (d(2026, 2, 1), today, 10));
        assert_eq!(p.days().first(), Some(&d(2026, 2, 1)));
        assert_eq!(p.days().last(), Some(&today));
    }

    fn fields(result: Result<Period, ServiceError>) -> Vec<String> {
        match result {
            Err(ServiceError::Validation(list)) => list.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn bad_ranges_are_refused() {
        let today = d(2026, 2, 10);
        assert_eq!(fields(Period::parse(Some("2026-13-01"), None, today)), ["from"]);
        assert_eq!(fields(Period::parse(Some("yesterday"), Some("31/01/2026"), today)), ["from", "to"]);
        assert_eq!(fields(Period::parse(Some("2026-02-05"), Some("2026-02-04"), today)), ["to"]);
        assert_eq!(fields(Period::parse(Some("9999-12-31"), None, today)), ["from"]);
        // 366 days is a leap year: allowed; 367 is not.
        assert_eq!(Period::parse(Some("2024-01-01"), Some("2024-12-31"), today).unwrap().len(), 366);
        assert_eq!(fields(Period::parse(Some("2024-01-01"), Some("2025-01-01"), today)), ["from"]);
    }

    #[test]
    fn days_are_placed_in_the_range() {
        let p = Period { from: d(2026, 1, 1), to: d(2026, 1, 3) };
        assert_eq!(p.place(d(2025, 12, 31)), Place::Before);
        assert_eq!(p.place(d(2026, 1, 1)), Place::At(0));
        assert_eq!(p.place(d(2026, 1, 3)), Place::At(2));
        assert_eq!(p.place(d(2026, 1, 4)), Place::After);
    }
}
