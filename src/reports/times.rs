//! First-response and resolution times (p50/p90) and SLA compliance, over the tickets opened in
//! the range, by category and by team.

use chrono::{NaiveDateTime, Utc};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use serde::Serialize;

use super::stats::{outcome, percentile, share, Outcome};
use super::table::{grouped_rows, maybe, with_lead, Tabular};
use super::{done_since, Group, Grouped, ReportFilter, Sample};
use crate::db::schema::tickets;
use crate::db::DbConn;
use crate::domain::sla::BusinessCalendar;
use crate::domain::Status;
use crate::error::ServiceError;

/// One target of one ticket: how long it took (business and wall-clock minutes) or whether it
/// is still running, and how it stands against its due time.
#[derive(Debug, Clone, Copy)]
struct Measure {
    took: Option<(i64, i64)>,
    pending: bool,
    sla: Outcome,
}

#[derive(Debug, Clone, Copy)]
struct Opened {
    category: usize,
    team: usize,
    first_response: Measure,
    resolution: Measure,
}

impl Sample for Opened {
    fn category(&self) -> usize {
        self.category
    }
    fn team(&self) -> usize {
        self.team
    }
}

type Row = (
    String,
    String,
    NaiveDateTime,
    Status,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn measure(calendar: &BusinessCalendar, opened: NaiveDateTime, reached: Option<NaiveDateTime>) -> Option<(i64, i64)> {
    reached.map(|at| {
        let business = calendar.business_minutes_between(opened.and_utc(), at.and_utc());
        (business, (at - opened).num_minutes().max(0))
    })
}

/// The tickets opened in the range, as samples (a few machine words each).
fn opened(conn: &mut DbConn, filter: &ReportFilter, now: NaiveDateTime) -> Result<Vec<Opened>, ServiceError> {
    let calendar = BusinessCalendar::default();
    let rows = tickets::table
        .filter(filter.opened_in_range())
        .filter(tickets::merged_into_id.is_null())
        .select((
            tickets::category_id,
            tickets::team_id,
            tickets::created_at,
            tickets::status,
            tickets::first_responded_at,
            tickets::resolved_at,
            tickets::closed_at,
            tickets::first_response_due_at,
            tickets::due_at,
        ))
        .load_iter::<Row, DefaultLoadingMode>(conn)?;
    let mut samples = Vec::new();
    for row in rows {
        let (category_id, team_id, created_at, status, responded_at, resolved_at, closed_at, response_due, due) = row?;
        let done = done_since(status, resolved_at, closed_at);
        samples.push(Opened {
            category: filter.labels.category(&category_id),
            team: filter.labels.team(&team_id),
            first_response: Measure {
                took: measure(&calendar, created_at, responded_at),
                pending: responded_at.is_none() && done.is_none(),
                sla: outcome(responded_at, response_due, done, now),
            },
            resolution: Measure {
                took: measure(&calendar, created_at, done),
                pending: done.is_none(),
                sla: outcome(done, due, None, now),
            },
        });
    }
    Ok(samples)
}

/// p50 and p90 of one target over a group.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimeStats {
    /// Tickets that reached the target.
    pub measured: i64,
    /// Tickets still waiting for it.
    pub pending: i64,
    /// In business minutes (Monday to Friday 09:00-17:00 Europe/Rome, Italian holidays).
    pub p50_business_minutes: Option<i64>,
    pub p90_business_minutes: Option<i64>,
    /// In wall-clock minutes.
    pub p50_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

impl TimeStats {
    fn of<'a>(measures: impl Iterator<Item = &'a Measure>) -> TimeStats {
        let (mut business, mut wall, mut pending) = (Vec::new(), Vec::new(), 0);
        for m in measures {
            if let Some((b, w)) = m.took {
                business.push(b);
                wall.push(w);
            }
            pending += i64::from(m.pending);
        }
        TimeStats {
            measured: business.len() as i64,
            pending,
            p50_business_minutes: percentile(&mut business, 50),
            p90_business_minutes: percentile(&mut business, 90),
            p50_minutes: percentile(&mut wall, 50),
            p90_minutes: percentile(&mut wall, 90),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupTimes {
    #[serde(flatten)]
    pub group: Group,
    /// Tickets opened in the range.
    pub tickets: i64,
    pub first_response: TimeStats,
    pub resolution: TimeStats,
}

/// Share of tickets that met one target.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Compliance {
    pub met: i64,
    pub breached: i64,
    /// Not reached yet, due time still ahead: not in the share.
    pub pending: i64,
    /// met / (met + breached), 0 to 1 (4 decimals); null when nothing is decided.
    pub share: Option<f64>,
}

impl Compliance {
    fn of<'a>(measures: impl Iterator<Item = &'a Measure>) -> Compliance {
        let (mut met, mut breached, mut pending) = (0, 0, 0);
        for m in measures {
            match m.sla {
                Outcome::Met => met += 1,
                Outcome::Breached => breached += 1,
                Outcome::Pending => pending += 1,
                Outcome::NotCounted => {}
            }
        }
        Compliance { met, breached, pending, share: share(met, met + breached) }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupSla {
    #[serde(flatten)]
    pub group: Group,
    pub tickets: i64,
    pub first_response: Compliance,
    pub resolution: Compliance,
}

fn times_of(filter: &ReportFilter, samples: &[Opened]) -> Grouped<GroupTimes> {
    filter.breakdown(samples, |group, list| GroupTimes {
        group,
        tickets: list.len() as i64,
        first_response: TimeStats::of(list.iter().map(|s| &s.first_response)),
        resolution: TimeStats::of(list.iter().map(|s| &s.resolution)),
    })
}

fn sla_of(filter: &ReportFilter, samples: &[Opened]) -> Grouped<GroupSla> {
    filter.breakdown(samples, |group, list| GroupSla {
        group,
        tickets: list.len() as i64,
        first_response: Compliance::of(list.iter().map(|s| &s.first_response)),
        resolution: Compliance::of(list.iter().map(|s| &s.resolution)),
    })
}

#[tracing::instrument(skip_all, fields(from = %filter.period.from, to = %filter.period.to))]
pub fn response_times(conn: &mut DbConn, filter: &ReportFilter) -> Result<Grouped<GroupTimes>, ServiceError> {
    Ok(times_of(filter, &opened(conn, filter, Utc::now().naive_utc())?))
}

#[tracing::instrument(skip_all, fields(from = %filter.period.from, to = %filter.period.to))]
pub fn sla(conn: &mut DbConn, filter: &ReportFilter) -> Result<Grouped<GroupSla>, ServiceError> {
    Ok(sla_of(filter, &opened(conn, filter, Utc::now().naive_utc())?))
}

/// Both from one reading of the tickets (the reports page shows both).
pub fn times_and_sla(conn: &mut DbConn, filter: &ReportFilter) -> Result<(Grouped<GroupTimes>, Grouped<GroupSla>), ServiceError> {
    let samples = opened(conn, filter, Utc::now().naive_utc())?;
    Ok((times_of(filter, &samples), sla_of(filter, &samples)))
}

impl TimeStats {
    fn cells(&self) -> Vec<String> {
        vec![
            self.measured.to_string(),
            self.pending.to_string(),
            maybe(self.p50_business_minutes),
            maybe(self.p90_business_minutes),
            maybe(self.p50_minutes),
            maybe(self.p90_minutes),
        ]
    }
}

impl Compliance {
    fn cells(&self) -> Vec<String> {
        vec![self.met.to_string(), self.breached.to_string(), self.pending.to_string(), maybe(self.share)]
    }
}

/// A group's two rows, first response then resolution: the scope, the group, the target, the
/// tickets, then the target's cells.
fn target_rows(
    scope: &str,
    group: &Group,
    tickets: i64,
    first_response: Vec<String>,
    resolution: Vec<String>,
) -> Vec<Vec<String>> {
    [("first_response", first_response), ("resolution", resolution)]
        .into_iter()
        .map(|(target, cells)| {
            let mut row = vec![target.to_owned(), tickets.to_string()];
            row.extend(cells);
            with_lead(scope, group, row)
        })
        .collect()
}

impl Tabular for Grouped<GroupTimes> {
    fn name(&self) -> &'static str {
        "response-times"
    }

    fn header(&self) -> Vec<&'static str> {
        vec![
            "scope",
            "key",
            "name",
            "measure",
            "tickets",
            "measured",
            "pending",
            "p50_business_minutes",
            "p90_business_minutes",
            "p50_minutes",
            "p90_minutes",
        ]
    }

    fn rows(&self) -> Vec<Vec<String>> {
        grouped_rows(self, |scope, g| target_rows(scope, &g.group, g.tickets, g.first_response.cells(), g.resolution.cells()))
    }
}

impl Tabular for Grouped<GroupSla> {
    fn name(&self) -> &'static str {
        "sla"
    }

    fn header(&self) -> Vec<&'static str> {
        vec!["scope", "key", "name", "target", "tickets", "met", "breached", "pending", "share"]
    }

    fn rows(&self) -> Vec<Vec<String>> {
        grouped_rows(self, |scope, g| target_rows(scope, &g.group, g.tickets, g.first_response.cells(), g.resolution.cells()))
    }
}
