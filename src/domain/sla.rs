//! Business-hours clocks: SLA due times count only office hours (by default Mon-Fri
//! 09:00-17:00 Europe/Rome; per team as data, e.g. Mon-Thu 9-13 + 14-16, Fri 9-13), skipping
//! Italian public holidays and extra closure days (a patron saint, a closure week).
//! Pure functions: "now" is always an argument, so the arithmetic is tested without waiting.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::Status;

/// How close to a due time (in business minutes) a ticket counts as "at risk".
pub const AT_RISK_MINUTES: i64 = 120;

/// One stretch of office hours in a day, local time; `opens < closes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

impl Span {
    pub fn new(opens: NaiveTime, closes: NaiveTime) -> Option<Self> {
        (opens < closes).then_some(Self { opens, closes })
    }

    fn hm(oh: u32, om: u32, ch: u32, cm: u32) -> Option<Self> {
        Self::new(
            NaiveTime::from_hms_opt(oh, om, 0)?,
            NaiveTime::from_hms_opt(ch, cm, 0)?,
        )
    }
}

/// Office hours by weekday, Monday first.
pub type Week = [Vec<Span>; 7];

/// Mon-Fri 09:00-17:00: the desk's hours when a team has set none.
pub fn default_week() -> Week {
    let day: Vec<Span> = Span::hm(9, 0, 17, 0).into_iter().collect();
    [
        day.clone(),
        day.clone(),
        day.clone(),
        day.clone(),
        day,
        Vec::new(),
        Vec::new(),
    ]
}

/// Days the office is closed beyond the national holidays: `from..=to`, every year when
/// `yearly` (then only month and day count, and the range may cross New Year).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub yearly: bool,
}

impl Closure {
    pub fn covers(&self, date: NaiveDate) -> bool {
        if !self.yearly {
            return self.from <= date && date <= self.to;
        }
        let md = |d: NaiveDate| (d.month(), d.day());
        let (start, end, day) = (md(self.from), md(self.to), md(date));
        if start <= end {
            start <= day && day <= end
        } else {
            day >= start || day <= end
        }
    }

    /// The dates of `from..=to` (a yearly closure: those of the year it was entered for).
    fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(move |d| *d <= self.to)
    }

    /// Whether the two close some day in common (checked both ways, so a yearly closure
    /// meets a one-off one in any year).
    pub fn overlaps(&self, other: &Closure) -> bool {
        self.days().any(|d| other.covers(d)) || other.days().any(|d| self.covers(d))
    }
}

#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    pub tz: Tz,
    pub week: Week,
    pub closures: Vec<Closure>,
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        Self {
            tz: chrono_tz::Europe::Rome,
            week: default_week(),
            closures: Vec::new(),
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
    let fixed = [
        (1, 1),
        (1, 6),
        (4, 25),
        (5, 1),
        (6, 2),
        (8, 15),
        (11, 1),
        (12, 8),
        (12, 25),
        (12, 26),
    ];
    if fixed.contains(&(date.month(), date.day())) {
        return true;
    }
    easter_sunday(date.year()).and_then(|e| e.succ_opt()) == Some(date)
}

/// Ten years of days is far beyond any SLA; the bound only guards against a calendar that
/// is (almost) never open.
const MAX_DAYS: usize = 3660;

impl BusinessCalendar {
    pub fn new(week: Week, closures: Vec<Closure>) -> Self {
        Self {
            tz: chrono_tz::Europe::Rome,
            week,
            closures,
        }
    }

    /// The office hours of a date: none on weekends without hours, holidays and closures.
    pub fn spans_on(&self, date: NaiveDate) -> &[Span] {
        if is_italian_holiday(date) || self.closures.iter().any(|c| c.covers(date)) {
            return &[];
        }
        &self.week[date.weekday().num_days_from_monday() as usize]
    }

    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !self.spans_on(date).is_empty()
    }

    fn at(&self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        self.tz
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The office hours of a date as instants.
    fn open_stretches(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        self.spans_on(date)
            .iter()
            .filter_map(move |s| Some((self.at(date, s.opens)?, self.at(date, s.closes)?)))
    }

    /// `start` plus `minutes` of business time.
    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let mut remaining = Duration::minutes(minutes.max(0));
        let mut cursor = start;
        let mut date = start.with_timezone(&self.tz).date_naive();
        for _ in 0..MAX_DAYS {
            for (open, close) in self.open_stretches(date) {
                let from = cursor.max(open);
                if from < close {
                    let available = close - from;
                    if remaining <= available {
                        return from + remaining;
                    }
                    remaining -= available;
                    cursor = close;
                }
            }
            date = match date.succ_opt() {
                Some(next) => next,
                None => break,
            };
            cursor = cursor.max(self.at(date, NaiveTime::MIN).unwrap_or(cursor));
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
            for (open, close) in self.open_stretches(date) {
                let (a, b) = (from.max(open), to.min(close));
                if a < b {
                    total += (b - a).num_minutes();
                }
            }
            date = match date.succ_opt() {
                Some(next) => next,
                None => break,
            };
        }
        total
    }

    /// A due time moved forward by the business time of a pause (`paused_from..resumed_at`).
    pub fn resume(
        &self,
        due: DateTime<Utc>,
        paused_from: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let paused = self.business_minutes_between(paused_from, resumed_at);
        if paused == 0 {
            due
        } else {
            self.add_business_minutes(due, paused)
        }
    }

    /// Still ahead, and at most `threshold` business minutes away.
    pub fn is_at_risk(&self, due: DateTime<Utc>, now: DateTime<Utc>, threshold: i64) -> bool {
        due > now && self.business_minutes_between(now, due) <= threshold
    }

    /// The due times of `targets` counted from `start`, moved on by the business minutes the
    /// clock already stood still (`paused_minutes`; 0 for a new ticket).
    pub fn due_times(
        &self,
        start: DateTime<Utc>,
        targets: Targets,
        paused_minutes: i64,
    ) -> DueTimes {
        let due = |hours: i32| {
            self.add_business_minutes(start, i64::from(hours) * 60 + paused_minutes.max(0))
        };
        DueTimes {
            first_response: due(targets.first_response_hours),
            resolution: due(targets.resolution_hours),
        }
    }
}

/// A category's SLA targets, in business hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response_hours: i32,
    pub resolution_hours: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimes {
    pub first_response: DateTime<Utc>,
    pub resolution: DateTime<Utc>,
}

/// The two SLA targets of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    FirstResponse,
    Resolution,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::Resolution => "resolution",
        }
    }
}

/// Where a ticket stands against its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Targets ahead, none close.
    Ok,
    /// A running target is due within `AT_RISK_MINUTES` business minutes.
    AtRisk,
    /// A target was missed.
    Breached,
    /// Resolved or closed with every target met.
    Met,
    /// The clock stands still: waiting for the student, or for a guest to confirm.
    Paused,
}

/// What the SLA state of a ticket depends on.
#[derive(Debug, Clone)]
pub struct SlaClock {
    pub status: Status,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub first_responded_at: Option<DateTime<Utc>>,
    /// When the ticket was resolved (or closed, if it never was resolved).
    pub finished_at: Option<DateTime<Utc>>,
}

impl SlaClock {
    /// Resolved or closed: the resolution target is decided.
    pub fn finished(&self) -> bool {
        matches!(self.status, Status::Resolved | Status::Closed)
    }

    /// The targets still running, with their due times. A first response still missing when
    /// the ticket is finished (the student closed it) no longer counts.
    pub fn running(&self) -> Vec<(Target, DateTime<Utc>)> {
        if self.finished() {
            return Vec::new();
        }
        let first = self
            .first_response_due_at
            .filter(|_| self.first_responded_at.is_none());
        [
            (Target::FirstResponse, first),
            (Target::Resolution, self.due_at),
        ]
        .into_iter()
        .filter_map(|(target, due)| due.map(|d| (target, d)))
        .collect()
    }

    /// A target already reached, but late.
    fn missed(&self) -> bool {
        let late = |done: Option<DateTime<Utc>>, due: Option<DateTime<Utc>>| matches!((done, due), (Some(d), Some(due)) if d > due);
        late(self.first_responded_at, self.first_response_due_at)
            || (self.finished() && late(self.finished_at, self.due_at))
    }

    /// Missed targets win; then finished (met) and paused tickets; then the running targets.
    pub fn state(
        &self,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
        at_risk_minutes: i64,
    ) -> SlaState {
        if self.missed() {
            return SlaState::Breached;
        }
        if self.finished() {
            return SlaState::Met;
        }
        if matches!(self.status, Status::WaitingStudent | Status::Unverified) {
            return SlaState::Paused;
        }
        let running = self.running();
        if running.iter().any(|(_, due)| *due <= now) {
            SlaState::Breached
        } else if running
            .iter()
            .any(|(_, due)| calendar.is_at_risk(*due, now, at_risk_minutes))
        {
            SlaState::AtRisk
        } else {
            SlaState::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rome(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Rome
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// Mon-Thu 9-13 + 14-16, Fri 9-13.
    fn split_week() -> Week {
        let long = vec![
            Span::hm(9, 0, 13, 0).unwrap(),
            Span::hm(14, 0, 16, 0).unwrap(),
        ];
        let friday = vec![Span::hm(9, 0, 13, 0).unwrap()];
        [
            long.clone(),
            long.clone(),
            long.clone(),
            long,
            friday,
            Vec::new(),
            Vec::new(),
        ]
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
        assert_eq!(
            cal.add_business_minutes(rome(2026, 11, 24, 10, 0), 120),
            rome(2026, 11, 24, 12, 0)
        );
    }

    #[test]
    fn before_opening_starts_at_nine() {
        let cal = BusinessCalendar::default();
        assert_eq!(
            cal.add_business_minutes(rome(2026, 11, 24, 7, 30), 60),
            rome(2026, 11, 24, 10, 0)
        );
    }

    #[test]
    fn friday_evening_rolls_over_the_weekend() {
        let cal = BusinessCalendar::default();
        // Friday 27 Nov 2026 16:00 + 2 h → Monday 30 Nov 10:00.
        assert_eq!(
            cal.add_business_minutes(rome(2026, 11, 27, 16, 0), 120),
            rome(2026, 11, 30, 10, 0)
        );
    }

    #[test]
    fn skips_easter_monday_and_christmas() {
        let cal = BusinessCalendar::default();
        // Thursday 2 Apr 2026 16:00 + 10 h: 1 h Thursday, 8 h Friday 3 Apr (Good Friday is no
        // holiday), then the weekend and Pasquetta (6 Apr) → Tuesday 7 Apr 10:00.
        assert_eq!(
            cal.add_business_minutes(rome(2026, 4, 2, 16, 0), 9 * 60),
            rome(2026, 4, 3, 17, 0)
        );
        assert_eq!(
            cal.add_business_minutes(rome(2026, 4, 2, 16, 0), 10 * 60),
            rome(2026, 4, 7, 10, 0)
        );
        // Thursday 24 Dec 2026 16:00 + 2 h: 25 Dec (Fri) holiday, weekend → Monday 28 Dec 10:00.
        assert_eq!(
            cal.add_business_minutes(rome(2026, 12, 24, 16, 0), 120),
            rome(2026, 12, 28, 10, 0)
        );
    }

    #[test]
    fn daylight_saving_change_keeps_local_office_hours() {
        let cal = BusinessCalendar::default();
        // DST starts Sunday 29 Mar 2026: Friday 16:00 CET + 2 h → Monday 10:00 CEST.
        let due = cal.add_business_minutes(rome(2026, 3, 27, 16, 0), 120);
        assert_eq!(due, rome(2026, 3, 30, 10, 0));
        assert_eq!(due.to_rfc3339(), "2026-03-30T08:00:00+00:00");
        // DST ends Sunday 25 Oct 2026: Friday 16:00 CEST + 2 h → Monday 10:00 CET (09:00 UTC).
        let due = cal.add_business_minutes(rome(2026, 10, 23, 16, 0), 120);
        assert_eq!(due.to_rfc3339(), "2026-10-26T09:00:00+00:00");
        // Across the change the wall clock gains an hour, business time does not.
        assert_eq!(
            cal.business_minutes_between(rome(2026, 10, 23, 16, 0), due),
            120
        );
    }

    #[test]
    fn minutes_between_inverts_adding() {
        let cal = BusinessCalendar::default();
        let start = rome(2026, 12, 23, 15, 0);
        let due = cal.add_business_minutes(start, 16 * 60);
        assert_eq!(cal.business_minutes_between(start, due), 16 * 60);
        let split = BusinessCalendar::new(split_week(), Vec::new());
        let due = split.add_business_minutes(start, 16 * 60);
        assert_eq!(split.business_minutes_between(start, due), 16 * 60);
    }

    type Local = (i32, u32, u32, u32, u32);

    /// Each case: local start, business minutes to add, local result.
    fn assert_adds(cal: &BusinessCalendar, cases: &[(Local, i64, Local)]) {
        for &(start, minutes, expected) in cases {
            let (y, m, d, h, min) = start;
            let (ey, em, ed, eh, emin) = expected;
            let got = cal.add_business_minutes(rome(y, m, d, h, min), minutes);
            assert_eq!(got, rome(ey, em, ed, eh, emin), "{start:?} + {minutes} min");
        }
    }

    #[test]
    fn split_office_hours_skip_lunch_and_short_fridays() {
        let cal = BusinessCalendar::new(split_week(), Vec::new());
        assert_adds(
            &cal,
            &[
                // Tuesday 24 Nov 2026 12:00 + 2 h: 1 h to 13:00, lunch, 1 h from 14:00.
                ((2026, 11, 24, 12, 0), 120, (2026, 11, 24, 15, 0)),
                // During lunch the clock starts at 14:00.
                ((2026, 11, 24, 13, 30), 30, (2026, 11, 24, 14, 30)),
                // Thursday 15:00 + 6 h: 1 h Thursday, Friday 9-13 (4 h), Monday 9:00 + 1 h.
                ((2026, 11, 26, 15, 0), 6 * 60, (2026, 11, 30, 10, 0)),
                // Friday afternoon is closed: Friday 14:00 → Monday.
                ((2026, 11, 27, 14, 0), 30, (2026, 11, 30, 9, 30)),
            ],
        );
        let day = cal.business_minutes_between(rome(2026, 11, 24, 8, 0), rome(2026, 11, 24, 18, 0));
        assert_eq!(day, 6 * 60);
    }

    #[test]
    fn closures_single_ranges_and_yearly() {
        // San Petronio (4 Oct) every year; a closure week in August 2026.
        let closures = vec![
            Closure {
                from: date(2020, 10, 4),
                to: date(2020, 10, 4),
                yearly: true,
            },
            Closure {
                from: date(2026, 8, 10),
                to: date(2026, 8, 21),
                yearly: false,
            },
        ];
        let cal = BusinessCalendar::new(default_week(), closures);
        assert!(
            !cal.is_business_day(date(2027, 10, 4)),
            "Monday 4 Oct 2027 is San Petronio"
        );
        assert!(cal.is_business_day(date(2027, 10, 5)));
        assert_adds(
            &cal,
            &[
                // Friday 2 Oct 2026 16:00 + 2 h: 4 Oct 2026 is a Sunday anyway → Monday 10:00.
                ((2026, 10, 2, 16, 0), 120, (2026, 10, 5, 10, 0)),
                // Friday 1 Oct 2027: the weekend, then San Petronio on Monday → Tuesday 10:00.
                ((2027, 10, 1, 16, 0), 120, (2027, 10, 5, 10, 0)),
                // Friday 7 Aug 2026: closure 10-21 Aug (and Ferragosto) → Monday 24 Aug 10:00.
                ((2026, 8, 7, 16, 0), 120, (2026, 8, 24, 10, 0)),
            ],
        );
        // Not repeated in 2027.
        assert!(cal.is_business_day(date(2027, 8, 10)));
    }

    #[test]
    fn a_yearly_closure_may_cross_new_year() {
        let c = Closure {
            from: date(2025, 12, 27),
            to: date(2026, 1, 2),
            yearly: true,
        };
        assert!(c.covers(date(2030, 12, 31)));
        assert!(c.covers(date(2031, 1, 2)));
        assert!(!c.covers(date(2031, 1, 3)));
        assert!(!c.covers(date(2030, 12, 26)));
    }

    #[test]
    fn overlapping_closures() {
        let one_off = Closure {
            from: date(2026, 8, 10),
            to: date(2026, 8, 21),
            yearly: false,
        };
        let ferragosto_week = Closure {
            from: date(2019, 8, 14),
            to: date(2019, 8, 16),
            yearly: true,
        };
        let september = Closure {
            from: date(2026, 9, 1),
            to: date(2026, 9, 1),
            yearly: false,
        };
        assert!(one_off.overlaps(&ferragosto_week) && ferragosto_week.overlaps(&one_off));
        assert!(!one_off.overlaps(&september));
        let next_year = Closure {
            from: date(2027, 8, 10),
            to: date(2027, 8, 21),
            yearly: false,
        };
        assert!(!one_off.overlaps(&next_year));
        assert!(next_year.overlaps(&ferragosto_week));
    }

    #[test]
    fn a_pause_moves_the_due_time_by_its_business_minutes() {
        let cal = BusinessCalendar::default();
        // (due, paused from, resumed at, new due), local times.
        let cases: [(Local, Local, Local, Local); 5] = [
            // Tuesday 16:00 → Wednesday 10:00: 2 business hours paused.
            (
                (2026, 11, 25, 12, 0),
                (2026, 11, 24, 16, 0),
                (2026, 11, 25, 10, 0),
                (2026, 11, 25, 14, 0),
            ),
            // Over the weekend only Friday's last hour counts: Friday 16:00 → Monday 09:00.
            (
                (2026, 11, 30, 16, 30),
                (2026, 11, 27, 16, 0),
                (2026, 11, 30, 9, 0),
                (2026, 12, 1, 9, 30),
            ),
            // Entirely outside office hours: nothing moves.
            (
                (2026, 11, 30, 16, 30),
                (2026, 11, 28, 10, 0),
                (2026, 11, 29, 18, 0),
                (2026, 11, 30, 16, 30),
            ),
            // Across Christmas: 16 business hours (23 Dec 7 h, 24 Dec 8 h, 28 Dec 1 h).
            (
                (2026, 12, 23, 16, 0),
                (2026, 12, 23, 10, 0),
                (2026, 12, 28, 10, 0),
                (2026, 12, 28, 16, 0),
            ),
            // Across the DST change: Friday's last hour and Monday's first half hour.
            (
                (2026, 3, 30, 10, 0),
                (2026, 3, 27, 16, 0),
                (2026, 3, 30, 9, 30),
                (2026, 3, 30, 11, 30),
            ),
        ];
        let at = |(y, m, d, h, min): Local| rome(y, m, d, h, min);
        for (due, from, to, expected) in cases {
            assert_eq!(
                cal.resume(at(due), at(from), at(to)),
                at(expected),
                "{due:?} paused {from:?}..{to:?}"
            );
        }
    }

    fn clock(status: Status, first_due: DateTime<Utc>, due: DateTime<Utc>) -> SlaClock {
        SlaClock {
            status,
            first_response_due_at: Some(first_due),
            due_at: Some(due),
            first_responded_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn states_ok_at_risk_and_breached_count_business_time() {
        let cal = BusinessCalendar::default();
        let friday = (2026, 11, 27, 16, 0);
        let far = (2027, 6, 10, 12, 0);
        // (now, status, first response due, resolution due, state), local times.
        let cases: [(Local, Status, Local, Local, SlaState); 9] = [
            (
                friday,
                Status::Open,
                (2026, 12, 2, 10, 0),
                far,
                SlaState::Ok,
            ),
            // Monday 10:00 is 66 wall-clock hours away but only 2 business hours.
            (
                friday,
                Status::Open,
                (2026, 11, 30, 10, 0),
                far,
                SlaState::AtRisk,
            ),
            // Monday 10:01 is 121 business minutes away.
            (
                friday,
                Status::New,
                (2026, 11, 30, 10, 1),
                far,
                SlaState::Ok,
            ),
            (
                friday,
                Status::Open,
                (2026, 11, 27, 15, 59),
                far,
                SlaState::Breached,
            ),
            // The resolution due time counts too.
            (
                friday,
                Status::Open,
                far,
                (2026, 11, 30, 10, 0),
                SlaState::AtRisk,
            ),
            // Christmas in between: Thursday 24 Dec 16:00 → Monday 28 Dec 10:00 is 2 h.
            (
                (2026, 12, 24, 16, 0),
                Status::Open,
                (2026, 12, 28, 10, 0),
                far,
                SlaState::AtRisk,
            ),
            // Across the DST change: Friday 23 Oct 16:00 CEST → Monday 26 Oct 10:00 CET is 2 h.
            (
                (2026, 10, 23, 16, 0),
                Status::Open,
                (2026, 10, 26, 10, 0),
                far,
                SlaState::AtRisk,
            ),
            (
                (2026, 10, 23, 16, 0),
                Status::Open,
                (2026, 10, 26, 10, 1),
                far,
                SlaState::Ok,
            ),
            // The clock stands still while waiting for the student.
            (
                friday,
                Status::WaitingStudent,
                (2026, 11, 27, 15, 59),
                far,
                SlaState::Paused,
            ),
        ];
        let at = |(y, m, d, h, min): Local| rome(y, m, d, h, min);
        for (now, status, first, due, expected) in cases {
            let state = clock(status, at(first), at(due)).state(&cal, at(now), AT_RISK_MINUTES);
            assert_eq!(
                state, expected,
                "now {now:?}, {status:?}, first {first:?}, due {due:?}"
            );
        }
    }

    #[test]
    fn states_met_paused_and_late_first_response() {
        let cal = BusinessCalendar::default();
        let now = rome(2026, 11, 27, 16, 0);
        let first_due = rome(2026, 11, 25, 10, 0);
        let due = rome(2026, 11, 30, 10, 0);
        // Waiting for the student: paused even though the first response was due before now.
        let mut c = clock(Status::WaitingStudent, rome(2026, 11, 26, 10, 0), due);
        c.first_responded_at = Some(rome(2026, 11, 24, 10, 0));
        assert_eq!(c.state(&cal, now, AT_RISK_MINUTES), SlaState::Paused);
        assert_eq!(
            clock(Status::Unverified, first_due, due).state(&cal, now, AT_RISK_MINUTES),
            SlaState::Paused
        );
        // A late first response stays breached, paused or not.
        c.first_responded_at = Some(rome(2026, 11, 26, 11, 0));
        assert_eq!(c.state(&cal, now, AT_RISK_MINUTES), SlaState::Breached);
        // Resolved in time: met; resolved late: breached; closed by the student without a
        // reply: the first response no longer counts.
        let mut r = clock(Status::Resolved, first_due, due);
        r.first_responded_at = Some(rome(2026, 11, 24, 10, 0));
        r.finished_at = Some(rome(2026, 11, 27, 12, 0));
        assert_eq!(r.state(&cal, now, AT_RISK_MINUTES), SlaState::Met);
        r.finished_at = Some(rome(2026, 11, 30, 11, 0));
        assert_eq!(
            r.state(&cal, rome(2026, 12, 1, 9, 0), AT_RISK_MINUTES),
            SlaState::Breached
        );
        let mut closed = clock(Status::Closed, first_due, due);
        closed.finished_at = Some(rome(2026, 11, 27, 12, 0));
        assert_eq!(closed.state(&cal, now, AT_RISK_MINUTES), SlaState::Met);
        assert!(closed.running().is_empty());
    }

    #[test]
    fn due_times_count_targets_and_pauses_in_business_time() {
        let cal = BusinessCalendar::default();
        let targets = Targets {
            first_response_hours: 16,
            resolution_hours: 40,
        };
        // Tuesday 10:00 + 16 h: 7 h Tuesday, 8 h Wednesday, 1 h Thursday.
        // + 40 h: Tuesday 7, Wed-Fri 24, Monday 8, Tuesday 1 → Tuesday 1 Dec 10:00.
        let start = rome(2026, 11, 24, 10, 0);
        let due = cal.due_times(start, targets, 0);
        assert_eq!(due.first_response, rome(2026, 11, 26, 10, 0));
        assert_eq!(due.resolution, rome(2026, 12, 1, 10, 0));
        // 90 paused minutes move both on, the same as resuming after the pause would.
        let paused = cal.due_times(start, targets, 90);
        assert_eq!(paused.first_response, rome(2026, 11, 26, 11, 30));
        assert_eq!(
            paused.resolution,
            cal.resume(
                due.resolution,
                rome(2026, 11, 24, 14, 0),
                rome(2026, 11, 24, 15, 30)
            )
        );
    }

    #[test]
    fn a_responded_ticket_runs_only_its_resolution_target() {
        let mut c = clock(
            Status::Open,
            rome(2026, 11, 25, 10, 0),
            rome(2026, 11, 30, 10, 0),
        );
        assert_eq!(c.running().len(), 2);
        c.first_responded_at = Some(rome(2026, 11, 24, 10, 0));
        assert_eq!(
            c.running(),
            vec![(Target::Resolution, rome(2026, 11, 30, 10, 0))]
        );
    }
}
