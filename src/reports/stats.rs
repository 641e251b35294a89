//! The arithmetic of the reports: percentiles, SLA outcomes, shares and averages. Pure, tested.

use chrono::NaiveDateTime;

/// The nearest-rank percentile: the smallest value that at least `p` % of the values do not
/// exceed (`p` in 1..=100). Sorts `values`; `None` when there are none.
pub fn percentile(values: &mut [i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    let rank = (n * p.clamp(1, 100) as usize).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

/// How a ticket stands against one SLA target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Met,
    Breached,
    /// Not reached yet, and the due time has not passed.
    Pending,
    /// No due time, or the ticket ended before its due time without needing the target (a
    /// student closed it before anyone answered): nothing to measure.
    NotCounted,
}

/// `reached`: when the target was reached (the first response, the resolution); `stopped`:
/// when the ticket ended without reaching it; `now` for targets still running.
pub fn outcome(
    reached: Option<NaiveDateTime>,
    due: Option<NaiveDateTime>,
    stopped: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Outcome {
    let Some(due) = due else {
        return Outcome::NotCounted;
    };
    match reached {
        Some(at) if at <= due => Outcome::Met,
        Some(_) => Outcome::Breached,
        None => match stopped {
            Some(at) if at > due => Outcome::Breached,
            Some(_) => Outcome::NotCounted,
            None if now > due => Outcome::Breached,
            None => Outcome::Pending,
        },
    }
}

/// `part / whole` rounded to 4 decimals; `None` for an empty whole.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 / whole as f64, 4))
}

/// The mean, rounded to 2 decimals; `None` for no values.
pub fn average(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| round(sum as f64 / count as f64, 2))
}

fn round(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&mut [], 50), None);
        assert_eq!(percentile(&mut [7], 50), Some(7));
        assert_eq!(percentile(&mut [7], 90), Some(7));
        // 1..=10 in any order: p50 is the 5th value, p90 the 9th.
        let mut v = vec![10, 3, 1, 8, 5, 2, 9, 4, 7, 6];
        assert_eq!(percentile(&mut v, 50), Some(5));
        assert_eq!(percentile(&mut v, 90), Some(9));
        assert_eq!(percentile(&mut v, 100), Some(10));
        // Four values: p50 is the 2nd, p90 the 4th (ceil(3.6)).
        assert_eq!(percentile(&mut [40, 10, 30, 20], 50), Some(20));
        assert_eq!(percentile(&mut [40, 10, 30, 20], 90), Some(40));
        // Eleven values: p90 is the 10th (ceil(9.9)).
        let mut v: Vec<i64> = (1..=11).collect();
        assert_eq!(percentile(&mut v, 90), Some(10));
        assert_eq!(percentile(&mut v, 50), Some(6));
    }

    fn at(h: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 12).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn sla_outcomes() {
        let now = at(20);
        assert_eq!(outcome(Some(at(9)), Some(at(10)), None, now), Outcome::Met);
        assert_eq!(outcome(Some(at(10)), Some(at(10)), None, now), Outcome::Met, "on the due time is in time");
        assert_eq!(outcome(Some(at(11)), Some(at(10)), None, now), Outcome::Breached);
        assert_eq!(outcome(Some(at(11)), None, None, now), Outcome::NotCounted);
        // Not reached: breached once the due time has passed, pending before.
        assert_eq!(outcome(None, Some(at(19)), None, now), Outcome::Breached);
        assert_eq!(outcome(None, Some(at(21)), None, now), Outcome::Pending);
        // Ended without it: breached if it ended after the due time, else nothing to count.
        assert_eq!(outcome(None, Some(at(10)), Some(at(12)), now), Outcome::Breached);
        assert_eq!(outcome(None, Some(at(10)), Some(at(9)), now), Outcome::NotCounted);
    }

    #[test]
    fn shares_and_averages() {
        assert_eq!(share(2, 3), Some(0.6667));
        assert_eq!(share(0, 0), None);
        assert_eq!(share(3, 3), Some(1.0));
        assert_eq!(average(13, 3), Some(4.33));
        assert_eq!(average(0, 0), None);
    }
}
