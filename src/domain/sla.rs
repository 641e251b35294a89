//! Business-hours clocks: SLA due times count only office hours (default Mon-Fri 09:00-17:00
//! Europe/Rome), skipping weekends and Italian public holidays.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    pub tz: Tz,
    pub open: NaiveTime,
    pub close: NaiveTime,
    /// Holidays beyond the national ones (a patron saint, a closure week).
    pub extra_holidays: Vec<NaiveDate>,
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        Self {
            tz: chrono_tz::Europe::Rome,
            open: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            close: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
            extra_holidays: Vec::new(),
        }
    }
}

/// Easter Sunday (anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// Italian national public holidays (Capodanno, Epifania, Pasquetta, Liberazione, Lavoro,
/// Repubblica, Ferragosto, Ognissanti, Immacolata, Natale, Santo Stefano).
pub fn is_italian_holiday(date: NaiveDate) -> bool {
    let fixed = [(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)];
    if fixed.contains(&(date.month(), date.day())) {
        return true;
    }
    easter_sunday(date.year()).and_then(|e| e.succ_opt()) == Some(date)
}

impl BusinessCalendar {
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && !is_italian_holiday(date)
            && !self.extra_holidays.contains(&date)
    }

    fn at(&self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        self.tz.from_local_datetime(&date.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
    }

    /// `start` plus `minutes` of business time.
    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let mut remaining = Duration::minutes(minutes.max(0));
        let mut cursor = start;
        let mut date = start.with_timezone(&self.tz).date_naive();
        // Ten years of days is far beyond any SLA; the bound only guards against a bad calendar.
        for _ in 0..3660 {
            if self.is_business_day(date) {
                if let (Some(open), Some(close)) = (self.at(date, self.open), self.at(date, self.close)) {
                    let from = cursor.max(open);
                    if from < close {
                        let available = close - from;
                        if remaining <= available {
                            return from + remaining;
                        }
                        remaining -= available;
                    }
                }
            }
            date = match date.succ_opt() {
                Some(next) => next,
                None => break,
            };
            cursor = self.at(date, NaiveTime::MIN).unwrap_or(cursor);
        }
        cursor
    }

    /// Business minutes between two instants (for pauses and reports).
    pub fn business_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        let mut date = from.with_timezone(&self.tz).date_naive();
        let last = to.with_timezone(&self.tz).date_naive();
        while date <= last {
            if self.is_business_day(date) {
                if let (Some(open), Some(close)) = (self.at(date, self.open), self.at(date, self.close)) {
                    let a = from.max(open);
                    let b = to.min(close);
                    if a < b {
                        total += (b - a).num_minutes();
                    }
                }
            }
            date = match date.succ_opt() {
                Some(next) => next,
                None => break,
            };
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rome(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Rome.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2025), NaiveDate::from_ymd_opt(2025, 4, 20));
        assert_eq!(easter_sunday(2026), NaiveDate::from_ymd_opt(2026, 4, 5));
        assert_eq!(easter_sunday(2027), NaiveDate::from_ymd_opt(2027, 3, 28));
    }

    #[test]
    fn within_one_day() {
        let cal = BusinessCalendar::default();
        assert_eq!(cal.add_business_minutes(rome(2026, 11, 24, 10, 0), 120), rome(2026, 11, 24, 12, 0));
    }

    #[test]
    fn before_opening_starts_at_nine() {
        let cal = BusinessCalendar::default();
        assert_eq!(cal.add_business_minutes(rome(2026, 11, 24, 7, 30), 60), rome(2026, 11, 24, 10, 0));
    }

    #[test]
    fn friday_evening_rolls_over_the_weekend() {
        let cal = BusinessCalendar::default();
        // Friday 27 Nov 2026 16:00 + 2 h → Monday 30 Nov 10:00.
        assert_eq!(cal.add_business_minutes(rome(2026, 11, 27, 16, 0), 120), rome(2026, 11, 30, 10, 0));
    }

    #[test]
    fn skips_easter_monday_and_christmas() {
        let cal = BusinessCalendar::default();
        // Thursday 2 Apr 2026 16:00 + 10 h: 1 h Thursday, 8 h Friday 3 Apr (Good Friday is no
        // holiday), then the weekend and Pasquetta (6 Apr) → Tuesday 7 Apr 10:00.
        assert_eq!(cal.add_business_minutes(rome(2026, 4, 2, 16, 0), 9 * 60), rome(2026, 4, 3, 17, 0));
        assert_eq!(cal.add_business_minutes(rome(2026, 4, 2, 16, 0), 10 * 60), rome(2026, 4, 7, 10, 0));
        // Thursday 24 Dec 2026 16:00 + 2 h: 25 Dec (Fri) holiday, weekend → Monday 28 Dec 10:00.
        assert_eq!(cal.add_business_minutes(rome(2026, 12, 24, 16, 0), 120), rome(2026, 12, 28, 10, 0));
    }

    #[test]
    fn daylight_saving_change_keeps_local_office_hours() {
        let cal = BusinessCalendar::default();
        // DST starts Sunday 29 Mar 2026: Friday 16:00 CET + 2 h → Monday 10:00 CEST.
        let due = cal.add_business_minutes(rome(2026, 3, 27, 16, 0), 120);
        assert_eq!(due, rome(2026, 3, 30, 10, 0));
        assert_eq!(due.to_rfc3339(), "2026-03-30T08:00:00+00:00");
    }

    #[test]
    fn minutes_between_inverts_adding() {
        let cal = BusinessCalendar::default();
        let start = rome(2026, 12, 23, 15, 0);
        let due = cal.add_business_minutes(start, 16 * 60);
        assert_eq!(cal.business_minutes_between(start, due), 16 * 60);
    }
}
