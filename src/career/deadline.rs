//! Deadline-aware SLA: a ticket about a procedure must be answered before the procedure's window
//! closes, and it climbs in priority as the close nears.

use chrono::{Duration, NaiveDateTime};

use crate::domain::Priority;

/// From this close on the ticket is at least `High`…
pub const HIGH_WITHIN: Duration = Duration::days(7);
/// …and from this close on `Urgent`.
pub const URGENT_WITHIN: Duration = Duration::days(2);
/// The answer is due this long before the close, so the student can still act on it.
pub const ANSWER_BEFORE_CLOSE: Duration = Duration::days(1);

/// The priority a ticket should have with the window closing at `close`: never lower than it is.
pub fn priority_for(close: NaiveDateTime, now: NaiveDateTime, current: Priority) -> Priority {
    let left = close - now;
    let wanted = if left <= Duration::zero() {
        // Closed: the rush is over; the late rules apply.
        current
    } else if left <= URGENT_WITHIN {
        Priority::Urgent
    } else if left <= HIGH_WITHIN {
        Priority::High
    } else {
        current
    };
    wanted.max(current)
}

/// The due time of a ticket whose procedure closes at `close`: a day before the close (or half
/// way to it when that is sooner than a day), and never later than the category's own due time.
pub fn due_for(close: NaiveDateTime, now: NaiveDateTime, category_due: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    if close <= now {
        return category_due;
    }
    let before_close = if close - now > ANSWER_BEFORE_CLOSE * 2 { close - ANSWER_BEFORE_CLOSE } else { now + (close - now) / 2 };
    Some(category_due.map_or(before_close, |due| due.min(before_close)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 10, d).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn priority_rises_as_the_close_nears_and_never_falls() {
        let close = at(20, 22);
        assert_eq!(priority_for(close, at(1, 9), Priority::Normal), Priority::Normal);
        assert_eq!(priority_for(close, at(14, 9), Priority::Normal), Priority::High);
        assert_eq!(priority_for(close, at(19, 9), Priority::Normal), Priority::Urgent);
        assert_eq!(priority_for(close, at(1, 9), Priority::Urgent), Priority::Urgent);
        assert_eq!(priority_for(close, at(21, 9), Priority::Low), Priority::Low);
    }

    #[test]
    fn the_answer_is_due_a_day_before_the_close_unless_the_category_asks_sooner() {
        let close = at(20, 22);
        assert_eq!(due_for(close, at(1, 9), Some(at(30, 9))), Some(at(19, 22)));
        assert_eq!(due_for(close, at(1, 9), Some(at(3, 9))), Some(at(3, 9)));
        assert_eq!(due_for(close, at(1, 9), None), Some(at(19, 22)));
    }

    #[test]
    fn close_to_the_close_the_answer_is_due_half_way() {
        // 20 hours left: due in 10.
        assert_eq!(due_for(at(20, 22), at(20, 2), Some(at(30, 9))), Some(at(20, 12)));
        // Already closed: the category's due time stands.
        assert_eq!(due_for(at(20, 22), at(21, 2), Some(at(30, 9))), Some(at(30, 9)));
    }
}
