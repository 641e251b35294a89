//! SLA clocks of tickets as the desk runs them: each team's business calendar (office hours
//! and closures as data, remembered briefly), the pause while a ticket waits for the student,
//! the `sla` block of ticket views, and the due times counted again after a category or team
//! change (`recompute`). The arithmetic itself is in `domain::sla`.

pub mod admin;
pub mod recompute;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::cache::TtlCache;
use crate::db::schema::{closures, office_hours, ticket_sla, tickets};
use crate::db::DbConn;
use crate::domain::sla::{
    default_week, BusinessCalendar, Closure, SlaClock, SlaState, Span, Week, AT_RISK_MINUTES,
};
use crate::domain::Status;
use crate::error::ServiceError;
use crate::db::ticket_rows::{record_event, TicketRow};

/// How long an instance remembers a team's calendar: an admin's change reaches the other
/// instances within this time (this instance forgets at once).
const CALENDAR_TTL: Duration = Duration::from_secs(5);

/// Calendars by team id. Team ids are random UUIDs, so one process serving several
/// databases (the tests) never mixes them up. Global: the pure SLA code below reads it
/// without an `AppState`.
static CALENDARS: LazyLock<TtlCache<String, Arc<BusinessCalendar>>> =
    LazyLock::new(|| TtlCache::new(CALENDAR_TTL, CALENDARS_MAX));

/// Teams are tens; a bound all the same.
const CALENDARS_MAX: usize = 10_000;

/// A team's calendar if remembered and fresh.
pub fn cached(team_id: &str) -> Option<Arc<BusinessCalendar>> {
    CALENDARS.get(team_id)
}

/// After an admin edit of office hours or closures.
pub fn forget_calendars() {
    CALENDARS.clear();
}

/// The business calendar of a team: its office hours (Mon-Fri 09:00-17:00 if it set none),
/// the national holidays, and the global and the team's closures.
pub fn calendar(conn: &mut DbConn, team_id: &str) -> QueryResult<Arc<BusinessCalendar>> {
    if let Some(calendar) = cached(team_id) {
        return Ok(calendar);
    }
    let calendar = Arc::new(load_calendar(conn, team_id)?);
    CALENDARS.put(team_id.to_owned(), calendar.clone());
    Ok(calendar)
}

pub(crate) fn parse_time(value: &str) -> Option<NaiveTime> {
    let (h, m) = value.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

pub(crate) fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|_| value.len() == 10)
}

/// A team's weekly hours as stored; `None` when it has set none.
pub(crate) fn stored_week(conn: &mut DbConn, team_id: &str) -> QueryResult<Option<Week>> {
    let rows: Vec<(i32, String, String)> = office_hours::table
        .filter(office_hours::team_id.eq(team_id))
        .select((
            office_hours::weekday,
            office_hours::opens,
            office_hours::closes,
        ))
        .load(conn)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut week: Week = Default::default();
    for (weekday, opens, closes) in rows {
        let span = parse_time(&opens)
            .zip(parse_time(&closes))
            .and_then(|(o, c)| Span::new(o, c));
        if let (Some(span), Some(day)) = (span, week.get_mut((weekday - 1).max(0) as usize)) {
            day.push(span);
        }
    }
    week.iter_mut().for_each(|day| day.sort());
    Ok(Some(week))
}

/// Global closures (`team_id` NULL) and, given a team, that team's.
pub(crate) fn stored_closures(
    conn: &mut DbConn,
    team_id: Option<&str>,
) -> QueryResult<Vec<(String, Option<String>, Closure)>> {
    let mut query = closures::table
        .select((
            closures::id,
            closures::team_id,
            closures::starts_on,
            closures::ends_on,
            closures::yearly,
        ))
        .into_boxed();
    query = match team_id {
        Some(team) => query.filter(
            closures::team_id
                .is_null()
                .or(closures::team_id.eq(team.to_owned())),
        ),
        None => query.filter(closures::team_id.is_null()),
    };
    let rows: Vec<(String, Option<String>, String, String, bool)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, team, from, to, yearly)| {
            Some((
                id,
                team,
                Closure {
                    from: parse_date(&from)?,
                    to: parse_date(&to)?,
                    yearly,
                },
            ))
        })
        .collect())
}

fn load_calendar(conn: &mut DbConn, team_id: &str) -> QueryResult<BusinessCalendar> {
    let week = stored_week(conn, team_id)?.unwrap_or_else(default_week);
    let closures = stored_closures(conn, Some(team_id))?
        .into_iter()
        .map(|(_, _, c)| c)
        .collect();
    Ok(BusinessCalendar::new(week, closures))
}

/// The `sla` block of a ticket as staff see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlaView {
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub state: SlaState,
}

pub fn clock_of(row: &TicketRow) -> Result<SlaClock, ServiceError> {
    let utc = |t: Option<NaiveDateTime>| t.map(|t| t.and_utc());
    Ok(SlaClock {
        status: row.status,
        first_response_due_at: utc(row.first_response_due_at),
        due_at: utc(row.due_at),
        first_responded_at: utc(row.first_responded_at),
        finished_at: utc(row.resolved_at.or(row.closed_at)),
    })
}

pub fn view(
    row: &TicketRow,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> Result<SlaView, ServiceError> {
    let clock = clock_of(row)?;
    Ok(SlaView {
        first_response_due_at: clock.first_response_due_at,
        due_at: clock.due_at,
        state: clock.state(calendar, now, AT_RISK_MINUTES),
    })
}

/// Keeps the SLA clock in step with a status change. Call inside the transaction of the
/// change, with the ticket as it was before it: entering `waiting_student` pauses the clock;
/// leaving it (or a guest's confirmation leaving `unverified`) moves the running due times
/// forward by the business minutes the clock stood still.
pub fn on_status_change(
    conn: &mut DbConn,
    ticket: &TicketRow,
    from: Status,
    to: Status,
) -> Result<(), ServiceError> {
    on_status_change_at(conn, ticket, from, to, Utc::now())
}

pub fn on_status_change_at(
    conn: &mut DbConn,
    ticket: &TicketRow,
    from: Status,
    to: Status,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if from == to {
        return Ok(());
    }
    let paused_since = match from {
        Status::WaitingStudent => ticket_sla::table
            .find(&ticket.id)
            .select(ticket_sla::paused_at)
            .first::<Option<NaiveDateTime>>(conn)
            .optional()?
            .flatten(),
        Status::Unverified => Some(ticket.created_at),
        _ => None,
    };
    let mut paused_minutes = 0;
    if let Some(since) = paused_since {
        let calendar = calendar(conn, &ticket.team_id)?;
        paused_minutes = calendar.business_minutes_between(since.and_utc(), now);
        if paused_minutes > 0 {
            let push = |due: Option<NaiveDateTime>| {
                due.map(|d| {
                    calendar
                        .add_business_minutes(d.and_utc(), paused_minutes)
                        .naive_utc()
                })
            };
            let first_due = match ticket.first_responded_at {
                None => push(ticket.first_response_due_at),
                Some(_) => ticket.first_response_due_at,
            };
            let due = push(ticket.due_at);
            diesel::update(tickets::table.find(&ticket.id))
                .set((
                    tickets::first_response_due_at.eq(first_due),
                    tickets::due_at.eq(due),
                ))
                .execute(conn)?;
            let data = json!({"paused_minutes": paused_minutes, "first_response_due_at": first_due.map(|d| d.and_utc()),
                              "due_at": due.map(|d| d.and_utc())});
            record_event(conn, &ticket.id, None, "sla_resumed", data)?;
        }
    }
    let paused_at = (to == Status::WaitingStudent).then(|| now.naive_utc());
    if paused_since.is_none() && paused_at.is_none() {
        return Ok(());
    }
    let updated = diesel::update(ticket_sla::table.find(&ticket.id))
        .set((
            ticket_sla::paused_at.eq(paused_at),
            ticket_sla::paused_minutes.eq(ticket_sla::paused_minutes + paused_minutes),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(ticket_sla::table)
            .values((
                ticket_sla::ticket_id.eq(&ticket.id),
                ticket_sla::paused_at.eq(paused_at),
                ticket_sla::paused_minutes.eq(paused_minutes),
            ))
            .execute(conn)?;
    }
    Ok(())
}
