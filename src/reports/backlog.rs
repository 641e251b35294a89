//! Backlog: tickets open at the end of each Rome day (see the module notes of `reports` for
//! how resolutions, closings and reopenings are read).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use serde::Serialize;

use super::period::{day_of, Period, Place};
use super::table::Tabular;
use super::{done_since, PeriodView, ReportFilter};
use crate::db::schema::{ticket_events, tickets};
use crate::db::DbConn;
use crate::domain::Status;
use crate::error::ServiceError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BacklogReport {
    pub period: PeriodView,
    pub days: Vec<BacklogDay>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BacklogDay {
    pub date: NaiveDate,
    /// Tickets open at the end of the day.
    pub open: i64,
}

/// Changes of the open count by day: what happened before the range, in it, after it.
#[derive(Debug)]
struct Deltas {
    period: Period,
    before: i64,
    by_day: Vec<i64>,
}

impl Deltas {
    fn new(period: Period) -> Self {
        Deltas { period, before: 0, by_day: vec![0; period.len()] }
    }

    fn add(&mut self, at: NaiveDateTime, change: i64) {
        match self.period.place(day_of(at)) {
            Place::Before => self.before += change,
            Place::At(i) => {
                if let Some(cell) = self.by_day.get_mut(i) {
                    *cell += change;
                }
            }
            Place::After => {}
        }
    }

    /// The running total at the end of each day.
    fn open_by_day(&self) -> Vec<i64> {
        self.by_day
            .iter()
            .scan(self.before, |open, change| {
                *open += change;
                Some(*open)
            })
            .collect()
    }
}

/// A `status_changed` event's data, `{"from": …, "to": …}`.
#[derive(serde::Deserialize)]
struct Change {
    from: Status,
    to: Status,
}

fn is_done(status: Status) -> bool {
    matches!(status, Status::Resolved | Status::Closed)
}

type Joined = diesel::helper_types::InnerJoinQuerySource<ticket_events::table, tickets::table>;

#[tracing::instrument(skip_all, fields(from = %filter.period.from, to = %filter.period.to))]
pub fn backlog(conn: &mut DbConn, filter: &ReportFilter) -> Result<BacklogReport, ServiceError> {
    let period = filter.period;
    let (start, end) = (period.start(), period.end());
    let mut deltas = Deltas::new(period);

    // Each ticket: +1 the day it was opened, −1 the day it ended (if it has). Tickets that
    // ended before the range would add +1 and −1 before it: they are not read at all.
    let still_relevant = tickets::status
        .eq_any([Status::New, Status::Open, Status::WaitingStudent])
        .or(tickets::status.eq(Status::Resolved).and(tickets::resolved_at.ge(start)))
        .or(tickets::status
            .eq(Status::Closed)
            .and(tickets::closed_at.ge(start))
            .and(tickets::resolved_at.is_null().or(tickets::resolved_at.ge(start))));
    let rows = tickets::table
        .filter(filter.in_scope::<tickets::table>())
        .filter(tickets::created_at.lt(end))
        .filter(still_relevant)
        .select((tickets::created_at, tickets::status, tickets::resolved_at, tickets::closed_at))
        .load_iter::<(NaiveDateTime, Status, Option<NaiveDateTime>, Option<NaiveDateTime>), DefaultLoadingMode>(conn)?;
    for row in rows {
        let (created_at, status, resolved_at, closed_at) = row?;
        deltas.add(created_at, 1);
        if let Some(done) = done_since(status, resolved_at, closed_at) {
            deltas.add(done, -1);
        }
    }

    // Earlier cycles: a reopening since the range began removes the ticket from the backlog
    // between its previous resolution and the reopening.
    let reopenings: Vec<(String, NaiveDateTime)> = ticket_events::table
        .inner_join(tickets::table)
        .filter(filter.in_scope::<Joined>())
        .filter(tickets::created_at.lt(end))
        .filter(ticket_events::kind.eq("status_changed"))
        .filter(ticket_events::data.like("%\"from\":\"resolved\"%"))
        .filter(ticket_events::created_at.ge(start))
        .select((ticket_events::ticket_id, ticket_events::created_at, ticket_events::data))
        .load::<(String, NaiveDateTime, String)>(conn)?
        .into_iter()
        .filter(|(_, _, data)| serde_json::from_str::<Change>(data).is_ok_and(|c| c.from == Status::Resolved && !is_done(c.to)))
        .map(|(id, at, _)| (id, at))
        .collect();
    let mut resolutions: HashMap<String, Vec<NaiveDateTime>> = HashMap::new();
    let ids: Vec<&str> = reopenings.iter().map(|(id, _)| id.as_str()).collect();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, NaiveDateTime, String)> = ticket_events::table
            .filter(ticket_events::kind.eq("status_changed"))
            .filter(ticket_events::data.like("%\"to\":\"resolved\"%"))
            .filter(ticket_events::created_at.lt(end))
            .filter(ticket_events::ticket_id.eq_any(chunk))
            .select((ticket_events::ticket_id, ticket_events::created_at, ticket_events::data))
            .load(conn)?;
        for (id, at, data) in rows {
            if serde_json::from_str::<Change>(&data).is_ok_and(|c| c.to == Status::Resolved && !is_done(c.from)) {
                resolutions.entry(id).or_default().push(at);
            }
        }
    }
    for (id, reopened_at) in &reopenings {
        let resolved_before = resolutions.get(id).and_then(|list| list.iter().filter(|at| *at < reopened_at).max());
        if let Some(resolved_at) = resolved_before {
            deltas.add(*resolved_at, -1);
            deltas.add(*reopened_at, 1);
        }
    }

    let days = period.days().into_iter().zip(deltas.open_by_day()).map(|(date, open)| BacklogDay { date, open }).collect();
    Ok(BacklogReport { period: filter.view(), days })
}

impl Tabular for BacklogReport {
    fn name(&self) -> &'static str {
        "backlog"
    }

    fn header(&self) -> Vec<&'static str> {
        vec!["date", "open_tickets"]
    }

    fn rows(&self) -> Vec<Vec<String>> {
        self.days.iter().map(|d| vec![d.date.to_string(), d.open.to_string()]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 1, day).unwrap().and_hms_opt(hour, 0, 0).unwrap()
    }

    #[test]
    fn running_totals_start_from_what_was_open_before() {
        let period =
            Period { from: NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(), to: NaiveDate::from_ymd_opt(2026, 1, 13).unwrap() };
        let mut d = Deltas::new(period);
        d.add(at(5, 10), 1); // opened before the range, still open
        d.add(at(10, 10), 1); // opened on the 10th…
        d.add(at(12, 10), -1); // …resolved on the 12th
        d.add(at(11, 10), 1); // opened on the 11th, resolved after the range
        d.add(at(20, 10), -1);
        // 23:30 UTC on the 12th is the 13th in Rome.
        d.add(at(12, 23), 1);
        assert_eq!(d.open_by_day(), [2, 3, 2, 3]);
    }
}
