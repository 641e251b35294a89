//! Due times after a category or team change: counted again from the ticket's creation with the
//! new category's targets and the new team's calendar, as at creation, plus the time already
//! paused, and capped by a linked procedure's close as at linking.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::{calendar, clock_of};
use crate::career::deadline;
use crate::db::schema::{categories, sla_alerts, ticket_sla, tickets};
use crate::db::DbConn;
use crate::domain::sla::{DueTimes, SlaClock, Target, Targets};
use crate::error::ServiceError;
use crate::db::ticket_rows::{record_event, TicketRow};

/// The (first response, resolution) due times a ticket should have, given `fresh` ones counted
/// again. A target already reached keeps its due time (a first response given, a resolved or
/// closed ticket), so its outcome does not change after the fact.
pub fn recomputed(
    clock: &SlaClock,
    deadline_at: Option<NaiveDateTime>,
    fresh: DueTimes,
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    if clock.finished() {
        return (clock.first_response_due_at, clock.due_at);
    }
    let first = match clock.first_responded_at {
        Some(_) => clock.first_response_due_at,
        None => Some(fresh.first_response),
    };
    let resolution = match deadline_at {
        Some(close) => deadline::due_for(close, now.naive_utc(), Some(fresh.resolution.naive_utc())).map(|d| d.and_utc()),
        None => Some(fresh.resolution),
    };
    (first, resolution)
}

/// Recomputes the due times of `ticket` (as it is after the change) and, when they moved,
/// stores them, records `sla_recomputed` and forgets the at-risk alerts of due times it no longer
/// has (so a due time that comes back alerts again). Call inside the change's transaction.
pub fn recompute(conn: &mut DbConn, ticket: &TicketRow, actor: Option<&str>, now: DateTime<Utc>) -> Result<bool, ServiceError> {
    let (first_response_hours, resolution_hours): (i32, i32) = categories::table
        .find(&ticket.category_id)
        .select((categories::first_response_hours, categories::resolution_hours))
        .first(conn)?;
    // Pauses already over; one still running moves the due times when it ends.
    let paused: i64 =
        ticket_sla::table.find(&ticket.id).select(ticket_sla::paused_minutes).first(conn).optional()?.unwrap_or(0);
    let calendar = calendar(conn, &ticket.team_id)?;
    let fresh = calendar.due_times(ticket.created_at.and_utc(), Targets { first_response_hours, resolution_hours }, paused);
    let clock = clock_of(ticket)?;
    let (first, due) = recomputed(&clock, ticket.deadline_at, fresh, now);
    if (first, due) == (clock.first_response_due_at, clock.due_at) {
        return Ok(false);
    }
    let (first, due) = (first.map(|t| t.naive_utc()), due.map(|t| t.naive_utc()));
    diesel::update(tickets::table.find(&ticket.id))
        .set((tickets::first_response_due_at.eq(first), tickets::due_at.eq(due)))
        .execute(conn)?;
    forget_alerts(conn, &ticket.id, Target::FirstResponse, first)?;
    forget_alerts(conn, &ticket.id, Target::Resolution, due)?;
    let data = json!({
        "first_response_due_at": first.map(|d| d.and_utc()), "due_at": due.map(|d| d.and_utc()),
        "previous": {"first_response_due_at": clock.first_response_due_at, "due_at": clock.due_at},
    });
    record_event(conn, &ticket.id, actor, "sla_recomputed", data)?;
    Ok(true)
}

/// Drops the alerts of `target` sent for another due time than `due`.
fn forget_alerts(conn: &mut DbConn, ticket_id: &str, target: Target, due: Option<NaiveDateTime>) -> QueryResult<usize> {
    let alerts = sla_alerts::table.filter(sla_alerts::ticket_id.eq(ticket_id)).filter(sla_alerts::target.eq(target.as_str()));
    match due {
        Some(due) => diesel::delete(alerts.filter(sla_alerts::due_at.ne(due))).execute(conn),
        None => diesel::delete(alerts).execute(conn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use chrono::{Duration, TimeZone};

    fn rome(d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Rome.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    fn clock(status: Status, first_responded: bool) -> SlaClock {
        SlaClock {
            status,
            first_response_due_at: Some(rome(24, 17)),
            due_at: Some(rome(27, 12)),
            first_responded_at: first_responded.then(|| rome(24, 11)),
            finished_at: None,
        }
    }

    fn fresh() -> DueTimes {
        DueTimes { first_response: rome(26, 10), resolution: rome(30, 16) }
    }

    #[test]
    fn running_targets_take_the_fresh_due_times() {
        let (first, due) = recomputed(&clock(Status::Open, false), None, fresh(), rome(24, 12));
        assert_eq!((first, due), (Some(fresh().first_response), Some(fresh().resolution)));
        // Paused or not confirmed yet: the pause moves them later, on resume.
        let (first, _) = recomputed(&clock(Status::WaitingStudent, false), None, fresh(), rome(24, 12));
        assert_eq!(first, Some(fresh().first_response));
    }

    #[test]
    fn a_given_first_response_keeps_its_due_time() {
        let (first, due) = recomputed(&clock(Status::Open, true), None, fresh(), rome(24, 12));
        assert_eq!((first, due), (Some(rome(24, 17)), Some(fresh().resolution)));
    }

    #[test]
    fn a_finished_ticket_keeps_both() {
        for status in [Status::Resolved, Status::Closed] {
            let (first, due) = recomputed(&clock(status, false), None, fresh(), rome(24, 12));
            assert_eq!((first, due), (Some(rome(24, 17)), Some(rome(27, 12))), "{status:?}");
        }
    }

    #[test]
    fn a_procedure_close_caps_the_resolution_a_day_before() {
        let now = rome(24, 12);
        let close = fresh().resolution - Duration::days(3);
        let (_, due) = recomputed(&clock(Status::Open, false), Some(close.naive_utc()), fresh(), now);
        assert_eq!(due, Some(close - Duration::days(1)));
        // A close later than the category's own due time changes nothing; a past one neither.
        for close in [fresh().resolution + Duration::days(5), now - Duration::days(1)] {
            let (_, due) = recomputed(&clock(Status::Open, false), Some(close.naive_utc()), fresh(), now);
            assert_eq!(due, Some(fresh().resolution));
        }
    }
}
